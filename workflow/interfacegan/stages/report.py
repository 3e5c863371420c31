"""The run's summary page: every table, heat map, curve and edit grid, explained."""

import csv
import html
import os

from ..artifacts import atomic_path
from ..config import boundary_names, edit_spaces
from ..layout import Layout

SECTIONS = [
    ("Separability", "separability", None,
     "A linear classifier (its unit normal is the boundary) separates the most confident top and bottom "
     "samples of each attribute. Validation accuracy is on held-out selected samples; remaining accuracy on "
     "all the samples in between, labelled by the midpoint of all valid scores (the official threshold)."),
    ("Accuracy by distance to the boundary", None, "separability_by_distance",
     "Remaining samples binned by their distance to the hyperplane: far from it the attribute is unambiguous; "
     "near it labels blur, as expected if the attribute varies linearly across the boundary."),
    ("Cosine between boundaries", "cosine", "cosine_{space}",
     "Cosines between unit normals. Near 0: the attributes are disentangled in this space; large: editing "
     "one drags the other along. Conditional boundaries are orthogonal to their conditions by construction."),
    ("Correlation of attribute scores", "correlation_synthesized", "correlation_synthesized",
     "Pearson correlation between the predictor's scores over all sampled faces: the entanglement the "
     "boundaries inherit from the data the generator learned."),
    ("Correlation of attribute scores on real faces", "correlation_real", "correlation_real",
     "The same predictor on the configured real images: where the synthesized correlations follow the real "
     "ones, the generator has learned the real data's entanglement."),
    ("Re-scoring", "rescoring", "rescoring_{space}",
     "Samples moved by +-a along each boundary (rows) and re-scored: the mean change of every attribute "
     "(columns), in standard deviations of its score. The diagonal should dominate; conditioning should "
     "remove the change of the conditioned attributes."),
    ("Linearity", "linearity", "linearity",
     "Mean score of each attribute with samples placed at signed distances from its boundary (official "
     "linear_interpolate): a straight line means the semantics vary linearly along the normal."),
]


def run(view: dict, layout: Layout) -> None:
    body = [f"<h1>InterFaceGAN run <code>{html.escape(view['run'])}</code></h1>"]
    for title, table, figure, text in SECTIONS:
        if table == "correlation_real" and not view["real_data"]:
            continue
        body += [f"<h2>{title}</h2>", f"<p>{text}</p>"]
        for space in view["spaces"] if figure and "{space}" in figure else [None]:
            if figure:
                body.append(image_tag(layout, layout.figure(figure.format(space=space)), title))
        if table:
            body.append(table_html(layout.table(table)))
    body += ["<h2>Edit grids</h2>", edit_text(view["edit"])]
    for space in edit_spaces(view):
        for name in boundary_names(view):
            body += [f"<h3>{html.escape(name)} ({space})</h3>", image_tag(layout, layout.edit_grid(name, space), name)]
    with atomic_path(layout.summary) as tmp:
        tmp.write_text(PAGE.format(title=html.escape(view["run"]), body="\n".join(body)))


def edit_text(options: dict) -> str:
    how = ("each step puts the sample at signed distance d from the hyperplane" if options["mode"] == "distance"
           else "each step adds a times the unit normal")
    return (f"<p>Rows: the run's first {options['samples']} samples. The framed first column is the original; "
            f"then {options['steps']} steps from {options['start']:g} to {options['end']:g}: {how}.</p>")


def image_tag(layout: Layout, path, alt: str) -> str:
    return f'<img src="{html.escape(os.path.relpath(path, layout.dir))}" alt="{html.escape(alt)}">'


def table_html(path) -> str:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>InterFaceGAN: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; background: #fff; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }}
td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}
th {{ background: #eef; }}
img {{ max-width: 100%; display: block; margin: 0.5em 0; }}
</style></head>
<body>
{body}
</body></html>
"""

"""The run's summary page: every table, heat map, curve and edit grid, explained."""

import html
import os

import pandas as pd

from ..artifacts import atomic_path
from ..config import boundary_names, conditional_name, edit_spaces
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


# The columns that label the rows of the matrices; the other tables are plain rows.
ROW_LABELS = {
    "cosine": ["space", "boundary"],
    "correlation_synthesized": ["attribute"],
    "correlation_real": ["attribute"],
    "rescoring": ["space", "boundary"],
}


def run(view: dict, layout: Layout) -> None:
    body = [f"<h1>InterFaceGAN run <code>{html.escape(view['run'])}</code></h1>"]
    for title, table, figure, text in SECTIONS:
        if table == "correlation_real" and not view["real_data"]:
            continue
        body += [f"<h2>{title}</h2>", f"<p>{text}</p>", *section(view, layout, title, table, figure)]
    body.append("<h2>Edit grids</h2>")
    for space in edit_spaces(view):
        for name in boundary_names(view):
            body += [f"<h3>{html.escape(name)} ({space})</h3>", image_tag(layout, layout.edit_grid(name, space), name),
                     f"<p>{html.escape(edit_caption(view, name, space))}</p>"]
    with atomic_path(layout.summary) as tmp:
        tmp.write_text(PAGE.format(title=html.escape(view["run"]), body="\n".join(body)), encoding="utf-8")


def section(view: dict, layout: Layout, title: str, table: str | None, figure: str | None) -> list[str]:
    """A section's figures and table; a figure per latent space has that space's matrix under it."""
    frame = pd.read_csv(layout.table(table), index_col=ROW_LABELS.get(table)) if table else None
    if figure and "{space}" in figure:
        parts = []
        for space in view["spaces"]:
            parts += [image_tag(layout, layout.figure(figure.format(space=space)), title), table_html(frame.loc[space])]
        return parts
    parts = [image_tag(layout, layout.figure(figure), title)] if figure else []
    return parts + ([table_html(frame)] if table else [])


def edit_caption(view: dict, name: str, space: str) -> str:
    """What an edit grid shows: its rows, and what moves from where to where (and what stays)."""
    options = view["edit"]
    conditional = {conditional_name(c["primal"], c["conditions"]): c for c in view["conditions"]}
    condition = conditional.get(name, {"primal": name, "conditions": []})
    primal, held = condition["primal"], condition["conditions"]
    boundary = f"{primal} boundary" + (f" conditioned on {' and '.join(held)}" if held else "")
    span = f"{options['start']:+g} … {options['end']:+g}".replace("-", "−")
    if space == "wp":
        layers = "every layer" if options["wp_layers"] == "all" else f"layers {', '.join(map(str, options['wp_layers']))}"
        how = f"adding {span} times the unit normal of the w {boundary} to {layers} of each W+ code"
    elif options["mode"] == "distance":
        how = f"placing each at signed distance {span} from the {boundary}"
    else:
        how = f"adding {span} times the unit normal of the {boundary} to each code"
    direction = "a lower to a higher" if options["start"] < options["end"] else "a higher to a lower"
    stay = f" while {' and '.join(held)} {'stays' if len(held) == 1 else 'stay'}" if held else ""
    return (f"Rows are the run's first {min(options['samples'], view['n_samples'])} samples; the framed first column is "
            f"the original; then {options['steps']} steps {how}, i.e. from {direction} {primal} score{stay}.")


def image_tag(layout: Layout, path, alt: str) -> str:
    return f'<img src="{html.escape(os.path.relpath(path, layout.dir))}" alt="{html.escape(alt)}">'


def table_html(frame: pd.DataFrame) -> str:
    """A table as HTML, every row shown; a matrix's row labels are header cells, their name in the corner."""
    if frame.index.name is None:
        return frame.to_html(index=False, border=0)
    return frame.rename_axis(index=None, columns=frame.index.name).to_html(border=0)


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

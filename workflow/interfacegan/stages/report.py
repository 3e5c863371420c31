"""The run's summary page: every table, heat map, curve and edit grid, explained."""

import html
import os

import pandas as pd

from ..artifacts import atomic_path
from ..config import boundary_names, condition_of, edit_spaces
from ..layout import Layout
from ..pipeline import REPORT

# (title, table, figure, the stage whose caption explains it: workflow/report/<stage>.rst, the
# captions of Snakemake's report too, so that the two say the same)
SECTIONS = [
    ("Separability", "separability", None, "separability_table"),
    ("Accuracy by distance to the boundary", None, "separability_by_distance", None),
    ("Cosine between boundaries", "cosine", "cosine_{space}", "cosine_table"),
    ("Correlation of attribute scores", "correlation_synthesized", "correlation_synthesized", "correlation_table"),
    ("Correlation of attribute scores on real faces", "correlation_real", "correlation_real", "correlation_real_table"),
    ("Re-scoring", "rescoring", "rescoring_{space}", "rescoring_table"),
    ("Linearity", "linearity", "linearity", "linearity_table"),
]


def caption(stage: str) -> str:
    return (REPORT / f"{stage}.rst").read_text().strip()


# The columns that label the rows of the matrices; the other tables are plain rows.
ROW_LABELS = {
    "cosine": ["space", "boundary"],
    "correlation_synthesized": ["attribute"],
    "correlation_real": ["attribute"],
    "rescoring": ["space", "boundary"],
}


def run(view: dict, layout: Layout) -> None:
    body = [f"<h1>InterFaceGAN run <code>{html.escape(view['run'])}</code></h1>"]
    for title, table, figure, stage in SECTIONS:
        if table == "correlation_real" and not view["scored_photos"]:
            continue
        text = [f"<p>{html.escape(caption(stage))}</p>"] if stage else []
        body += [f"<h2>{title}</h2>", *text, *section(view, layout, title, table, figure)]
    if "w" in view["spaces"]:
        body += layers(view, layout)
    body += ["<h2>Edit grids</h2>", f"<p>{html.escape(caption('edit_grids'))}</p>"]
    for space in edit_spaces(view):
        for name in boundary_names(view):
            body += [
                f"<h3>{html.escape(name)} ({space})</h3>",
                image_tag(layout, layout.edit_grid(name, space), name),
                f"<p>{html.escape(edit_caption(view, name, space))}</p>",
            ]
    if view["real_images"]:
        body += real_faces(view, layout)
    if view["translator"]:
        body += translation(view, layout)
    with atomic_path(layout.summary) as tmp:
        tmp.write_text(PAGE.format(title=html.escape(view["run"]), body="\n".join(body)), encoding="utf-8")


def layers(view: dict, layout: Layout) -> list[str]:
    """The layer-wise re-scoring: the layers chosen per boundary, then each boundary's heat map and matrix."""
    gains = pd.read_csv(layout.table("layerwise"))
    body = [
        "<h2>Where each attribute lives in W+</h2>",
        f"<p>{html.escape(caption('layerwise_table'))}</p>",
        table_html(pd.read_csv(layout.table("layerwise_layers"), index_col="boundary").round(3)),
    ]
    for name in boundary_names(view):
        matrix = gains[gains["boundary"] == name].pivot(index="attribute", columns="layer", values="score_change")
        body += [
            f"<h3>{html.escape(name)} (w)</h3>",
            image_tag(layout, layout.figure(f"layerwise_{name}"), name),
            table_html(matrix.loc[view["attributes"]].round(3)),
        ]
    return body


def real_faces(view: dict, layout: Layout) -> list[str]:
    """The real photos: their reconstruction, identity along the edits, re-scoring and edit grids."""
    identity = pd.read_csv(layout.table("real_identity"))
    kept = identity.pivot_table(index="boundary", columns="step", values="same_person", aggfunc="mean", sort=False)
    rescoring = pd.read_csv(layout.table("real_rescoring"), index_col=["space", "boundary"])
    body = [
        "<h2>Real faces: reconstruction</h2>",
        f"<p>{html.escape(caption('real_reconstruction_table'))}</p>",
        table_html(pd.read_csv(layout.table("real_reconstruction"))),
        "<h2>Real faces: edits</h2>",
        f"<p>{html.escape(caption('real_edits'))}</p>",
        "<h3>Fraction of photos still the same person (dlib), by boundary and edit step</h3>",
        table_html(kept.round(3)),
        "<h3>Re-scoring of real faces (score SDs per unit of edit)</h3>",
        table_html(rescoring),
    ]
    for name in boundary_names(view):
        body += [f"<h3>{html.escape(name)}</h3>", image_tag(layout, layout.real_edit_grid(name), name)]
    return body


def translation(view: dict, layout: Layout) -> list[str]:
    """Feed-forward editing: the translators against the latent edits, and their grids."""
    body = [
        "<h2>Feed-forward editing (translator)</h2>",
        f"<p>{html.escape(caption('translation_table'))}</p>",
        table_html(pd.read_csv(layout.table("translation"))),
    ]
    for name in view["translator"]["boundaries"]:
        body += [f"<h3>{html.escape(name)}</h3>", image_tag(layout, layout.translation_grid(name), name)]
    return body


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
    condition = condition_of(view, name)
    primal, held = condition["primal"], condition["conditions"]
    boundary = f"{primal} boundary" + (f" conditioned on {' and '.join(held)}" if held else "")
    span = f"{options['start']:+g} … {options['end']:+g}".replace("-", "−")
    if space == "wp":
        chosen = options["wp_layers"]
        layers = (
            "every layer"
            if chosen == "all"
            else "the layers named atop the grid (those that carry the attribute)"
            if chosen == "auto"
            else f"layers {', '.join(map(str, chosen))}"
        )
        how = f"adding {span} times the unit normal of the w {boundary} to {layers} of each W+ code"
    elif options["mode"] == "distance":
        how = f"placing each at signed distance {span} from the {boundary}"
    else:
        how = f"adding {span} times the unit normal of the {boundary} to each code"
    direction = "a lower to a higher" if options["start"] < options["end"] else "a higher to a lower"
    stay = f" while {' and '.join(held)} {'stays' if len(held) == 1 else 'stay'}" if held else ""
    return (
        f"Rows are the run's first {min(options['samples'], view['n_samples'])} samples; the framed first column is "
        f"the original; then {options['steps']} steps {how}, i.e. from {direction} {primal} score{stay}."
    )


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
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.8em; display: block; max-width: 100%; overflow-x: auto; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
th {{ background: #eef; }}
img {{ max-width: 100%; display: block; margin: 0.5em 0; }}
</style></head>
<body>
{body}
</body></html>
"""

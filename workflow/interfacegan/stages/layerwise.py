"""Where each attribute lives in W+: layer-wise re-scoring (HiGAN's analysis), and the
layers that `edit.wp_layers: auto` edits.

For every w boundary n (plain and conditional) and every W+ layer l, the run's first K
codes move on layer l only, to where truncating w + a n puts that layer: an untruncated
layer moves by a n, a truncated one by psi a n (the official layer-wise strength). Every
attribute is re-scored; a change is the mean over the K samples, in SDs of that
attribute's score over the run.

The automatic choice for a boundary ranks the layers by the gain of the attribute it
moves (its primal, for a conditional boundary) and keeps the fewest whose positive gains
hold AUTO_SHARE of the total; where no layer raises the attribute, it keeps every layer.
"""

import numpy as np
import pandas as pd

from .. import figures
from ..artifacts import provenance, read_artifact, write_csv, write_h5
from ..config import ConfigError, boundary_names, primal_of
from ..layout import Layout
from .edits import Editor, layer_list, render_grids
from .score import score_spread

AUTO_SHARE = 0.8


def run(view: dict, layout: Layout) -> None:
    editor = Editor(view, layout)
    if "wp" not in editor.generator.spaces:
        raise ConfigError(
            f"config: spaces: layer-wise re-scoring needs a W+ space; generator '{editor.generator.name}' has none"
        )
    names, attributes = boundary_names(view), view["attributes"]
    gains = layer_gains(editor, names, view["analysis"]["layerwise_samples"], view["analysis"]["layerwise_step"])
    gains /= score_spread(view, layout)
    chosen = np.zeros(gains.shape[:2], bool)  # (boundary, layer): the layers `auto` edits
    for i, name in enumerate(names):
        chosen[i, auto_layers(gains[i, :, attributes.index(primal_of(view, name))])] = True
    write_h5(
        layout.layerwise,
        {"gains": gains, "chosen": chosen, "boundaries": names, "attributes": attributes},
        provenance(view, "layerwise_table"),
    )
    index = pd.MultiIndex.from_product(
        [names, range(gains.shape[1]), attributes], names=["boundary", "layer", "attribute"]
    )
    write_csv(layout.table("layerwise"), pd.DataFrame({"score_change": gains.ravel()}, index=index))
    write_csv(layout.table("layerwise_layers"), choice_frame(view, names, gains, chosen))
    step = view["analysis"]["layerwise_step"]
    for i, name in enumerate(names):
        frame = pd.DataFrame(
            gains[i].T,
            index=pd.Index(attributes, name="attribute"),
            columns=[str(layer) for layer in range(gains.shape[1])],
        )
        title = (
            f"{name} (w): score change per +{step:g} on one W+ layer, in score SDs; auto: "
            f"layers {layer_list(np.flatnonzero(chosen[i]))}"
        )
        figures.heatmap(frame, title, layout.figure(f"layerwise_{name}"))


def layer_gains(editor: Editor, names: list[str], count: int, step: float) -> np.ndarray:
    """(boundary, layer, attribute): the mean score change when one layer moves by +step."""
    w = editor.first_codes(count, "w")
    wp = editor.to_wp(w)
    base = editor.score(wp, "wp", "layerwise originals")
    layers = wp.shape[1]
    gains = np.empty((len(names), layers, base.shape[1]))
    for i, name in enumerate(names):
        moved = editor.to_wp(w + step * editor.normal(name, "w"))
        codes = np.repeat(wp[None], layers, axis=0)  # (layer moved, sample, layer, d)
        codes[np.arange(layers), :, np.arange(layers)] = moved.transpose(1, 0, 2)
        scores = editor.score(codes.reshape(-1, *wp.shape[1:]), "wp", f"layerwise {name}").reshape(layers, len(w), -1)
        gains[i] = np.nanmean(scores - base, axis=1)
    return gains


def auto_layers(gain: np.ndarray) -> np.ndarray:
    """The fewest layers (by descending gain) whose positive gains hold AUTO_SHARE of their total;
    every layer where none is positive. Sorted layer indices."""
    positive = np.clip(gain, 0, None)
    if not positive.sum() > 0:
        return np.arange(len(gain))
    order = np.argsort(-positive, kind="stable")
    count = int(np.searchsorted(np.cumsum(positive[order]), AUTO_SHARE * positive.sum() * (1 - 1e-9))) + 1
    return np.sort(order[:count])


def choice_frame(view: dict, names: list[str], gains: np.ndarray, chosen: np.ndarray) -> pd.DataFrame:
    """Per boundary: the attribute ranked, the layers `auto` edits, and their share of its positive gain."""
    rows = []
    for i, name in enumerate(names):
        primal = primal_of(view, name)
        positive = np.clip(gains[i, :, view["attributes"].index(primal)], 0, None)
        share = positive[chosen[i]].sum() / positive.sum() if positive.sum() > 0 else np.nan
        rows.append(
            {
                "boundary": name,
                "attribute": primal,
                "layers": layer_list(np.flatnonzero(chosen[i])),
                "share_of_gain": share,
            }
        )
    return pd.DataFrame(rows).set_index("boundary")


def chosen_layers(view: dict, layout: Layout) -> dict[str, list[int]]:
    """The layers `auto` edits per boundary, from this run's layer-wise re-scoring."""
    found = read_artifact(layout.layerwise, view, "chosen", "boundaries", stage="layerwise_table")
    return {name: np.flatnonzero(row).tolist() for name, row in zip(found["boundaries"], found["chosen"])}


def edit_grids(view: dict, layout: Layout) -> None:
    """The W+ edit grids of `edit.wp_layers: auto`: each boundary on its chosen layers (named atop each grid)."""
    render_grids(Editor(view, layout, with_predictor=False), "wp", chosen_layers(view, layout))

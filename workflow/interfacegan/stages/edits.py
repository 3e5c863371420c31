"""Moving latents along boundaries: re-scoring, linearity curves and edit grids.

All use the run's first latents (global indices 0..K-1), so they are the same samples
for every boundary and every run with the same seed.
"""

import numpy as np
import pandas as pd
import torch

from .. import figures, latents
from ..artifacts import write_csv
from ..config import ConfigError, boundary_names, grid_spaces
from ..layout import Layout
from ..manipulation import interpolate
from ..models import Models
from .analysis import matrix_frame
from .boundary import read_boundary
from .score import score_spread


class Editor(Models):
    """The models of a run, with its first latents and its boundaries."""

    def __init__(self, view: dict, layout: Layout, with_predictor: bool = True):
        super().__init__(view, with_predictor)
        self.layout = layout

    def first_codes(self, count: int, space: str) -> np.ndarray:
        """The run's first codes in `space`; W+ ones are the stored w, truncated per layer
        (so the W+ and W originals are the same codes, whatever the batch sizes)."""
        rows = np.arange(min(count, self.view["n_samples"]))
        if space != "wp":
            return latents.gather(self.view, self.layout, rows, space)
        if "wp" not in self.generator.spaces:
            raise ConfigError(f"config: edit.wp_layers: generator '{self.generator.name}' has no W+ space")
        return self.to_wp(latents.gather(self.view, self.layout, rows, "w"))

    def to_wp(self, w: np.ndarray) -> np.ndarray:
        """W+ codes of W codes, truncated per layer as synthesis from W truncates them."""
        with torch.inference_mode():
            return self.generator.w_to_wp(torch.from_numpy(w).to(self.device)).float().cpu().numpy()

    def normal(self, name: str, space: str) -> np.ndarray:
        return read_boundary(self.view, self.layout, name, space, "normal")["normal"]


def rescoring(view: dict, layout: Layout) -> None:
    """Mean change of every attribute's score when codes move by +-a along each boundary,
    per +a, in standard deviations of that attribute's score over all samples."""
    editor = Editor(view, layout)
    spread = score_spread(view, layout)
    step = view["analysis"]["rescoring_step"]
    names = boundary_names(view)
    blocks = {}
    for space in view["spaces"]:
        codes = editor.first_codes(view["analysis"]["rescoring_samples"], space)
        matrix = np.empty((len(names), len(view["attributes"])))
        for i, name in enumerate(names):
            move = step * editor.normal(name, space)
            plus, minus = (editor.score(codes + sign * move, space, f"rescore {name}") for sign in (1, -1))
            matrix[i] = np.nanmean(plus - minus, axis=0) / 2 / spread
        blocks[space] = matrix_frame(matrix, names, view["attributes"], "boundary")
        title = f"Score change per +{step:g} along each boundary, in score SDs ({space})"
        figures.heatmap(blocks[space], title, layout.figure(f"rescoring_{space}"))
    write_csv(layout.table("rescoring"), pd.concat(blocks, names=["space"]))


def linearity(view: dict, layout: Layout) -> None:
    """Mean score of each attribute with samples placed at signed distances from its boundary."""
    editor = Editor(view, layout)
    distances = np.linspace(view["edit"]["start"], view["edit"]["end"], view["analysis"]["linearity_steps"])
    frames, series = [], {}
    for space in view["spaces"]:
        codes = editor.first_codes(view["analysis"]["linearity_samples"], space)
        for column, attribute in enumerate(view["attributes"]):
            placed = interpolate(
                codes, editor.normal(attribute, space), distances[0], distances[-1], len(distances), "distance"
            )
            scores = editor.score(placed, space, f"linearity {attribute}")[..., column]
            mean, spread = np.nanmean(scores, axis=0), np.nanstd(scores, axis=0)
            slope, intercept = np.polyfit(distances, mean, 1)
            r2 = 1 - np.sum((mean - (slope * distances + intercept)) ** 2) / np.sum((mean - mean.mean()) ** 2)
            frames.append(
                pd.DataFrame(
                    {
                        "space": space,
                        "attribute": attribute,
                        "distance": distances,
                        "mean_score": mean,
                        "sd_score": spread,
                        "slope": slope,
                        "r2": r2,
                    }
                )
            )
            series[f"{attribute} ({space})"] = (
                distances,
                (mean - mean.mean()) / (np.abs(slope) * np.ptp(distances) or 1),
            )
    write_csv(layout.table("linearity"), pd.concat(frames, ignore_index=True))
    figures.curves(
        series,
        "signed distance to the boundary",
        "mean score (centred, scaled by |slope| x range)",
        "Linearity",
        layout.figure("linearity"),
    )


def edit_grids(view: dict, layout: Layout) -> None:
    """One PNG per boundary and space: rows = samples, first column the original (framed),
    then the steps of `edit.mode` from `edit.start` to `edit.end`; in wp (`edit.wp_layers`
    all or a list; `auto` is the layer-wise stage's) the w boundaries move the W+ codes."""
    editor = Editor(view, layout, with_predictor=False)
    for space in grid_spaces(view):
        layers = None if space != "wp" or view["edit"]["wp_layers"] == "all" else view["edit"]["wp_layers"]
        render_grids(editor, space, {name: layers for name in boundary_names(view)})


def render_grids(editor: Editor, space: str, layers: dict[str, list[int] | None]) -> None:
    """The edit grid of each boundary in `layers`: W+ codes move on its layers (None: all),
    which are named atop the grid."""
    options = editor.view["edit"]
    codes = editor.first_codes(options["samples"], space)
    for name, chosen in layers.items():
        if chosen and max(chosen) >= codes.shape[1]:
            raise ConfigError(
                f"config: edit.wp_layers: layer {max(chosen)} does not exist; W+ has {codes.shape[1]} layers"
            )
        normal = editor.normal(name, "w" if space == "wp" else space)
        edited = interpolate(codes, normal, options["start"], options["end"], options["steps"], options["mode"], chosen)
        grid = np.concatenate([codes[:, None], edited], axis=1)
        images = editor.images(grid.reshape(-1, *codes.shape[1:]), space)
        title = f"{name}: W+ layers {layer_list(chosen or range(codes.shape[1]))}" if space == "wp" else None
        path = editor.layout.edit_grid(name, space)
        figures.image_grid(images.reshape(*grid.shape[:2], *images.shape[1:]), path, marked_column=0, title=title)


def layer_list(layers) -> str:
    """Layer indices as runs: 0-3,6."""
    runs = []
    for layer in layers:
        if runs and layer == runs[-1][1] + 1:
            runs[-1][1] = layer
        else:
            runs.append([layer, layer])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)

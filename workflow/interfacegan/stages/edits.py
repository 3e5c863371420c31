"""Moving latents along boundaries: re-scoring, linearity curves and edit grids.

All use the run's first latents (global indices 0..K-1), so they are the same samples
for every boundary and every run with the same seed.
"""

import numpy as np
import torch

from .. import figures, latents, runtime
from ..artifacts import read_h5, write_csv
from ..config import boundary_names
from ..generators import build_generator
from ..layout import Layout
from ..manipulation import interpolate
from ..predictors import build_predictor
from .score import score_latents


class Editor:
    """The generator, predictor and first latents a run edits with."""

    def __init__(self, view: dict, layout: Layout, with_predictor: bool = True):
        self.view, self.layout = view, layout
        self.device = runtime.setup(view)
        self.generator = build_generator(view["generator"], self.device)
        self.predictor = build_predictor(view["predictor"], self.device) if with_predictor else None

    def first_codes(self, count: int, space: str) -> np.ndarray:
        shards = self.layout.latent_shards(self.view["n_samples"], self.view["shard_size"])
        return latents.gather(shards, self.view["shard_size"], np.arange(min(count, self.view["n_samples"])), space)

    def normal(self, name: str, space: str) -> np.ndarray:
        return read_h5(self.layout.boundary(name, space), "normal")["normal"]

    def score(self, codes: np.ndarray, space: str, label: str) -> np.ndarray:
        flat = codes.reshape(-1, *codes.shape[-1:]).astype(np.float32)
        scores = score_latents(
            self.generator, self.predictor, self.view["attributes"], flat, self.view["batch_size"], self.device, label, space
        )
        return scores.reshape(*codes.shape[:-1], -1)

    def images(self, codes: np.ndarray, space: str) -> np.ndarray:
        """uint8 NHWC images of codes (..., d), with the official post-processing."""
        flat = torch.from_numpy(codes.reshape(-1, codes.shape[-1]).astype(np.float32))
        with torch.inference_mode():
            x = torch.cat([self.generator.synthesize(flat[i : i + 64].to(self.device), space).cpu() for i in range(0, len(flat), 64)])
        pixels = ((x + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
        return pixels.reshape(*codes.shape[:-1], *pixels.shape[1:])


def rescoring(view: dict, layout: Layout) -> None:
    """Mean change of every attribute's score when codes move by +-a along each boundary,
    per +a, in standard deviations of that attribute's score over all samples."""
    editor = Editor(view, layout)
    spread = np.nanstd(read_h5(layout.merged_scores, "scores")["scores"], axis=0)
    step = view["analysis"]["rescoring_step"]
    rows = []
    for space in view["spaces"]:
        codes = editor.first_codes(view["analysis"]["rescoring_samples"], space)
        names = boundary_names(view)
        matrix = np.empty((len(names), len(view["attributes"])))
        for i, name in enumerate(names):
            move = step * editor.normal(name, space)
            plus, minus = (editor.score(codes + sign * move, space, f"rescore {name}") for sign in (1, -1))
            matrix[i] = np.nanmean(plus - minus, axis=0) / 2 / spread
            rows.append({"space": space, "boundary": name} | {a: round(float(v), 6) for a, v in zip(view["attributes"], matrix[i])})
        title = f"Score change per +{step:g} along each boundary, in score SDs ({space})"
        figures.heatmap(matrix, names, view["attributes"], title, layout.figure(f"rescoring_{space}"))
    write_csv(layout.table("rescoring"), rows)


def linearity(view: dict, layout: Layout) -> None:
    """Mean score of each attribute with samples placed at signed distances from its boundary."""
    editor = Editor(view, layout)
    distances = np.linspace(view["edit"]["start"], view["edit"]["end"], view["analysis"]["linearity_steps"])
    rows, series = [], {}
    for space in view["spaces"]:
        codes = editor.first_codes(view["analysis"]["linearity_samples"], space)
        for column, attribute in enumerate(view["attributes"]):
            placed = interpolate(codes, editor.normal(attribute, space), distances[0], distances[-1], len(distances), "distance")
            scores = editor.score(placed, space, f"linearity {attribute}")[..., column]
            mean, spread = np.nanmean(scores, axis=0), np.nanstd(scores, axis=0)
            slope, intercept = np.polyfit(distances, mean, 1)
            r2 = 1 - np.sum((mean - (slope * distances + intercept)) ** 2) / np.sum((mean - mean.mean()) ** 2)
            rows += [
                {"space": space, "attribute": attribute, "distance": round(float(d), 6), "mean_score": round(float(m), 6),
                 "sd_score": round(float(s), 6), "slope": round(float(slope), 6), "r2": round(float(r2), 6)}
                for d, m, s in zip(distances, mean, spread)
            ]
            series[f"{attribute} ({space})"] = (distances, (mean - mean.mean()) / (np.abs(slope) * np.ptp(distances) or 1))
    write_csv(layout.table("linearity"), rows)
    figures.curves(series, "signed distance to the boundary", "mean score (centred, scaled by |slope| x range)", "Linearity", layout.figure("linearity"))


def edit_grids(view: dict, layout: Layout) -> None:
    """One PNG per boundary and space: rows = samples, first column the original (framed),
    then the steps of `edit.mode` from `edit.start` to `edit.end`."""
    editor = Editor(view, layout, with_predictor=False)
    options = view["edit"]
    for space in view["spaces"]:
        codes = editor.first_codes(options["samples"], space)
        for name in boundary_names(view):
            edited = interpolate(codes, editor.normal(name, space), options["start"], options["end"], options["steps"], options["mode"])
            grid = np.concatenate([codes[:, None], edited], axis=1)
            figures.image_grid(editor.images(grid, space), layout.edit_grid(name, space), marked_column=0)

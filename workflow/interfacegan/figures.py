"""PNG figures: heat maps, curves and image grids."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from .artifacts import atomic_path  # noqa: E402


def save(figure, path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)


def heatmap(matrix: np.ndarray, rows: list[str], columns: list[str], title: str, path, symmetric: bool = True) -> None:
    """A labelled heat map with the values written in the cells."""
    matrix = np.asarray(matrix, dtype=float)
    limit = np.nanmax(np.abs(matrix)) or 1.0
    figure, axes = plt.subplots(figsize=(1.2 + 0.9 * len(columns), 1.0 + 0.6 * len(rows)))
    image = axes.imshow(matrix, cmap="RdBu_r", vmin=-limit if symmetric else 0, vmax=limit)
    axes.set_xticks(range(len(columns)), columns, rotation=40, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    for (i, j), value in np.ndenumerate(matrix):
        axes.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color="white" if abs(value) > 0.6 * limit else "black")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, shrink=0.8)
    save(figure, path)


def curves(series: dict[str, tuple[np.ndarray, np.ndarray]], xlabel: str, ylabel: str, title: str, path) -> None:
    """One line per named (x, y) series."""
    figure, axes = plt.subplots(figsize=(6, 4))
    for name, (x, y) in series.items():
        axes.plot(x, y, marker="o", markersize=3, label=name)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if series:  # none, e.g. accuracy by distance when no sample remains unselected
        axes.legend(fontsize=8)
    save(figure, path)


def image_grid(images: np.ndarray, path, marked_column: int | None = None, cell: int = 96) -> None:
    """uint8 images (rows, columns, H, W, 3) as one PNG; a red frame marks one column."""
    rows, columns = images.shape[:2]
    gap = 4
    canvas = np.full((rows * (cell + gap) + gap, columns * (cell + gap) + gap, 3), 255, np.uint8)
    for (i, j) in np.ndindex(rows, columns):
        source = Image.fromarray(images[i, j])
        resample = Image.Resampling.NEAREST if source.width < cell else Image.Resampling.LANCZOS
        tile = np.asarray(source.resize((cell, cell), resample))
        top, left = gap + i * (cell + gap), gap + j * (cell + gap)
        if j == marked_column:
            canvas[top - 2 : top + cell + 2, left - 2 : left + cell + 2] = (220, 30, 30)
        canvas[top : top + cell, left : left + cell] = tile
    with atomic_path(path) as tmp:
        Image.fromarray(canvas).save(tmp, format="PNG")

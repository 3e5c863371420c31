"""PNG figures: heat maps, curves and image grids."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from .artifacts import atomic_path  # noqa: E402


def save(figure, path) -> None:
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)


# Inches: a heat map's square cell, and one character of a 10 pt label and a 12 pt title (wide ones).
CELL, CHARACTER, TITLE_CHARACTER = 0.6, 0.09, 0.11
LABEL_ROTATION = 40


def heatmap(frame, title: str, path) -> None:
    """A DataFrame as a heat map labelled with its index and columns, the values written in
    the cells. The figure is sized for its labels, so the longest ones fit on the canvas."""
    matrix = frame.to_numpy(dtype=float)
    limit = np.nanmax(np.abs(matrix)) or 1.0
    figure, axes = plt.subplots(
        figsize=heatmap_size(list(frame.index), list(frame.columns), title), layout="constrained"
    )
    image = axes.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes.set_xticks(
        range(len(frame.columns)), frame.columns, rotation=LABEL_ROTATION, ha="right", rotation_mode="anchor"
    )
    axes.set_yticks(range(len(frame.index)), frame.index)
    for (i, j), value in np.ndenumerate(matrix):
        axes.text(
            j,
            i,
            f"{value:.2f}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if abs(value) > 0.6 * limit else "black",
        )
    figure.suptitle(title)  # centred on the figure, which is sized to hold it
    figure.colorbar(image, ax=axes, shrink=0.8)
    save(figure, path)


def heatmap_size(rows: list[str], columns: list[str], title: str) -> tuple[float, float]:
    """Width and height (inches): the cells, the row labels beside them, the slanted column
    labels below (reaching left of the first column too), the colour bar and the title."""
    angle = np.radians(LABEL_ROTATION)
    column_label = CHARACTER * max(map(len, columns))
    left = max(CHARACTER * max(map(len, rows)), column_label * np.cos(angle) - CELL / 2)
    width = max(left + CELL * len(columns) + 1.2, TITLE_CHARACTER * len(title) + 0.4)
    height = 0.6 + CELL * len(rows) + column_label * np.sin(angle) + 0.3
    return width, height


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


def image_grid(
    images: np.ndarray, path, marked_column: int | None = None, cell: int = 96, title: str | None = None
) -> None:
    """uint8 images (rows, columns, H, W, 3) as one PNG; a red frame marks one column; a title line on top."""
    rows, columns = images.shape[:2]
    gap, top_margin = 4, TITLE_HEIGHT * (title is not None)
    canvas = np.full((top_margin + rows * (cell + gap) + gap, columns * (cell + gap) + gap, 3), 255, np.uint8)
    for i, j in np.ndindex(rows, columns):
        source = Image.fromarray(images[i, j])
        resample = Image.Resampling.NEAREST if source.width < cell else Image.Resampling.LANCZOS
        tile = np.asarray(source.resize((cell, cell), resample))
        top, left = top_margin + gap + i * (cell + gap), gap + j * (cell + gap)
        if j == marked_column:
            canvas[top - 2 : top + cell + 2, left - 2 : left + cell + 2] = (220, 30, 30)
        canvas[top : top + cell, left : left + cell] = tile
    picture = Image.fromarray(canvas)
    if title is not None:
        ImageDraw.Draw(picture).text(
            (gap, gap), title, fill=(0, 0, 0), font=ImageFont.load_default(size=TITLE_HEIGHT - 2 * gap)
        )
    save_png(np.asarray(picture), path)


TITLE_HEIGHT = 24  # pixels of an image grid's title line (Pillow's bundled font: nothing is fetched)


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 (H, W, 3) image as PNG file content."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(image: np.ndarray, path) -> None:
    """A uint8 (H, W, 3) image as a PNG, written atomically."""
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")

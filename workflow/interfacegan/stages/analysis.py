"""Tables of how boundaries and attributes relate: cosines between normals, and
correlations between attribute scores."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import figures, runtime
from ..artifacts import ArtifactError, provenance, read_h5, write_csv, write_h5
from ..config import boundary_names
from ..layout import Layout
from ..models import attribute_columns, fit_size
from ..predictors import build_predictor

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def cosine(view: dict, layout: Layout) -> None:
    """Cosine between every pair of boundaries of each space (the paper's boundary correlation)."""
    rows = []
    for space in view["spaces"]:
        names = boundary_names(view)
        normals = np.stack([read_h5(layout.boundary(n, space), "normal")["normal"] for n in names])
        matrix = normals @ normals.T
        rows += pair_rows(names, matrix, "cosine", space=space)
        figures.heatmap(matrix, names, names, f"Cosine between boundaries ({space})", layout.figure(f"cosine_{space}"))
    write_csv(layout.table("cosine"), rows)


def correlation_synthesized(view: dict, layout: Layout) -> None:
    """Pearson correlation between attribute scores over all sampled latents (NaN rows skipped pairwise)."""
    merged = read_h5(layout.merged_scores, "scores", "attributes")
    matrix = pairwise_correlation(merged["scores"])
    names = merged["attributes"]
    write_csv(layout.table("correlation_synthesized"), pair_rows(names, matrix, "correlation"))
    figures.heatmap(matrix, names, names, "Correlation of attribute scores (synthesized)", layout.figure("correlation_synthesized"))


def score_real(view: dict, layout: Layout) -> None:
    """The predictor's scores of the configured real images (resized to its input size)."""
    folder = Path(view["real_data"]["images"])
    paths = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)[: view["real_data"]["limit"]]
    if len(paths) < 2:
        raise ArtifactError(f"real_data.images: {folder} holds {len(paths)} .png/.jpg images; need at least 2")
    device = runtime.setup(view)
    predictor = build_predictor(view["predictor"], device)
    columns = attribute_columns(predictor, view["attributes"])
    scores = np.empty((len(paths), len(columns)), np.float32)
    with torch.inference_mode():
        for rows in runtime.batches(len(paths), view["batch_size"], "score real"):
            images = torch.cat([read_image(p, predictor.input_size) for p in paths[rows]]).to(device)
            with runtime.autocast(device, view["precision"]):
                scores[rows] = predictor(images)[:, columns].float().cpu().numpy()
    datasets = {"scores": scores, "attributes": view["attributes"], "images": [p.name for p in paths]}
    write_h5(layout.real_scores, datasets, provenance(view, "real") | {"folder": str(folder)})


def read_image(path: Path, size: int) -> torch.Tensor:
    """One RGB image, centre-cropped to a square and resized, as (1, 3, size, size) in [-1, 1]."""
    try:
        pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    except OSError as err:
        raise ArtifactError(f"real image {path} cannot be read ({err})") from err
    image = torch.from_numpy(pixels).permute(2, 0, 1)[None] / 127.5 - 1
    height, width = image.shape[-2:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return fit_size(image[..., top : top + side, left : left + side], size)


def correlation_real(view: dict, layout: Layout) -> None:
    """Pearson correlation between the predictor's scores of real images."""
    real = read_h5(layout.real_scores, "scores", "attributes")
    matrix = pairwise_correlation(real["scores"])
    names = real["attributes"]
    write_csv(layout.table("correlation_real"), pair_rows(names, matrix, "correlation"))
    figures.heatmap(matrix, names, names, "Correlation of attribute scores (real images)", layout.figure("correlation_real"))


def pairwise_correlation(scores: np.ndarray) -> np.ndarray:
    m = scores.shape[1]
    matrix = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            both = ~np.isnan(scores[:, i]) & ~np.isnan(scores[:, j])
            matrix[i, j] = matrix[j, i] = np.corrcoef(scores[both, i], scores[both, j])[0, 1]
    return matrix


def pair_rows(names: list[str], matrix: np.ndarray, value: str, **fixed) -> list[dict]:
    """Tidy rows, one per ordered pair."""
    return [
        fixed | {"a": a, "b": b, value: round(float(matrix[i, j]), 6)}
        for i, a in enumerate(names)
        for j, b in enumerate(names)
    ]

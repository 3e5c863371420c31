"""Tables of how boundaries and attributes relate: cosines between normals, and
correlations between attribute scores."""

import numpy as np

from .. import figures
from ..artifacts import read_artifact, write_csv
from ..config import boundary_names
from ..layout import Layout
from .boundary import read_boundary
from .score import read_merged


def cosine(view: dict, layout: Layout) -> None:
    """Cosine between every pair of boundaries of each space (the paper's boundary correlation)."""
    rows = []
    for space in view["spaces"]:
        names = boundary_names(view)
        normals = np.stack([read_boundary(view, layout, n, space, "normal")["normal"] for n in names])
        matrix = normals @ normals.T
        rows += pair_rows(names, matrix, "cosine", space=space)
        figures.heatmap(matrix, names, names, f"Cosine between boundaries ({space})", layout.figure(f"cosine_{space}"))
    write_csv(layout.table("cosine"), rows)


def correlation_synthesized(view: dict, layout: Layout) -> None:
    """Pearson correlation between attribute scores over all sampled latents (NaN rows skipped pairwise)."""
    correlation_table(read_merged(view, layout), "correlation_synthesized", "synthesized", layout)


def correlation_real(view: dict, layout: Layout) -> None:
    """Pearson correlation between the predictor's scores of real images."""
    correlation_table(read_artifact(layout.real_scores, view, "scores", "attributes", stage="real_scores"), "correlation_real", "real images", layout)


def correlation_table(scores: dict, name: str, what: str, layout: Layout) -> None:
    """Table and heat map `name` of the pairwise correlations of `scores` (and their `attributes`)."""
    matrix = pairwise_correlation(scores["scores"])
    names = scores["attributes"]
    write_csv(layout.table(name), pair_rows(names, matrix, "correlation"))
    figures.heatmap(matrix, names, names, f"Correlation of attribute scores ({what})", layout.figure(name))


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

"""Tables of how boundaries and attributes relate: cosines between normals, and
correlations between attribute scores."""

import numpy as np
import pandas as pd

from .. import figures
from ..artifacts import read_artifact, write_csv
from ..config import boundary_names
from ..layout import Layout
from .boundary import read_boundary
from .score import read_merged


def cosine(view: dict, layout: Layout) -> None:
    """Cosine between every pair of boundaries of each space (the paper's boundary correlation):
    one matrix per space, its rows and columns the boundaries."""
    names = boundary_names(view)
    blocks = {}
    for space in view["spaces"]:
        normals = np.stack([read_boundary(view, layout, n, space, "normal")["normal"] for n in names])
        blocks[space] = matrix_frame(normals @ normals.T, names, names, "boundary")
        figures.heatmap(blocks[space], f"Cosine between boundaries ({space})", layout.figure(f"cosine_{space}"))
    write_csv(layout.table("cosine"), pd.concat(blocks, names=["space"]))


def correlation_synthesized(view: dict, layout: Layout) -> None:
    """Pearson correlation between attribute scores over all sampled latents (NaN rows skipped pairwise)."""
    correlation_table(read_merged(view, layout), "correlation_synthesized", "synthesized", layout)


def correlation_real(view: dict, layout: Layout) -> None:
    """Pearson correlation between the predictor's scores of real images."""
    correlation_table(
        read_artifact(layout.real_scores, view, "scores", "attributes", stage="real_scores"),
        "correlation_real",
        "real images",
        layout,
    )


def correlation_table(scores: dict, name: str, what: str, layout: Layout) -> None:
    """Matrix and heat map `name` of the pairwise correlations of `scores` (and their `attributes`)."""
    names = scores["attributes"]
    matrix = matrix_frame(pairwise_correlation(scores["scores"]), names, names, "attribute")
    write_csv(layout.table(name), matrix)
    figures.heatmap(matrix, f"Correlation of attribute scores ({what})", layout.figure(name))


def pairwise_correlation(scores: np.ndarray) -> np.ndarray:
    m = scores.shape[1]
    matrix = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            both = ~np.isnan(scores[:, i]) & ~np.isnan(scores[:, j])
            matrix[i, j] = matrix[j, i] = np.corrcoef(scores[both, i], scores[both, j])[0, 1]
    return matrix


def matrix_frame(matrix: np.ndarray, rows: list[str], columns: list[str], label: str) -> pd.DataFrame:
    """`matrix` with its row labels (named `label`) and column labels."""
    return pd.DataFrame(matrix, index=pd.Index(rows, name=label), columns=columns)

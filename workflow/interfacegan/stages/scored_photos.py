"""The predictor's scores of real face images (the paper's real-vs-synthesized comparison)."""

from pathlib import Path

import numpy as np
import torch

from .. import runtime
from ..artifacts import ArtifactError, provenance, write_h5
from ..config import photos
from ..images import load_face
from ..layout import Layout
from ..models import Scorer


def run(view: dict, layout: Layout) -> None:
    """The predictor's scores of the configured real images (resized to its input size)."""
    folder = Path(view["scored_photos"]["images"])
    paths = photos(view["scored_photos"], "scored_photos")
    if len(paths) < 2:
        raise ArtifactError(f"scored_photos.images: {folder} holds {len(paths)} .png/.jpg images; need at least 2")
    scores = image_scores(view, paths)
    datasets = {"scores": scores, "attributes": view["attributes"], "images": [p.name for p in paths]}
    write_h5(layout.real_scores, datasets, provenance(view, "real_scores") | {"folder": str(folder)})


def image_scores(view: dict, paths: list[Path]) -> np.ndarray:
    """The predictor's scores (n, m) of image files, centre-cropped and resized to its input
    (as its training images were), in batches on the configured device."""
    scorer = Scorer(view, runtime.setup(view))
    size = scorer.predictor.input_size
    return scorer.scores(
        len(paths), lambda rows: torch.stack([load_face(p, size) for p in paths[rows]]), "score images"
    )

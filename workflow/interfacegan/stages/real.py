"""The predictor's scores of real face images (the paper's real-vs-synthesized comparison)."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import runtime
from ..artifacts import ArtifactError, provenance, write_h5
from ..layout import Layout
from ..models import attribute_columns, fit_size
from ..predictors import build_predictor

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


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

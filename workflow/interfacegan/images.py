"""Face images read from files, the same way for training a predictor and for scoring real faces."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .artifacts import ArtifactError


def load_face(path: Path, size: int) -> torch.Tensor:
    """(3, size, size) float32 in [-1, 1]: RGB, centre square crop, PIL bicubic resize."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except OSError as err:
        raise ArtifactError(f"image {path} cannot be read ({err})") from err
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side))
    return torch.from_numpy(np.asarray(image, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1

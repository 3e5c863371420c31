"""Face images read from files, the same way for training a predictor and for scoring real faces."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .artifacts import ArtifactError

Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels (PIL's box)


def centre_square(width: int, height: int) -> Box:
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def inside(box: Box, width: int, height: int) -> Box:
    """The square `box` moved (not scaled) to lie inside the image; one wider or taller than the
    image first shrinks about its centre to the image's shorter side. Shifting keeps the face's
    scale, which is what framing is for; padding would invent pixels the predictor never sees."""
    left, top, right, bottom = box
    side = min(right - left, width, height)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    left = min(max(centre_x - side / 2, 0), width - side)
    top = min(max(centre_y - side / 2, 0), height - side)
    return left, top, left + side, top + side


def load_face(path: Path, size: int, box: Box | None = None) -> torch.Tensor:
    """(3, size, size) float32 in [-1, 1]: RGB, the square `box` (default: the centre square;
    moved inside the image where it overflows), PIL bicubic resize."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except OSError as err:
        raise ArtifactError(f"image {path} cannot be read ({err})") from err
    box = centre_square(*image.size) if box is None else inside(box, *image.size)
    image = image.resize((size, size), Image.Resampling.BICUBIC, box=box)
    return torch.from_numpy(np.asarray(image, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1

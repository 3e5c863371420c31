"""Face images: read from files the same way for training a predictor, scoring, inverting,
translating and aligning real faces (`read_image` is the one reader), converted between uint8
NHWC arrays and float NCHW tensors in [-1, 1], and compared by PSNR."""

import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from .artifacts import ArtifactError

Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels (PIL's box)
MAX_PIXELS = 50_000_000  # a larger image is refused before it is decoded (150 MB as RGB)
PEAK = 4.0  # (max - min)^2 of images in [-1, 1], for the PSNR


def read_image(path: Path) -> Image.Image:
    """The image at `path` as RGB (greyscale and palette images converted), its EXIF orientation
    applied; ArtifactError in one line for a file that cannot be read or one of more than
    MAX_PIXELS pixels (checked on the declared size, before decoding)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS is lower
            with Image.open(path) as image:
                width, height = image.size
                if width * height <= MAX_PIXELS:
                    return ImageOps.exif_transpose(image).convert("RGB")
    except Image.DecompressionBombError as err:  # PIL refuses to open it: far over MAX_PIXELS
        raise ArtifactError(too_large(path, "declared larger than PIL opens")) from err
    except Exception as err:  # PIL's decoders raise many kinds (OSError, ValueError, SyntaxError, struct.error...)
        raise ArtifactError(
            f"image {path} cannot be read ({' '.join(str(err).split()) or type(err).__name__})"
        ) from err
    raise ArtifactError(too_large(path, f"{width}x{height} pixels"))


def too_large(path: Path, size: str) -> str:
    return f"image {path} is {size}, more than the {MAX_PIXELS // 1_000_000} megapixels read; reduce it first"


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
    moved inside the image where it overflows), PIL bicubic resize, of `read_image`'s RGB image."""
    image = read_image(path)
    box = centre_square(*image.size) if box is None else inside(box, *image.size)
    return from_uint8(np.array(image.resize((size, size), Image.Resampling.BICUBIC, box=box)))


def from_uint8(images: np.ndarray) -> torch.Tensor:
    """uint8 images (N, H, W, 3) or (H, W, 3) as float32 tensors (N, 3, H, W) or (3, H, W) in [-1, 1]."""
    return torch.from_numpy(images).movedim(-1, -3).float() / 127.5 - 1


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Images (N, 3, H, W) or (3, H, W) in [-1, 1] as uint8 (N, H, W, 3) or (H, W, 3): the official
    post-processing (x + 1) * 127.5 + 0.5, clipped to [0, 255]."""
    return ((images.float() + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).movedim(-3, -1).cpu().numpy()


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(N,) dB between image batches in [-1, 1]."""
    return psnr_of_mse(F.mse_loss(x, y, reduction="none").flatten(1).mean(1))


def psnr_of_mse(mse: torch.Tensor) -> torch.Tensor:
    """dB of mean squared errors of images in [-1, 1]."""
    return 10 * torch.log10(PEAK / mse)


def psnr_uint8(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PSNR (dB) per pair of uint8 images (N, H, W, 3), peak 255."""
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).reshape(len(a), -1).mean(1)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(255.0**2 / mse)

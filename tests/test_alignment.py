"""Aligning real photos to the packaged DCGAN's framing (dlib HOG detector + 5-point landmarks)."""

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from interfacegan import alignment as al
from interfacegan.artifacts import ArtifactError
from interfacegan.generators import build_generator

FACES = Path(__file__).resolve().parents[1] / "data" / "real_faces"
ASTRONAUT, HOPPER = FACES / "astronaut.png", FACES / "grace_hopper.jpg"
R = 64  # the DCGAN's resolution


@pytest.fixture(scope="module")
def generator():
    return build_generator({"name": "dcgan"}, "cpu")


@pytest.fixture(scope="module")
def generated(generator):
    """(256, 5, 2) landmarks of DCGAN faces, seed 0 (about 1 s)."""
    return al.generated_landmarks(generator, 256, 0)


@pytest.fixture(scope="module")
def template(generated):
    return generated.mean(0)


@pytest.fixture(scope="module")
def hopper(template):
    return al.align_face(HOPPER, template, R)


def redetected(image: np.ndarray) -> np.ndarray:
    """The 5 landmarks of an aligned crop, the whole crop as the face rectangle (as for generated faces)."""
    dlib, predictor, _ = al._dlib()
    side = image.shape[0]
    return al._points(predictor(np.ascontiguousarray(image), dlib.rectangle(0, 0, side - 1, side - 1)))


def apply(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.c_[points, np.ones(len(points))] @ transform.T


def test_the_dcgan_template_is_a_face_inside_the_frame(generator, generated, template):
    assert template.shape == (5, 2)
    assert np.all((0.1 < template) & (template < 0.9))
    eyes, nose = template[:4], template[4]
    assert np.all(eyes[:, 1] < nose[1])  # measured: eyes at y 0.434-0.440, nose at 0.713
    assert template[2:4, 0].max() < template[0:2, 0].min()  # image-left eye (2, 3) left of image-right eye (0, 1)
    assert template[2, 0] < template[3, 0] < template[1, 0] < template[0, 0]  # outer, inner, inner, outer
    # measured spread over 256 faces: 0.036-0.066 of the side per coordinate (2-4 pixels at 64x64)
    assert np.all(generated.std(0) < 0.1)
    assert np.array_equal(al.landmark_template(generator, 16, seed=0), al.landmark_template(generator, 16, seed=0))
    assert not np.array_equal(al.landmark_template(generator, 16, seed=0), al.landmark_template(generator, 16, seed=1))


def test_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    source = rng.uniform(0, 100, (5, 2))
    a = 0.7 * np.exp(1j * math.radians(20))
    transform = np.array([[a.real, -a.imag, 5.0], [a.imag, a.real, -3.0]])
    np.testing.assert_allclose(al.similarity(source, apply(transform, source)), transform, atol=1e-12)


def test_the_warp_keeps_pixel_centres_where_they_are():
    """A pure integer shift crops exactly; a 2x downscale is exactly PIL's 2x2 box reduction."""
    photo = Image.open(HOPPER).convert("RGB")
    pixels = np.asarray(photo)
    shifted = al.warp(photo, np.array([[1.0, 0, -10], [0, 1.0, -20]]), R)
    assert np.array_equal(shifted, pixels[20 : 20 + R, 10 : 10 + R])
    halved = al.warp(photo, np.array([[0.5, 0, 0], [0, 0.5, 0]]), R)
    assert np.array_equal(halved, np.asarray(photo.reduce(2))[:R, :R])
    # beyond the photo: its edge repeated, never black
    outside = al.warp(photo, np.array([[1.0, 0, 10], [0, 1.0, 10]]), R)
    assert np.array_equal(outside[:10, 10:], np.broadcast_to(pixels[0, : R - 10], (10, R - 10, 3)))


def test_the_astronaut_is_aligned_onto_the_template(template):
    face = al.align_face(ASTRONAUT, template, R)
    assert face.image.shape == (R, R, 3) and face.image.dtype == np.uint8
    # the real face (HOG score 1.16, box (175, 76)-(265, 166)), not the false detection (0.12, lower left)
    assert face.score > 1
    assert np.all((face.landmarks >= (175, 76)) & (face.landmarks <= (266, 167)))
    # least-squares fit residual of the 5 points: measured at most 1.4 pixels (1.6 for Grace Hopper)
    assert np.abs(apply(face.transform, face.landmarks) - template * R).max() < 2.5
    # re-detected on the crop: measured 1.2-5.3 pixels from the template (mean 3.5), within the
    # generator's own spread around it (2-4 pixels per coordinate, radially ~4.5)
    error = np.linalg.norm(redetected(face.image) - template * R, axis=1)
    assert error.mean() < 4.5 and error.max() < 7
    assert 100 < face.face_side < 160  # measured 127.7 (eyes 43 pixels apart; the crop is ~3x that)


def moved(angle: float, scale: float, shift: tuple[float, float]):
    """Grace Hopper rotated by `angle` degrees, scaled and shifted: (image, 3x3 original -> moved)."""
    photo = Image.open(HOPPER).convert("RGB")
    c, s = scale * math.cos(math.radians(angle)), scale * math.sin(math.radians(angle))
    forward = np.array([[c, -s, shift[0]], [s, c, shift[1]], [0, 0, 1]])
    size = tuple(round(1.2 * scale * n) for n in photo.size)
    inverse = tuple(np.linalg.inv(forward)[:2].ravel())
    return photo.transform(size, Image.Transform.AFFINE, inverse, resample=Image.Resampling.BICUBIC), forward


@pytest.mark.parametrize("angle, scale, shift", [(10, 0.8, (120, 20)), (-10, 1.3, (60, -40)), (5, 2.0, (0, 0))])
def test_a_moved_photo_aligns_to_nearly_the_same_crop(tmp_path, template, hopper, angle, scale, shift):
    image, forward = moved(angle, scale, shift)
    image.save(tmp_path / "moved.png")
    face = al.align_face(tmp_path / "moved.png", template, R)
    # Same framing up to dlib's landmark jitter: the output corners land, measured, 1.2-2.2 pixels apart
    # (7 poses; the 2x photo is detected on a 2x-reduced copy); 3 pixels still rejects a rotation off
    # by 10 degrees (45 * sin 10 = 8 pixels at the corners).
    corners = np.array([[0, 0], [R, 0], [0, R], [R, R]], float)
    original = apply(np.linalg.inv(np.vstack([hopper.transform, [0, 0, 1]]))[:2], corners)
    assert np.abs(apply((np.vstack([face.transform, [0, 0, 1]]) @ forward)[:2], original) - corners).max() < 3
    # Mean absolute difference, measured 11.3-17.9 (7 poses): shifting the original crop by 1 pixel
    # gives 18.8, another face (the astronaut) 62.
    assert np.abs(face.image.astype(float) - hopper.image).mean() < 24
    assert face.face_side == pytest.approx(scale * hopper.face_side, rel=0.05)  # measured within 2.6 %


def one_line_error(path, template, resolution=R) -> str:
    with pytest.raises(ArtifactError) as err:
        al.align_face(path, template, resolution)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    return message


def test_bad_photos_are_refused_in_one_line_naming_the_file(tmp_path, template):
    (tmp_path / "garbage.jpg").write_bytes(b"\xff\xd8\xff not a jpeg at all" * 10)
    assert "cannot be read" in one_line_error(tmp_path / "garbage.jpg", template)
    assert "cannot be read" in one_line_error(tmp_path / "missing.png", template)

    ramp = np.linspace(0, 255, 256, dtype=np.uint8)
    gradient = np.stack(
        [
            np.broadcast_to(ramp, (256, 256)),
            np.broadcast_to(ramp[:, None], (256, 256)),
            np.full((256, 256), 90, np.uint8),
        ],
        axis=-1,
    )
    Image.fromarray(gradient).save(tmp_path / "gradient.png")
    assert "no face found" in one_line_error(tmp_path / "gradient.png", template)

    grey = Image.open(HOPPER).convert("L")
    grey.save(tmp_path / "grey.png")
    grey.convert("RGB").save(tmp_path / "grey_rgb.png")
    for name in ("grey.png", "grey_rgb.png"):
        assert "is greyscale; the generator makes colour faces" in one_line_error(tmp_path / name, template)


def test_faces_that_would_be_upsampled_are_refused(tmp_path, template):
    photo = Image.open(HOPPER)
    photo.resize((48, 56), Image.Resampling.LANCZOS).save(tmp_path / "small.png")
    photo.resize((32, 32), Image.Resampling.LANCZOS).save(tmp_path / "tiny.png")
    assert "48x56 pixels, smaller than the generator's 64x64" in one_line_error(tmp_path / "small.png", template)
    assert "32x32 pixels, smaller than the generator's 64x64" in one_line_error(tmp_path / "tiny.png", template)
    # big enough a photo, but its face (found, measured 51 pixels across) is not
    photo.resize((102, 120), Image.Resampling.LANCZOS).save(tmp_path / "far.png")
    assert "pixels across, smaller than the generator's 64x64" in one_line_error(tmp_path / "far.png", template)
    # a real face of 128 pixels is not enough for 256x256 output
    message = one_line_error(ASTRONAUT, template, 256)
    assert "is 127.7 pixels across, smaller than the generator's 256x256 faces" in message


def test_align_faces_stacks_every_photo(generator, template, hopper):
    faces = al.align_faces([ASTRONAUT, HOPPER], generator, template=template)
    assert faces.images.shape == (2, R, R, 3) and faces.images.dtype == np.uint8
    assert faces.landmarks.shape == (2, 5, 2) and faces.transforms.shape == (2, 2, 3)
    assert faces.face_sides.shape == faces.scores.shape == (2,)
    assert np.array_equal(faces.images[1], hopper.image) and np.array_equal(faces.template, template)
    empty = al.align_faces([], generator, template=template)
    assert empty.images.shape == (0, R, R, 3) and empty.landmarks.shape == (0, 5, 2)

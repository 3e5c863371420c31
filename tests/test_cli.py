import csv
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from helpers import PLANTED
from interfacegan.cli import main
from interfacegan.generators import build_generator
from interfacegan.images import to_uint8


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(PLANTED))
    return path


def test_score_writes_one_row_per_latent_named_columns(config_file, tmp_path):
    z = np.random.default_rng(0).standard_normal((7, 32)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    assert (
        main(
            [
                "score",
                "--config",
                str(config_file),
                "--latents",
                str(tmp_path / "z.npy"),
                "--out",
                str(tmp_path / "s.csv"),
            ]
        )
        == 0
    )
    with open(tmp_path / "s.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 7 and list(rows[0]) == PLANTED["attributes"]
    truth = build_generator(PLANTED["generator"]).true_scores(torch.from_numpy(z)).numpy()
    np.testing.assert_allclose([[float(r[a]) for a in PLANTED["attributes"]] for r in rows], truth, atol=1e-3)


def test_generate_writes_official_uint8_images(config_file, tmp_path):
    z = np.random.default_rng(1).standard_normal((3, 32)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    assert (
        main(
            [
                "generate",
                "--config",
                str(config_file),
                "--latents",
                str(tmp_path / "z.npy"),
                "--out",
                str(tmp_path / "i.npy"),
            ]
        )
        == 0
    )
    images = np.load(tmp_path / "i.npy")
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8
    x = build_generator(PLANTED["generator"]).synthesize(torch.from_numpy(z))
    expected = ((x + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(images, expected)


@pytest.fixture
def stylegan2_file(tmp_path):
    """A small StyleGAN2 (random weights): codes of W (16) and W+ (4 layers of 16)."""
    path = tmp_path / "stylegan2.yaml"
    generator = {"name": "stylegan2", "resolution": 8, "latent_dim": 16, "n_mlp": 2, "channel_multiplier": 1}
    path.write_text(yaml.safe_dump(PLANTED | {"generator": generator}))
    return path


def test_w_and_wp_codes_from_the_command_line(stylegan2_file, tmp_path):
    np.save(tmp_path / "wp.npy", np.random.default_rng(2).standard_normal((2, 4, 16)).astype(np.float32))
    np.save(tmp_path / "w.npy", np.random.default_rng(3).standard_normal((5, 16)).astype(np.float32))
    assert (
        main(
            [
                "generate",
                "--config",
                str(stylegan2_file),
                "--latents",
                str(tmp_path / "wp.npy"),
                "--space",
                "wp",
                "--out",
                str(tmp_path / "i.npy"),
            ]
        )
        == 0
    )
    assert np.load(tmp_path / "i.npy").shape == (2, 8, 8, 3)
    assert (
        main(
            [
                "score",
                "--config",
                str(stylegan2_file),
                "--latents",
                str(tmp_path / "w.npy"),
                "--space",
                "w",
                "--out",
                str(tmp_path / "s.csv"),
            ]
        )
        == 0
    )
    with open(tmp_path / "s.csv") as f:
        assert len(list(csv.DictReader(f))) == 5


def test_bad_inputs_are_one_line_errors(config_file, tmp_path, capsys):
    np.save(tmp_path / "wrong.npy", np.zeros((3, 5), np.float32))
    assert (
        main(
            [
                "score",
                "--config",
                str(config_file),
                "--latents",
                str(tmp_path / "wrong.npy"),
                "--out",
                str(tmp_path / "s.csv"),
            ]
        )
        == 2
    )
    assert "have shape (3, 5); --space z takes (n, 32)" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()
    assert main(["stage", "sample", "--config", str(config_file)]) == 2
    assert "stage sample needs --shard" in capsys.readouterr().err
    assert main(["stage", "sample", "--config", str(tmp_path / "none.yaml"), "--shard", "0"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_a_stage_runs_from_the_command_line(config_file, tmp_path):
    assert main(["stage", "sample", "--config", str(config_file), "--shard", "1", "--results", str(tmp_path)]) == 0
    assert (tmp_path / PLANTED["run"] / "latents" / "shard_00001.h5").is_file()


def test_jobs_without_images_start_light():
    """The short jobs (merge, selection, boundaries) import only what they use: given their
    view as JSON, they need neither torch nor the config's YAML and schema readers, nor
    scikit-learn before an SVC is fitted."""
    code = (
        "import sys, interfacegan.cli, interfacegan.stages.score, interfacegan.stages.select, interfacegan.stages.boundary; "
        "heavy = {'torch', 'jsonschema', 'yaml', 'sklearn'} & set(sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_score_reads_image_files_in_the_order_given(config_file, tmp_path, capsys):
    z = np.random.default_rng(1).standard_normal((3, 32)).astype(np.float32)
    generator = build_generator(PLANTED["generator"])
    with torch.inference_mode():
        faces = to_uint8(generator.synthesize(torch.from_numpy(z)))
    folder = tmp_path / "faces"
    folder.mkdir()
    for i, face in enumerate(faces):
        Image.fromarray(face).save(folder / f"{i}.png")
    out = tmp_path / "s.csv"
    assert (
        main(["score", "--config", str(config_file), "--images", str(folder / "2.png"), str(folder), "--out", str(out)])
        == 0
    )
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert [r["image"] for r in rows] == [str(folder / n) for n in ("2.png", "0.png", "1.png", "2.png")]
    assert list(rows[0])[1:] == PLANTED["attributes"]
    truth = generator.true_scores(torch.from_numpy(z)).numpy()[[2, 0, 1, 2]]
    np.testing.assert_allclose(
        [[float(r[a]) for a in PLANTED["attributes"]] for r in rows], truth, atol=0.1
    )  # 8-bit pixels
    (folder / "broken.png").write_bytes(b"not a png")
    assert main(["score", "--config", str(config_file), "--images", str(folder), "--out", str(tmp_path / "t.csv")]) == 2
    assert "broken.png cannot be read" in capsys.readouterr().err and not (tmp_path / "t.csv").exists()

"""The official InterFaceGAN boundary files (tests/data/official_boundaries, MIT): `condition`
rebuilds every official conditional boundary from the official plain ones, `cosine`
reproduces the paper's numbers, and `edit` takes them."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import PLANTED
from interfacegan.cli import main
from interfacegan.editing import BARE

OFFICIAL = Path(__file__).parent / "data" / "official_boundaries"
MODELS = ("pggan_celebahq", "stylegan_celebahq", "stylegan_ffhq")


def official(name: str) -> np.ndarray:
    return np.load(OFFICIAL / f"{name}_boundary.npy", allow_pickle=False)


def conditional_files() -> list[tuple[str, str, list[str]]]:
    """(model, primal, conditions) of every official conditional boundary."""
    found = []
    for path in sorted(OFFICIAL.glob("*_c_*_boundary.npy")):
        model = next(m for m in MODELS if path.name.startswith(m + "_"))
        primal, _, conditions = path.name[len(model) + 1 : -len("_boundary.npy")].partition("_c_")
        found.append((model, primal, conditions.split("_")))
    return found


def test_the_official_files_are_all_here():
    assert len(list(OFFICIAL.glob("*.npy"))) == 39 and len(conditional_files()) == 13


@pytest.mark.parametrize(
    "model, primal, conditions", conditional_files(), ids=lambda v: "_".join(v) if isinstance(v, list) else v
)
def test_condition_rebuilds_every_official_conditional_boundary(model, primal, conditions, tmp_path):
    out = tmp_path / "rebuilt.npy"
    arguments = [
        "condition",
        "--primal",
        str(OFFICIAL / f"{model}_{primal}_boundary.npy"),
        "--conditions",
        *(str(OFFICIAL / f"{model}_{c}_boundary.npy") for c in conditions),
        "--out",
        str(out),
    ]
    assert main(arguments) == 0
    rebuilt = np.load(out)
    expected = official(f"{model}_{primal}_c_{'_'.join(conditions)}")
    assert rebuilt.shape == expected.shape == (1, 512) and rebuilt.dtype == np.float32
    # the official files are float64; ours float32: one rounding (< 2^-24 of a component <= 1) apart
    np.testing.assert_allclose(rebuilt, expected, rtol=0, atol=1e-7)


def test_cosine_reproduces_the_papers_numbers(tmp_path):
    """PGGAN CelebA-HQ age-gender 0.49; StyleGAN FFHQ age-eyeglasses 0.72 in Z, 0.10 in W; every cell as numpy's."""
    names = [
        "pggan_celebahq_age",
        "pggan_celebahq_gender",
        "stylegan_ffhq_age",
        "stylegan_ffhq_eyeglasses",
        "stylegan_ffhq_age_w",
        "stylegan_ffhq_eyeglasses_w",
    ]
    out = tmp_path / "cosine.csv"
    assert main(["cosine", *(str(OFFICIAL / f"{n}_boundary.npy") for n in names), "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col=["space", "boundary"]).droplevel("space")
    labels = [f"{n}_boundary" for n in names]
    assert list(table.index) == list(table.columns) == labels
    normals = np.concatenate([official(n) for n in names])
    np.testing.assert_allclose(table.to_numpy(), normals @ normals.T, atol=1e-6)  # our unit float32 against float64
    assert round(table.loc["pggan_celebahq_age_boundary", "pggan_celebahq_gender_boundary"], 2) == 0.49
    assert round(table.loc["stylegan_ffhq_age_boundary", "stylegan_ffhq_eyeglasses_boundary"], 2) == 0.72
    assert round(table.loc["stylegan_ffhq_age_w_boundary", "stylegan_ffhq_eyeglasses_w_boundary"], 2) == 0.10


def test_edit_takes_an_official_file_and_says_it_checked_the_dimension_only(tmp_path, capsys):
    generator = PLANTED["generator"] | {"latent_dim": 512}
    config = tmp_path / "planted512.yaml"
    config.write_text(yaml.safe_dump(PLANTED | {"generator": generator}))
    z = np.random.default_rng(0).standard_normal((2, 512)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    out = tmp_path / "age"
    boundary = OFFICIAL / "stylegan_ffhq_age_boundary.npy"
    assert (
        main(
            [
                "edit",
                "--config",
                str(config),
                "--boundary",
                str(boundary),
                "--latents",
                str(tmp_path / "z.npy"),
                "--space",
                "z",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert BARE in capsys.readouterr().out
    codes = np.load(out / "codes.npy")
    distances = codes.astype(np.float64) @ official("stylegan_ffhq_age").ravel()
    np.testing.assert_allclose(
        distances, np.broadcast_to(np.linspace(-3, 3, 10), (2, 10)), atol=1e-4
    )  # each step at its distance
    assert json.loads((out / "edit.json").read_text())["boundary_check"] == BARE
    wrong = tmp_path / "planted32.yaml"
    wrong.write_text(yaml.safe_dump(PLANTED))
    np.save(tmp_path / "z32.npy", z[:, :32])
    assert (
        main(
            [
                "edit",
                "--config",
                str(wrong),
                "--boundary",
                str(boundary),
                "--latents",
                str(tmp_path / "z32.npy"),
                "--space",
                "z",
                "--out",
                str(tmp_path / "no"),
            ]
        )
        == 2
    )
    assert "512-d" in capsys.readouterr().err and not (tmp_path / "no").exists()

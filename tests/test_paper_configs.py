"""The paper configs (configs/{pggan,stylegan}_*.yaml) run the whole chain with a
checkpoint path and any predictor: each config as written, shrunk only where a CPU
needs it (samples, shards, batches, resolution), its generator pointed at a small random
checkpoint in the exact official layout and its predictor at a tiny random `multihead`
one. Only the mechanics are checked: with random networks the boundaries mean nothing."""

import copy
import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

import test_pggan
import test_stylegan
from helpers import run_chain
from interfacegan import config as configuration
from interfacegan import stages
from interfacegan.artifacts import read_h5
from interfacegan.figures import TITLE_HEIGHT
from interfacegan.predictors.multihead import MultiHeadNet, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]
PAPER = ["pggan_celebahq", "stylegan_celebahq", "stylegan_ffhq"]
RESOLUTION = 8  # the smallest both generators take (512 channels up to 32x32: 16 would be 4x slower)
LAYOUTS = {"pggan": test_pggan, "stylegan": test_stylegan}  # one checkpoint builder per format
OUTPUTS = {"pose": "regression", "smile": "logit", "age": "logit", "gender": "logit", "eyeglasses": "logit"}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Per paper config a random generator in its format's official layout (named like the
    official file), and one random predictor for all (input 16: the 8x8 images are resized)."""
    root = tmp_path_factory.mktemp("paper_checkpoints")
    paths = {}
    for seed, name in enumerate(PAPER):
        layout = LAYOUTS[name.split("_")[0]]
        paths[name] = root / f"{name}.pth"
        torch.save(layout.random_state(layout.official_shapes(RESOLUTION), seed=seed), paths[name])
    torch.manual_seed(3)
    net = MultiHeadNet(len(OUTPUTS), widths=(8, 16), blocks=(1, 1))
    meta = {
        "architecture": {"widths": [8, 16], "blocks": [1, 1]},
        "attributes": list(OUTPUTS),
        "outputs": OUTPUTS,
        "input_size": 16,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
    }
    paths["predictor"] = root / "attributes.pt"
    save_checkpoint(paths["predictor"], net, meta)
    return paths


def shrunk(name: str, checkpoints: dict) -> dict:
    """The paper config `name`, validated, with only sizes and file paths changed."""
    config = yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text())
    original = copy.deepcopy(config)
    config |= {"n_samples": 400, "shard_size": 200, "batch_size": 50}
    config["generator"] |= {"checkpoint": str(checkpoints[name]), "resolution": RESOLUTION}
    config["predictor"] |= {"checkpoint": str(checkpoints["predictor"])}
    config["selection"] |= {"chosen_num_or_ratio": 0.1}  # 40 per side of 400, not 8
    for key in ("attributes", "spaces", "boundary", "conditions"):  # the paper's protocol stays
        assert config[key] == original[key]
    assert config["selection"]["split_ratio"] == original["selection"]["split_ratio"] == 0.7
    assert config["boundary"]["solver"] == "svc"
    return configuration.validate(config)


def boundaries(config: dict, layout) -> dict:
    names = configuration.boundary_names(config)
    return {(n, s): read_h5(layout.boundary(n, s), "normal")["normal"] for s in config["spaces"] for n in names}


@pytest.mark.parametrize("name", PAPER)
def test_a_paper_config_runs_the_whole_chain(name, checkpoints, tmp_path):
    config = shrunk(name, checkpoints)
    layout = run_chain(config, tmp_path / "a")

    with open(layout.table("separability")) as handle:
        rows = list(csv.DictReader(handle))
    expected = [(a, s) for s in config["spaces"] for a in config["attributes"]]
    assert [(r["attribute"], r["space"]) for r in rows] == expected  # one row per attribute per space
    for row in rows:
        assert row["solver"] == "svc"
        assert (int(row["n_train"]), int(row["n_val"])) == (2 * 28, 2 * 12)  # 40 per side, split 0.7
        for key in ("val_accuracy", "remaining_accuracy"):
            assert 0.0 <= float(row[key]) <= 1.0, row

    normals = boundaries(config, layout)
    assert len(normals) == len(config["spaces"]) * (5 + len(config["conditions"]))
    for (boundary, space), normal in normals.items():
        assert normal.shape == (512,) and normal.dtype == np.float32
        assert np.all(np.isfinite(normal))
        assert abs(float(np.linalg.norm(normal.astype(np.float64))) - 1) < 1e-5, (boundary, space)
    for space in config["spaces"]:
        for c in config["conditions"]:
            normal = normals[configuration.conditional_name(c["primal"], c["conditions"]), space]
            for other in c["conditions"]:
                assert abs(float(normal.astype(np.float64) @ normals[other, space])) < 1e-5
            assert not np.allclose(normal, normals[c["primal"], space])  # projected, not copied
    if "w" in config["spaces"]:
        for attribute in config["attributes"]:
            cosine = float(normals[attribute, "z"].astype(np.float64) @ normals[attribute, "w"])
            assert abs(cosine) < 0.9, attribute  # fitted on W codes, not the Z boundary again (random nets: ~0)

    scores = read_h5(layout.merged_scores, "scores")["scores"]
    assert scores.shape == (400, 5) and np.all(np.isfinite(scores))
    latents = read_h5(layout.latents(0))
    assert set(config["spaces"]) <= set(latents) and latents["z"].shape == (200, 512)
    np.testing.assert_allclose(np.linalg.norm(latents["z"], axis=1), math.sqrt(512), rtol=1e-5)  # official prepare_z

    if name == "stylegan_ffhq":  # both spaces and conditions: run it again from scratch, bit for bit
        again = boundaries(config, run_chain(config, tmp_path / "b"))
        assert all(np.array_equal(normals[key], again[key]) for key in normals)


def test_w_plus_edit_grids_move_the_truncated_codes_along_the_w_boundaries(checkpoints, tmp_path):
    config = shrunk("stylegan_celebahq", checkpoints)
    layout = run_chain(config, tmp_path)

    def grids(wp_layers) -> dict:
        changed = configuration.validate(config | {"edit": {"samples": 2, "steps": 3, "wp_layers": wp_layers}})
        stages.run(changed, "edit_grids", {}, layout)
        images = {space: np.asarray(Image.open(layout.edit_grid("smile", space))) for space in ("w", "wp")}
        return images | {"wp": images["wp"][TITLE_HEIGHT:]}  # below the line that names the layers

    every_layer, first_two = grids("all"), grids([0, 1])
    original = np.s_[:, 4:100]  # the framed first column: the unedited sample
    # W+ holds the truncated w of each layer, so its original is the W original, pixel for pixel
    np.testing.assert_array_equal(every_layer["wp"][original], every_layer["w"][original])
    np.testing.assert_array_equal(first_two["wp"][original], every_layer["wp"][original])
    assert not np.array_equal(first_two["wp"], every_layer["wp"])  # fewer layers moved, other edits
    assert not np.array_equal(every_layer["wp"], every_layer["w"])  # W edits are truncated again, W+ ones not
    with pytest.raises(configuration.ConfigError, match="wp_layers"):
        grids([0, 99])
    with pytest.raises(configuration.ConfigError, match="add w to spaces"):
        configuration.validate(config | {"spaces": ["z"], "edit": {"wp_layers": "all"}})


def test_a_stylegan_run_analyses_its_layers_and_edits_each_boundary_on_its_own(checkpoints, tmp_path):
    """configs/stylegan_ffhq.yaml with edit.wp_layers: auto: the layer-wise table, heat maps, grids and page."""
    config = shrunk("stylegan_ffhq", checkpoints)
    config = configuration.validate(
        config
        | {
            "edit": {"samples": 2, "steps": 3, "wp_layers": "auto"},
            "analysis": {"layerwise_samples": 8, "rescoring_samples": 8, "linearity_samples": 4},
        }
    )
    layout = run_chain(config, tmp_path, analyses=True)
    layers = 2 * int(math.log2(RESOLUTION)) - 2
    names = configuration.boundary_names(config)
    table = pd.read_csv(layout.table("layerwise"))
    assert len(table) == len(names) * layers * 5 and np.isfinite(table["score_change"]).all()
    chosen = pd.read_csv(layout.table("layerwise_layers"), index_col="boundary")
    assert list(chosen.index) == names
    for name in names:
        assert layout.figure(f"layerwise_{name}").is_file() and layout.edit_grid(name, "wp").is_file()
    assert "Where each attribute lives in W+" in layout.summary.read_text()

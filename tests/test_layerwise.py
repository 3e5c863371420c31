"""Where each attribute lives in W+: the layered planted world (whose layers are known),
layer-wise re-scoring, the automatic layer choice, and its edit grids."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from helpers import run_chain
from interfacegan import config as configuration
from interfacegan import pipeline, stages
from interfacegan.artifacts import read_h5
from interfacegan.figures import TITLE_HEIGHT
from interfacegan.generators import build_generator
from interfacegan.stages.edits import layer_list
from interfacegan.stages.layerwise import AUTO_SHARE, auto_layers, layer_gains

ROOT = Path(__file__).resolve().parents[1]
PLANTED_LAYERS = {"pose": [0, 1], "smile": [5, 6], "age": [2, 3, 4], "eyeglasses": [7]}
ATTRIBUTES = list(PLANTED_LAYERS)


def layered_config(**changes) -> dict:
    generator = {
        "name": "planted",
        "attributes": ATTRIBUTES,
        "latent_dim": 16,
        "noise": 0.3,
        "layers": 9,
        "attribute_layers": PLANTED_LAYERS,
        "cosines": [["age", "eyeglasses", 0.6]],
    }
    config = {
        "run": "layered",
        "seed": 3,
        "n_samples": 3000,
        "shard_size": 1500,
        "batch_size": 500,
        "attributes": ATTRIBUTES,
        "spaces": ["z", "w"],
        "generator": generator,
        "predictor": {"name": "planted", "attributes": ATTRIBUTES},
        "selection": {"chosen_num_or_ratio": 0.1},
        "conditions": [{"primal": "eyeglasses", "conditions": ["age"]}],
        "analysis": {"rescoring_samples": 100, "linearity_samples": 20, "layerwise_samples": 100},
        "edit": {"samples": 2, "steps": 3, "wp_layers": "auto"},
    }
    return configuration.validate(config | changes)


@pytest.fixture(scope="module")
def layered_run(tmp_path_factory):
    config = layered_config()
    return config, run_chain(config, tmp_path_factory.mktemp("results"), analyses=True)


def test_the_layered_world_scores_the_same_from_z_w_and_wp_and_each_attribute_reads_only_its_layers():
    generator = build_generator(layered_config()["generator"])
    assert generator.spaces == ("z", "w", "wp")
    z = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    codes = generator.map_codes(z)
    truth = generator.true_scores(z)
    torch.testing.assert_close(generator.true_scores(codes["w"], "w"), truth, atol=1e-5, rtol=0)
    torch.testing.assert_close(generator.true_scores(codes["wp"], "wp"), truth, atol=1e-5, rtol=0)
    torch.testing.assert_close(codes["w"], z @ generator.rotation.T)  # w = R z
    for layer in range(9):
        moved = codes["wp"].clone()
        moved[:, layer] += 2 * generator.w_normals.sum(0)  # every attribute's direction, on one layer
        changed = (generator.true_scores(moved, "wp") - truth).abs().mean(0) > 1e-3
        assert changed.tolist() == [layer in PLANTED_LAYERS[a] for a in ATTRIBUTES], layer


def test_the_layered_world_options_are_checked():
    options = layered_config()["generator"]
    for bad, message in [
        ({"attribute_layers": {"hair": [0]}}, "unknown attribute 'hair'"),
        ({"attribute_layers": {"pose": [9]}}, r"attribute_layers.pose: \[9\] must be .* in 0..8"),
        ({"attribute_layers": {"pose": []}}, "non-empty"),
        ({"layers": 0, "attribute_layers": {}}, "layers must be >= 1"),
        ({"layers": None}, "attribute_layers needs layers"),
    ]:
        with pytest.raises(ValueError, match=message):
            build_generator(options | bad)
    z_only = build_generator({k: v for k, v in options.items() if k not in ("layers", "attribute_layers")})
    assert z_only.spaces == ("z",)
    with pytest.raises(ValueError, match="from z only"):
        z_only.synthesize(torch.zeros(1, 16), "w")


def test_the_layerwise_table_ranks_each_attributes_planted_layers_on_top(layered_run):
    config, layout = layered_run
    table = pd.read_csv(layout.table("layerwise"))
    names = configuration.boundary_names(config)
    assert len(table) == len(names) * 9 * len(ATTRIBUTES)
    for name in names:
        attribute = configuration.primal_of(config, name)
        gains = table[(table["boundary"] == name) & (table["attribute"] == attribute)].set_index("layer")[
            "score_change"
        ]
        planted = PLANTED_LAYERS[attribute]
        assert set(gains.nlargest(len(planted)).index) == set(planted), name
        assert gains.drop(planted).abs().max() < 0.05 * gains[planted].min(), name  # other layers carry nothing
    stored = read_h5(layout.layerwise)
    assert stored["gains"].shape == (len(names), 9, len(ATTRIBUTES))
    # eyeglasses_c_age moves eyeglasses without age on any layer; plain eyeglasses moves age on age's layers
    eyeglasses_c_age = stored["gains"][names.index("eyeglasses_c_age")]
    assert np.abs(eyeglasses_c_age[:, ATTRIBUTES.index("age")]).max() < 0.05
    assert stored["gains"][names.index("eyeglasses"), 2:5, ATTRIBUTES.index("age")].min() > 0.1


def test_auto_chooses_the_planted_layers_and_its_grids_name_them(layered_run):
    config, layout = layered_run
    choice = pd.read_csv(layout.table("layerwise_layers"), index_col="boundary")
    for name in configuration.boundary_names(config):
        attribute = configuration.primal_of(config, name)
        assert choice.loc[name, "attribute"] == attribute
        assert choice.loc[name, "layers"] == layer_list(PLANTED_LAYERS[attribute]), name
        assert choice.loc[name, "share_of_gain"] >= AUTO_SHARE
        grid = np.asarray(Image.open(layout.edit_grid(name, "wp")))
        plain = np.asarray(Image.open(layout.edit_grid(name, "w")))
        assert grid.shape[0] == plain.shape[0] + TITLE_HEIGHT  # the title line names the layers
        assert (grid[:TITLE_HEIGHT] < 128).any()
    page = layout.summary.read_text()
    assert "Where each attribute lives in W+" in page and "figures/layerwise_eyeglasses_c_age.png" in page


def test_auto_grids_move_only_the_chosen_layers(layered_run, tmp_path):
    """The auto grid of eyeglasses equals the grid of an explicit wp_layers: [7]."""
    config, layout = layered_run
    auto = np.asarray(Image.open(layout.edit_grid("eyeglasses", "wp")))
    explicit = configuration.validate(config | {"edit": config["edit"] | {"wp_layers": [7]}})
    stages.run(explicit, "edit_grids", {}, layout)
    np.testing.assert_array_equal(np.asarray(Image.open(layout.edit_grid("eyeglasses", "wp"))), auto)


def test_the_automatic_rule():
    assert auto_layers(np.array([0.0, 1.0, 1.0, 0.1])).tolist() == [1, 2]  # 2.0 of 2.1 (95 %) > 80 %
    assert auto_layers(np.array([0.5, 0.3, 0.2])).tolist() == [0, 1]  # 0.5 alone is 50 %; with 0.3, 80 % exactly
    assert auto_layers(np.array([-1.0, 2.0, -3.0])).tolist() == [1]  # negative gains count as none
    assert auto_layers(np.array([-1.0, 0.0, -0.5])).tolist() == [0, 1, 2]  # nothing raises it: every layer
    assert layer_list([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"


class RecordingEditor:
    """An Editor over a real StyleGAN's truncation that records the codes it is asked to score."""

    def __init__(self, generator, w, normal):
        self.generator, self.w, self.normal_vector, self.scored = generator, w, normal, []

    def first_codes(self, count, space):
        return self.w[:count]

    def to_wp(self, w):
        with torch.inference_mode():
            return self.generator.w_to_wp(torch.from_numpy(w)).numpy()

    def normal(self, name, space):
        return self.normal_vector

    def score(self, codes, space, label):
        self.scored.append(codes.copy())
        return np.zeros((len(codes), 1))


def test_one_layer_moves_with_the_official_truncation_aware_strength(tmp_path):
    """Layer l of a truncated W+ code moves by psi * a * n (psi on the first truncation_layers), else by a * n."""
    import test_stylegan

    checkpoint = tmp_path / "stylegan16.pth"
    torch.save(test_stylegan.random_state(test_stylegan.official_shapes(16), seed=1), checkpoint)
    generator = build_generator(
        {
            "name": "stylegan",
            "checkpoint": str(checkpoint),
            "resolution": 16,
            "truncation_psi": 0.7,
            "truncation_layers": 3,
        }
    )
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 512)).astype(np.float32)
    normal = rng.standard_normal(512).astype(np.float32)
    normal /= np.linalg.norm(normal)
    editor = RecordingEditor(generator, w, normal)
    layer_gains(editor, ["b"], 4, 2.5)
    base, moved = editor.scored
    layers = base.shape[1]
    moved = moved.reshape(layers, 4, layers, 512)
    for layer in range(layers):
        delta = moved[layer] - base
        strength = 0.7 if layer < 3 else 1.0
        np.testing.assert_allclose(delta[:, layer], np.broadcast_to(strength * 2.5 * normal, (4, 512)), atol=1e-5)
        assert not np.delete(delta, layer, axis=1).any()  # the other layers as they were, exactly


def test_the_layered_planted_config_is_valid_and_its_planted_layers_are_named():
    config = configuration.load(ROOT / "configs" / "planted_layers.yaml")
    assert config["edit"]["wp_layers"] == "auto" and "w" in config["spaces"]
    assert pipeline.STAGES["layerwise_table"].when(config) and pipeline.STAGES["layerwise_edit_grids"].when(config)
    raw = yaml.safe_load((ROOT / "configs" / "planted_layers.yaml").read_text())
    assert set(raw["generator"]["attribute_layers"]) == set(raw["attributes"])


def test_without_w_there_is_no_layerwise_stage_and_auto_needs_w():
    config = layered_config(spaces=["z"], edit={"samples": 2})
    assert not pipeline.STAGES["layerwise_table"].when(config)
    with pytest.raises(configuration.ConfigError, match="add w to spaces"):
        layered_config(spaces=["z"])
    stages = {stage for stage, _ in pipeline.jobs(layered_config(edit={"wp_layers": "all"}))}
    assert "layerwise_table" in stages and "layerwise_edit_grids" not in stages


def test_a_z_only_generator_with_w_in_spaces_is_refused_in_one_line(tmp_path):
    config = copy.deepcopy(layered_config())
    config["generator"] = {k: v for k, v in config["generator"].items() if k not in ("layers", "attribute_layers")}
    with pytest.raises(configuration.ConfigError, match="has no w space"):
        run_chain(configuration.validate(config), tmp_path)

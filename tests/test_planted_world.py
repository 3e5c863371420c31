"""The whole chain on the planted world, where the true boundaries are known."""

import copy
import csv

import numpy as np
import pytest
import torch

from helpers import run_chain
from interfacegan import config as configuration
from interfacegan.artifacts import read_h5
from interfacegan.generators import build_generator
from interfacegan.predictors import build_predictor
from interfacegan.solvers import Hyperplane


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    from helpers import PLANTED

    config = configuration.validate(copy.deepcopy(PLANTED))
    return config, run_chain(config, tmp_path_factory.mktemp("results"))


def test_the_predictor_reads_back_the_scores_the_generator_planted(planted_config):
    generator = build_generator(planted_config["generator"])
    predictor = build_predictor(planted_config["predictor"])
    z = torch.randn(256, generator.latent_dim)
    with torch.inference_mode():
        read = predictor(generator.synthesize(z))
        true = generator.true_scores(z)
    torch.testing.assert_close(read, true, atol=2e-4, rtol=1e-4)


def test_planted_normals_have_the_configured_cosines(planted_config):
    generator = build_generator(planted_config["generator"])
    gram = (generator.normals @ generator.normals.T).numpy()
    expected = np.eye(4)
    expected[2, 3] = expected[3, 2] = 0.6  # age, eyeglasses
    np.testing.assert_allclose(gram, expected, atol=1e-5)


def test_recovered_boundaries_match_the_planted_normals(planted_run):
    config, layout = planted_run
    truth = read_h5(layout.planted_truth)
    for i, attribute in enumerate(truth["attributes"]):
        normal = read_h5(layout.boundary(attribute, "z"))["normal"]
        assert abs(np.linalg.norm(normal) - 1) < 1e-5
        assert float(normal @ truth["normals"][i]) >= 0.98, attribute


def test_accuracies_are_what_the_planted_noise_allows(planted_run):
    """The fitted hyperplane does as well as the true normal would, on the same samples."""
    config, layout = planted_run
    truth = read_h5(layout.planted_truth)
    z = np.concatenate([read_h5(layout.latents(k), "z")["z"] for k in range(3)])
    for i, attribute in enumerate(truth["attributes"]):
        selection = read_h5(layout.selection(attribute))
        fitted = read_h5(layout.boundary(attribute, "z"))["attrs"]
        # the true normal with the best offset for the training split: the midpoint of the class means
        true_normal = truth["normals"][i]
        projected = z[selection["train_index"]] @ true_normal
        labels = selection["train_label"]
        offset = -(projected[labels == 1].mean() + projected[labels == 0].mean()) / 2
        oracle = Hyperplane(true_normal, offset, 0.0)
        oracle_remaining = oracle.accuracy(z[selection["remaining_index"]], selection["remaining_label"])
        assert fitted["val_accuracy"] >= oracle.accuracy(z[selection["val_index"]], selection["val_label"]) - 0.01
        assert abs(fitted["remaining_accuracy"] - oracle_remaining) < 0.02, attribute
        assert 0.75 < fitted["remaining_accuracy"] < 0.97  # the planted noise blurs the middle


def test_more_noise_means_lower_remaining_accuracy(planted_config, tmp_path):
    planted_config["generator"]["noise"] = 1.5
    layout = run_chain(planted_config, tmp_path)
    with open(layout.table("separability")) as f:
        rows = list(csv.DictReader(f))
    assert all(float(row["remaining_accuracy"]) < 0.75 for row in rows)


def test_results_do_not_depend_on_the_sharding(planted_run, tmp_path):
    config, layout = planted_run
    other = copy.deepcopy(config)
    other["shard_size"], other["batch_size"], other["threads"] = 1000, 500, 2
    other_layout = run_chain(other, tmp_path)

    def stacked(lay, kind, name, shards):
        return np.concatenate([read_h5(getattr(lay, kind)(k), name)[name] for k in range(shards)])

    np.testing.assert_array_equal(stacked(layout, "latents", "z", 3), stacked(other_layout, "latents", "z", 6))
    np.testing.assert_array_equal(
        read_h5(layout.merged_scores)["scores"], read_h5(other_layout.merged_scores)["scores"]
    )
    for attribute in config["attributes"]:
        a, b = read_h5(layout.boundary(attribute, "z")), read_h5(other_layout.boundary(attribute, "z"))
        np.testing.assert_array_equal(a["normal"], b["normal"])
        assert a["attrs"]["remaining_accuracy"] == b["attrs"]["remaining_accuracy"]


def test_the_separability_table(planted_run):
    config, layout = planted_run
    with open(layout.table("separability")) as f:
        rows = list(csv.DictReader(f))
    assert [row["attribute"] for row in rows] == config["attributes"]
    assert {row["space"] for row in rows} == {"z"}
    assert all(int(row["n_train"]) == 2 * int(300 * 0.7) for row in rows)  # 5 % of 6000 per side
    assert all(float(row["val_accuracy"]) > 0.97 for row in rows)

"""The shipped default predictor (models/dcgan_faces/, named by config.yaml) on the held-out
third of the human-labelled DCGAN faces, which neither it nor its teachers were fitted on."""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from interfacegan import config as configuration
from interfacegan.models import Models
from interfacegan.predictors.train import roc_auc

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "data" / "dcgan_faces"
# attribute: (label of the class scored higher, label of the other, lowest acceptable AUC)
CLASSES = {
    "eyeglasses": ("1", "0", 0.9),
    "smile": ("1", "0", 0.9),
    "gender": ("m", "f", 0.85),
    "age": ("o", "y", 0.7),
    "pose": ("r", "l", 0.75),
}


def heldout_mask(n: int) -> np.ndarray:
    spec = importlib.util.spec_from_file_location("heldout", ROOT / "teachers" / "heldout.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.heldout_mask(n)


@pytest.fixture(scope="module")
def heldout_scores():
    config = configuration.load(ROOT / "config.yaml")
    config["predictor"]["checkpoint"] = str(ROOT / config["predictor"]["checkpoint"])
    with open(FACES / "labels.csv") as f:
        labels = list(csv.DictReader(f))
    heldout = heldout_mask(len(labels))
    z = np.load(FACES / "latents.npy")[heldout]
    scores = Models(config | {"threads": 2}).score(z)
    return config["attributes"], scores, [row for row, kept in zip(labels, heldout) if kept]


def test_the_default_predictor_ranks_the_heldout_human_labels(heldout_scores):
    attributes, scores, labels = heldout_scores
    assert set(attributes) == set(CLASSES) and np.isfinite(scores).all()
    for attribute, (positive, negative, floor) in CLASSES.items():
        human = np.array([row[attribute] for row in labels])
        sure = np.isin(human, (positive, negative))
        column = scores[sure, attributes.index(attribute)]
        assert roc_auc(column, human[sure] == positive) >= floor, attribute

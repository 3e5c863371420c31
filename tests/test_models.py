import copy

import numpy as np
import pytest
import torch

from helpers import PLANTED
from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.models import Models
from interfacegan.predictors.planted import PlantedPredictor


def dcgan_view(precision: str) -> dict:
    config = copy.deepcopy(PLANTED) | {"precision": precision, "batch_size": 8}
    config["generator"] = {"name": "dcgan"}
    return pipeline.view(configuration.validate(config), "score")


def test_bf16_autocast_stays_close_to_fp32():
    z = np.random.default_rng(0).standard_normal((16, 100)).astype(np.float32)
    full, half = Models(dcgan_view("fp32")), Models(dcgan_view("bf16"))
    images_full, images_half = full.images(z), half.images(z)
    assert images_half.dtype == np.uint8
    assert np.abs(images_full.astype(int) - images_half.astype(int)).mean() < 4  # of 255
    assert not np.array_equal(images_full, images_half)  # bf16 really ran
    scores_full, scores_half = full.score(z), half.score(z)
    assert scores_half.dtype == np.float32
    assert np.corrcoef(scores_full.ravel(), scores_half.ravel())[0, 1] > 0.98


class StrictPredictor(PlantedPredictor):
    """The planted predictor, refusing any image that is not of its input size."""

    def forward(self, images):
        if images.shape[-2:] != (self.input_size, self.input_size):
            raise ValueError(f"images of {tuple(images.shape[-2:])}, not {self.input_size}x{self.input_size}")
        return super().forward(images)


def test_images_are_resized_to_the_predictor_input():
    view = dcgan_view("fp32")  # 64x64 faces, read by a 16x16 predictor
    models = Models(view | {"predictor": view["predictor"] | {"name": "test_models:StrictPredictor"}})
    with pytest.raises(ValueError, match=r"images of \(64, 64\), not 16x16"):
        models.scorer.predictor(models.synthesize(torch.zeros(1, 100), "z"))  # it does refuse other sizes
    scores = models.score(np.zeros((2, 3, 100), np.float32))
    assert scores.shape == (2, 3, len(PLANTED["attributes"]))
    assert np.isfinite(scores).all()


def test_an_attribute_the_predictor_lacks_is_named():
    config = copy.deepcopy(PLANTED) | {"attributes": ["smile", "bald"], "conditions": []}
    with pytest.raises(configuration.ConfigError, match="predictor 'planted' has no bald"):
        Models(pipeline.view(configuration.validate(config), "score"))


def test_wp_codes_are_scored_per_code_not_per_layer():
    config = copy.deepcopy(PLANTED)
    config["generator"] = {"name": "stylegan2", "resolution": 8, "latent_dim": 16, "n_mlp": 2, "channel_multiplier": 1}
    models = Models(pipeline.view(configuration.validate(config), "score"))
    wp = np.random.default_rng(0).standard_normal((2, 3, 4, 16)).astype(np.float32)  # 2 x 3 codes of 4 layers
    scores = models.score(wp, "wp")
    assert scores.shape == (2, 3, len(PLANTED["attributes"]))
    np.testing.assert_array_equal(scores.reshape(6, -1), models.score(wp.reshape(6, 4, 16), "wp"))

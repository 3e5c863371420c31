"""Reads the planted world's scores back from the pixels its generator wrote."""

import torch

from ..generators.planted import SCORE_SCALE
from .base import Predictor, registry


@registry.register("planted")
class PlantedPredictor(Predictor):
    def __init__(self, attributes: list[str], image_size: int = 16):
        super().__init__()
        self.attributes, self.input_size = tuple(attributes), image_size

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        rows = images[:, 0, : len(self.attributes), :].mean(dim=2)
        return SCORE_SCALE * torch.atanh(rows.clamp(-1 + 1e-7, 1 - 1e-7))

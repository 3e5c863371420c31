"""The interface every attribute predictor implements."""

import torch

from ..registry import Registry


class Predictor(torch.nn.Module):
    """Scores RGB images in [-1, 1], shape (N, 3, S, S) with S = `input_size`.

    Returns float scores (N, len(attributes)); higher means more of the attribute;
    NaN where the image cannot be scored (no face found).
    """

    name: str = "predictor"
    attributes: tuple[str, ...]
    input_size: int
    channels_last: bool = False  # plain convolutions, faster on NHWC tensors (see runtime.for_inference)

    @classmethod
    def from_options(cls, options: dict) -> "Predictor":
        """Build the predictor from the config's `predictor:` mapping (minus `name`)."""
        return cls(**options)


registry = Registry("predictor", Predictor)  # the built-ins register with @registry.register(name)

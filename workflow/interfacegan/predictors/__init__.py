"""Attribute predictors, registered by name (see `interfacegan.registry`)."""

from ..registry import predictors as registry
from .base import Predictor
from . import planted, multihead  # noqa: F401  (register the built-ins)


def build_predictor(section: dict, device: str = "cpu") -> Predictor:
    """The predictor named by a config `predictor:` section, on `device`, in eval mode."""
    return registry.build(section).to(device).eval()

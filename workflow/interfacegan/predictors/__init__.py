"""Attribute predictors, registered by name (see `interfacegan.registry`)."""

from . import multihead, planted  # noqa: F401  (register the built-ins)
from .base import Predictor, registry


def build_predictor(section: dict, device: str = "cpu") -> Predictor:
    """The predictor named by a config `predictor:` section, on `device`, in eval mode."""
    return registry.build(section).to(device).eval()

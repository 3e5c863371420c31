"""Attribute predictors, registered by name (see `interfacegan.registry`)."""

from ..registry import predictors as registry
from .base import Predictor
from . import planted  # noqa: F401  (register the built-ins)


def build_predictor(section: dict, device: str = "cpu") -> Predictor:
    """The predictor named by a config `predictor:` section, on `device`, in eval mode."""
    options = {key: value for key, value in section.items() if key != "name"}
    return registry.get(section["name"]).from_options(options).to(device).eval()

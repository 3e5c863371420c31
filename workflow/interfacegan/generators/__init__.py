"""Generators, registered by name (see `interfacegan.registry`)."""

from . import dcgan, nvidia, pggan, planted, stylegan, stylegan2  # noqa: F401  (register the built-ins)
from .base import Generator, registry


def build_generator(section: dict, device: str = "cpu") -> Generator:
    """The generator named by a config `generator:` section, on `device`, in eval mode."""
    return registry.build(section).to(device).eval()

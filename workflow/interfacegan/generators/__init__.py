"""Generators, registered by name (see `interfacegan.registry`)."""

from .base import Generator, registry
from . import dcgan, nvidia, planted, stylegan2, pggan, stylegan  # noqa: F401  (register the built-ins)


def build_generator(section: dict, device: str = "cpu") -> Generator:
    """The generator named by a config `generator:` section, on `device`, in eval mode."""
    return registry.build(section).to(device).eval()

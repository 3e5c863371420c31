"""InterFaceGAN: semantic boundaries in the latent space of face GANs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("interfacegan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

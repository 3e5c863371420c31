"""PGGAN generator (Karras et al. 2018) in the official InterFaceGAN converted layout.

`pggan_celebahq.pth` (1024x1024, 55 keys): `lod`; per resolution 4..R two convs
`layer{2b}`, `layer{2b+1}` (`.conv.weight` (Cout, Cin, k, k), no bias, and
`.wscale.bias`) and the 1x1 RGB conv `output{b}` (same keys). layer0 is the 4x4 "dense"
layer: a 4x4 conv with padding 3 on z seen as a 1x1 map. Each block: pixel norm ->
[nearest x2] -> conv -> x * gain / sqrt(fan_in) + bias -> LeakyReLU 0.2 (gain sqrt(2));
RGB blocks: gain 1, linear, no tanh.
"""

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..checkpoints import CheckpointError, load_state_dict
from .base import Generator, registry

RESOLUTIONS = [2**k for k in range(3, 11)]  # those of the official code


def check_resolution(name: str, resolution: int) -> int:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"{name} resolution must be a power of two from 8 to 1024, not {resolution}")
    return resolution


def channels(resolution: int) -> int:
    """Feature maps at a resolution: 512 up to 32x32, then halved per doubling (16 at 1024)."""
    return min(512, 2**14 // resolution)


def pixel_norm(x: torch.Tensor) -> torch.Tensor:
    return x / torch.sqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


def prepare_z(z: torch.Tensor) -> torch.Tensor:
    """Rescale each code to norm sqrt(dim), as the official `preprocess`."""
    return z / z.norm(dim=1, keepdim=True) * math.sqrt(z.shape[1])


def blocks_to_run(lod: torch.Tensor, num_blocks: int) -> int:
    """How many resolution blocks the official code runs at level of detail `lod` (0: all);
    the image of the last one is then nearest-upsampled to full size. As in the official
    code there is no fading between levels: a fractional lod acts as its integer part."""
    return sum(b + float(lod) < num_blocks for b in range(num_blocks))


def check_lod(lod: torch.Tensor, num_blocks: int, path: Path) -> None:
    """A checkpoint's lod must leave at least the 4x4 block to run."""
    if not 0 <= float(lod) < num_blocks:
        raise CheckpointError(f"checkpoint {path}: lod {float(lod)} is outside [0, {num_blocks}) for this resolution")


def check_codes(name: str, codes: torch.Tensor, shape: tuple[int, ...]) -> None:
    if tuple(codes.shape[1:]) != shape:
        raise ValueError(f"{name} codes must be (N, {', '.join(map(str, shape))}), not {tuple(codes.shape)}")


def upsample(image: torch.Tensor, factor: int) -> torch.Tensor:
    return image if factor == 1 else F.interpolate(image, scale_factor=factor, mode="nearest")


class WScale(nn.Module):
    """Equalised learning rate: x * gain / sqrt(fan_in) * lr_mul + bias * lr_mul."""

    def __init__(self, channels: int, fan_in: int, gain: float, lr_mul: float = 1.0):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.scale, self.lr_mul = gain / math.sqrt(fan_in) * lr_mul, lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.bias.view(1, -1, *[1] * (x.ndim - 2)) * self.lr_mul


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, kernel=3, padding=1, upsample=False, gain=math.sqrt(2), activate=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=padding, bias=False)
        nn.init.normal_(self.conv.weight)  # the equalised-LR initialisation
        self.wscale = WScale(cout, cin * kernel**2, gain)
        self.upsample, self.activate = upsample, activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = upsample(pixel_norm(x), 2 if self.upsample else 1)
        x = self.wscale(self.conv(x))
        return F.leaky_relu(x, 0.2) if self.activate else x


@registry.register("pggan")
class PGGAN(Generator):
    latent_dim = 512

    def __init__(self, checkpoint: str | None = None, resolution: int = 1024):
        super().__init__()
        self.resolution = check_resolution("pggan", resolution)
        self.num_blocks = int(math.log2(resolution)) - 1
        for b in range(self.num_blocks):
            cin, cout = channels(2 ** (b + 1)), channels(2 ** (b + 2))
            first = ConvBlock(self.latent_dim, cout, 4, padding=3) if b == 0 else ConvBlock(cin, cout, upsample=True)
            self.add_module(f"layer{2 * b}", first)
            self.add_module(f"layer{2 * b + 1}", ConvBlock(cout, cout))
            self.add_module(f"output{b}", ConvBlock(cout, 3, 1, padding=0, gain=1.0, activate=False))
        self.register_buffer("lod", torch.zeros(()))
        if checkpoint is not None:
            self.load_state_dict(load_state_dict(Path(checkpoint), model=self))
            check_lod(self.lod, self.num_blocks, Path(checkpoint))

    def prepare_z(self, z: torch.Tensor) -> torch.Tensor:
        return prepare_z(z)

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        if space != "z":
            raise ValueError(f"pggan synthesizes from z only, not {space!r}")
        check_codes("pggan z", codes, (self.latent_dim,))
        x = codes.reshape(len(codes), self.latent_dim, 1, 1)
        active = blocks_to_run(self.lod, self.num_blocks)
        for i in range(2 * active):
            x = getattr(self, f"layer{i}")(x)
        return upsample(getattr(self, f"output{active - 1}")(x), 2 ** (self.num_blocks - active))

"""StyleGAN (v1) generator in the official InterFaceGAN converted layout.

`stylegan_{celebahq,ffhq}.pth` (1024x1024): `mapping.dense{0..7}.{linear.weight, wscale.bias}`
(pixel norm on z first; gain sqrt(2), lr multiplier 0.01; LeakyReLU 0.2);
`truncation.w_avg`; `synthesis.lod`; synthesis layers `synthesis.layer{i}`, two per
resolution 4..R: layer0 the constant `first_layer` (1, 512, 4, 4), odd layers 3x3
`conv.weight`, even ones up-sample then convolve (`conv.weight` after a nearest x2 below
128x128, a fused transposed conv `weight` in TF layout (3, 3, Cin, Cout) from 128x128 on)
then blur (`blur.kernel`, [1, 2, 1] x [1, 2, 1] / 16); every layer ends with the
`epilogue`: + `apply_noise.noise` (1, 1, r, r) * `apply_noise.weight` -> + `bias` ->
LeakyReLU 0.2 -> instance norm -> x * (s0 + 1) + s1 with s = `style_mod.dense` (w)
(gain 1, lr multiplier 1). RGB per resolution: `synthesis.output{b}.conv.weight`
(3, C, 1, 1) / sqrt(C) + `synthesis.output{b}.bias`; no tanh.
The official converter drops `truncation.truncation`, the per-layer truncation
coefficients; they are rebuilt here from the settings (and ignored if a file has them).
A `.pkl` checkpoint is NVIDIA's TensorFlow StyleGAN pickle, read as data (nothing in it is run)
and mapped onto this layout by the official converter's table (`nvidia/tensorflow.py`).
"""

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..checkpoints import CheckpointError, check_fits, load_state_dict
from .base import Generator, registry
from .nvidia.pickles import read_generator
from .pggan import (
    WScale,
    blocks_to_run,
    channels,
    check_codes,
    check_lod,
    check_resolution,
    pixel_norm,
    prepare_z,
    upsample,
)

FUSED_MIN_RES = 128  # the official "auto" fused-scale rule


class Dense(nn.Module):
    """`linear.weight` (no bias) then `wscale` (equalised LR with its bias), optional LeakyReLU."""

    def __init__(self, cin: int, cout: int, gain: float, lr_mul: float, activate: bool):
        super().__init__()
        self.linear = nn.Linear(cin, cout, bias=False)
        nn.init.normal_(self.linear.weight, std=1 / lr_mul)
        self.wscale = WScale(cout, cin, gain, lr_mul)
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.wscale(self.linear(x))
        return F.leaky_relu(x, 0.2) if self.activate else x


class Mapping(nn.Module):
    def __init__(self, dim: int, num_layers: int = 8):
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"dense{i}", Dense(dim, dim, math.sqrt(2), 0.01, activate=True))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = pixel_norm(z)
        for dense in self.children():
            x = dense(x)
        return x


class Truncation(nn.Module):
    """W -> W+ (one code per layer): w_avg + (w - w_avg) * coef, coef = psi on the first
    `layers` layers and 1 after (psi = 1: no truncation, W+ is w repeated exactly)."""

    def __init__(self, dim: int, num_layers: int, psi: float, layers: int):
        super().__init__()
        if layers < 0:
            raise ValueError(f"truncation_layers must be >= 0, not {layers}")
        self.register_buffer("w_avg", torch.zeros(dim))
        coefs = [psi if i < layers else 1.0 for i in range(num_layers)]
        self.register_buffer("coefs", torch.tensor(coefs).view(1, -1, 1), persistent=False)
        self.active = psi != 1 and layers > 0

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        wp = w.unsqueeze(1).expand(-1, self.coefs.shape[1], -1)
        return self.w_avg + (wp - self.w_avg) * self.coefs if self.active else wp


class Epilogue(nn.Module):
    def __init__(self, resolution: int, channels: int, w_dim: int):
        super().__init__()
        self.apply_noise = nn.Module()
        self.apply_noise.register_buffer("noise", torch.randn(1, 1, resolution, resolution))
        self.apply_noise.weight = nn.Parameter(torch.zeros(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.style_mod = nn.Module()
        self.style_mod.dense = Dense(w_dim, 2 * channels, 1.0, 1.0, activate=False)

    def forward(self, x: torch.Tensor, w: torch.Tensor, randomize_noise: bool) -> torch.Tensor:
        noise = torch.randn_like(x[:, :1]) if randomize_noise else self.apply_noise.noise
        x = x + noise * self.apply_noise.weight.view(1, -1, 1, 1)
        x = F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2)
        x = x - x.mean((2, 3), keepdim=True)  # instance norm
        x = x / torch.sqrt(x.pow(2).mean((2, 3), keepdim=True) + 1e-8)
        style = self.style_mod.dense(w).view(len(w), 2, -1, 1, 1)
        return x * (style[:, 0] + 1) + style[:, 1]


class Layer(nn.Module):
    """Synthesis layer `index`: the constant (0), a 3x3 conv (odd) or an up-sampling 3x3 conv
    and blur (even), then the epilogue."""

    def __init__(self, index: int, cin: int, cout: int, w_dim: int):
        super().__init__()
        resolution = 2 ** (index // 2 + 2)
        self.up = index > 0 and index % 2 == 0
        if index == 0:
            self.first_layer = nn.Parameter(torch.ones(1, cout, 4, 4))
        elif self.up and resolution >= FUSED_MIN_RES:
            self.weight = nn.Parameter(torch.randn(3, 3, cin, cout))
        else:
            self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
            nn.init.normal_(self.conv.weight)
        if self.up:
            taps = torch.tensor([1.0, 2.0, 1.0])
            self.blur = nn.Module()
            self.blur.register_buffer("kernel", (torch.outer(taps, taps) / 16).expand(cout, 1, 3, 3).clone())
        self.scale = math.sqrt(2) / math.sqrt(cin * 9)
        self.epilogue = Epilogue(resolution, cout, w_dim)

    def convolve(self, x: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "weight"):
            # x2 nearest up-sampling then the 3x3 conv, as one stride-2 transposed 4x4 conv
            # whose kernel sums the four shifted copies of the 3x3 one.
            k = F.pad(self.weight * self.scale, (0, 0, 0, 0, 1, 1, 1, 1))
            k = k[1:, 1:] + k[:-1, 1:] + k[1:, :-1] + k[:-1, :-1]
            return F.conv_transpose2d(x, k.permute(2, 3, 0, 1), stride=2, padding=1)
        return self.conv(upsample(x, 2 if self.up else 1)) * self.scale

    def forward(self, x: torch.Tensor | None, w: torch.Tensor, randomize_noise: bool) -> torch.Tensor:
        if hasattr(self, "first_layer"):
            x = self.first_layer.expand(len(w), -1, -1, -1)
        else:
            x = self.convolve(x)
        if self.up:
            x = F.conv2d(x, self.blur.kernel, padding=1, groups=x.shape[1])
        return self.epilogue(x, w, randomize_noise)


class ToRGB(nn.Module):
    def __init__(self, cin: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, 3, 1, bias=False)
        nn.init.normal_(self.conv.weight)
        self.bias = nn.Parameter(torch.zeros(3))
        self.scale = 1 / math.sqrt(cin)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) * self.scale + self.bias.view(1, -1, 1, 1)


class Synthesis(nn.Module):
    def __init__(self, resolution: int, w_dim: int):
        super().__init__()
        self.num_blocks = int(math.log2(resolution)) - 1
        for b in range(self.num_blocks):
            cin, cout = channels(2 ** (b + 1)), channels(2 ** (b + 2))
            self.add_module(f"layer{2 * b}", Layer(2 * b, cin, cout, w_dim))
            self.add_module(f"layer{2 * b + 1}", Layer(2 * b + 1, cout, cout, w_dim))
            self.add_module(f"output{b}", ToRGB(cout))
        self.register_buffer("lod", torch.zeros(()))

    def forward(self, wp: torch.Tensor, randomize_noise: bool) -> torch.Tensor:
        active = blocks_to_run(self.lod, self.num_blocks)
        x = None
        for i in range(2 * active):
            x = getattr(self, f"layer{i}")(x, wp[:, i], randomize_noise)
        return upsample(getattr(self, f"output{active - 1}")(x), 2 ** (self.num_blocks - active))


def read_pickle(path: Path, resolution: int) -> dict[str, torch.Tensor]:
    """The official `.pth` state dict of NVIDIA's TensorFlow StyleGAN pickle (`karras2019stylegan-*.pkl`,
    the tuple (G, D, Gs)), read as data without running it and mapped by the official converter's table."""
    family, init_kwargs, state = read_generator(path, stylegan1=StyleGAN)
    if family != "stylegan":
        raise CheckpointError(f"network pickle {path} is a {family} network, not StyleGAN (v1): use name: nvidia")
    if init_kwargs["resolution"] != resolution:
        raise CheckpointError(
            f"network pickle {path} is {init_kwargs['resolution']}x{init_kwargs['resolution']}, "
            f"not the resolution {resolution} asked for"
        )
    return state


@registry.register("stylegan")
class StyleGAN(Generator):
    latent_dim = 512
    spaces = ("z", "w", "wp")

    def __init__(
        self,
        checkpoint: str | None = None,  # official `.pth`, or NVIDIA's TensorFlow StyleGAN `.pkl`
        resolution: int = 1024,
        truncation_psi: float = 0.7,
        truncation_layers: int = 8,
        randomize_noise: bool = False,
    ):
        super().__init__()
        self.resolution = check_resolution("stylegan", resolution)
        self.num_layers = 2 * int(math.log2(resolution)) - 2
        self.randomize_noise = randomize_noise
        self.mapping = Mapping(self.latent_dim)
        self.truncation = Truncation(self.latent_dim, self.num_layers, truncation_psi, truncation_layers)
        self.synthesis = Synthesis(resolution, self.latent_dim)
        if checkpoint is not None:
            path = Path(checkpoint)
            state = read_pickle(path, resolution) if path.suffix == ".pkl" else load_state_dict(path)
            if not isinstance(state, dict):
                raise CheckpointError(f"checkpoint {path} is not a state dict (found {type(state).__name__})")
            # The official model's coefficient buffer, when a file has it, is replaced by the
            # settings' (the official loader does the same).
            state = {k: v for k, v in state.items() if k != "truncation.truncation"}
            check_fits(state, self, path)
            self.load_state_dict(state)
            check_lod(self.synthesis.lod, self.synthesis.num_blocks, path)

    def prepare_z(self, z: torch.Tensor) -> torch.Tensor:
        return prepare_z(z)

    def map_codes(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        w = self.mapping(z)
        return {"w": w, "wp": self.w_to_wp(w)}

    def w_to_wp(self, w: torch.Tensor) -> torch.Tensor:
        return self.truncation(w)

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        if space in ("z", "w"):
            check_codes(f"stylegan {space}", codes, (self.latent_dim,))
        wp = self.wp_codes(codes, space)
        check_codes("stylegan wp", wp, (self.num_layers, self.latent_dim))
        return self.synthesis(wp, self.randomize_noise)

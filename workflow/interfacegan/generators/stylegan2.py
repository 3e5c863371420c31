"""StyleGAN2 generator (config F) loading rosinality/stylegan2-pytorch checkpoints.

A checkpoint is a dict whose `g_ema` entry is the generator's state dict and, when
converted from the official TensorFlow weights, `latent_avg` the mean W code.
Layout: mapping `style.{1..n_mlp}` (PixelNorm then EqualLinear, lr_mul 0.01, fused
leaky ReLU), constant `input.input`, 4x4 `conv1` + `to_rgb1`, then per resolution
8..R an upsampling and a plain StyledConv (`convs.{2k,2k+1}`) and `to_rgbs.{k}`
whose skip input is upsampled; `noises.noise_{i}` are the fixed noise maps.
Everything is plain torch (upfirdn2d and the fused bias + leaky ReLU included).
"""

import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..checkpoints import load_state_dict
from .base import Generator, registry

MEAN_SAMPLES = 4096  # z draws (seed 0) averaged for the truncation centre


def fused_lrelu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Add a per-channel bias, leaky ReLU (0.2), and rescale by sqrt(2)."""
    bias = bias.view(1, -1, *[1] * (x.ndim - 2))
    return F.leaky_relu(x + bias, 0.2) * math.sqrt(2)


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int, pad: tuple[int, int]) -> torch.Tensor:
    """Upsample by zero insertion, pad (before, after) on both axes, apply the FIR `kernel`.

    Depthwise (one kernel copy per channel), in x's memory format: channels-last ran 3-5x faster on
    the CPU. up > 1 is one stride-`up` transposed conv (zero insertion and filtering at once) cropped
    to the padding; symmetric padding goes inside the conv. (Zero insertion by padding, then a
    1-channel conv over n * c images, made oneDNN materialise a 16-value column per pixel.)
    """
    c, k = x.shape[1], kernel.shape[-1]
    if up > 1:
        # the transposed conv is the full convolution of the zero-inserted image without its trailing
        # up - 1 zeros, i.e. padded (k - 1, k - 1): crop (or pad) to the (before, after) asked for
        x = F.conv_transpose2d(x, kernel.expand(c, 1, k, k).to(x.dtype), stride=up, groups=c)
        crop = (k - 1 - pad[0], k - up - pad[1])
        if min(crop) < 0:
            return F.pad(x, [-crop[0], -crop[1], -crop[0], -crop[1]])
        return x[:, :, crop[0] : x.shape[2] - crop[1], crop[0] : x.shape[3] - crop[1]]
    weight = kernel.flip([0, 1]).expand(c, 1, k, k).to(x.dtype)
    if pad[0] == pad[1] >= 0:
        return F.conv2d(x, weight, padding=pad[0], groups=c)
    return F.conv2d(F.pad(x, [pad[0], pad[1], pad[0], pad[1]]), weight, groups=c)


class FIR(nn.Module):
    """The [1, 3, 3, 1] blur (gain 4, as for 2x upsampling), kept as buffer `kernel`."""

    def __init__(self, up: int, pad: tuple[int, int]):
        super().__init__()
        taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
        self.register_buffer("kernel", torch.outer(taps, taps) / 64 * 4)
        self.up, self.pad = up, pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, self.up, self.pad)


class EqualLinear(nn.Module):
    """Linear layer with runtime He scaling; parameters are stored divided by `lr_mul`."""

    def __init__(self, in_dim: int, out_dim: int, lr_mul: float = 1.0, bias_init: float = 0.0, activate: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale, self.lr_mul, self.activate = lr_mul / math.sqrt(in_dim), lr_mul, activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.activate:
            return fused_lrelu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


class ModulatedConv2d(nn.Module):
    """Per-sample style-modulated (optionally demodulated) conv, as one grouped conv."""

    def __init__(self, cin: int, cout: int, kernel: int, style_dim: int, demodulate=True, upsample=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, cout, cin, kernel, kernel))
        if upsample:  # transposed conv (stride 2) leaves 2H+1 pixels; the blur crops to 2H
            self.blur = FIR(up=1, pad=(1, 1))
        self.modulation = EqualLinear(style_dim, cin, bias_init=1)
        self.scale = 1 / math.sqrt(cin * kernel**2)
        self.demodulate, self.upsample = demodulate, upsample

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        n, cin, h, w = x.shape
        cout, k = self.weight.shape[1], self.weight.shape[-1]
        weight = self.scale * self.weight * self.modulation(style).view(n, 1, cin, 1, 1)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8).view(n, cout, 1, 1, 1)
        x = x.reshape(1, n * cin, h, w)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(n * cin, cout, k, k)
            out = F.conv_transpose2d(x, weight, stride=2, groups=n)
            return self.blur(out.view(n, cout, *out.shape[2:]))
        out = F.conv2d(x, weight.reshape(n * cout, cin, k, k), padding=k // 2, groups=n)
        return out.view(n, cout, *out.shape[2:])


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        if noise is None:
            noise = x.new_empty(len(x), 1, *x.shape[2:]).normal_()
        return x + self.weight * noise


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_lrelu(x, self.bias)


class StyledConv(nn.Module):
    def __init__(self, cin: int, cout: int, style_dim: int, upsample: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(cin, cout, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(cout)

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        return self.activate(self.noise(self.conv(x, style), noise))


class ToRGB(nn.Module):
    def __init__(self, cin: int, style_dim: int, upsample: bool = True):
        super().__init__()
        if upsample:
            self.upsample = FIR(up=2, pad=(2, 1))
        self.conv = ModulatedConv2d(cin, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.conv(x, style) + self.bias
        return out if skip is None else out + self.upsample(skip)


@registry.register("stylegan2")
class StyleGAN2(Generator):
    spaces = ("z", "w", "wp")

    def __init__(
        self,
        checkpoint: str | None = None,
        resolution: int = 1024,
        latent_dim: int = 512,
        n_mlp: int = 8,
        channel_multiplier: int = 2,
        truncation_psi: float = 1.0,
        truncation_layers: int | None = None,
        randomize_noise: bool = False,
    ):
        super().__init__()
        log_res = int(math.log2(resolution))
        if resolution < 4 or 2**log_res != resolution:
            raise ValueError(f"stylegan2 resolution must be a power of two >= 4, not {resolution}")
        self.latent_dim, self.resolution = latent_dim, resolution
        self.n_latent = 2 * log_res - 2
        self.truncation_psi = truncation_psi
        self.truncation_layers = self.n_latent if truncation_layers is None else truncation_layers
        self.randomize_noise = randomize_noise

        def channels(res: int) -> int:  # rosinality's table: 512 up to 32x32, then 2^14 * multiplier / res
            return 512 if res <= 32 else 2**14 * channel_multiplier // res

        self.style = nn.Sequential(
            PixelNorm(), *[EqualLinear(latent_dim, latent_dim, lr_mul=0.01, activate=True) for _ in range(n_mlp)]
        )
        self.input = nn.Module()
        self.input.input = nn.Parameter(torch.randn(1, channels(4), 4, 4))
        self.conv1 = StyledConv(channels(4), channels(4), latent_dim)
        self.to_rgb1 = ToRGB(channels(4), latent_dim, upsample=False)
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        for log in range(3, log_res + 1):
            cin, cout = channels(2 ** (log - 1)), channels(2**log)
            self.convs.extend([StyledConv(cin, cout, latent_dim, upsample=True), StyledConv(cout, cout, latent_dim)])
            self.to_rgbs.append(ToRGB(cout, latent_dim))
        self.noises = nn.Module()
        for i in range(2 * log_res - 3):  # one map at 4x4, then two per resolution
            size = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, size, size))

        if checkpoint is not None:
            self.load_state_dict(load_state_dict(Path(checkpoint), key="g_ema", model=self))
        self.register_buffer("w_avg", self.mean_w(checkpoint) if truncation_psi != 1 else None, persistent=False)

    @torch.no_grad()
    def mean_w(self, checkpoint: str | None) -> torch.Tensor:
        """The checkpoint's `latent_avg` if it has one, else the mean W of seeded z draws."""
        if checkpoint is not None:
            saved = load_state_dict(Path(checkpoint))
            if "latent_avg" in saved:
                return saved["latent_avg"].reshape(self.latent_dim).float()
        z = torch.randn(MEAN_SAMPLES, self.latent_dim, generator=torch.Generator().manual_seed(0))
        return self.style(z).mean(0)

    def truncate(self, wp: torch.Tensor) -> torch.Tensor:
        """Pull the first `truncation_layers` codes towards the mean W by `truncation_psi`."""
        if self.truncation_psi == 1:
            return wp
        k = self.truncation_layers
        near = self.w_avg + self.truncation_psi * (wp[:, :k] - self.w_avg)
        return torch.cat([near, wp[:, k:]], 1)

    def map_codes(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        w = self.style(z)
        return {"w": w, "wp": self.w_to_wp(w)}

    def w_to_wp(self, w: torch.Tensor) -> torch.Tensor:
        return self.truncate(w.unsqueeze(1).repeat(1, self.n_latent, 1))

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        wp = self.wp_codes(codes, space)
        if wp.shape[1:] != (self.n_latent, self.latent_dim):
            raise ValueError(f"wp codes must be (N, {self.n_latent}, {self.latent_dim}), not {tuple(wp.shape)}")
        noise = [
            None if self.randomize_noise else getattr(self.noises, f"noise_{i}") for i in range(len(self.convs) + 1)
        ]
        x = self.input.input.repeat(len(wp), 1, 1, 1)
        x = self.conv1(x, wp[:, 0], noise[0])
        image = self.to_rgb1(x, wp[:, 1])
        for k, to_rgb in enumerate(self.to_rgbs):
            x = self.convs[2 * k](x, wp[:, 2 * k + 1], noise[2 * k + 1])
            x = self.convs[2 * k + 1](x, wp[:, 2 * k + 2], noise[2 * k + 2])
            image = to_rgb(x, wp[:, 2 * k + 3], image)
        return image

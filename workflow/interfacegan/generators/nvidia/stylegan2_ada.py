"""NVIDIA's StyleGAN2-ADA generator in its state-dict layout, run in float32 on any device.

Written from the StyleGAN2 and ADA papers and the public key names of NVlabs/stylegan2-ada-pytorch
(`training.networks.Generator`), also used by the StyleGAN2 configs of NVlabs/stylegan3:
- `synthesis.b{res}` blocks, 4 to img_resolution; `b4.const` (C, 4, 4) is the learned input;
- each block has `conv0` (2x upsampling, not in b4) and `conv1`, each a modulated 3x3 conv with
  `affine` (w -> styles, bias 1 at init), `weight` (O, I, 3, 3), `bias`, `noise_strength` and the
  fixed noise map `noise_const` (res, res);
- `torgb` (1x1, not demodulated) in every block for the "skip" architecture, in the last only
  for "orig" and "resnet"; "resnet" adds `skip`, an upsampled 1x1 conv without bias;
- `resample_filter` is the normalised [1, 3, 3, 1] blur, stored in blocks and upsampling layers.
Conv weights carry no He factor (demodulation normalises them; toRGB and the skip scale by
1/√fan-in at run time). The style-modulated convolution scales the activations, runs one
shared-weight conv for the whole batch and demodulates after it: on the CPU that beat NVIDIA's
grouped conv with per-sample weights. Activations are kept channels-last.
"""

import inspect
import math

import torch
from torch import nn
from torch.nn import functional as F

from ..stylegan2 import upfirdn2d
from .mapping import FullyConnectedLayer, StyleGenerator

NOISE_MODES = ("const", "random", "none")
ARCHITECTURES = ("orig", "skip", "resnet")


# ----------------------------------------------------------------------------
# Resampling and the modulated convolution


def resample_filter_taps(taps) -> torch.Tensor:
    """The stored low-pass filter: taps normalised to sum 1, as an outer product when under 8 taps."""
    f = torch.as_tensor(taps, dtype=torch.float32)
    f = f.reshape(1) if f.ndim == 0 else f
    if f.ndim == 1 and f.numel() < 8:
        f = torch.outer(f, f)
    return f / f.sum()


def fir_kernel(f: torch.Tensor, gain: float) -> torch.Tensor:
    """A stored (1-D separable or 2-D) filter as one 2-D kernel with total gain `gain`."""
    return (torch.outer(f, f) if f.ndim == 1 else f) * gain


def upsample2x(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Twice the size: zero insertion, then the FIR filter at gain 4 (the image and resnet-skip path)."""
    fh = f.shape[0]
    return upfirdn2d(x, fir_kernel(f, 4), up=2, pad=((fh + 1) // 2, (fh - 2) // 2))


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    noise: torch.Tensor | None = None,
    demodulate: bool = True,
    up: int = 1,
    f: torch.Tensor | None = None,
) -> torch.Tensor:
    """conv(x, weight · styles[n]) per sample n, rows scaled to unit norm when `demodulate`, plus `noise`.

    up=2 is a stride-2 transposed conv (2H + k - 2 pixels) followed by the filter `f` at gain 4,
    padded to give exactly 2H.
    """
    n, cin = styles.shape
    x = x * styles.reshape(n, cin, 1, 1)
    if up == 1:
        x = F.conv2d(x, weight, padding=weight.shape[-1] // 2)
    else:
        x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
        fh = f.shape[0]
        x = upfirdn2d(x, fir_kernel(f, 4), up=1, pad=((fh + 1) // 2 - 1, (fh - 2) // 2))
    if demodulate:
        # 1/|row o of weight · styles[n]|, from the squared norms without building per-sample weights
        dcoefs = (styles.square() @ weight.square().sum([2, 3]).t() + 1e-8).rsqrt()
        dcoefs = dcoefs.reshape(n, -1, 1, 1)
        return x * dcoefs if noise is None else torch.addcmul(noise, x, dcoefs)
    return x if noise is None else x + noise


# ----------------------------------------------------------------------------
# Layers


def bias_lrelu_clamp(x: torch.Tensor, bias: torch.Tensor, gain: float, clamp: float | None) -> torch.Tensor:
    """NVIDIA's bias_act for the synthesis layers: add bias, leaky ReLU, scale by √2·gain, then clamp."""
    scale = math.sqrt(2) * gain  # > 0, so it can go before the leaky ReLU: one pass fewer
    x = F.leaky_relu(torch.add(bias.reshape(1, -1, 1, 1) * scale, x, alpha=scale), 0.2, inplace=True)
    if clamp is None:
        return x
    # in place unless autograd needs the unclamped values
    return x.clamp(-clamp * gain, clamp * gain) if x.requires_grad else x.clamp_(-clamp * gain, clamp * gain)


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv, noise, bias, leaky ReLU (0.2) times √2·gain, clamped to ±conv_clamp·gain."""

    def __init__(
        self,
        in_channels: int,  # input feature channels
        out_channels: int,  # output feature channels
        w_dim: int,  # W dimensionality
        resolution: int,  # output size
        up: int = 1,  # 1, or 2 to upsample 2x
        use_noise: bool = True,  # add per-pixel noise scaled by `noise_strength`
        resample_filter=(1, 3, 3, 1),  # low-pass filter taps for the upsampling
        conv_clamp: float | None = None,  # clamp the output to ±conv_clamp, None = no clamping
    ):
        super().__init__()
        self.resolution, self.up, self.use_noise, self.conv_clamp = resolution, up, use_noise, conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3))
        if use_noise:
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.register_buffer("resample_filter", resample_filter_taps(resample_filter))
        if use_noise:
            self.register_buffer("noise_const", torch.randn(resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const", gain: float = 1) -> torch.Tensor:
        noise = None
        if self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        elif self.use_noise and noise_mode == "random":
            noise = torch.randn(len(x), 1, self.resolution, self.resolution, device=x.device) * self.noise_strength
        x = modulated_conv2d(x, self.weight, self.affine(w), noise, up=self.up, f=self.resample_filter)
        return bias_lrelu_clamp(x, self.bias, gain, self.conv_clamp)


class ToRGBLayer(nn.Module):
    """Modulated 1x1 conv to image channels, not demodulated; bias, then the clamp."""

    def __init__(
        self,
        in_channels: int,  # input feature channels
        out_channels: int,  # image channels
        w_dim: int,  # W dimensionality
        conv_clamp: float | None = None,  # clamp the output to ±conv_clamp, None = no clamping
    ):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n, c, h, width = x.shape
        # a 1x1 conv with per-sample weights is one batched matrix product, over channels-last pixels
        weights = self.weight[:, :, 0, 0] * (self.affine(w) * self.weight_gain).unsqueeze(1)  # (N, O, I)
        pixels = x.permute(0, 2, 3, 1).reshape(n, h * width, c)
        x = torch.baddbmm(self.bias.reshape(1, 1, -1), pixels, weights.transpose(1, 2))
        x = x.reshape(n, h, width, -1).permute(0, 3, 1, 2)
        return x if self.conv_clamp is None else x.clamp(-self.conv_clamp, self.conv_clamp)


class ResidualSkip(nn.Module):
    """The resnet architecture's shortcut: 1x1 conv (no bias), 2x upsampling, times `gain`."""

    def __init__(
        self,
        in_channels: int,  # input feature channels
        out_channels: int,  # output feature channels
        resample_filter=(1, 3, 3, 1),  # low-pass filter taps for the upsampling
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.register_buffer("resample_filter", resample_filter_taps(resample_filter))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, gain: float = 1) -> torch.Tensor:
        x = F.conv2d(x, self.weight * (self.weight_gain * gain))
        return upsample2x(x, self.resample_filter)


# ----------------------------------------------------------------------------
# Blocks and networks


class SynthesisBlock(nn.Module):
    """One resolution: [2x upsampling conv0,] conv1, and the image path (toRGB / upsampled image)."""

    def __init__(
        self,
        in_channels: int,  # 0 = the first block, which starts from `const`
        out_channels: int,  # output feature channels
        w_dim: int,  # W dimensionality
        resolution: int,  # output size
        img_channels: int,  # image channels
        is_last: bool,  # the last block always has a toRGB
        architecture: str = "skip",  # "orig", "skip" or "resnet"
        resample_filter=(1, 3, 3, 1),  # low-pass filter taps for the upsampling
        conv_clamp: float | None = None,  # clamp conv outputs to ±conv_clamp, None = no clamping
        use_noise: bool = True,  # per-pixel noise inputs
    ):
        super().__init__()
        self.in_channels, self.resolution, self.architecture = in_channels, resolution, architecture
        self.register_buffer("resample_filter", resample_filter_taps(resample_filter))
        layer = dict(
            w_dim=w_dim,
            resolution=resolution,
            resample_filter=resample_filter,
            conv_clamp=conv_clamp,
            use_noise=use_noise,
        )
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, up=2, **layer)
        self.conv1 = SynthesisLayer(out_channels, out_channels, **layer)
        self.num_conv = 1 if in_channels == 0 else 2
        self.num_torgb = int(is_last or architecture == "skip")
        if self.num_torgb:
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, conv_clamp=conv_clamp)
        if in_channels != 0 and architecture == "resnet":
            self.skip = ResidualSkip(in_channels, out_channels, resample_filter)

    def forward(
        self, x: torch.Tensor | None, img: torch.Tensor | None, ws: torch.Tensor, noise_mode: str = "const"
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Features and image after this block; ws (N, num_conv + num_torgb, w_dim)."""
        if self.in_channels == 0:
            # channels-last from the start: oneDNN's convolutions and depthwise filters run faster in it
            x = self.const.unsqueeze(0).expand(len(ws), -1, -1, -1).contiguous(memory_format=torch.channels_last)
            x = self.conv1(x, ws[:, 0], noise_mode)
        elif self.architecture == "resnet":
            shortcut = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x, ws[:, 0], noise_mode)
            x = shortcut + self.conv1(x, ws[:, 1], noise_mode, gain=math.sqrt(0.5))
        else:
            x = self.conv1(self.conv0(x, ws[:, 0], noise_mode), ws[:, 1], noise_mode)
        if img is not None:
            img = upsample2x(img, self.resample_filter)
        if self.num_torgb:
            rgb = self.torgb(x, ws[:, self.num_conv])
            img = rgb if img is None else img + rgb
        return x, img


class SynthesisNetwork(nn.Module):
    """W+ codes (N, num_ws, w_dim) to images (N, img_channels, R, R) in about [-1, 1]."""

    def __init__(
        self,
        w_dim: int,  # W dimensionality
        img_resolution: int,  # output size, a power of two >= 4
        img_channels: int,  # image channels
        channel_base: int = 32768,  # channels at resolution r: min(channel_base // r, channel_max)
        channel_max: int = 512,  # the cap on that count
        num_fp16_res: int = 0,  # NVIDIA's float16 resolutions: ignored, this runs in float32
        architecture: str = "skip",  # "orig", "skip" or "resnet"
        conv_clamp: float | None = None,  # clamp conv outputs to ±conv_clamp, None = no clamping
        resample_filter=(1, 3, 3, 1),  # low-pass filter taps for the upsampling
        use_noise: bool = True,  # per-pixel noise inputs
        fp16_channels_last: bool = False,  # NVIDIA's float16 memory format: ignored
        fused_modconv_default: bool | str = True,  # StyleGAN3 repository's training switch: ignored
    ):
        super().__init__()
        log2 = int(math.log2(img_resolution)) if img_resolution >= 4 else 0
        if 2**log2 != img_resolution:
            raise ValueError(f"img_resolution must be a power of two >= 4, not {img_resolution}")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, not {architecture!r}")
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.block_resolutions = [2**i for i in range(2, log2 + 1)]
        channels = {res: min(channel_base // res, channel_max) for res in self.block_resolutions}
        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(
                channels[res // 2] if res > 4 else 0,
                channels[res],
                w_dim,
                res,
                img_channels,
                is_last=res == img_resolution,
                architecture=architecture,
                resample_filter=resample_filter,
                conv_clamp=conv_clamp,
                use_noise=use_noise,
            )
            setattr(self, f"b{res}", block)
            self.num_ws += block.num_conv  # a toRGB shares its w with the next block's first conv
        self.num_ws += block.num_torgb

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        ws = ws.float()
        x = img = None
        w_index = 0
        for res in self.block_resolutions:
            block = getattr(self, f"b{res}")
            x, img = block(x, img, ws[:, w_index : w_index + block.num_conv + block.num_torgb], noise_mode)
            w_index += block.num_conv
        return img.contiguous()


class Generator(StyleGenerator):
    """z (and class label c) -> mapping -> W+ -> synthesis -> image; NVIDIA's `Generator` (G_ema) layout."""

    def build_synthesis(self, w_dim: int, img_resolution: int, img_channels: int, options: dict) -> SynthesisNetwork:
        # stylegan2-ada-pytorch's Generator takes the options nested in a dict, stylegan3's networks_stylegan2
        # flat. Their defaults differ: conv_clamp is None in the first, 256 in the second, and stylegan3's
        # train.py leaves it to that default, so a flat set without conv_clamp means 256.
        nested = options.pop("synthesis_kwargs", None)
        if nested is None and options:
            options.setdefault("conv_clamp", 256)
        options = {**(nested or {}), **options}
        known = set(inspect.signature(SynthesisNetwork).parameters) - {"w_dim", "img_resolution", "img_channels"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown StyleGAN2-ADA synthesis options {unknown}; known: {sorted(known)}")
        return SynthesisNetwork(w_dim, img_resolution, img_channels, **options)

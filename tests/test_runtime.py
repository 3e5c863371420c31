"""The compute stages' runtime: freed memory stays with the process; networks are
prepared for inference."""

import copy
import logging
import platform
import re
import subprocess
import sys

import pytest
import torch
from torch import nn

from interfacegan import runtime

# 64 MiB blocks malloc'ed, written and freed five times after a first round; prints the
# minor page faults per round (a fault per 4 KiB page that the kernel hands out again).
ROUNDS = """
import ctypes, resource, sys
from interfacegan import runtime
if sys.argv[1] == "keep":
    assert runtime.keep_freed_memory()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
size = 64 << 20
def one_round():
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
one_round()
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    one_round()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) // 5)
"""


def faults_per_round(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", ROUNDS, mode], capture_output=True, text=True, timeout=60, check=True)
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's")
def test_batches_reuse_freed_memory_instead_of_faulting_it_in_again():
    pages = (64 << 20) // 4096
    assert faults_per_round("default") > pages // 2  # glibc's default: unmapped on free, faulted in again
    assert faults_per_round("keep") < pages // 100


def test_batches_cover_the_rows_and_log_the_rate_after_the_first(caplog):
    caplog.set_level(logging.INFO, logger="interfacegan")
    assert [(b.start, b.stop) for b in runtime.batches(10, 4, "score 3")] == [(0, 4), (4, 8), (8, 10)]
    lines = [r.getMessage() for r in caplog.records if "after the first batch" in r.getMessage()]
    assert len(lines) == 1 and re.fullmatch(r"score 3: 10 rows, [0-9.]+ rows/s after the first batch", lines[0])
    caplog.clear()
    assert len(list(runtime.batches(4, 4, "one batch"))) == 1  # no rate: nothing after the first batch
    assert not [r for r in caplog.records if "after the first batch" in r.getMessage()]


def test_batchnorm_is_folded_into_the_convolutions_before_it():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.ConvTranspose2d(8, 16, 4, 2, 1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Sequential(nn.Conv2d(16, 4, 3, 1, 1), nn.BatchNorm2d(4)),
    )
    for norm in (net[1], net[3][1]):  # non-trivial running statistics and affine parameters
        (
            norm.running_mean.uniform_(-1, 1),
            norm.running_var.uniform_(0.5, 2),
            norm.weight.data.uniform_(0.5, 2),
            norm.bias.data.uniform_(-1, 1),
        )
    x = torch.randn(5, 8, 6, 6)
    with torch.inference_mode():
        expected = net.eval()(x)
        folded = runtime.for_inference(copy.deepcopy(net))
        assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
        # float32 rounding of the rescaled weights: a few ulps of activations of order 1-10
        torch.testing.assert_close(folded(x), expected, rtol=1e-5, atol=1e-5)


def test_only_inference_batchnorm_is_folded_and_channels_last_is_asked_for():
    training = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))  # batch statistics: no fixed affine map
    assert isinstance(runtime.for_inference(training)[1], nn.BatchNorm2d)

    class Plain(nn.Sequential):
        channels_last = True

    plain = runtime.for_inference(Plain(nn.Conv2d(3, 4, 3)).eval())
    assert plain[0].weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("bias", [True, False])
def test_transposed_convolutions_are_replaced_by_faster_equivalents(bias):
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.ConvTranspose2d(10, 16, 4, 1, 0, bias=bias),
        nn.ReLU(),  # a latent code to 4x4: one matrix product
        nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=bias),
        nn.ReLU(),  # 8 channels: kept as it is
        nn.ConvTranspose2d(8, 3, 4, 2, 1, bias=bias),
        nn.Tanh(),  # to an image: a sub-pixel convolution
    )
    z = torch.randn(7, 10, 1, 1, requires_grad=True)
    expected = net(z)
    fast = runtime.for_inference(copy.deepcopy(net))
    assert [type(m).__name__ for m in fast[::2]] == ["PointTransposedConv", "ConvTranspose2d", "SubpixelTransposedConv"]
    out = fast(z)
    # the same products summed in another order: float32 rounding of activations of order 1
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    # differentiable in the input (inversion back-propagates through the generator)
    torch.testing.assert_close(
        torch.autograd.grad(out.sum(), z)[0], torch.autograd.grad(expected.sum(), z)[0], rtol=1e-5, atol=1e-5
    )
    # any input size: the sub-pixel form exactly doubles it, the point form falls back to the convolution off 1x1
    x = torch.randn(2, 8, 5, 3)
    torch.testing.assert_close(fast[4](x), net[4](x), rtol=1e-5, atol=1e-6)
    y = torch.randn(2, 10, 2, 2)
    torch.testing.assert_close(fast[0](y), net[0](y), rtol=1e-5, atol=1e-6)


def test_the_residual_block_in_place_is_the_same_function_and_trains():
    from interfacegan.predictors.multihead import BasicBlock

    torch.manual_seed(0)
    block = BasicBlock(4, 8, 2)
    x = torch.randn(3, 4, 8, 8, requires_grad=True)
    out = block(x)
    expected = torch.relu(block.body(x) + block.shortcut(x))
    assert torch.equal(out, expected)
    out.sum().backward()  # the in-place add and ReLU leave autograd's saved tensors intact
    assert x.grad is not None and torch.isfinite(x.grad).all()

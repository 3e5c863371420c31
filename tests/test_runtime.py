"""The compute stages' runtime: freed memory stays with the process."""

import platform
import subprocess
import sys

import pytest

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

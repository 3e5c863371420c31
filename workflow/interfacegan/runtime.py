"""Device choice, threads, batching and progress for the compute stages."""

import logging
import sys
from collections.abc import Iterator

import torch
from tqdm import tqdm

log = logging.getLogger("interfacegan")


def setup(view: dict) -> torch.device:
    """The device the view asks for (the job's thread count is set by the CLI: `--threads`)."""
    device = resolve_device(view["device"])
    if device.type == "cpu" and view.get("precision") == "bf16":
        log.warning("bf16 on the CPU: fast only with native bf16 (AMX, AVX512-BF16); else far slower than fp32")
    return device


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


def batches(total: int, size: int, label: str) -> Iterator[slice]:
    """Slices of `size` rows with a progress bar (written to stderr, i.e. the job's log)."""
    with tqdm(total=total, desc=label, unit="img", file=sys.stderr, mininterval=5) as bar:
        for start in range(0, total, size):
            stop = min(start + size, total)
            yield slice(start, stop)
            bar.update(stop - start)

"""Latent codes: deterministic draws by global index, and reads by index across shards."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .artifacts import ArtifactError, open_h5

# Draws come in fixed blocks, each from its own stream keyed by (seed, block), so
# latent i depends on (seed, i) only, never on the shard size or the number of jobs.
BLOCK = 4096


def standard_normal(seed: int, start: int, stop: int, dim: int) -> np.ndarray:
    """Rows start..stop-1 of the run's infinite N(0, I) sequence, float32 (stop-start, dim)."""
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [
        np.random.default_rng([seed, block]).standard_normal((BLOCK, dim), dtype=np.float32)
        for block in range(first, last + 1)
    ]
    return np.concatenate(blocks)[start - first * BLOCK : stop - first * BLOCK]


def gather(shards: list[Path], shard_size: int, index: np.ndarray, space: str) -> np.ndarray:
    """The codes of `space` at global rows `index` (any order), one shard in memory at a time."""
    index = np.asarray(index, dtype=np.int64)
    out = None
    for shard in np.unique(index // shard_size):
        rows = np.flatnonzero(index // shard_size == shard)
        with open_h5(shards[shard]) as f:
            codes = codes_of(f, space, shards[shard])[()]
        if out is None:
            out = np.empty((len(index),) + codes.shape[1:], dtype=codes.dtype)
        out[rows] = codes[index[rows] - shard * shard_size]
    return out


def iterate(shards: list[Path], space: str) -> Iterator[tuple[int, np.ndarray]]:
    """(start, codes) per shard, one shard in memory at a time."""
    for path in shards:
        with open_h5(path) as f:
            yield int(f.attrs["start"]), codes_of(f, space, path)[()]


def codes_of(f, space: str, path: Path):
    if space not in f:
        raise ArtifactError(f"latents {path} have no '{space}' codes (found {', '.join(f)})")
    return f[space]

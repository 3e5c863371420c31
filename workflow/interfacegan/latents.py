"""Latent codes: deterministic draws by global index, and reads by index across shards."""

from collections.abc import Iterator

import numpy as np

from .artifacts import ArtifactError, open_artifact
from .layout import Layout, shard_count, shard_rows

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


def gather(view: dict, layout: Layout, index: np.ndarray, space: str) -> np.ndarray:
    """The run's codes of `space` at global rows `index` (any order), one shard in memory at a time."""
    index = np.asarray(index, dtype=np.int64)
    out = None
    for shard in np.unique(index // view["shard_size"]):
        rows = np.flatnonzero(index // view["shard_size"] == shard)
        start, codes = read_shard(view, layout, int(shard), space)
        if out is None:
            out = np.empty((len(index),) + codes.shape[1:], dtype=codes.dtype)
        out[rows] = codes[index[rows] - start]
    return out


def iterate(view: dict, layout: Layout, space: str) -> Iterator[tuple[int, np.ndarray]]:
    """(start, codes) per shard of the run, one shard in memory at a time."""
    for shard in range(shard_count(view["n_samples"], view["shard_size"])):
        yield read_shard(view, layout, shard, space)


def read_shard(view: dict, layout: Layout, shard: int, space: str) -> tuple[int, np.ndarray]:
    """(start, codes) of one shard, checked to belong to the run and to hold its rows."""
    path = layout.latents(shard)
    start, stop = shard_rows(view["n_samples"], view["shard_size"], shard)
    with open_artifact(path, view, stage="sample", start=start, stop=stop) as f:
        if space not in f:
            raise ArtifactError(f"latents {path} have no '{space}' codes (found {', '.join(f)})")
        return start, f[space][()]

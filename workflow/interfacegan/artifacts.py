"""HDF5 and CSV artifacts: atomic writes, provenance attributes, clear read errors."""

import contextlib
import csv
import os
import time
from importlib.metadata import version
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .config import digest


class ArtifactError(ValueError):
    """An artifact is missing, unreadable or lacks what a stage needs."""


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, or does not fit its network (raised by `checkpoints`)."""


def provenance(view: dict, stage: str) -> dict:
    """Attributes that say how an artifact was made."""
    return {
        "stage": stage,
        "config_digest": digest(view),
        "seed": view.get("seed", -1),
        "generator": view.get("generator", {}).get("name", ""),
        "interfacegan_version": __version__,
        "torch_version": version("torch"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary sibling of `path`; rename it onto `path` only on success.

    A killed job leaves at most a `*.tmp.<pid>` file, never a `path` that looks complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_h5(path: str | Path, datasets: dict, attrs: dict) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for name, value in datasets.items():
            if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
                f.create_dataset(name, data=np.array(value, dtype=h5py.string_dtype()))
            else:
                f.create_dataset(name, data=value)
        f.attrs.update(attrs)


@contextlib.contextmanager
def open_h5(path: str | Path):
    """Open an artifact for reading, turning h5py's errors into one clear line."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"artifact not found: {path} (run the stage that makes it)")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ArtifactError(f"artifact {path} is unreadable (truncated or not HDF5: {err}); delete it and re-run") from err
    with f:
        yield f


def read_h5(path: str | Path, *names: str) -> dict:
    """Datasets `names` (all when none given) as numpy arrays, plus `attrs`."""
    with open_h5(path) as f:
        missing = [n for n in names if n not in f]
        if missing:
            raise ArtifactError(f"artifact {path} lacks dataset(s) {', '.join(missing)} (found {', '.join(f)})")
        out = {n: decode(f[n][()]) for n in (names or list(f))}
        out["attrs"] = dict(f.attrs)
    return out


def decode(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    return value


def write_csv(path: str | Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

"""HDF5 and CSV artifacts: atomic writes, provenance attributes, clear read errors; the commands' checks of --out."""

import contextlib
import contextvars
import json
import os
import time
from importlib import metadata
from importlib.metadata import version
from pathlib import Path

import h5py
import numpy as np

from . import __version__, pipeline
from .config import digest

# Datasets indexed by global sample row: their length must be the file's stop - start.
ROW_DATASETS = ("z", "w", "scores", "codes")


class ArtifactError(ValueError):
    """An artifact is missing, unreadable or lacks what a stage needs."""


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, or does not fit its network (raised by `checkpoints`)."""


def packaged_file(distribution: str, pin: str, name: str, what: str, install: str) -> Path:
    """The file `name` of an installed distribution (found through its metadata, never
    imported), with one clear line when the package or the file is missing."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError as err:
        raise CheckpointError(
            f"{what} come from the package {distribution}=={pin}, which is not installed; install it with `{install}`"
        ) from err
    path = Path(str(dist.locate_file(name)))
    if not path.is_file():
        raise CheckpointError(
            f"the installed package {distribution} ({dist.version}) lacks {path}; reinstall it with `{install} --force-reinstall`"
        )
    return path


def provenance(view: dict, stage: str) -> dict:
    """Attributes that say how an artifact was made: the config keys that determine it
    (and their digest), the digest of the files from outside the run it rests on, the seed and
    networks among them, and the software."""
    content = pipeline.pick(view, pipeline.content_keys(stage))
    attrs = {
        "stage": stage,
        "config_digest": digest(content),
        "config": json.dumps(content, sort_keys=True),
    } | software()
    if "files" in view:
        attrs["files_digest"] = view["files"]
    if "seed" in content:
        attrs["seed"] = content["seed"]
    attrs |= {section: content[section]["name"] for section in ("generator", "predictor") if section in content}
    return attrs


def software() -> dict:
    """The attributes every artifact carries: the code that made it, and when."""
    return {
        "interfacegan_version": __version__,
        "torch_version": version("torch"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


# The renames a stage has written but not yet made visible (see `all_or_nothing`).
PENDING: contextvars.ContextVar[list | None] = contextvars.ContextVar("pending", default=None)


@contextlib.contextmanager
def all_or_nothing():
    """Every file written inside appears only if the whole block succeeds: a stage with
    several outputs never leaves some of them looking complete."""
    pending: list[tuple[Path, Path]] = []
    token = PENDING.set(pending)
    try:
        yield
        for tmp, path in pending:
            os.replace(tmp, path)
    finally:
        PENDING.reset(token)
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary sibling of `path`; rename it onto `path` only on success.

    A killed job leaves at most a `*.tmp.<pid>` file, never a `path` that looks complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    pending = PENDING.get()
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if pending is None:
        os.replace(tmp, path)
    else:
        pending.append((tmp, path))


def check_out(path: str, inputs: dict, kind: str = "file") -> None:
    """One line, before any work, unless --out `path` can be written without touching an input.
    `kind` is what it must name: a file, a folder (made if missing), or a new folder (missing or
    empty); nothing on the way to it may be a file. `inputs` maps each input's flag to its path,
    paths or None, files or folders: --out may not be one, lie inside one or hold one (paths
    compared resolved: symlinks and .. followed)."""
    out = Path(path)
    if kind == "file" and out.is_dir():
        raise ArtifactError(f"--out {path} is a folder; name the file to write")
    if kind == "folder" and out.exists() and not out.is_dir():
        raise ArtifactError(f"--out {path} is a file; name a folder")
    if kind == "new folder" and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ArtifactError(f"--out {path} is a file or a folder that holds files; name a new or empty folder")
    above = next(p for p in out.absolute().parents if p.exists())
    if not above.is_dir():
        raise ArtifactError(f"--out {path}: {above} is a file, not a folder")
    target = out.resolve()
    for flag, value in inputs.items():
        for given in [] if value is None else [value] if isinstance(value, (str, Path)) else value:
            source = Path(given).resolve()
            relation = (
                "is"
                if source == target
                else "lies inside"
                if source in target.parents
                else "holds"
                if target in source.parents
                else None
            )
            if relation:
                raise ArtifactError(
                    f"--out {path} {relation} the input {flag} {given}; inputs are never written over, choose another --out"
                )


def write_h5(path: str | Path, datasets: dict, attrs: dict) -> None:
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for name, value in datasets.items():
            if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
                f.create_dataset(name, data=np.array(value, dtype=h5py.string_dtype()))
            else:
                f.create_dataset(name, data=value)
        f.attrs.update(attrs)


def read_npy(path: str | Path, what: str) -> np.ndarray:
    """The real-valued array of a .npy file, read without pickles; one clear line for anything else."""
    try:
        with open(path, "rb") as f:
            is_npy = f.read(6) == b"\x93NUMPY"  # not a pickle, not an .npz archive
        array = np.load(path, allow_pickle=False) if is_npy else None
    except (OSError, ValueError) as err:
        raise ArtifactError(f"{what} {path} cannot be read as .npy ({err})") from err
    if array is None:
        raise ArtifactError(f"{what} {path} is not a .npy file (one array saved by numpy.save)")
    if array.dtype.kind not in "fiu":
        raise ArtifactError(f"{what} {path} hold {array.dtype} values; {what} are real numbers")
    return array


@contextlib.contextmanager
def open_h5(path: str | Path):
    """Open an artifact for reading, turning h5py's errors into one clear line."""
    path = Path(path)
    if not path.is_file():
        raise ArtifactError(f"artifact not found: {path} (run the stage that makes it)")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise ArtifactError(
            f"artifact {path} is unreadable (truncated or not HDF5: {err}); delete it and re-run"
        ) from err
    with f:
        yield f


def read_h5(path: str | Path, *names: str) -> dict:
    """Datasets `names` (all when none given) as numpy arrays, plus `attrs`."""
    with open_h5(path) as f:
        return contents(f, path, names)


def contents(f: h5py.File, path, names: tuple[str, ...]) -> dict:
    missing = [n for n in names if n not in f]
    if missing:
        raise ArtifactError(f"artifact {path} lacks dataset(s) {', '.join(missing)} (found {', '.join(f)})")
    return {n: decode(f[n][()]) for n in (names or list(f))} | {"attrs": dict(f.attrs)}


@contextlib.contextmanager
def open_artifact(path: str | Path, view: dict, **expected):
    """`open_h5`, after checking that the file belongs to the run of `view`: made by a
    stage upstream with the same config keys, holding the `expected` attributes (stage,
    rows, attribute...) and as many rows as its start..stop says."""
    with open_h5(path) as f:
        check_belongs(Path(path), f, view, expected)
        yield f


def read_artifact(path: str | Path, view: dict, *names: str, **expected) -> dict:
    """`read_h5` of an artifact checked by `open_artifact`."""
    with open_artifact(path, view, **expected) as f:
        return contents(f, path, names)


def check_belongs(path: Path, f: h5py.File, view: dict, expected: dict) -> None:
    attrs = {key: decode(value) for key, value in f.attrs.items()}
    stage = attrs.get("stage")
    if stage not in pipeline.STAGES:
        raise ArtifactError(f"{path} was not made by a stage of this pipeline (stage {stage!r}): delete it and re-run")
    try:
        wanted = pipeline.pick(view, pipeline.content_keys(stage))
    except KeyError as err:
        raise ArtifactError(f"{path} was made by stage {stage}, which this stage does not read") from err
    if attrs.get("config_digest") != digest(wanted):
        raise ArtifactError(
            f"{path} does not belong to this run: {differences(wanted, attrs.get('config'))}; delete it and re-run"
        )
    for key, value in expected.items():
        if attrs.get(key) != value:
            raise ArtifactError(
                f"{path} does not belong here: its {key} is {attrs.get(key)!r}, expected {value!r}; delete it and re-run"
            )
    if "start" in attrs and "stop" in attrs:
        for name in ROW_DATASETS:
            if name in f and len(f[name]) != attrs["stop"] - attrs["start"]:
                raise ArtifactError(
                    f"{path} is incomplete: '{name}' has {len(f[name])} rows for rows "
                    f"{attrs['start']}..{attrs['stop']}; delete it and re-run"
                )


def differences(wanted: dict, stored: str | None) -> str:
    """The config keys in which a file's recorded config differs from this run's."""
    try:
        found = flat(json.loads(stored))
    except (TypeError, ValueError):
        return "it records no config of its own"
    mine = flat(wanted)
    keys = [k for k in sorted(mine.keys() | found.keys()) if mine.get(k) != found.get(k)]
    shown = "; ".join(
        f"{k} is {json.dumps(mine.get(k))} here but {json.dumps(found.get(k))} in the file" for k in keys[:3]
    )
    return shown + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else "") if keys else "other software made it"


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def decode(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_csv(path: str | Path, frame) -> None:
    """A pandas DataFrame as CSV, floats rounded to 6 decimals, NaN as `nan`; a named
    index (a matrix's row labels) becomes the first column(s). (The callers import pandas:
    the stages that write no table do without it.)"""
    labelled = any(name is not None for name in frame.index.names)
    wide = frame.astype(dict.fromkeys(frame.select_dtypes("floating").columns, "float64"))  # float32 rounds in float32
    with atomic_path(path) as tmp:
        wide.round(6).to_csv(tmp, index=labelled, na_rep="nan")

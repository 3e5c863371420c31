"""Loading checkpoints with one clear error per way they can be wrong."""

import argparse
import json
from pathlib import Path

import torch

from .artifacts import CheckpointError, check_out  # noqa: F401  (raised here, defined where the CLI can catch it without torch)
from .config import schema_error
from .layout import sidecar

MAX_METADATA_BYTES = 16 << 20  # a STEM.json (this package's are 1-10 kB: reports, a config)


def load_state_dict(path: Path, key: str | None = None, model: torch.nn.Module | None = None) -> dict:
    """Read a state dict (under `key` if given) with `weights_only=True`.

    With `model`, check that keys and shapes match it exactly, naming the first
    offending keys, so that `model.load_state_dict(..., strict=True)` cannot fail.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        # Training scripts (rosinality's among them) also save their argparse options.
        with torch.serialization.safe_globals([argparse.Namespace]):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for truncated or foreign files
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(err).__name__}: {err})") from err
    if key is not None:
        if not isinstance(state, dict) or key not in state:
            found = list(state)[:5] if isinstance(state, dict) else type(state).__name__
            raise CheckpointError(f"checkpoint {path} has no '{key}' entry (found {found})")
        state = state[key]
    if model is not None:
        check_fits(state, model, path)
    return state


def check_fits(state: dict, model: torch.nn.Module, path: Path) -> None:
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} is not a state dict (found {type(state).__name__})")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong_shape = [
        f"{k} {shape_of(state[k])} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and shape_of(state[k]) != tuple(v.shape)
    ]
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)):
        if keys:
            problems.append(f"{label}: {', '.join(keys[:3])}" + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else ""))
    if problems:
        raise CheckpointError(f"checkpoint {path} does not fit {type(model).__name__}: " + "; ".join(problems))


def shape_of(value) -> tuple | str:
    """A tensor's shape; the type's name of anything else a weights-only file may hold."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__


# A trained network of this package: STEM.pt (a plain state dict) with STEM.json beside it.


def stem_paths(stem: str | Path) -> tuple[Path, Path]:
    """STEM.pt and STEM.json (a STEM given as STEM.pt or STEM.json names the same pair)."""
    stem = Path(stem)
    if stem.suffix in (".pt", ".json"):
        stem = stem.with_suffix("")
    checkpoint = stem.parent / f"{stem.name}.pt"
    return checkpoint, sidecar(checkpoint)


def save_with_metadata(network: torch.nn.Module, stem: str | Path, meta: dict) -> Path:
    """Write STEM.pt (the state dict, on the CPU) and STEM.json (`meta`), each atomically; return STEM.pt."""
    from .artifacts import atomic_path

    checkpoint, meta_path = stem_paths(stem)
    with atomic_path(checkpoint) as tmp:
        torch.save({key: value.detach().cpu().contiguous() for key, value in network.state_dict().items()}, tmp)
    with atomic_path(meta_path) as tmp:
        tmp.write_text(json.dumps(meta, indent=2))
    return checkpoint


def read_metadata(stem: str | Path, schema: dict, what: str) -> tuple[Path, Path, dict]:
    """(STEM.pt, STEM.json, its metadata checked against `schema`); `what` names the network in errors."""
    checkpoint, meta_path = stem_paths(stem)
    return checkpoint, meta_path, read_sidecar(checkpoint, schema, what)


def read_sidecar(checkpoint: str | Path, schema: dict, what: str) -> dict:
    """The JSON beside the file `checkpoint` (`sidecar`), checked against `schema` (whose numbers
    must be finite, and whose architecture fields bound the network) before anything is built from it."""
    checkpoint, meta_path = Path(checkpoint), sidecar(checkpoint)
    if not checkpoint.is_file():
        raise CheckpointError(f"{what} checkpoint not found: {checkpoint}")
    if not meta_path.is_file():
        raise CheckpointError(f"{what} metadata not found: {meta_path} (expected beside {checkpoint})")
    try:
        if meta_path.stat().st_size > MAX_METADATA_BYTES:
            raise ValueError(f"{meta_path.stat().st_size:,} bytes, more than {MAX_METADATA_BYTES:,}")
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError, RecursionError) as err:
        raise CheckpointError(
            f"{what} metadata {meta_path} cannot be read as JSON ({' '.join(str(err).split())})"
        ) from err
    error = schema_error(schema, meta)
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "top level"
        raise CheckpointError(f"{what} metadata {meta_path}: {where}: {error.message}")
    return meta


def build_checked(build, checkpoint: Path) -> torch.nn.Module:
    """`build()` holding the weights of `checkpoint`. It is built on the meta device first, and for
    real only once the checkpoint's keys and shapes fit it: an architecture declared beside a
    checkpoint cannot allocate more than the checkpoint holds."""
    with torch.device("meta"):
        skeleton = build()
    try:
        state = load_state_dict(checkpoint, model=skeleton)
    except CheckpointError as err:  # torch's reasons span lines
        raise CheckpointError(" ".join(str(err).split())) from err
    network = build()
    network.load_state_dict(state)
    return network


def stem_outputs(stem: str, *suffixes: str) -> list[str]:
    """The files an output stem names: STEM.pt and STEM.json (`stem_paths`), then STEM + each suffix."""
    pt, meta = stem_paths(stem)
    return [str(pt), str(meta)] + [str(pt.with_suffix("")) + suffix for suffix in suffixes]


def check_stem_out(stem: str, inputs: dict, *suffixes: str) -> None:
    """`check_out` of each file that the output stem names (`stem_outputs`)."""
    for path in stem_outputs(stem, *suffixes):
        check_out(path, inputs)


def checkpoint_files(stem: str | None) -> list[str]:
    """An input checkpoint's files, STEM.pt and its STEM.json (none for None)."""
    return stem_outputs(stem) if stem else []

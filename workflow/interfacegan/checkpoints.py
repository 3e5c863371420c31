"""Loading checkpoints with one clear error per way they can be wrong."""

import argparse
import json
from pathlib import Path

import jsonschema
import torch

from .artifacts import CheckpointError  # noqa: F401  (raised here, defined where the CLI can catch it without torch)


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
        f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)):
        if keys:
            problems.append(f"{label}: {', '.join(keys[:3])}" + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else ""))
    if problems:
        raise CheckpointError(
            f"checkpoint {path} does not fit {type(model).__name__}: " + "; ".join(problems)
        )


# A trained network of this package: STEM.pt (a plain state dict) with STEM.json beside it.


def stem_paths(stem: str | Path) -> tuple[Path, Path]:
    """STEM.pt and STEM.json (a STEM given as STEM.pt or STEM.json names the same pair)."""
    stem = Path(stem)
    if stem.suffix in (".pt", ".json"):
        stem = stem.with_suffix("")
    return stem.parent / f"{stem.name}.pt", stem.parent / f"{stem.name}.json"


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
    if not checkpoint.is_file():
        raise CheckpointError(f"{what} checkpoint not found: {checkpoint}")
    if not meta_path.is_file():
        raise CheckpointError(f"{what} metadata not found: {meta_path} (expected beside {checkpoint})")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{what} metadata {meta_path} cannot be read as JSON ({err})") from err
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(meta))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "top level"
        raise CheckpointError(f"{what} metadata {meta_path}: {where}: {error.message}")
    return checkpoint, meta_path, meta

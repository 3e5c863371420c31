"""Loading checkpoints with one clear error per way they can be wrong."""

import argparse
from pathlib import Path

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

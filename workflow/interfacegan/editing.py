"""Codes in, edited codes and images out: `interfacegan edit`, the counterpart of the official
edit.py, with the boundary checked against the codes before anything is made.

A boundary of ours (.h5) knows its space and generator: it must be of the codes' generator and in
their space (W+ codes take a w boundary). A bare vector (.npy) can only be checked for dimension.
"""

import json
from pathlib import Path

import numpy as np
import yaml

from .artifacts import ArtifactError, all_or_nothing, atomic_path, software
from .boundaries import Boundary, read_boundary
from .codes import load_codes
from .config import ConfigError
from .manipulation import interpolate

BARE = "bare vector: checked for dimension only"
CHECKED = "space, generator and dimension checked"


def check_fits(boundary: Boundary, codes: np.ndarray, space: str, generator: str) -> str:
    """What could be checked of `boundary` against codes of `space` made by `generator`
    (CHECKED or BARE); a boundary that does not fit is one line naming both."""
    wanted = "w" if space == "wp" else space
    theirs = f"codes are {space} of {generator}" + (" (W+ codes take a w boundary)" if space == "wp" else "")
    if boundary.space and (boundary.space, boundary.generator) != (wanted, generator):
        raise ArtifactError(f"boundary {boundary.path} is in {boundary.describe()}, {theirs}")
    if len(boundary.normal) != codes.shape[-1]:
        size = f"{len(boundary.normal)}-d, in {boundary.describe()}" if boundary.space else boundary.describe()
        raise ArtifactError(f"boundary {boundary.path} is {size}; {theirs}, {codes.shape[-1]}-d")
    return CHECKED if boundary.space else BARE


def parse_layers(text: str, count: int) -> list[int]:
    """W+ layers from `0-7,12` (numbers and inclusive ranges), each of the `count` that exist."""
    layers = set()
    for item in text.split(","):
        first, dash, last = item.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()) or (dash and int(last) < int(first)):
            raise ConfigError(
                f"--layers {text}: give layer numbers and rising ranges, e.g. 0-7,12 (not {item.strip()!r})"
            )
        layers.update(range(int(first), int(last if dash else first) + 1))
    if max(layers) >= count:
        raise ConfigError(
            f"--layers {text}: layer {max(layers)} does not exist; these W+ codes have {count} layers (0-{count - 1})"
        )
    return sorted(layers)


def edit(
    models,
    boundary_path: str,
    latents_path: str,
    space: str,
    out: str,
    start: float,
    end: float,
    steps: int,
    mode: str,
    layers: str | None = None,
) -> dict:
    """Write folder `out`: codes.npy (n, steps, *code shape) float32, the edited codes that are
    rendered (`manipulation.interpolate`); NNN_KKK.png, sample NNN at step KKK; grid_NNN.png, the
    original (framed) then the steps; edit.json, the provenance (returned)."""
    from .figures import image_grid, save_png

    if steps < 1:
        raise ConfigError(f"--steps must be >= 1, not {steps}")
    if layers is not None and space != "wp":
        raise ConfigError(f"--layers picks W+ layers; --space {space} codes have none (use --space wp)")
    boundary = read_boundary(boundary_path)
    codes = load_codes(latents_path, models, space)
    generator = models.view["generator"]["name"]
    checked = check_fits(boundary, codes, space, generator)
    chosen = parse_layers(layers, codes.shape[1]) if layers is not None else None
    edited = interpolate(codes, boundary.normal, start, end, steps, mode, chosen)
    record = {
        "boundary": str(boundary_path),
        "boundary_space": boundary.space,
        "boundary_generator": boundary.generator,
        "boundary_check": checked,
        "latents": str(latents_path),
        "space": space,
        "generator": generator,
        "samples": len(codes),
        "start": start,
        "end": end,
        "steps": steps,
        "mode": mode,
        "layers": (chosen or "all") if space == "wp" else None,
    } | software()
    out = Path(out)
    per_batch = max(1, models.view["batch_size"] // (steps + 1))  # samples whose originals and steps fill a batch
    with all_or_nothing():
        with atomic_path(out / "codes.npy") as tmp, open(tmp, "wb") as f:
            np.save(f, edited)
        for first in range(0, len(codes), per_batch):
            rows = np.concatenate([codes[first : first + per_batch, None], edited[first : first + per_batch]], axis=1)
            images = models.images(rows.reshape(-1, *codes.shape[1:]), space)
            for i, row in enumerate(images.reshape(*rows.shape[:2], *images.shape[1:]), start=first):
                image_grid(row[None], out / f"grid_{i:03d}.png", marked_column=0)
                for k, image in enumerate(row[1:]):
                    save_png(image, out / f"{i:03d}_{k:03d}.png")
        with atomic_path(out / "edit.json") as tmp:
            tmp.write_text(json.dumps(record, indent=2))
    return record


REPLAY_KEYS = {
    "config": str,
    "latents": str,
    "boundary": str,
    "space": str,
    "start": float,
    "end": float,
    "steps": int,
    "mode": str,
    "layers": (str, type(None)),
}


def read_replay(path: str) -> dict:
    """The options of an edit.yaml (the studio's export), its paths taken relative to its folder."""
    path = Path(path)
    if path.stat().st_size > 64 * 1024:
        raise ConfigError(f"--replay {path} is larger than an edit.yaml (64 KB)")
    try:
        options = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(f"--replay {path} is not a YAML edit ({' '.join(str(err).split())})") from err
    if not isinstance(options, dict) or options.keys() != REPLAY_KEYS.keys():
        raise ConfigError(f"--replay {path} must hold exactly {', '.join(REPLAY_KEYS)}")
    for key, kind in REPLAY_KEYS.items():
        value = options[key]
        value = float(value) if kind is float and isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(value, kind) or isinstance(value, bool) or (kind is float and not np.isfinite(value)):
            raise ConfigError(
                f"--replay {path}: {key} is {options[key]!r}, not a finite {getattr(kind, '__name__', 'text')}"
            )
        options[key] = value
    for key in ("config", "latents", "boundary"):
        options[key] = str(path.parent / options[key])  # an absolute path stays as it is
    return options

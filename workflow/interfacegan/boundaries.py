"""Boundary files in and out: ours (`.h5`, which know their space and generator) and bare vectors
(`.npy` of shape (d,) or (1, d), the official InterFaceGAN layout, which know only their dimension)."""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .artifacts import ArtifactError, all_or_nothing, atomic_path, read_h5, read_npy, software, write_h5
from .manipulation import project

UNIT_TOLERANCE = 1e-3  # the official files are float32 unit vectors; a norm further off is not a boundary
MAX_GRAM_CONDITION = 1e6  # unit conditions whose Gram matrix is worse are near-parallel (cosine > 0.999998)


@dataclass
class Boundary:
    path: Path
    normal: np.ndarray  # (d,) float32, unit
    space: str | None  # None for a bare vector
    generator: str | None
    attrs: dict = field(default_factory=dict)  # what an .h5 records (solver, accuracies, config digest...)

    @property
    def name(self) -> str:
        return self.path.stem

    def describe(self) -> str:
        return f"{self.space} of {self.generator}" if self.space else f"a bare {len(self.normal)}-d vector"


def read_boundary(path: str | Path) -> Boundary:
    """A boundary file, checked: finite, unit, of one of the two layouts."""
    path = Path(path)
    if path.suffix == ".h5":
        content = read_h5(path, "normal")
        attrs = content["attrs"]
        space = attrs.get("space") or (path.parent.name if path.parent.name in ("z", "w", "wp") else None)
        boundary = Boundary(path, np.asarray(content["normal"]), space, attrs.get("generator"), attrs)
    elif path.suffix == ".npy":
        vector = read_npy(path, "boundary")
        if vector.ndim not in (1, 2) or (vector.ndim == 2 and vector.shape[0] != 1):
            raise ArtifactError(f"boundary {path} has shape {vector.shape}; a boundary is (d,) or (1, d)")
        boundary = Boundary(path, vector.ravel(), None, None)
    else:
        raise ArtifactError(f"boundary {path}: expected a .h5 boundary of a run or a .npy vector")
    normal = boundary.normal.astype(np.float64)
    norm = np.linalg.norm(normal)
    if not np.isfinite(normal).all() or abs(norm - 1) > UNIT_TOLERANCE:
        raise ArtifactError(f"boundary {path} is not a finite unit vector (norm {norm:.4g})")
    boundary.normal = (normal / norm).astype(np.float32)
    return boundary


def check_compatible(boundaries: list[Boundary]) -> None:
    """All of one dimension, and (where they say) of one space and generator."""
    first = boundaries[0]
    for other in boundaries[1:]:
        if len(other.normal) != len(first.normal):
            raise ArtifactError(f"boundary {other.path} is {len(other.normal)}-d, {first.path} {len(first.normal)}-d")
        known = [b for b in (first, other) if b.space]
        if len(known) == 2 and (first.space, first.generator) != (other.space, other.generator):
            raise ArtifactError(f"boundary {first.path} is in {first.describe()}, {other.path} in {other.describe()}")


def condition(primal: Boundary, conditions: list[Boundary]) -> np.ndarray:
    """The primal normal made orthogonal to every condition normal (any number of them)."""
    check_compatible([primal, *conditions])
    stacked = np.stack([c.normal for c in conditions]).astype(np.float64)
    if np.linalg.cond(stacked @ stacked.T) > MAX_GRAM_CONDITION:
        raise ArtifactError("the conditions " + ", ".join(str(c.path) for c in conditions) + " are (nearly) parallel")
    try:
        return project(primal.normal, stacked)
    except ValueError as err:
        raise ArtifactError(f"cannot condition {primal.path}: {err}") from err


def write_boundary(path: str | Path, normal: np.ndarray, attrs: dict) -> None:
    """`.npy` in the official layout (1, d) float32, or `.h5` (`normal` (d,)) with `attrs` and provenance."""
    path = Path(path)
    if path.suffix == ".npy":
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, normal.reshape(1, -1).astype(np.float32))
    elif path.suffix == ".h5":
        write_h5(path, {"normal": normal.astype(np.float32)}, software() | attrs)
    else:
        raise ArtifactError(f"--out {path}: write a boundary as .npy (the official layout) or .h5")


def conditioned(primal_path: str, condition_paths: list[str], out: str) -> dict:
    """`interfacegan condition`: write the conditional boundary; its cosine to the primal and residuals."""
    primal, conditions = read_boundary(primal_path), [read_boundary(p) for p in condition_paths]
    normal = condition(primal, conditions)
    residual = np.stack([c.normal for c in conditions]) @ normal
    attrs = {
        "stage": "condition",
        "primal": str(primal.path),
        "conditions": ",".join(str(c.path) for c in conditions),
        "cosine_to_primal": float(normal @ primal.normal),
        "max_abs_residual": float(np.abs(residual).max()),
    }
    attrs |= {"space": primal.space, "generator": primal.generator} if primal.space else {}
    write_boundary(out, normal, attrs)
    return attrs


def cosine_table(paths: list[str]) -> pd.DataFrame:
    """The labelled cosine matrix of boundary files, laid out as `tables/cosine.csv` (named by file stem)."""
    boundaries = [read_boundary(p) for p in paths]
    if len({len(b.normal) for b in boundaries}) > 1:
        check_compatible(boundaries)  # names the first pair that differs in dimension
    names = [b.name for b in boundaries]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ArtifactError(f"boundaries named {', '.join(twice)} more than once: the table's labels are file stems")
    normals = np.stack([b.normal for b in boundaries]).astype(np.float64)
    frame = pd.DataFrame(normals @ normals.T, index=pd.Index(names, name="boundary"), columns=names)
    frame.insert(0, "space", [b.space or "" for b in boundaries])
    return frame.reset_index().set_index(["space", "boundary"])


def official_name(boundary: Boundary) -> str:
    """The official file name of a run's boundary: age_boundary.npy in z, age_w_boundary.npy in w,
    age_c_gender_boundary.npy for a conditional one (without the official generator_dataset_ prefix)."""
    return f"{boundary.name}{'' if boundary.space == 'z' else '_' + boundary.space}_boundary.npy"


def export_boundaries(run_dir: str, out: str) -> dict:
    """`interfacegan export-boundaries`: every boundary of a run (boundaries/<space>/<name>.h5), read
    and checked, as an official-layout .npy in folder `out`, and boundaries.json with what each .h5
    records (generator, space, solver, accuracies, config digest...; not the config itself). Returns
    boundaries.json's content."""
    boundaries = [read_boundary(path) for path in sorted(Path(run_dir).glob("boundaries/*/*.h5"))]
    if not boundaries:
        raise ArtifactError(
            f"{run_dir} holds no boundaries (boundaries/<space>/<name>.h5): name a run's folder, results/<run>, after its boundary stage"
        )
    files = {official_name(b): {"source": str(b.path.relative_to(run_dir))} | json_attrs(b.attrs) for b in boundaries}
    record = {"run": Path(run_dir).resolve().name, "boundaries": files, "exported_with": software()}
    with all_or_nothing():
        for name, boundary in zip(files, boundaries):
            write_boundary(Path(out) / name, boundary.normal, {})
        with atomic_path(Path(out) / "boundaries.json") as tmp:
            tmp.write_text(json.dumps(record, indent=2))
    return record


def json_attrs(attrs: dict) -> dict:
    """HDF5 attributes as JSON values (NaN as null), without the recorded config (its digest stays)."""
    plain = {
        key: value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value
        for key, value in attrs.items()
        if key != "config"
    }
    return {key: None if isinstance(value, float) and math.isnan(value) else value for key, value in plain.items()}

"""Conditional boundaries: a primal normal made orthogonal to its condition normals."""

import numpy as np

from ..artifacts import provenance, read_h5, write_h5
from ..config import ConfigError, conditional_name
from ..layout import Layout
from ..manipulation import project


def run(view: dict, name: str, space: str, layout: Layout) -> None:
    matches = [c for c in view["conditions"] if conditional_name(c["primal"], c["conditions"]) == name]
    if not matches:
        raise ConfigError(f"config: conditions: no conditional boundary named '{name}'")
    primal, conditions = matches[0]["primal"], matches[0]["conditions"]
    p = read_h5(layout.boundary(primal, space), "normal")["normal"]
    c = np.stack([read_h5(layout.boundary(cond, space), "normal")["normal"] for cond in conditions])
    normal = project(p, c)
    attrs = provenance(view, "conditional") | {
        "primal": primal,
        "conditions": ",".join(conditions),
        "space": space,
        "cosine_to_primal": float(normal @ p),
        "max_abs_residual": float(np.abs(c @ normal).max()),
    }
    write_h5(layout.boundary(name, space), {"normal": normal, "residual": (c @ normal).astype(np.float32)}, attrs)

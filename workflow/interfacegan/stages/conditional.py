"""Conditional boundaries: a primal normal made orthogonal to its condition normals."""

import numpy as np

from ..artifacts import provenance, write_h5
from ..layout import Layout
from ..manipulation import project
from ..pipeline import conditions_of
from .boundary import read_boundary


def run(view: dict, boundary: str, space: str, layout: Layout) -> None:
    primal, *conditions = conditions_of(view, boundary)
    p, *c = (read_boundary(view, layout, b, space, "normal")["normal"] for b in [primal, *conditions])
    c = np.stack(c)
    normal = project(p, c)
    attrs = provenance(view, "conditional_boundary") | {
        "boundary": boundary,
        "primal": primal,
        "conditions": ",".join(conditions),
        "space": space,
        "cosine_to_primal": float(normal @ p),
        "max_abs_residual": float(np.abs(c @ normal).max()),
    }
    write_h5(layout.boundary(boundary, space), {"normal": normal, "residual": (c @ normal).astype(np.float32)}, attrs)

"""Using boundaries: conditional projection and latent-code interpolation."""

import numpy as np


def project(primal: np.ndarray, conditions: np.ndarray) -> np.ndarray:
    """The unit direction of `primal` orthogonal to every row of `conditions`.

    Solves the k x k Gram system C C^T x = C p and returns (p - x^T C) / |...|; the
    official closed forms for one and two conditions are the cases k = 1, 2 (without
    their 1e-8 guard, which only matters for parallel conditions, an error here).
    """
    primal = np.asarray(primal, dtype=np.float64).ravel()
    conditions = np.atleast_2d(np.asarray(conditions, dtype=np.float64))
    gram = conditions @ conditions.T
    if np.linalg.matrix_rank(gram) < len(gram):
        raise ValueError("the condition boundaries are linearly dependent")
    direction = primal - np.linalg.solve(gram, conditions @ primal) @ conditions
    norm = np.linalg.norm(direction)
    if norm < 1e-6:
        raise ValueError("the primal boundary lies in the span of its conditions")
    return (direction / norm).astype(np.float32)


def interpolate(
    codes: np.ndarray,
    normal: np.ndarray,
    start: float,
    end: float,
    steps: int,
    mode: str,
    layers: list[int] | None = None,
) -> np.ndarray:
    """Edited copies of each code, shape (n, steps, *code_shape).

    mode "distance" (the official `linear_interpolate`): for a 2-D code each step puts
    the sample at signed distance d from the hyperplane through the origin,
    code + (d - code.n) n; a 3-D (W+) code gets d n added to every layer, or to `layers` only.
    mode "offset": code + a n for a in linspace(start, end, steps) (z + a n of the paper).
    """
    codes = np.asarray(codes, dtype=np.float32)
    normal = np.asarray(normal, dtype=np.float32).ravel()
    amounts = np.linspace(start, end, steps, dtype=np.float32)
    shape = (len(codes), steps) + (1,) * (codes.ndim - 1)
    if mode == "distance" and codes.ndim == 2:
        amounts = amounts[None, :] - (codes @ normal)[:, None]
    elif mode not in ("distance", "offset"):
        raise ValueError(f"unknown interpolation mode {mode!r}")
    if layers is not None:
        if codes.ndim != 3 or max(layers) >= codes.shape[1]:
            raise ValueError(
                f"layers {layers} need W+ codes with more than {max(layers)} layers, not shape {codes.shape[1:]}"
            )
        normal = np.zeros((codes.shape[1], 1), np.float32) + normal
        normal[np.setdiff1d(np.arange(codes.shape[1]), layers)] = 0
    return codes[:, None] + np.broadcast_to(amounts, shape[:2]).reshape(shape) * normal

"""Linear classifiers whose unit normal is the semantic boundary."""

import time
from dataclasses import dataclass

import numpy as np

# Relative ridges that fit_lda's leave-one-out choice tries: 5 per decade. At 1e3 the
# direction is the difference of the class means to within ~1e-3 (the nearest-centroid limit).
RIDGES = np.logspace(-6, 3, 46)


@dataclass
class Hyperplane:
    """normal . x + intercept = 0, with a unit normal pointing to label 1; ridge: lda's
    relative ridge (chosen or given), None for other solvers."""

    normal: np.ndarray
    intercept: float
    seconds: float
    ridge: float | None = None

    def decide(self, x: np.ndarray) -> np.ndarray:
        return (x @ self.normal + self.intercept > 0).astype(np.int8)

    def accuracy(self, x: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.decide(x) == labels)) if len(labels) else float("nan")


class RidgePath:
    """Ridge regression of centred +-1 targets on centred codes (the intercept is not
    penalised) for any ridge, from one eigendecomposition of the smaller of the d x d
    scatter and the n x n Gram matrix. With X the centred codes and l the absolute ridge:
        X (X'X + l I)^-1 X' = proj diag(gain / (s + l)) proj'
          (X'X + l I)^-1 X' = basis diag(1 / (s + l)) proj'
    (d <= n: X'X = V diag(s) V', proj = X V, basis = V, gain = 1;
     d > n:  X X' = U diag(s) U', proj = U, basis = X' U, gain = s)."""

    def __init__(self, x: np.ndarray, labels: np.ndarray):
        x = np.asarray(x, dtype=np.float64)
        target = np.where(labels == 1, 1.0, -1.0)
        self.mean, self.target_mean = x.mean(axis=0), target.mean()
        centred, self.target = x - self.mean, target - self.target_mean
        n, d = centred.shape
        s, vectors = np.linalg.eigh(centred.T @ centred if d <= n else centred @ centred.T)
        self.s = np.maximum(s, 0)  # rounding can leave null eigenvalues slightly negative
        if not self.s.sum() > 0:
            raise ValueError("the training codes do not vary: no direction to fit")
        if d <= n:
            self.proj, self.basis, self.gain = centred @ vectors, vectors, np.ones(d)
        else:
            self.proj, self.basis, self.gain = vectors, centred.T @ vectors, self.s
        self.scale = self.s.sum() / d  # trace(scatter) / d: a relative ridge's unit
        self.coef = self.proj.T @ self.target

    def loo_error(self, ridges: np.ndarray) -> np.ndarray:
        """Mean squared leave-one-out residual for each relative ridge, in closed form:
        e_i / (1 - h_ii), with e the residuals of the fit on all n and the leverage
        h_ii = 1/n + x_i' (X'X + l I)^-1 x_i (the 1/n is the unpenalised intercept's)."""
        shrink = self.gain[:, None] / (self.s[:, None] + self.scale * np.atleast_1d(ridges))
        residual = self.target[:, None] - self.proj @ (shrink * self.coef[:, None])
        leverage = 1 / len(self.proj) + (self.proj**2) @ shrink
        return np.mean((residual / (1 - leverage)) ** 2, axis=0)

    def plane(self, ridge: float, start: float) -> "Hyperplane":
        weights = self.basis @ (self.coef / (self.s + self.scale * ridge))
        return unit(weights, self.target_mean - self.mean @ weights, time.perf_counter() - start, float(ridge))


def fit_lda(x: np.ndarray, labels: np.ndarray, ridge: float | None = None) -> Hyperplane:
    """Fisher's discriminant in closed form: least squares on +-1 labels, ridge-regularised.

    For two classes the least-squares direction is the LDA direction. The ridge is
    `ridge` times trace(scatter) / d, or, when None, the one of RIDGES with the lowest
    leave-one-out squared error on the +-1 targets.
    """
    # Squared error, not LOO misclassification (flat, a tie-break's argmin): bench/RESULTS.md, "boundary".
    start = time.perf_counter()
    path = RidgePath(x, labels)
    if ridge is None:
        ridge = RIDGES[np.argmin(path.loo_error(RIDGES))]
    return path.plane(ridge, start)


def fit_svc(x: np.ndarray, labels: np.ndarray, c: float = 1.0) -> Hyperplane:
    """The official solver: sklearn SVC with a linear kernel."""
    from sklearn.svm import SVC  # imported here: a second to load, and only this solver needs it

    start = time.perf_counter()
    model = SVC(kernel="linear", C=c).fit(x, labels)
    return unit(model.coef_.ravel(), float(model.intercept_[0]), time.perf_counter() - start)


def unit(weights: np.ndarray, intercept: float, seconds: float, ridge: float | None = None) -> Hyperplane:
    norm = np.linalg.norm(weights)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("the classifier found no direction (are both labels present and distinct?)")
    return Hyperplane((weights / norm).astype(np.float32), float(intercept / norm), seconds, ridge)


def fit(solver: str, x: np.ndarray, labels: np.ndarray, options: dict) -> Hyperplane:
    if solver == "lda":
        return fit_lda(x, labels, options["ridge"])
    if solver == "svc":
        return fit_svc(x, labels, options["svc_c"])
    raise ValueError(f"unknown solver {solver!r}")

"""Linear classifiers whose unit normal is the semantic boundary."""

import time
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve


@dataclass
class Hyperplane:
    """normal . x + intercept = 0, with a unit normal pointing to label 1."""

    normal: np.ndarray
    intercept: float
    seconds: float

    def decide(self, x: np.ndarray) -> np.ndarray:
        return (x @ self.normal + self.intercept > 0).astype(np.int8)

    def accuracy(self, x: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.decide(x) == labels)) if len(labels) else float("nan")


def fit_lda(x: np.ndarray, labels: np.ndarray, ridge: float = 1e-3) -> Hyperplane:
    """Fisher's discriminant in closed form: least squares on +-1 labels, ridge-regularised.

    For two classes the least-squares direction is the LDA direction; the ridge is
    `ridge` times the mean feature variance. One Cholesky solve of the d x d scatter.
    """
    start = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    target = np.where(labels == 1, 1.0, -1.0)
    mean = x.mean(axis=0)
    centred = x - mean
    scatter = centred.T @ centred
    if not np.trace(scatter) > 0:
        raise ValueError("the training codes do not vary: no direction to fit")
    scatter[np.diag_indices_from(scatter)] += ridge * np.trace(scatter) / len(scatter)
    weights = cho_solve(cho_factor(scatter), centred.T @ (target - target.mean()))
    intercept = target.mean() - mean @ weights
    return unit(weights, intercept, time.perf_counter() - start)


def fit_svc(x: np.ndarray, labels: np.ndarray, c: float = 1.0) -> Hyperplane:
    """The official solver: sklearn SVC with a linear kernel."""
    from sklearn.svm import SVC  # imported here: a second to load, and only this solver needs it

    start = time.perf_counter()
    model = SVC(kernel="linear", C=c).fit(x, labels)
    return unit(model.coef_.ravel(), float(model.intercept_[0]), time.perf_counter() - start)


def unit(weights: np.ndarray, intercept: float, seconds: float) -> Hyperplane:
    norm = np.linalg.norm(weights)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError("the classifier found no direction (are both labels present and distinct?)")
    return Hyperplane((weights / norm).astype(np.float32), float(intercept / norm), seconds)


def fit(solver: str, x: np.ndarray, labels: np.ndarray, options: dict) -> Hyperplane:
    if solver == "lda":
        return fit_lda(x, labels, options["ridge"])
    if solver == "svc":
        return fit_svc(x, labels, options["svc_c"])
    raise ValueError(f"unknown solver {solver!r}")

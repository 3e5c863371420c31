import numpy as np
import pytest
from sklearn.svm import SVC

from interfacegan.generators.planted import planted_normals
from interfacegan.solvers import fit_lda, fit_svc
from interfacegan.stages.select import select


@pytest.fixture(scope="module")
def planted_problem():
    """Top/bottom 5 % of 20,000 planted scores in d = 64, split 70/30."""
    rng = np.random.default_rng(0)
    normal = planted_normals(["a"], 64, [], seed=3)[0]
    z = rng.standard_normal((20_000, 64)).astype(np.float32)
    scores = z @ normal + 0.3 * rng.standard_normal(20_000)
    s = select(scores, 0.05, 0.7, None, np.random.default_rng(1))
    return normal, z[s.train_index], s.train_label, z[s.val_index], s.val_label


@pytest.mark.parametrize("fit", [fit_lda, fit_svc])
def test_both_solvers_recover_the_planted_normal(planted_problem, fit):
    normal, x, y, x_val, y_val = planted_problem
    plane = fit(x, y)
    assert plane.normal.dtype == np.float32 and abs(np.linalg.norm(plane.normal) - 1) < 1e-6
    assert plane.normal @ normal > 0.97
    decision = x @ plane.normal + plane.intercept
    assert decision[y == 1].mean() > 0 > decision[y == 0].mean()


def test_the_fast_solver_is_at_least_as_accurate_as_svc(planted_problem):
    normal, x, y, x_val, y_val = planted_problem
    lda, svc = fit_lda(x, y), fit_svc(x, y)
    assert lda.accuracy(x_val, y_val) >= svc.accuracy(x_val, y_val) - 0.01
    assert lda.normal @ normal >= svc.normal @ normal - 0.01


def test_svc_decisions_match_sklearn(planted_problem):
    _, x, y, x_val, _ = planted_problem
    plane = fit_svc(x, y)
    assert np.mean(plane.decide(x_val) == SVC(kernel="linear", C=1.0).fit(x, y).predict(x_val)) > 0.999


def test_lda_is_fishers_direction():
    rng = np.random.default_rng(5)
    covariance = np.diag([4.0, 1.0, 0.25])
    x0 = rng.multivariate_normal([0, 0, 0], covariance, 5000)
    x1 = rng.multivariate_normal([1, 1, 1], covariance, 5000)
    x, y = np.vstack([x0, x1]), np.r_[np.zeros(5000), np.ones(5000)].astype(np.int8)
    within = (np.cov(x0.T) + np.cov(x1.T)) / 2
    fisher = np.linalg.solve(within, x1.mean(0) - x0.mean(0))
    assert fit_lda(x, y, ridge=0).normal @ (fisher / np.linalg.norm(fisher)) > 0.9999


def test_one_class_is_a_clear_error():
    x = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match="no direction"):
        fit_lda(x, np.ones(50, np.int8))

import numpy as np
import pytest
import torch
from sklearn.svm import SVC

from interfacegan.generators.planted import PlantedGenerator
from interfacegan.solvers import fit_lda, fit_svc
from interfacegan.stages.select import select


@pytest.fixture(scope="module")
def planted():
    """Top/bottom 5 % of 20,000 planted scores in d = 64 (linear part + nonlinear noise), split 70/30."""
    world = PlantedGenerator(attributes=["smile"], latent_dim=64, noise=0.3)
    z = np.random.default_rng(0).standard_normal((20_000, 64)).astype(np.float32)
    scores = world.true_scores(torch.from_numpy(z))[:, 0].numpy()
    s = select(scores, 0.05, 0.7, None, np.random.default_rng(1))
    return world.normals[0].numpy(), z[s.train_index], s.train_label, z[s.val_index], s.val_label


@pytest.fixture(scope="module")
def planes(planted):
    _, x, y, _, _ = planted
    return {"lda": fit_lda(x, y), "svc": fit_svc(x, y)}


@pytest.mark.parametrize("solver", ["lda", "svc"])
def test_both_solvers_recover_the_planted_normal(planted, planes, solver):
    truth, x, y, _, _ = planted
    plane = planes[solver]
    assert plane.normal.dtype == np.float32 and abs(np.linalg.norm(plane.normal) - 1) < 1e-6
    assert plane.normal @ truth >= 0.97
    decision = x @ plane.normal + plane.intercept
    assert decision[y == 1].mean() > 0 > decision[y == 0].mean()


def test_the_fast_solver_is_as_accurate_as_svc(planted, planes):
    _, _, _, x_val, y_val = planted
    assert planes["lda"].accuracy(x_val, y_val) >= planes["svc"].accuracy(x_val, y_val) - 0.01


def test_svc_intercept_matches_sklearn(planted, planes):
    _, x, y, x_val, _ = planted
    both = np.vstack([x, x_val])
    ours, theirs = planes["svc"].decide(both), SVC(kernel="linear", C=1.0).fit(x, y).predict(both)
    assert np.mean(ours == theirs) >= 0.999


def test_lda_is_fishers_direction():
    """Classes differ along axis 0 only; the correlated, anisotropic within-class covariance
    turns the Fisher direction away from that axis."""
    rng = np.random.default_rng(5)
    root = rng.standard_normal((4, 4)) * [3.0, 1.0, 0.5, 0.1]
    x0 = rng.standard_normal((3000, 4)) @ root.T
    x1 = rng.standard_normal((2000, 4)) @ root.T + [1.0, 0, 0, 0]
    x, y = np.vstack([x0, x1]), np.r_[np.zeros(3000), np.ones(2000)].astype(np.int8)
    within = sum((c - c.mean(0)).T @ (c - c.mean(0)) for c in (x0, x1))
    fisher = np.linalg.solve(within, x1.mean(0) - x0.mean(0))
    fisher /= np.linalg.norm(fisher)
    assert abs(fisher[0]) < 0.9  # not the mean difference: the test can tell them apart
    assert fit_lda(x, y, ridge=0).normal @ fisher > 0.999


@pytest.mark.parametrize("fit", [fit_lda, fit_svc])
def test_one_class_is_a_clear_error(fit):
    x = np.random.default_rng(0).standard_normal((50, 4))
    with pytest.raises(ValueError, match="no direction|number of classes"):
        fit(x, np.ones(50, np.int8))


@pytest.mark.parametrize("fit", [fit_lda, fit_svc])
def test_identical_rows_are_a_clear_error(fit):
    with pytest.raises(ValueError, match="no direction"):
        fit(np.ones((50, 4)), np.r_[np.ones(25), np.zeros(25)].astype(np.int8))

import numpy as np
import pytest
import torch
from sklearn.svm import SVC

from interfacegan.generators.planted import PlantedGenerator
from interfacegan.solvers import RIDGES, RidgePath, fit, fit_lda, fit_svc
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


@pytest.mark.parametrize("n, d", [(30, 5), (12, 20)])  # the d x d scatter's path and the n x n Gram's
def test_closed_form_loo_matches_refitting_n_times(n, d):
    """Each fold refits from scratch: its own means (the intercept), the same absolute ridge.
    Tolerance 1e-8 relative: both sides are float64 with conditioning at most ~1e6 here
    (relative ridge >= 1e-4); they agree to 4e-12 (measured), while a leverage without
    the intercept's 1/n is off by 8 % (d < n) and 100 % (d > n)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, d)) * rng.uniform(0.2, 3, d) + 5
    y = (x[:, 0] + rng.standard_normal(n) > 5).astype(np.int8)
    target = np.where(y == 1, 1.0, -1.0)
    ridges = np.array([1e-4, 1e-1, 10.0])
    scale = ((x - x.mean(0)) ** 2).sum() / d
    brute = []
    for ridge in ridges:
        errors = []
        for i in range(n):
            keep = np.arange(n) != i
            mean, target_mean = x[keep].mean(0), target[keep].mean()
            centred = x[keep] - mean
            w = np.linalg.solve(
                centred.T @ centred + ridge * scale * np.eye(d), centred.T @ (target[keep] - target_mean)
            )
            errors.append((target[i] - target_mean - (x[i] - mean) @ w) ** 2)
        brute.append(np.mean(errors))
    np.testing.assert_allclose(RidgePath(x, y).loo_error(ridges), brute, rtol=1e-8)


def test_the_chosen_ridge_is_the_loo_minimum_and_is_reported(planted, planes):
    _, x, y, _, _ = planted
    assert planes["lda"].ridge == RIDGES[np.argmin(RidgePath(x, y).loo_error(RIDGES))]
    assert fit("lda", x, y, {"ridge": None}).ridge == planes["lda"].ridge
    assert fit_lda(x, y, 0.5).ridge == 0.5 and planes["svc"].ridge is None


@pytest.fixture(scope="module")
def square():
    """2 x 280 training samples in d = 512 (n_train ~ d), noise 1 and the top/bottom 20 %,
    so that classes overlap and accuracies are not all 1, for seeds 0 and 1; validated on
    16,000 fresh samples of the same tails (the selection's own 240 are too few to rank
    solvers 1 % apart)."""
    world = PlantedGenerator(attributes=["smile"], latent_dim=512, noise=1.0)

    def tails(n, seed, split):
        z = np.random.default_rng(seed).standard_normal((n, 512)).astype(np.float32)
        s = select(world.true_scores(torch.from_numpy(z))[:, 0].numpy(), 0.2, split, None, np.random.default_rng(seed))
        return z[s.train_index], s.train_label

    x_val, y_val = tails(40_000, 99, 1.0)
    runs = []
    for seed in (0, 1):
        x, y = tails(2000, seed, 0.7)
        runs.append({"lda": fit_lda(x, y), "svc": fit_svc(x, y), "fixed": fit_lda(x, y, 1e-3)})
    return world.normals[0].numpy(), x_val, y_val, runs


@pytest.mark.parametrize("seed", [0, 1])
def test_at_n_near_d_lda_beats_svc(square, seed):
    """Measured (accuracy / cosine to the planted normal), seed 0: lda 0.801 / 0.729,
    svc 0.781 / 0.691; seed 1: 0.814 / 0.750 and 0.793 / 0.710 (over seeds 0-7 lda leads
    by 0.008-0.021 and 0.02-0.04). The old fixed ridge 1e-3: 0.64 / 0.35-0.36, failing both."""
    truth, x_val, y_val, runs = square
    lda, svc = runs[seed]["lda"], runs[seed]["svc"]
    assert lda.accuracy(x_val, y_val) >= svc.accuracy(x_val, y_val) + 0.003
    assert lda.normal @ truth >= max(svc.normal @ truth + 0.01, 0.7)
    fixed = runs[seed]["fixed"]
    assert fixed.accuracy(x_val, y_val) < svc.accuracy(x_val, y_val) and fixed.normal @ truth < 0.7  # the test can fail


def test_the_data_decides_the_ridge():
    """Gaussian classes 2 Mahalanobis units apart with a shared anisotropic covariance whose
    Fisher direction is nearly orthogonal to the mean difference (a ridge of 1 gives cosine
    0.04 to it): with n = 2 d the LOO picks a strong ridge (measured 1.0), with n = 1000 d
    the weakest of the grid (1e-6: the LOO error rises at every step, by >= 9e-5 relative,
    far above rounding) and Fisher's direction (cosine 0.99999)."""
    d, rng = 20, np.random.default_rng(5)
    root = rng.standard_normal((d, d)) * np.geomspace(3, 0.3, d)
    u = rng.standard_normal(d)
    shift = 2 * root @ u / np.linalg.norm(u)
    fisher = np.linalg.solve(root @ root.T, shift)
    fisher /= np.linalg.norm(fisher)
    chosen = {}
    for n in (2 * d, 1000 * d):
        x, y = rng.standard_normal((n, d)) @ root.T, (np.arange(n) % 2).astype(np.int8)
        x[y == 1] += shift
        chosen[n] = fit_lda(x, y)
    assert chosen[2 * d].ridge >= 0.1 and chosen[1000 * d].ridge <= 1e-4
    assert chosen[1000 * d].normal @ fisher > 0.999

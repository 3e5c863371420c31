"""The official InterFaceGAN formulas, restated literally from shared/docs/official-facts.md
(not from our code), and our code checked against them on the same inputs."""

import numpy as np
import pytest
import torch
from sklearn.svm import SVC

from interfacegan.images import to_uint8
from interfacegan.manipulation import interpolate, project
from interfacegan.solvers import fit_svc
from interfacegan.stages.select import select


def official_svc_normal(train_data, train_label):
    """Steps 5-6: SVC(kernel='linear'), C = 1.0; boundary = coef_ / |coef_| as float32 (1, d)."""
    boundary = SVC(kernel="linear").fit(train_data, train_label).coef_.reshape(1, -1).astype(np.float32)
    return boundary / np.linalg.norm(boundary)


def official_train_boundary(latent_codes, scores, chosen_num_or_ratio, split_ratio, invalid_value):
    """train_boundary step by step, also returning the original index of every set.

    The official shuffles with the global np.random; a RandomState stands in for it here
    (a different generator from ours: compare sets and sizes, not order).
    """
    index = np.arange(len(scores))
    if invalid_value is not None:
        keep = scores != invalid_value  # a Python float against float32: NumPy compares in float32
        latent_codes, scores, index = latent_codes[keep], scores[keep], index[keep]
    order = np.argsort(scores)[::-1]  # full descending sort
    latent_codes, scores, index = latent_codes[order], scores[order], index[order]
    n = len(scores)
    r = chosen_num_or_ratio
    chosen = min(int(n * r) if 0 < r <= 1 else int(r), n // 2)
    train_num = int(chosen * split_ratio)
    positive, negative = np.arange(chosen), np.arange(n - chosen, n)
    shuffle = np.random.RandomState(0).shuffle
    shuffle(positive)
    shuffle(negative)
    train = np.concatenate([positive[:train_num], negative[:train_num]])
    train_label = np.concatenate([np.ones(train_num, int), np.zeros(train_num, int)])
    threshold = (scores[0] + scores[-1]) / 2
    remaining_label = np.ones(n - 2 * chosen, int)
    remaining_label[scores[chosen : n - chosen] < threshold] = 0
    return {
        "boundary": official_svc_normal(latent_codes[train], train_label),
        "positives": index[positive],
        "negatives": index[negative],
        "train": index[train],
        "val": index[np.concatenate([positive[train_num:], negative[train_num:]])],
        "remaining": index[chosen : n - chosen],
        "remaining_label": remaining_label,
        "threshold": threshold,
    }


def official_project_boundary(primal, *conditions):
    """project_boundary on (1, d) unit vectors: the closed forms for one and two conditions, else the solve."""
    if len(conditions) == 1:
        (c,) = conditions
        new = primal - primal.dot(c.T) * c
    elif len(conditions) == 2:
        c1, c2 = conditions
        p1, p2, c1c2 = primal.dot(c1.T), primal.dot(c2.T), c1.dot(c2.T)
        alpha = (p1 - p2 * c1c2) / (1 - c1c2**2 + 1e-8)
        beta = (p2 - p1 * c1c2) / (1 - c1c2**2 + 1e-8)
        new = primal - alpha * c1 - beta * c2
    else:
        cond = np.concatenate(conditions)
        x = np.linalg.solve(cond @ cond.T, cond @ primal.T)
        new = primal - x.T @ cond
    return new / np.linalg.norm(new)


def official_linear_interpolate(code, boundary, start=-3.0, end=3.0, steps=10):
    """linear_interpolate: a (1, d) code to each signed distance d_i; a W+ code (1, layers, d) + d_i n."""
    distances = np.linspace(start, end, steps)
    if code.ndim == 2:
        return code + (distances[:, None] - code @ boundary.T) * boundary
    return code + distances[:, None, None] * boundary[None]


def official_uint8(images):
    """(x + 1) * 127.5 + 0.5, clipped to [0, 255], cast to uint8, NCHW -> NHWC."""
    return np.clip((images + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)


def unit_rows(x):
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def planted():
    """float32 codes (3000, 16) and scores linear in them plus noise, as a predictor's would be."""
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((3000, 16)).astype(np.float32)
    scores = (codes @ unit_rows(rng.standard_normal(16)) + 0.5 * rng.standard_normal(3000)).astype(np.float32)
    return codes, scores


@pytest.mark.parametrize("invalid_value", [None, 0.1])
def test_selection_matches_the_official_sets_threshold_and_labels(planted, invalid_value):
    codes, scores = planted
    scores = scores.copy()
    if invalid_value is not None:
        scores[::20] = np.float32(invalid_value)  # 150 rows the official drops
    official = official_train_boundary(codes, scores, 0.1, 0.7, invalid_value)
    ours = select(scores, 0.1, 0.7, invalid_value, np.random.default_rng(1))

    positives = np.concatenate([ours.train_index[ours.train_label == 1], ours.val_index[ours.val_label == 1]])
    negatives = np.concatenate([ours.train_index[ours.train_label == 0], ours.val_index[ours.val_label == 0]])
    assert len(positives) == len(official["positives"]) and set(positives) == set(official["positives"])
    assert len(negatives) == len(official["negatives"]) and set(negatives) == set(official["negatives"])
    assert len(ours.train_index) == len(official["train"]) and len(ours.val_index) == len(official["val"])
    by_index = np.argsort(official["remaining"])
    np.testing.assert_array_equal(ours.remaining_index, official["remaining"][by_index])
    np.testing.assert_array_equal(ours.remaining_label, official["remaining_label"][by_index])
    assert ours.threshold == official["threshold"]  # the same float32 midpoint
    assert ours.n_valid == (2850 if invalid_value is not None else 3000)


def test_svc_normal_equals_sklearn_on_the_same_split(planted):
    codes, scores = planted
    s = select(scores, 0.1, 0.7, None, np.random.default_rng(1))
    x, y = codes[s.train_index], s.train_label
    ours = fit_svc(x, y).normal
    official = official_svc_normal(x, y).ravel()
    assert ours.dtype == official.dtype == np.float32
    # the same libsvm fit; we normalise in float64 then round, the official rounds then
    # normalises in float32: a few float32 ulps of components below 1 (measured 1.5e-8)
    np.testing.assert_allclose(ours, official, rtol=0, atol=1e-7)


@pytest.fixture(scope="module")
def directions():
    """A primal and four conditions, unit float32 (1, 512), sharing a common part (cosines 0.3-0.5)."""
    rng = np.random.default_rng(2)
    rows = unit_rows(rng.standard_normal((5, 512)) + np.c_[[0.7, 1, 1, 1, 1]] * rng.standard_normal(512))
    return [row[None] for row in rows]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_projection_matches_the_official_forms(directions, k):
    primal, conditions = directions[0], directions[1 : 1 + k]
    # the official forms in float64 from the same float32 inputs; ours rounds its unit
    # result to float32 (< 3e-8 per component) and has no 1e-8 guard (a 1e-8 relative
    # change of alpha, beta): 1e-7 bounds both (measured 7e-9)
    official = official_project_boundary(*(v.astype(np.float64) for v in directions[: 1 + k])).ravel()
    ours = project(primal, np.concatenate(conditions))
    np.testing.assert_allclose(ours, official, rtol=0, atol=1e-7)
    np.testing.assert_allclose(np.concatenate(conditions) @ ours, 0, atol=1e-6)


def test_interpolation_matches_the_official_for_2d_and_3d_codes(directions):
    rng = np.random.default_rng(3)
    normal = directions[0]
    z = unit_rows(rng.standard_normal((4, 512))) * np.float32(np.sqrt(512))
    wp = rng.standard_normal((4, 18, 512)).astype(np.float32)
    for codes in (z, wp):
        ours = interpolate(codes, normal, -3.0, 3.0, 10, "distance")
        official = np.stack(
            [official_linear_interpolate(c[None].astype(np.float64), normal.astype(np.float64)) for c in codes]
        )
        # ours in float32, these in float64: a few roundings of components below 8 (half
        # an ulp 2.4e-7) and, for 2-D codes, the float32 dot product code.n: 2e-6 (measured 1.8e-7)
        assert ours.shape == official.shape == (4, 10) + codes.shape[1:]
        np.testing.assert_allclose(ours, official, rtol=0, atol=2e-6)
    np.testing.assert_allclose(
        interpolate(z, normal, -3.0, 3.0, 10, "distance") @ normal.ravel(),
        np.tile(np.linspace(-3, 3, 10), (4, 1)),
        atol=1e-5,
    )


def test_uint8_equals_the_official_post_processing():
    ties = np.arange(255) + 0.5  # values that land on k.5 before the + 0.5
    x = np.float32(ties / 127.5 - 1)
    values = np.concatenate(
        [
            x,
            np.nextafter(x, np.float32(-2)),
            np.nextafter(x, np.float32(2)),
            np.float32([-1, 0, 1, -3, -1.0000001, 1.0000001, 3]),
        ]
    ).astype(np.float32)
    values = np.concatenate(
        [values, np.random.default_rng(4).uniform(-1.2, 1.2, 4 * 3 * 16 * 16 - len(values)).astype(np.float32)]
    )
    images = values.reshape(4, 3, 16, 16)
    assert (((images + 1) * np.float32(127.5)) % 1 == 0.5).sum() > 10  # exact ties are exercised
    np.testing.assert_array_equal(to_uint8(torch.from_numpy(images)), official_uint8(images))

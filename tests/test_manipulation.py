import numpy as np
import pytest

from interfacegan.manipulation import interpolate, project


def unit(v):
    return v / np.linalg.norm(v)


@pytest.fixture
def normals():
    rng = np.random.default_rng(0)
    return np.stack([unit(rng.standard_normal(32)) for _ in range(5)])


def official_one(p, c):
    n = p - (p @ c) * c
    return n / np.linalg.norm(n)


def official_two(p, c1, c2):
    a = (p @ c1 - (p @ c2) * (c1 @ c2)) / (1 - (c1 @ c2) ** 2 + 1e-8)
    b = (p @ c2 - (p @ c1) * (c1 @ c2)) / (1 - (c1 @ c2) ** 2 + 1e-8)
    n = p - a * c1 - b * c2
    return n / np.linalg.norm(n)


def test_one_and_two_conditions_match_the_official_closed_forms(normals):
    p, c1, c2 = normals[:3]
    np.testing.assert_allclose(project(p, c1), official_one(p, c1), atol=1e-6)
    np.testing.assert_allclose(project(p, np.stack([c1, c2])), official_two(p, c1, c2), atol=1e-6)


def test_k_conditions_give_a_unit_direction_orthogonal_to_all(normals):
    p, conditions = normals[0], normals[1:]
    n = project(p, conditions)
    assert abs(np.linalg.norm(n) - 1) < 1e-6
    np.testing.assert_allclose(conditions @ n, 0, atol=1e-6)
    assert n @ p > 0  # still the primal attribute's direction


def test_dependent_or_spanning_conditions_are_errors(normals):
    with pytest.raises(ValueError, match="linearly dependent"):
        project(normals[0], np.stack([normals[1], normals[1]]))
    with pytest.raises(ValueError, match="span"):
        project(normals[0], np.stack([normals[0], normals[1]]))


def test_distance_mode_places_each_step_at_its_distance(normals):
    z = np.random.default_rng(1).standard_normal((4, 32)).astype(np.float32)
    edited = interpolate(z, normals[0], -3, 3, 10, "distance")
    assert edited.shape == (4, 10, 32)
    np.testing.assert_allclose(edited @ normals[0], np.tile(np.linspace(-3, 3, 10), (4, 1)), atol=1e-5)
    # only the component along the normal changes
    residual = edited - (edited @ normals[0])[..., None] * normals[0]
    np.testing.assert_allclose(
        residual, np.broadcast_to((z - (z @ normals[0])[:, None] * normals[0])[:, None], residual.shape), atol=1e-5
    )


def test_offset_mode_and_w_plus_add_the_step_to_every_layer(normals):
    z = np.random.default_rng(2).standard_normal((3, 32)).astype(np.float32)
    np.testing.assert_allclose(interpolate(z, normals[0], -1, 1, 3, "offset")[:, 1], z, atol=1e-6)
    wp = np.random.default_rng(3).standard_normal((2, 18, 32)).astype(np.float32)
    edited = interpolate(wp, normals[0], -3, 3, 10, "distance")
    assert edited.shape == (2, 10, 18, 32)
    np.testing.assert_allclose(edited[:, -1] - wp, np.broadcast_to(3 * normals[0], wp.shape), atol=1e-5)


def test_w_plus_edits_can_move_chosen_layers_only(normals):
    wp = np.random.default_rng(4).standard_normal((2, 6, 32)).astype(np.float32)
    edited = interpolate(wp, normals[0], -2, 2, 3, "distance", layers=[0, 2])
    np.testing.assert_allclose(
        edited[:, -1, [0, 2]] - wp[:, [0, 2]], np.broadcast_to(2 * normals[0], (2, 2, 32)), atol=1e-6
    )
    np.testing.assert_array_equal(edited[:, :, [1, 3, 4, 5]], np.broadcast_to(wp[:, None, [1, 3, 4, 5]], (2, 3, 4, 32)))
    with pytest.raises(ValueError, match="layers"):
        interpolate(wp, normals[0], -2, 2, 3, "distance", layers=[6])
    with pytest.raises(ValueError, match="layers"):
        interpolate(wp[:, 0], normals[0], -2, 2, 3, "distance", layers=[0])

import numpy as np
import pytest

from interfacegan.stages.select import SelectionError, chosen_count, select, top_k


def official_sides(scores, ratio):
    """The official train_boundary's sides, by a full descending sort."""
    order = np.argsort(-scores, kind="stable")
    chosen = chosen_count(len(scores), ratio)
    return order[:chosen], order[-chosen:], order[chosen:-chosen]


def test_chosen_count_follows_the_official_rule():
    assert chosen_count(500_000, 0.02) == 10_000
    assert chosen_count(1000, 1.0) == 500  # capped at n // 2
    assert chosen_count(1000, 30) == 30  # above 1: a count
    assert chosen_count(1000, 0.0015) == 1


def test_top_k_is_the_sorted_top_with_ties_by_index():
    values = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 0.0])
    np.testing.assert_array_equal(top_k(values, 2), [0, 2])
    np.testing.assert_array_equal(top_k(values, 4), [0, 2, 4, 3])
    rng = np.random.default_rng(0)
    big = rng.standard_normal(100_000)
    np.testing.assert_array_equal(top_k(big, 500), np.argsort(-big)[:500])


def test_sides_split_and_remaining_match_the_official_protocol():
    rng = np.random.default_rng(1)
    scores = rng.standard_normal(10_000)
    s = select(scores, 0.02, 0.7, None, np.random.default_rng(2))
    top, bottom, middle = official_sides(scores, 0.02)
    assert s.chosen == 200
    assert len(s.train_index) == 2 * 140 and len(s.val_index) == 2 * 60
    positives = np.concatenate([s.train_index[s.train_label == 1], s.val_index[s.val_label == 1]])
    negatives = np.concatenate([s.train_index[s.train_label == 0], s.val_index[s.val_label == 0]])
    assert set(positives) == set(top) and set(negatives) == set(bottom)
    assert not set(s.train_index) & set(s.val_index)
    np.testing.assert_array_equal(s.remaining_index, np.sort(middle))
    ordered = scores[np.argsort(-scores)]
    threshold = (ordered[0] + ordered[-1]) / 2  # the official midpoint of the sorted valid scores
    assert s.threshold == threshold
    np.testing.assert_array_equal(s.remaining_label, scores[s.remaining_index] >= threshold)


def test_remaining_threshold_is_the_overall_midpoint_on_skewed_scores():
    # a long right tail: the overall midpoint lies far above the middle samples' own midpoint
    scores = np.random.default_rng(5).exponential(size=10_000)
    s = select(scores, 0.02, 0.7, None, np.random.default_rng(0))
    middle = np.sort(official_sides(scores, 0.02)[2])
    official = (scores.max() + scores.min()) / 2
    own = (scores[middle].max() + scores[middle].min()) / 2
    assert s.threshold == official
    np.testing.assert_array_equal(s.remaining_label, scores[middle] >= official)
    assert s.remaining_label.sum() == (scores[middle] >= official).sum() < 0.1 * (scores[middle] >= own).sum()


def test_invalid_value_is_compared_in_the_scores_dtype():
    scores = np.random.default_rng(6).standard_normal(2000).astype(np.float32)
    scores[::10] = np.float32(0.1)  # not 0.1 in float64: a float64 comparison drops nothing
    s = select(scores, 0.1, 0.7, 0.1, np.random.default_rng(0))
    used = np.concatenate([s.train_index, s.val_index, s.remaining_index])
    assert s.n_valid == 1800 and s.chosen == 180
    np.testing.assert_array_equal(np.sort(used), np.setdiff1d(np.arange(2000), np.arange(0, 2000, 10)))


def test_the_split_is_shuffled_reproducibly():
    scores = np.random.default_rng(3).standard_normal(5000)
    a = select(scores, 0.05, 0.7, None, np.random.default_rng(9))
    b = select(scores, 0.05, 0.7, None, np.random.default_rng(9))
    c = select(scores, 0.05, 0.7, None, np.random.default_rng(10))
    np.testing.assert_array_equal(a.train_index, b.train_index)
    assert not np.array_equal(a.train_index, c.train_index)
    # shuffled: the training positives are not simply the very top
    top = official_sides(scores, 0.05)[0]
    assert set(a.train_index[a.train_label == 1]) != set(top[: len(a.train_index) // 2])


def test_nan_and_invalid_scores_are_skipped():
    scores = np.random.default_rng(4).standard_normal(2000)
    scores[::10] = np.nan
    scores[5::10] = -1.0
    s = select(scores, 0.1, 0.7, -1.0, np.random.default_rng(0))
    assert s.n_valid == 1600 and s.chosen == 160
    used = np.concatenate([s.train_index, s.val_index, s.remaining_index])
    assert len(used) == 1600 and np.isfinite(scores[used]).all() and (scores[used] != -1.0).all()


@pytest.mark.parametrize(
    "scores, match",
    [
        (np.array([1.0, np.inf, 0.0, 2.0] * 10), "infinite"),
        (np.full(100, 0.5), "all 100 valid scores equal"),
        (np.array([1.0, 2.0, np.nan, np.nan]), "need at least 2"),
    ],
)
def test_unusable_scores_get_a_clear_error(scores, match):
    with pytest.raises(SelectionError, match=match):
        select(scores, 0.5, 0.7, None, np.random.default_rng(0), name="scores of 'smile'")


def test_the_split_depends_on_which_samples_are_chosen_not_on_their_order():
    scores = np.random.default_rng(5).standard_normal(5000)
    top, bottom, _ = official_sides(scores, 0.05)
    reordered = scores.copy()  # the same top and bottom sets, their scores' order shuffled
    shuffle = np.random.default_rng(1)
    reordered[top], reordered[bottom] = shuffle.permutation(scores[top]), shuffle.permutation(scores[bottom])
    s, t = (select(x, 0.05, 0.7, None, np.random.default_rng(9)) for x in (scores, reordered))
    np.testing.assert_array_equal(s.train_index, t.train_index)
    np.testing.assert_array_equal(s.val_index, t.val_index)

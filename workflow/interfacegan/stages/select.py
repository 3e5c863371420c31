"""Stage 3: per attribute, the most confident top and bottom samples, split train/val.

Follows the official `train_boundary`: invalid scores are dropped, the top and
bottom `chosen` samples are labelled 1 and 0, each side is shuffled and split by
`split_ratio`; the samples in between are labelled by the official threshold, the
midpoint (max + min) / 2 of all valid scores, and give the "remaining" accuracy.
Comparisons and the threshold are in the scores' own dtype, as the official code's.
"""

import zlib
from dataclasses import asdict, dataclass

import numpy as np

from ..artifacts import provenance, write_h5
from ..layout import Layout
from .score import read_merged


class SelectionError(ValueError):
    """The scores of an attribute cannot give a selection."""


@dataclass
class Selection:
    train_index: np.ndarray
    train_label: np.ndarray
    val_index: np.ndarray
    val_label: np.ndarray
    remaining_index: np.ndarray  # sorted
    remaining_label: np.ndarray
    chosen: int
    threshold: float
    n_valid: int


def chosen_count(n_valid: int, chosen_num_or_ratio: float) -> int:
    """Samples per side: a ratio of n_valid if in (0, 1], else a count; at most n_valid // 2."""
    r = chosen_num_or_ratio
    return min(int(n_valid * r) if 0 < r <= 1 else int(r), n_valid // 2)


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first, ties broken by index: O(n) + O(k log k)."""
    kth = np.partition(values, len(values) - k)[len(values) - k]
    above = np.flatnonzero(values > kth)
    ties = np.flatnonzero(values == kth)[: k - len(above)]
    chosen = np.concatenate([above, ties])
    return chosen[np.lexsort((chosen, -values[chosen]))]


def select(
    scores: np.ndarray,
    chosen_num_or_ratio: float,
    split_ratio: float,
    invalid_value: float | None,
    rng: np.random.Generator,
    name: str = "scores",
) -> Selection:
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    if np.isinf(scores).any():
        raise SelectionError(f"{name}: {int(np.isinf(scores).sum())} scores are infinite (a predictor overflow?)")
    valid = ~np.isnan(scores)
    if invalid_value is not None:
        valid &= scores != scores.dtype.type(invalid_value)  # float32 scores: 0.1 means float32(0.1)
    valid_index = np.flatnonzero(valid)
    values = scores[valid_index]
    chosen = chosen_count(len(values), chosen_num_or_ratio)
    if chosen < 2:
        raise SelectionError(f"{name}: {len(values)} valid scores give {chosen} samples per side; need at least 2")
    if values.max() == values.min():
        raise SelectionError(f"{name}: all {len(values)} valid scores equal {values[0]}: nothing to separate")
    top, bottom = top_k(values, chosen), top_k(-values, chosen)
    n_train = int(chosen * split_ratio)
    # shuffled in index order: the split depends on which samples are chosen, not on the
    # order of their scores (which float rounding can swap)
    positive, negative = np.sort(top)[rng.permutation(chosen)], np.sort(bottom)[rng.permutation(chosen)]
    train = np.concatenate([positive[:n_train], negative[:n_train]])
    val = np.concatenate([positive[n_train:], negative[n_train:]])
    middle = np.ones(len(values), bool)
    middle[top] = middle[bottom] = False
    remaining = np.flatnonzero(middle)
    threshold = (values.max() + values.min()) / 2
    return Selection(
        train_index=valid_index[train],
        train_label=ones_then_zeros(n_train),
        val_index=valid_index[val],
        val_label=ones_then_zeros(chosen - n_train),
        remaining_index=valid_index[remaining],
        remaining_label=(values[remaining] >= threshold).astype(np.int8),
        chosen=chosen,
        threshold=float(threshold),
        n_valid=len(values),
    )


def ones_then_zeros(n: int) -> np.ndarray:
    return np.concatenate([np.ones(n, np.int8), np.zeros(n, np.int8)])


def attribute_rng(seed: int, attribute: str) -> np.random.Generator:
    """The shuffle of one attribute: fixed by the run seed and the attribute's name alone."""
    return np.random.default_rng([seed, zlib.crc32(attribute.encode())])


def run(view: dict, attribute: str, layout: Layout) -> None:
    merged = read_merged(view, layout)
    column = merged["attributes"].index(attribute)
    options = view["selection"]
    selection = select(
        merged["scores"][:, column],
        options["chosen_num_or_ratio"],
        options["split_ratio"],
        options["invalid_value"],
        attribute_rng(view["seed"], attribute),
        name=f"scores of '{attribute}'",
    )
    fields = asdict(selection)
    scalars = {key: fields.pop(key) for key in ("chosen", "threshold", "n_valid")}
    write_h5(layout.selection(attribute), fields, provenance(view, "select") | scalars | {"attribute": attribute})

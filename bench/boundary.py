"""The fast boundary solver (closed-form LDA, its ridge chosen by leave-one-out) against the
official SVC(kernel="linear", C=1) on the same selected samples of a planted problem, side
by side in one run. Rows: n_train/d of about 1, 5 and 30 (d:ratio pairs, --rows), each with
0 % and 5 % of the training labels flipped (--flip; a seeded choice; validation labels are
never flipped), and the paper's scale (n = 500,000 scores, 14,000 training samples; --paper-dim),
unflipped only: SVC with 5 % flips at 14,000 x 512 takes about 15 minutes.

Per row and solver: fit time (median of --repeats fits), validation accuracy, cosine of the
normal to the planted one, LDA's chosen relative ridge, and the cosine between the two normals.

Run by hand: .venv/bin/python bench/boundary.py [--rows 512:1 512:5 100:30] [--paper-dim 512 100]
"""

import argparse
import math

import numpy as np
import torch

from interfacegan.generators.planted import PlantedGenerator
from interfacegan.latents import standard_normal
from interfacegan.solvers import fit_lda, fit_svc
from interfacegan.stages.select import attribute_rng, select

CHUNK = 50_000
SPLIT = 0.7


def planted_selection(n: int, dim: int, ratio: float, noise: float, seed: int = 0):
    """The official selection over n planted scores. Latents are drawn chunk by chunk (each
    row fixed by seed and index), scored and dropped; then only the selected rows are kept."""
    world = PlantedGenerator(attributes=["attribute"], latent_dim=dim, noise=noise)
    chunks = [(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    with torch.no_grad():
        scores = np.concatenate(
            [world.true_scores(torch.from_numpy(standard_normal(seed, a, b, dim)))[:, 0].numpy() for a, b in chunks]
        )
    s = select(scores, ratio, SPLIT, None, attribute_rng(seed, "attribute"))
    wanted = np.concatenate([s.train_index, s.val_index])
    codes = np.empty((len(wanted), dim), np.float32)
    for a, b in chunks:
        rows = np.flatnonzero((wanted >= a) & (wanted < b))
        codes[rows] = standard_normal(seed, a, b, dim)[wanted[rows] - a]
    n_train = len(s.train_index)
    return world.normals[0].numpy(), codes[:n_train], s.train_label, codes[n_train:], s.val_label


def scores_for(train_per_dim: float, dim: int, ratio: float) -> int:
    """Planted scores to draw so that selecting `ratio` per side gives about train_per_dim * dim training samples."""
    return math.ceil(round(train_per_dim * dim / (2 * SPLIT)) / ratio)


def flipped(labels: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """The labels with a seeded `fraction` of them flipped."""
    out = labels.copy()
    which = np.random.default_rng(seed).choice(len(out), round(fraction * len(out)), replace=False)
    out[which] = 1 - out[which]
    return out


def timed(fit, x, y, repeats: int):
    """The fitted plane (fits are deterministic) and the median fit time."""
    planes = [fit(x, y) for _ in range(repeats)]
    return planes[0], float(np.median([plane.seconds for plane in planes]))


def row(truth, x, y, x_val, y_val, flip: float, repeats: int) -> str:
    y = flipped(y, flip) if flip else y
    (lda, lda_s), (svc, svc_s) = (timed(fit, x, y, repeats) for fit in (fit_lda, fit_svc))
    return (
        f"{x.shape[1]:>4} {len(x):>6} {len(x) / x.shape[1]:>6.1f} {flip:>5.0%} {lda_s:>7.3f} {svc_s:>7.2f}"
        f" {lda.accuracy(x_val, y_val):>7.4f} {svc.accuracy(x_val, y_val):>7.4f} {lda.normal @ truth:>7.4f}"
        f" {svc.normal @ truth:>7.4f} {lda.normal @ svc.normal:>7.4f} {lda.ridge:>8.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rows", nargs="*", default=["512:1", "512:5", "100:30"], help="d:n_train/d pairs, one row per flip each"
    )
    parser.add_argument(
        "--flip", type=float, nargs="+", default=[0.0, 0.05], help="fractions of training labels flipped"
    )
    parser.add_argument(
        "--paper-dim",
        type=int,
        nargs="*",
        default=[512, 100],
        help="latent dimensions of the unflipped paper-scale rows",
    )
    parser.add_argument("--n", type=int, default=500_000, help="planted scores of the paper-scale rows")
    parser.add_argument("--ratio", type=float, default=0.02, help="chosen_num_or_ratio: selected per side")
    parser.add_argument("--noise", type=float, default=0.3, help="planted nonlinear noise")
    parser.add_argument("--repeats", type=int, default=5, help="fits per solver; the median time is shown")
    args = parser.parse_args()
    print(f"ratio {args.ratio} per side, split {SPLIT}, planted noise {args.noise}; median of {args.repeats} fits")
    header = (
        "d",
        "train",
        "n/d",
        "flip",
        "lda s",
        "svc s",
        "lda acc",
        "svc acc",
        "lda cos",
        "svc cos",
        "l-s cos",
        "ridge",
    )
    print(("{:>4} {:>6} {:>6} {:>5}" + " {:>7}" * 7 + " {:>8}").format(*header))
    for spec in args.rows:
        dim, train_per_dim = int(spec.split(":")[0]), float(spec.split(":")[1])
        sample = planted_selection(scores_for(train_per_dim, dim, args.ratio), dim, args.ratio, args.noise)
        for flip in args.flip:
            print(row(*sample, flip, args.repeats), flush=True)
    for dim in args.paper_dim:
        print(row(*planted_selection(args.n, dim, args.ratio, args.noise), 0.0, args.repeats), flush=True)
    print(
        "acc: validation accuracy (labels never flipped); cos: normal to the planted one; l-s: "
        "lda to svc; ridge: lda's chosen relative ridge"
    )


if __name__ == "__main__":
    main()

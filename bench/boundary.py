"""The fast boundary solver (closed-form LDA) against the official SVC(kernel="linear") on
the same selected samples of a planted problem at the paper's scale, side by side in one
run: fit time of each (median of --repeats fits) and their ratio, validation accuracy, cosine between the two normals
and of each to the planted one. One row per latent dimension (512: StyleGAN/PGGAN, 100: DCGAN).

Run by hand: .venv/bin/python bench/boundary.py [--n 500000] [--dim 512 100] [--ratio 0.02]
"""

import argparse

import numpy as np
import torch

from interfacegan.generators.planted import PlantedGenerator
from interfacegan.latents import standard_normal
from interfacegan.solvers import fit_lda, fit_svc
from interfacegan.stages.select import attribute_rng, select

CHUNK = 50_000


def planted_selection(n: int, dim: int, ratio: float, noise: float, seed: int = 0):
    """The official selection over n planted scores. Latents are drawn chunk by chunk (each
    row fixed by seed and index), scored and dropped; then only the selected rows are kept."""
    world = PlantedGenerator(attributes=["attribute"], latent_dim=dim, noise=noise)
    chunks = [(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    with torch.no_grad():
        scores = np.concatenate([
            world.true_scores(torch.from_numpy(standard_normal(seed, a, b, dim)))[:, 0].numpy() for a, b in chunks
        ])
    s = select(scores, ratio, 0.7, None, attribute_rng(seed, "attribute"))
    wanted = np.concatenate([s.train_index, s.val_index])
    codes = np.empty((len(wanted), dim), np.float32)
    for a, b in chunks:
        rows = np.flatnonzero((wanted >= a) & (wanted < b))
        codes[rows] = standard_normal(seed, a, b, dim)[wanted[rows] - a]
    n_train = len(s.train_index)
    return world.normals[0].numpy(), codes[:n_train], s.train_label, codes[n_train:], s.val_label


def timed(fit, x, y, repeats: int):
    """The fitted plane (fits are deterministic) and the median fit time."""
    planes = [fit(x, y) for _ in range(repeats)]
    return planes[0], float(np.median([plane.seconds for plane in planes]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500_000, help="planted scores to select from")
    parser.add_argument("--dim", type=int, nargs="+", default=[512, 100], help="latent dimensions, one row each")
    parser.add_argument("--ratio", type=float, default=0.02, help="chosen_num_or_ratio: selected per side")
    parser.add_argument("--noise", type=float, default=0.3, help="planted nonlinear noise")
    parser.add_argument("--repeats", type=int, default=3, help="fits per solver; the median time is shown")
    args = parser.parse_args()
    print(f"n = {args.n}, ratio {args.ratio} per side, split 0.7, planted noise {args.noise}; median of {args.repeats} fits")
    header = ("d", "train", "val", "lda s", "svc s", "svc/lda", "lda acc", "svc acc", "cos l-s", "cos l-p", "cos s-p")
    print(("{:>4} {:>6} {:>6}" + " {:>8}" * 8).format(*header))
    for dim in args.dim:
        truth, x, y, x_val, y_val = planted_selection(args.n, dim, args.ratio, args.noise)
        (lda, lda_s), (svc, svc_s) = (timed(fit, x, y, args.repeats) for fit in (fit_lda, fit_svc))
        print(
            f"{dim:>4} {len(x):>6} {len(x_val):>6} {lda_s:>8.3f} {svc_s:>8.2f} {svc_s / lda_s:>8.1f}"
            f" {lda.accuracy(x_val, y_val):>8.4f} {svc.accuracy(x_val, y_val):>8.4f}"
            f" {lda.normal @ svc.normal:>8.4f} {lda.normal @ truth:>8.4f} {svc.normal @ truth:>8.4f}",
            flush=True,
        )
    print("cos l-s: between the two normals; cos l-p, s-p: each normal to the planted one")


if __name__ == "__main__":
    main()

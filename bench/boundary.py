"""The fast boundary solver against the official SVC(kernel="linear") on the same selected
samples, at the paper's scale, side by side in one run: fit time and its ratio,
validation accuracy, cosine between the normals and to the planted one.

Run by hand: .venv/bin/python bench/boundary.py [--n 500000] [--dim 512] [--ratio 0.02]
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
    """Planted scores of n latents (generated in chunks), the official selection, and the
    selected latents only."""
    world = PlantedGenerator(attributes=["attribute"], latent_dim=dim, noise=noise)
    scores = np.concatenate([
        world.true_scores(torch.from_numpy(standard_normal(seed, start, min(start + CHUNK, n), dim)))[:, 0].numpy()
        for start in range(0, n, CHUNK)
    ])
    s = select(scores, ratio, 0.7, None, attribute_rng(seed, "attribute"))
    wanted = np.concatenate([s.train_index, s.val_index])
    codes = np.empty((len(wanted), dim), np.float32)
    for start in range(0, n, CHUNK):
        rows = np.flatnonzero((wanted >= start) & (wanted < start + CHUNK))
        codes[rows] = standard_normal(seed, start, min(start + CHUNK, n), dim)[wanted[rows] - start]
    n_train = len(s.train_index)
    return world.normals[0].numpy(), codes[:n_train], s.train_label, codes[n_train:], s.val_label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--ratio", type=float, default=0.02)
    parser.add_argument("--noise", type=float, default=0.3)
    args = parser.parse_args()
    truth, x, y, x_val, y_val = planted_selection(args.n, args.dim, args.ratio, args.noise)
    planes = {"lda (fast default)": fit_lda(x, y), "svc (official)": fit_svc(x, y)}
    print(f"n = {args.n}, d = {args.dim}, ratio {args.ratio}: {len(x)} train, {len(x_val)} validation; planted noise {args.noise}")
    print(f"{'solver':<20} {'fit s':>8} {'val acc':>8} {'cos planted':>12}")
    for name, plane in planes.items():
        print(f"{name:<20} {plane.seconds:>8.3f} {plane.accuracy(x_val, y_val):>8.4f} {plane.normal @ truth:>12.4f}")
    lda, svc = planes.values()
    print(f"fit time svc / lda: {svc.seconds / lda.seconds:.0f}x; cosine lda-svc: {lda.normal @ svc.normal:.4f}")


if __name__ == "__main__":
    main()

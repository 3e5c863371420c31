"""Identity descriptors (interfacegan.metrics.identity) on the default DCGAN's 64x64 faces: how
well the descriptor distance separates "same" pairs (G(z), G(z + sigma * noise)) from
"different" pairs (G(z1), G(z2)), per resize side and noise sigma.

Run by hand: .venv/bin/python bench/identity.py [--n 200] [--sizes 64 150] [--sigmas 0.1 0.3 0.5]
  --sizes: the side the faces are resized to (bicubic) first; 64 is the generator's own.
"""

import argparse
import time

import numpy as np
import torch

from interfacegan import config, latents, pipeline
from interfacegan.metrics.identity import THRESHOLD, Identity
from interfacegan.models import Models


def auc(same: np.ndarray, different: np.ndarray) -> float:
    """P(a different pair is farther apart than a same pair), ties counting half."""
    diff = different[None, :] - same[:, None]
    return float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 150])
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.1, 0.3, 0.5])
    args = parser.parse_args()

    models = Models(pipeline.view(config.load("config.yaml"), "score"), with_predictor=False)
    z = latents.standard_normal(0, 0, 2 * args.n, 100)
    noise = latents.standard_normal(1, 0, args.n, 100)
    faces = {"z1": models.images(z[: args.n]), "z2": models.images(z[args.n :])}
    for sigma in args.sigmas:
        faces[sigma] = models.images(z[: args.n] + sigma * noise)

    print(f"dcgan, {args.n} pairs each, {torch.get_num_threads()} threads\n")
    print("| side | pairs | mean distance | correct by d < 0.6 rule | AUC vs different | faces / s |")
    print("| --- | --- | --- | --- | --- | --- |")
    norms = []
    for size in args.sizes:
        identity = Identity(size)
        start = time.perf_counter()
        desc = {key: identity(images) for key, images in faces.items()}
        rate = sum(len(images) for images in faces.values()) / (time.perf_counter() - start)
        norms.append(np.linalg.norm(np.concatenate(list(desc.values())), axis=1))
        different = np.linalg.norm(desc["z1"] - desc["z2"], axis=1)
        rows = [(f"same, sigma {s}", np.linalg.norm(desc["z1"] - desc[s], axis=1)) for s in args.sigmas]
        for name, same in rows:
            print(
                f"| {size} | {name} | {same.mean():.3f} | {np.mean(same < THRESHOLD):.1%} "
                f"| {auc(same, different):.3f} | {rate:.1f} |"
            )
        print(f"| {size} | different | {different.mean():.3f} | {np.mean(different >= THRESHOLD):.1%} | | {rate:.1f} |")

    norms = np.concatenate(norms)
    print(f"\ndescriptor norms: {norms.min():.3f} to {norms.max():.3f} (mean {norms.mean():.3f})")


if __name__ == "__main__":
    main()

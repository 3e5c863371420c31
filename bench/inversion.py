"""Inversion of the default DCGAN: Adam from random z, pixel MSE only (no perceptual term,
no prior), on 16 faces the generator made itself (seed 1), one batch of 16.

Prints a markdown table: peak learning rate, steps, mean / min PSNR of the 16
reconstructions, and seconds per face (wall time of the batch / 16). Run by hand:
.venv/bin/python bench/inversion.py [--steps 300 1000] [--lr 0.1 0.3] [--device cpu]
"""

import argparse
import time
from pathlib import Path

import torch
import yaml

from interfacegan.generators import build_generator
from interfacegan.inversion import invert

ROOT = Path(__file__).resolve().parents[1]
FACES = 16


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--steps", type=int, nargs="+", default=[300, 1000])
    p.add_argument("--lr", type=float, nargs="+", default=[0.1, 0.3])
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    section = yaml.safe_load((ROOT / "config.yaml").read_text())["generator"]
    generator = build_generator(section, args.device)
    z = torch.randn(FACES, generator.latent_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        faces = generator.synthesize(generator.prepare_z(z).to(args.device))
    print(f"{section['name']}, {FACES} faces, batch {FACES}, {torch.get_num_threads()} threads, {args.device}\n")
    print("| lr | steps | mean PSNR (dB) | min PSNR (dB) | s / face |\n| --- | --- | --- | --- | --- |")
    for lr in args.lr:
        for steps in args.steps:
            start = time.perf_counter()
            result = invert(generator, faces, "z", steps, lr=lr, seed=0, batch_size=FACES)
            seconds = (time.perf_counter() - start) / FACES
            print(f"| {lr} | {steps} | {result.psnr.mean():.1f} | {result.psnr.min():.1f} | {seconds:.2f} |", flush=True)


if __name__ == "__main__":
    main()

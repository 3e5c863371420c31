"""Inversion of the default DCGAN, on faces the generator made itself (so the true code is known).

`lr`: Adam from random z, pixel MSE only, 16 faces (seed 1), one batch of 16; a table of
peak learning rate, steps, mean / min PSNR and seconds per face.

`targets`: issue 12's targets on held-out faces (z of seed 2027, never used to train the
encoder): for each start (random z, the encoder alone, the encoder + k steps) the median
PSNR, the share of faces >= 30 dB, dlib's same-person share and seconds per face; then,
for the best of them, how edits of the inverted codes transfer (the score change of the
target attribute against the same edit of the true code, per plain boundary) and whether
identity is kept along the edits (|offset| <= 1.5). Needs the default run's boundaries
(`make run`). Run by hand, alone on the machine:

.venv/bin/python bench/inversion.py lr [--steps 300 1000] [--lr 0.1 0.3]
.venv/bin/python bench/inversion.py targets [--faces 64] [--steps 1000] [--encoder-steps 100 250]
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from interfacegan import config as configuration
from interfacegan.artifacts import read_h5
from interfacegan.encoder import encode, load_encoder
from interfacegan.generators import build_generator
from interfacegan.images import psnr_uint8, to_uint8
from interfacegan.inversion import invert
from interfacegan.metrics.identity import Identity
from interfacegan.models import Models

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT_SEED = 2027
EDIT = 1.5  # the largest |offset| along a boundary at which identity is checked


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = p.add_subparsers(dest="mode", required=True)
    lr = modes.add_parser("lr")
    lr.add_argument("--steps", type=int, nargs="+", default=[300, 1000])
    lr.add_argument("--lr", type=float, nargs="+", default=[0.1, 0.3])
    targets = modes.add_parser("targets")
    targets.add_argument("--faces", type=int, default=64)
    targets.add_argument("--steps", type=int, default=1000, help="steps from a random z")
    targets.add_argument("--encoder-steps", type=int, nargs="+", default=[100, 250])
    targets.add_argument("--lr", type=float, default=0.1)
    targets.add_argument("--encoder", default=str(ROOT / "models" / "dcgan_faces" / "encoder.pt"))
    targets.add_argument("--results", default=str(ROOT / "results" / "dcgan_faces"), help="the default run's folder")
    args = p.parse_args()
    (learning_rates if args.mode == "lr" else measure_targets)(args)


def faces_of(generator, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    z = generator.prepare_z(torch.randn(count, generator.latent_dim, generator=torch.Generator().manual_seed(seed)))
    with torch.no_grad():
        return z, generator.synthesize(z)


def learning_rates(args) -> None:
    section = yaml.safe_load((ROOT / "config.yaml").read_text())["generator"]
    generator = build_generator(section, "cpu")
    _, faces = faces_of(generator, 16, seed=1)
    print(f"{section['name']}, 16 faces, batch 16, {torch.get_num_threads()} threads\n")
    print("| lr | steps | mean PSNR (dB) | min PSNR (dB) | s / face |\n| --- | --- | --- | --- | --- |")
    for lr in args.lr:
        for steps in args.steps:
            start = time.perf_counter()
            result = invert(generator, faces, "z", steps, lr=lr, seed=0, batch_size=16)
            seconds = (time.perf_counter() - start) / 16
            print(
                f"| {lr} | {steps} | {result.psnr.mean():.1f} | {result.psnr.min():.1f} | {seconds:.2f} |", flush=True
            )


def measure_targets(args) -> None:
    models = Models(configuration.load(ROOT / "config.yaml"))
    generator, identity = models.generator, Identity()
    z, faces = faces_of(generator, args.faces, HELD_OUT_SEED)
    originals = to_uint8(faces)
    encoder = load_encoder(args.encoder, generator, "z")
    print(
        f"dcgan, {args.faces} held-out faces (seed {HELD_OUT_SEED}), batch 16, lr {args.lr}, {torch.get_num_threads()} threads\n"
    )
    print(
        "| start | steps | median PSNR (dB) | >= 30 dB | same person (dlib) | s / face |\n| --- | --- | --- | --- | --- | --- |"
    )
    runs = {}
    for label, steps in [("random z", args.steps), ("encoder", 0), *(("encoder", k) for k in args.encoder_steps)]:
        start = time.perf_counter()
        init = encode(encoder, faces, 16) if label == "encoder" else None
        if steps:
            codes = invert(generator, faces, "z", steps, lr=args.lr, seed=0, init=init, batch_size=16).codes
        else:
            codes = init.numpy()
        seconds = (time.perf_counter() - start) / args.faces
        rebuilt = models.images(codes)
        psnr = psnr_uint8(originals, rebuilt)
        same = identity.same_person(originals, rebuilt)
        runs[(label, steps)] = (codes, np.median(psnr))
        print(
            f"| {label} | {steps} | {np.median(psnr):.1f} | {np.mean(psnr >= 30):.0%} | {same.mean():.0%} | {seconds:.2f} |",
            flush=True,
        )
    (label, steps), (codes, _) = max(runs.items(), key=lambda item: item[1][1])
    print(
        f"\nedits of the inverted codes ({label}, {steps} steps) against the same edits of the true codes, offset +-{EDIT}:\n"
    )
    edits(models, identity, args.results, z.numpy(), codes, originals)


def edits(
    models: Models, identity: Identity, results: str, truth: np.ndarray, codes: np.ndarray, originals: np.ndarray
) -> None:
    print(
        "| boundary | score change, true code | inverted code | ratio | same person at -1.5 and +1.5: inverted | true code |\n"
        "| --- | --- | --- | --- | --- | --- |"
    )
    attributes = models.view["attributes"]
    for column, attribute in enumerate(attributes):
        normal = read_h5(Path(results) / "boundaries" / "z" / f"{attribute}.h5")["normal"].ravel()
        change = {}
        for name, base in (("true", truth), ("inverted", codes)):
            plus, minus = (models.score(base + sign * EDIT * normal) for sign in (1, -1))
            change[name] = np.mean(plus[:, column] - minus[:, column])
        kept = {
            name: np.logical_and(
                *(identity.same_person(originals, models.images(base + sign * EDIT * normal)) for sign in (-1, 1))
            )
            for name, base in (("true", truth), ("inverted", codes))
        }
        ratio = change["inverted"] / change["true"]
        print(
            f"| {attribute} | {change['true']:.3f} | {change['inverted']:.3f} | {ratio:.0%} | {kept['inverted'].mean():.0%} | "
            f"{kept['true'].mean():.0%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

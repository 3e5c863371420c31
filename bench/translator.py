"""Feed-forward editing on the default world: which strength alpha to train each translator at,
and how fast translation is against inversion + a latent edit, side by side in one run.

`alpha`: for every plain boundary and alpha of a grid, the mean change of the boundary's
attribute when the run's first `--faces` codes move by +alpha along it, in SDs of the run's
synthesized scores (the unit of `tables/translation.csv`); the smallest alpha reaching
`--target` SDs is the one to train at (issue 13: >= 1.5).

`speed`: the same photos' worth of generated faces (seed 2027, never used in training) edited
(a) by the shipped translator at t = 1 and (b) by inverting them (the shipped encoder + 250
steps, the real_images default) and moving the codes along the boundary; images/s of each
and their ratio, both on this machine's threads.

Needs the default run's boundaries (`make run`); run alone on the machine:

.venv/bin/python bench/translator.py alpha [--faces 512] [--alphas 2 3 4 5 6]
.venv/bin/python bench/translator.py speed [--faces 64] [--boundary eyeglasses]
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from inversion import HELD_OUT_SEED, faces_of  # bench/inversion.py: the same held-out faces

from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan import translator as tr
from interfacegan.encoder import encode, load_encoder
from interfacegan.inversion import invert
from interfacegan.layout import Layout
from interfacegan.stages.edits import Editor
from interfacegan.stages.score import score_spread

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models" / "dcgan_faces"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default=str(ROOT / "results"), help="root of the runs (the default run's boundaries)")
    modes = p.add_subparsers(dest="mode", required=True)
    alpha = modes.add_parser("alpha")
    alpha.add_argument("--faces", type=int, default=512)
    alpha.add_argument("--alphas", type=float, nargs="+", default=[2, 3, 4, 5, 6])
    alpha.add_argument("--target", type=float, default=1.5, help="score SDs the edit must move its attribute by")
    speed = modes.add_parser("speed")
    speed.add_argument("--faces", type=int, default=64)
    speed.add_argument("--boundary", default="eyeglasses")
    speed.add_argument("--steps", type=int, default=250, help="inversion steps after the encoder")
    args = p.parse_args()
    cfg = configuration.load(ROOT / "config.yaml")
    editor = Editor(pipeline.view(cfg, "translation_table"), Layout(cfg["run"], args.results))
    (strengths if args.mode == "alpha" else speeds)(editor, args)


def strengths(editor: Editor, args) -> None:
    spread = score_spread(editor.view, editor.layout)
    codes = editor.first_codes(args.faces, "z")
    before = editor.score(codes, "z", "faces")
    print(f"the run's first {args.faces} faces, mean target change in score SDs at +alpha\n")
    print(
        "| boundary | " + " | ".join(f"alpha {a:g}" for a in args.alphas) + f" | smallest alpha >= {args.target} SD |"
    )
    print("| --- |" + " --- |" * (len(args.alphas) + 1))
    for column, attribute in enumerate(editor.view["attributes"]):
        normal = editor.normal(attribute, "z").reshape(-1)
        change = [
            np.mean(editor.score(codes + a * normal, "z", f"{attribute} {a:g}")[:, column] - before[:, column])
            / spread[column]
            for a in args.alphas
        ]
        chosen = next((f"{a:g}" for a, c in zip(args.alphas, change) if c >= args.target), "none")
        print(f"| {attribute} | " + " | ".join(f"{c:.2f}" for c in change) + f" | {chosen} |", flush=True)


def speeds(editor: Editor, args) -> None:
    generator = editor.generator
    _, faces = faces_of(generator, args.faces, HELD_OUT_SEED)
    path = MODELS / "translators" / f"{args.boundary}.pt"
    alpha = tr.load_translator(path, generator).meta["alpha"]
    began = time.perf_counter()
    tr.translate(path, generator, faces, 1.0, 16)
    translation = args.faces / (time.perf_counter() - began)
    began = time.perf_counter()
    init = encode(load_encoder(MODELS / "encoder.pt", generator, "z"), faces, 16)
    codes = invert(generator, faces, "z", args.steps, lr=0.1, seed=0, init=init, batch_size=16).codes
    editor.images(codes + alpha * editor.normal(args.boundary, "z").reshape(-1))
    inversion = args.faces / (time.perf_counter() - began)
    print(
        f"{args.faces} faces (seed {HELD_OUT_SEED}), {args.boundary}, {torch.get_num_threads()} threads, loading included\n"
    )
    print("| method | images/s |\n| --- | --- |")
    print(
        f"| translator, t = 1 | {translation:.1f} |\n| encoder + {args.steps} steps + latent edit (alpha {alpha:g}) | {inversion:.2f} |"
    )
    print(f"\ntranslation is {translation / inversion:.0f}x faster")


if __name__ == "__main__":
    main()

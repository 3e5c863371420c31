"""Our sample -> score -> select -> boundary against an official-style baseline, end to end,
at the same n, side by side in one run.

The baseline does what the official scripts do: batches of 4 images on the device, one
JPEG per image written to disk, then every image read back and scored, then sklearn's
SVC(kernel="linear") on the top/bottom samples. Ours is `snakemake --cores N` with the
local profile (as `make run` runs it) up to the boundaries, with the configured solver.

Run by hand: .venv/bin/python bench/pipeline.py [--config config.yaml] [--n 20000] [--cores 2] [--repeats 1]
"""

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

from interfacegan import config as configuration
from interfacegan import runtime
from interfacegan.artifacts import read_h5
from interfacegan.generators import build_generator
from interfacegan.images import to_uint8
from interfacegan.latents import standard_normal
from interfacegan.models import attribute_columns, fit_size
from interfacegan.predictors import build_predictor
from interfacegan.solvers import fit_svc
from interfacegan.stages.select import attribute_rng, select

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL_BATCH = 4


def ours(config: dict, workdir: Path, cores: int) -> tuple[float, dict]:
    workdir.mkdir()
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    targets = [f"results/{config['run']}/boundaries/z/{a}.h5" for a in config["attributes"]]
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        "--cores",
        str(cores),
        "-q",  # targets first:
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(path),  # --configfile takes several
        "--workflow-profile",
        str(ROOT / "workflow" / "profiles" / "default"),
    ]
    start = time.perf_counter()
    path = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}  # the jobs' `interfacegan`
    run = subprocess.run(command, capture_output=True, text=True, env=os.environ | path)
    if run.returncode:
        sys.exit(f"our run failed:\n{run.stderr}")
    seconds = time.perf_counter() - start
    return seconds, {a: read_h5(workdir / t)["attrs"]["val_accuracy"] for a, t in zip(config["attributes"], targets)}


def baseline(config: dict, workdir: Path) -> tuple[float, dict]:
    """The official procedure with the plain networks (no folding, no NHWC, glibc's default
    memory handling: nothing of `runtime` that our stages use)."""
    start = time.perf_counter()
    device = runtime.resolve_device(config["device"])
    generator, predictor = build_generator(config["generator"], device), build_predictor(config["predictor"], device)
    columns = attribute_columns(predictor, config["attributes"])
    z = standard_normal(config["seed"], 0, config["n_samples"], generator.latent_dim)
    images_dir = workdir / "images"
    images_dir.mkdir()
    with torch.inference_mode():
        for i in range(0, len(z), OFFICIAL_BATCH):
            x = generator.synthesize(generator.prepare_z(torch.from_numpy(z[i : i + OFFICIAL_BATCH]).to(device)))
            for j, image in enumerate(to_uint8(x)):
                Image.fromarray(image).save(images_dir / f"{i + j:06d}.jpg", quality=95)
        scores = []
        for i in range(len(z)):
            image = np.array(Image.open(images_dir / f"{i:06d}.jpg").convert("RGB"))  # writable, as torch wants
            x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
            scores.append(predictor(fit_size(x.to(device), predictor.input_size))[0, columns].cpu().numpy())
    scores = np.stack(scores)
    accuracy = {}
    options = config["selection"]
    for column, attribute in enumerate(config["attributes"]):
        s = select(
            scores[:, column],
            options["chosen_num_or_ratio"],
            options["split_ratio"],
            options["invalid_value"],
            attribute_rng(config["seed"], attribute),
        )
        plane = fit_svc(z[s.train_index], s.train_label)
        accuracy[attribute] = plane.accuracy(z[s.val_index], s.val_label)
    return time.perf_counter() - start, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="pairs of runs, each side first in turn: a virtual machine's speed drifts over minutes",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: at least one pair")
    config = configuration.load(args.config)
    config.pop("real_images", None)  # the comparison ends at the boundaries
    config = copy.deepcopy(config) | {
        "n_samples": args.n,
        "shard_size": min(config["shard_size"], args.n),
        "run": "bench",
    }
    config["shard_size"] -= config["shard_size"] % config["batch_size"]
    for section in (config["generator"], config["predictor"]):  # the runs work in a temporary folder
        if section.get("checkpoint"):
            section["checkpoint"] = str(ROOT / section["checkpoint"])
    config = configuration.validate(config)
    print(
        f"generator {config['generator']['name']}, predictor {config['predictor']['name']}, n = {args.n}, {args.cores} cores"
    )
    print(f"{'pair':<6} {'first':<15} {'ours s':>8} {'official-style s':>17} {'speed-up':>9}")
    runs = {"ours": [], "official-style": []}  # (seconds, accuracy per attribute) of each pair
    speedups = []
    with tempfile.TemporaryDirectory() as tmp:
        for pair in range(args.repeats):
            folder = Path(tmp) / str(pair)
            folder.mkdir()
            sides = {
                "ours": lambda folder=folder: ours(config, folder / "ours", args.cores),
                "official-style": lambda folder=folder: baseline(config, folder),
            }
            order = list(sides) if pair % 2 == 0 else list(reversed(sides))
            for name in order:
                runs[name].append(sides[name]())
            mine, theirs = runs["ours"][-1][0], runs["official-style"][-1][0]
            speedups.append(theirs / mine)
            print(f"{pair + 1:<6} {order[0]:<15} {mine:>8.1f} {theirs:>17.1f} {speedups[-1]:>8.2f}x")
    for name, label in (("ours", f"ours ({config['boundary']['solver']})"), ("official-style", "official-style (svc)")):
        accuracy = runs[name][0][1]
        same = "" if all(a == accuracy for _, a in runs[name]) else "  (NOT the same in every pair)"
        print(f"val accuracy, {label}: " + " ".join(f"{a}={v:.3f}" for a, v in accuracy.items()) + same)
    print(
        f"speed-up (official-style / ours): median {np.median(speedups):.2f}x, range {min(speedups):.2f}-{max(speedups):.2f}x"
    )


if __name__ == "__main__":
    main()

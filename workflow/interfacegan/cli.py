"""`interfacegan`: run one pipeline stage outside Snakemake, or the user tools.

Modules are imported when a command needs them, so that the stages without images
(selection, boundaries, tables) start without importing torch.
"""

import argparse
import importlib
import json
import logging
import sys

import numpy as np

from . import __version__, config
from .artifacts import ArtifactError, CheckpointError, atomic_path, write_csv
from .layout import Layout
from .stages.select import SelectionError

# stage: (module in interfacegan.stages, its function(view, *keys, layout), the config view it reads, its keys)
STAGES = {
    "sample": ("sample", "run", "sample", ("shard",)),
    "score": ("score", "run", "score", ("shard",)),
    "merge": ("score", "merge", "score", ()),
    "select": ("select", "run", "select", ("attribute",)),
    "boundary": ("boundary", "run", "boundary", ("attribute", "space")),
    "conditional": ("conditional", "run", "conditional", ("boundary", "space")),
    "table": ("table", "run", "table", ()),
    "truth": ("truth", "run", "truth", ()),
    "cosine": ("analysis", "cosine", "cosine", ()),
    "correlation": ("analysis", "correlation_synthesized", "correlation", ()),
    "real-scores": ("real", "score_real", "real", ()),
    "correlation-real": ("analysis", "correlation_real", "correlation", ()),
    "rescoring": ("edits", "rescoring", "rescoring", ()),
    "linearity": ("edits", "linearity", "linearity", ()),
    "edit": ("edits", "edit_grids", "edit", ()),
    "report": ("report", "run", "report", ()),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="interfacegan", description=__doc__)
    p.add_argument("--version", action="version", version=__version__)
    commands = p.add_subparsers(dest="command", required=True)
    stage = commands.add_parser("stage", help="run one stage of the pipeline")
    stage.add_argument("name", choices=sorted(STAGES))
    source = stage.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="YAML config file (validated)")
    source.add_argument("--view", help="the stage's view of a validated config, as JSON (what the rules pass)")
    stage.add_argument("--results", default="results", help="root folder of the runs (default: results)")
    stage.add_argument("--shard", type=int, help="shard number (sample, score)")
    stage.add_argument("--attribute", help="attribute name (select, boundary)")
    stage.add_argument("--space", default="z", help="latent space (boundary, conditional)")
    stage.add_argument("--boundary", help="conditional boundary name, e.g. age_c_gender (conditional)")
    generate = commands.add_parser("generate", help="images from saved codes (like the official generate_data.py -i)")
    generate.add_argument("--config", required=True, help="YAML config file: its generator is used")
    generate.add_argument("--latents", required=True, help=".npy codes: (n, d) for z/w, (n, layers, d) for wp")
    generate.add_argument("--space", default="z", choices=["z", "w", "wp"])
    generate.add_argument("--out", required=True, help=".npy of uint8 images (n, H, W, 3)")
    score = commands.add_parser("score", help="score saved latents with the config's generator and predictor")
    score.add_argument("--config", required=True, help="YAML config file")
    score.add_argument("--latents", required=True, help=".npy z codes (n, d)")
    score.add_argument("--space", default="z", choices=["z", "w", "wp"])
    score.add_argument("--out", required=True, help="CSV: one row per latent, one column per attribute")
    add_train_arguments(commands.add_parser("train-predictor", help="train a multi-head attribute predictor on a CelebA-format set"))
    return p


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="folder of the images; relative table paths are taken inside it")
    p.add_argument("--attributes", nargs="+", required=True, help="output names: attribute-table columns or yaw (see --map)")
    p.add_argument("--out", required=True, help="output stem: writes STEM.pt, STEM.json, STEM.report.json")
    p.add_argument("--attr-file", help="attribute table (default: list_attr_celeba.txt)")
    p.add_argument("--landmarks-file", help="landmarks table, needed for yaw (e.g. list_landmarks_align_celeba.txt)")
    p.add_argument("--partition-file", help="train/val/test partition (e.g. list_eval_partition.txt); default: seeded 80/10/10")
    p.add_argument(
        "--map", nargs="+", default=[], metavar="NAME=SOURCE",
        help="output name -> table column or yaw, - to negate, e.g. pose=yaw smile=Smiling age=-Young",
    )
    p.add_argument("--input-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 256])
    p.add_argument("--blocks", type=int, nargs="+", help="blocks per width (default: 2 each)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-augment", dest="augment", action="store_false", help="no horizontal flips")


def run_train(args: argparse.Namespace) -> None:
    if args.blocks and len(args.blocks) != len(args.widths):
        raise config.ConfigError("train-predictor: --blocks needs one count per --widths entry")
    pairs = [item.partition("=") for item in args.map]
    if any(not name or not source for name, _, source in pairs):
        raise config.ConfigError(f"train-predictor: --map takes NAME=SOURCE pairs, got {' '.join(args.map)}")
    from .predictors.train import train_predictor

    options = dict(
        input_size=args.input_size, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
        widths=tuple(args.widths), blocks=tuple(args.blocks) if args.blocks else None, attr_file=args.attr_file,
        landmarks_file=args.landmarks_file, partition_file=args.partition_file, device=args.device,
        augment=args.augment, attribute_map={name: source for name, _, source in pairs},
    )
    report = train_predictor(args.data, args.attributes, args.out, **{k: v for k, v in options.items() if v is not None})
    print(json.dumps(report, indent=2))


def load_codes(path: str, models, space: str) -> np.ndarray:
    """Codes from a .npy file; z codes get the generator's own preparation (as official)."""
    generator_dim = models.generator.latent_dim
    try:
        codes = np.load(path)
    except (OSError, ValueError) as err:
        raise ArtifactError(f"latents {path} cannot be read as .npy ({err})") from err
    if codes.ndim not in (2, 3) or codes.shape[-1] != generator_dim:
        raise ArtifactError(f"latents {path} have shape {codes.shape}; expected (n, {generator_dim}) or (n, layers, {generator_dim})")
    codes = codes.astype(np.float32)
    if space == "z":
        import torch

        with torch.inference_mode():
            codes = models.generator.prepare_z(torch.from_numpy(codes)).numpy()
    return codes


def run_generate(args: argparse.Namespace) -> None:
    from .models import Models

    models = Models(config.load(args.config), with_predictor=False)
    images = models.images(load_codes(args.latents, models, args.space), args.space)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.save(f, images)


def run_score(args: argparse.Namespace) -> None:
    from .models import Models

    cfg = config.load(args.config)
    models = Models(cfg)
    scores = models.score(load_codes(args.latents, models, args.space), args.space)
    write_csv(args.out, [{a: float(v) for a, v in zip(cfg["attributes"], row)} for row in scores])


def run_stage(args: argparse.Namespace) -> None:
    module, name, view_name, keys = STAGES[args.name]
    function = getattr(importlib.import_module(f"{__package__}.stages.{module}"), name)
    missing = [f"--{key}" for key in keys if getattr(args, key) is None]
    if missing:
        raise config.ConfigError(f"stage {args.name} needs {', '.join(missing)}")
    if args.view:
        view = json.loads(args.view)
    else:
        view = config.stage_view(config.load(args.config), view_name)
    function(view, *(getattr(args, key) for key in keys), Layout(view["run"], args.results))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parser().parse_args(argv)
    try:
        {"stage": run_stage, "generate": run_generate, "score": run_score, "train-predictor": run_train}[args.command](args)
    except (config.ConfigError, ArtifactError, CheckpointError, SelectionError) as err:
        print(f"interfacegan: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

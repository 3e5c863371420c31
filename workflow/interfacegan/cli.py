"""`interfacegan`: run one pipeline stage outside Snakemake, or the user tools."""

import argparse
import json
import logging
import sys

import numpy as np
import torch

from . import __version__, config
from .artifacts import ArtifactError, atomic_path, write_csv
from .checkpoints import CheckpointError
from .layout import Layout
from .models import Models
from .predictors import train
from .stages import analysis, boundary, conditional, edits, report, sample, score, select, table, truth
from .stages.select import SelectionError

# stage: (function(view, *keys, layout), the config view it reads, its keys)
STAGES = {
    "sample": (sample.run, "sample", ("shard",)),
    "score": (score.run, "score", ("shard",)),
    "merge": (score.merge, "score", ()),
    "select": (select.run, "select", ("attribute",)),
    "boundary": (boundary.run, "boundary", ("attribute", "space")),
    "conditional": (conditional.run, "conditional", ("boundary", "space")),
    "table": (table.run, "table", ()),
    "truth": (truth.run, "truth", ()),
    "cosine": (analysis.cosine, "cosine", ()),
    "correlation": (analysis.correlation_synthesized, "correlation", ()),
    "real-scores": (analysis.score_real, "real", ()),
    "correlation-real": (analysis.correlation_real, "correlation", ()),
    "rescoring": (edits.rescoring, "rescoring", ()),
    "linearity": (edits.linearity, "linearity", ()),
    "edit": (edits.edit_grids, "edit", ()),
    "report": (report.run, "report", ()),
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
    train_predictor = commands.add_parser("train-predictor", help="train a multi-head attribute predictor on a CelebA-format set")
    train.add_arguments(train_predictor)
    return p


def run_train(args: argparse.Namespace) -> None:
    if args.blocks and len(args.blocks) != len(args.widths):
        raise config.ConfigError("train-predictor: --blocks needs one count per --widths entry")
    print(json.dumps(train.run(args), indent=2))


def load_codes(path: str, models: Models, space: str) -> np.ndarray:
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
        with torch.inference_mode():
            codes = models.generator.prepare_z(torch.from_numpy(codes)).numpy()
    return codes


def run_generate(args: argparse.Namespace) -> None:
    models = Models(config.load(args.config), with_predictor=False)
    images = models.images(load_codes(args.latents, models, args.space), args.space)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.save(f, images)


def run_score(args: argparse.Namespace) -> None:
    cfg = config.load(args.config)
    models = Models(cfg)
    scores = models.score(load_codes(args.latents, models, args.space), args.space)
    write_csv(args.out, [{a: float(v) for a, v in zip(cfg["attributes"], row)} for row in scores])


def run_stage(args: argparse.Namespace) -> None:
    function, view_name, keys = STAGES[args.name]
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

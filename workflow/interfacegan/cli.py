"""`interfacegan`: run one pipeline stage outside Snakemake, or the user tools.

Modules are imported when a command needs them, so that the stages without images
(selection, boundaries, tables) start without importing torch.
"""

import argparse
import json
import logging
import math
import sys
from pathlib import Path

import numpy as np

from . import __version__, config, pipeline
from .artifacts import (
    ArtifactError,
    CheckpointError,
    all_or_nothing,
    atomic_path,
    check_out,
    software,
    write_csv,
    write_h5,
)
from .layout import Layout
from .stages.select import SelectionError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="interfacegan", description=__doc__)
    p.add_argument("--version", action="version", version=__version__)
    commands = p.add_subparsers(dest="command", required=True)
    stage = commands.add_parser("stage", help="run one stage of the pipeline")
    stage.set_defaults(run=run_stage)
    stage.add_argument("name", choices=list(pipeline.STAGES), help="the stage (named as its Snakemake rule)")
    source = stage.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", help="YAML config file (validated)")
    source.add_argument("--view", help="the stage's view of a validated config, as JSON (what the rules pass)")
    stage.add_argument("--results", default="results", help="root folder of the runs (default: results)")
    for name, wildcard in pipeline.WILDCARDS.items():
        stage.add_argument(f"--{name.replace('_', '-')}", type=wildcard.type, help=wildcard.help)
    stage.add_argument(
        "--threads", type=int, default=1, help="CPU threads of the job (what Snakemake grants it; default 1)"
    )
    generate = commands.add_parser("generate", help="images from saved codes (like the official generate_data.py -i)")
    generate.set_defaults(run=run_generate)
    generate.add_argument("--config", required=True, help="YAML config file: its generator is used")
    generate.add_argument("--latents", required=True, help=".npy codes: (n, d) for z/w, (n, layers, d) for wp")
    generate.add_argument("--space", default="z", choices=["z", "w", "wp"])
    generate.add_argument("--out", required=True, help=".npy of uint8 images (n, H, W, 3)")
    score = commands.add_parser(
        "score", help="score saved latents (with the config's generator) or image files with its predictor"
    )
    score.set_defaults(run=run_score)
    score.add_argument("--config", required=True, help="YAML config file")
    what = score.add_mutually_exclusive_group(required=True)
    what.add_argument("--latents", help=".npy codes (n, d) of --space")
    what.add_argument(
        "--images",
        nargs="+",
        help="image files or folders (a folder's .png/.jpg/.jpeg photos, sorted by name, as the workflow takes them)",
    )
    score.add_argument("--space", default="z", choices=["z", "w"])
    score.add_argument("--out", required=True, help="CSV: one row per latent or image, one column per attribute")
    invert = commands.add_parser("invert", help="invert face images into the config's generator's latent space")
    invert.set_defaults(run=run_invert)
    invert.add_argument(
        "--config", required=True, help="YAML config file: its generator, device and batch_size are used"
    )
    invert.add_argument(
        "--images",
        nargs="+",
        required=True,
        help="image files or folders (a folder's .png/.jpg/.jpeg photos, sorted by name, as the workflow takes them)",
    )
    invert.add_argument("--out", required=True, help="HDF5: codes (in the images' order), psnr, images (their paths)")
    # Left out, these take the config's real_images values (the workflow's own inversion), else the schema's defaults.
    invert.add_argument("--space", choices=["z", "w", "wp"], help=f"default: real_images.space {FROM_CONFIG}")
    invert.add_argument(
        "--steps",
        type=int,
        help=f"Adam steps per batch (0 with an encoder: its codes); default: real_images.steps {FROM_CONFIG}",
    )
    invert.add_argument("--lr", type=float, help=f"peak learning rate; default: real_images.lr {FROM_CONFIG}")
    invert.add_argument(
        "--prior-weight",
        type=float,
        help=f"weight of the in-distribution prior; default: real_images.prior_weight {FROM_CONFIG}",
    )
    invert.add_argument(
        "--perceptual",
        type=float,
        help=f"weight of the LPIPS (VGG16) term beside the pixel MSE (0: off); default: real_images.perceptual {FROM_CONFIG}",
    )
    invert.add_argument("--seed", type=int, help="seed of the random z starts (default: the config's seed)")
    invert.add_argument(
        "--encoder",
        help=(
            "encoder checkpoint STEM.pt (from train-encoder) whose codes start the "
            f"optimisation; default: real_images.encoder {FROM_CONFIG}"
        ),
    )
    add_align_argument(invert)
    condition = commands.add_parser("condition", help="a boundary made orthogonal to others (conditional manipulation)")
    condition.set_defaults(run=run_condition)
    condition.add_argument(
        "--primal", required=True, help="the boundary to condition: a run's .h5 or a .npy vector (d,) or (1, d)"
    )
    condition.add_argument(
        "--conditions", nargs="+", required=True, help="the boundaries it must not move along (.h5 or .npy)"
    )
    condition.add_argument("--out", required=True, help=".npy (the official layout, (1, d)) or .h5 (with provenance)")
    cosine = commands.add_parser("cosine", help="the cosine matrix of boundary files, ours or official")
    cosine.set_defaults(run=run_cosine)
    cosine.add_argument("boundaries", nargs="+", help=".h5 boundaries of runs or .npy vectors (labelled by file stem)")
    cosine.add_argument("--out", help="CSV laid out as tables/cosine.csv (default: print it)")
    edit = commands.add_parser(
        "edit", help="move codes along a boundary and render every step (like the official edit.py)"
    )
    edit.set_defaults(run=run_edit)
    edit.add_argument("--config", help="YAML config file: its generator and batch_size are used")
    edit.add_argument(
        "--boundary", help="a run's .h5 (space and generator checked) or a .npy vector (d,) or (1, d) (dimension only)"
    )
    edit.add_argument("--latents", help=".npy codes, (n, d) for z/w, (n, layers, d) for wp, or the codes.h5 of invert")
    edit.add_argument("--space", choices=["z", "w", "wp"], help="the codes' space (wp codes take a w boundary)")
    edit.add_argument(
        "--out", required=True, help="a new or empty folder: codes.npy, NNN_KKK.png, grid_NNN.png, edit.json"
    )
    edit.add_argument("--start", type=float, default=-3.0, help="first step (default: -3)")
    edit.add_argument("--end", type=float, default=3.0, help="last step (default: 3)")
    edit.add_argument("--steps", type=int, default=10, help="steps from --start to --end (default: 10)")
    edit.add_argument(
        "--mode",
        default="distance",
        choices=["distance", "offset"],
        help="distance: each step places the code at that signed distance from the boundary (the official linear_interpolate; "
        "W+ codes move by it); offset: code + step * normal (default: distance)",
    )
    edit.add_argument("--layers", help="wp only: the W+ layers to move, e.g. 0-7,12 (default: all)")
    edit.add_argument(
        "--replay", help="an edit.yaml exported by the studio: every option above from it (its paths relative to it)"
    )
    studio = commands.add_parser(
        "studio", help="the editor of a finished run as a local web page (sliders, live scores, photos)"
    )
    studio.set_defaults(run=run_studio)
    studio.add_argument("--config", required=True, help="the run's YAML config file")
    studio.add_argument("--results", default="results", help="root folder of the runs (default: results)")
    studio.add_argument("--port", type=int, default=7860, help="port (default: 7860; 0: any free one)")
    studio.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    studio.add_argument(
        "--steps", type=int, default=50, help="optimisation steps after the encoder for a dropped photo (default: 50)"
    )
    export = commands.add_parser(
        "export-boundaries", help="every boundary of a run as official .npy files, with boundaries.json"
    )
    export.set_defaults(run=run_export_boundaries)
    export.add_argument("run_dir", help="the run's folder, results/<run>")
    export.add_argument(
        "--out",
        required=True,
        help="a new or empty folder: <name>_boundary.npy (z), <name>_w_boundary.npy (w), boundaries.json",
    )
    convert = commands.add_parser(
        "convert-pkl", help="an NVIDIA StyleGAN2-ADA/StyleGAN3 network pickle as a weights-only checkpoint"
    )
    convert.set_defaults(run=run_convert_pkl)
    convert.add_argument("pickle", help="the network pickle (.pkl); read as data, nothing in it is run")
    convert.add_argument("out", help="output stem: writes STEM.pt (G_ema's state dict) and STEM.json (its init kwargs)")
    train_predictor = commands.add_parser(
        "train-predictor", help="train a multi-head attribute predictor on a CelebA-format set"
    )
    train_predictor.set_defaults(run=run_train_predictor)
    add_train_arguments(train_predictor)
    encoder = commands.add_parser(
        "train-encoder", help="train an image -> code encoder on pairs the config's generator makes"
    )
    encoder.set_defaults(run=run_train_encoder)
    encoder.add_argument("--config", required=True, help="YAML config file: its generator is used")
    encoder.add_argument("--space", default="z", choices=["z", "w", "wp"])
    encoder.add_argument("--out", required=True, help="output stem: writes STEM.pt and STEM.json (the report inside)")
    encoder.add_argument("--steps", type=int, default=2000, help="training steps (default: 2000)")
    encoder.add_argument("--batch-size", type=int, default=64, help="generated pairs per step (default: 64)")
    encoder.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default: 1e-3)")
    encoder.add_argument("--seed", type=int, default=0, help="seed of the weights and the training draws (default: 0)")
    encoder.add_argument(
        "--image-weight", type=float, default=0.0, help="weight of the image term MSE(G(E(x)), x) (default: 0, off)"
    )
    encoder.add_argument("--widths", type=int, nargs="+", default=[32, 64, 128, 256])
    encoder.add_argument("--blocks", type=int, nargs="+", help="blocks per width (default: 1 each)")
    encoder.add_argument(
        "--held-out", type=int, default=256, help="held-out generated pairs for the report (default: 256)"
    )
    encoder.add_argument("--device", help="device (default: the config's)")
    encoder.add_argument("--threads", type=int, help="CPU threads (default: torch's)")
    add_translator_commands(commands)
    return p


FROM_CONFIG = "(the config's, else the schema's default)"


def add_align_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--align",
        action=argparse.BooleanOptionalAction,
        help="align each photo's face like the generator's (dlib landmarks), or (--no-align) take a centre crop; "
        "default: real_images.align, off for a config without real_images",
    )


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="folder of the images; relative table paths are taken inside it")
    p.add_argument(
        "--attributes", nargs="+", required=True, help="output names: attribute-table columns or yaw (see --map)"
    )
    p.add_argument("--out", required=True, help="output stem: writes STEM.pt, STEM.json, STEM.report.json")
    p.add_argument("--attr-file", help="attribute table (default: list_attr_celeba.txt)")
    p.add_argument("--landmarks-file", help="landmarks table, needed for yaw (e.g. list_landmarks_align_celeba.txt)")
    p.add_argument(
        "--partition-file", help="train/val/test partition (e.g. list_eval_partition.txt); default: seeded 80/10/10"
    )
    p.add_argument(
        "--map",
        nargs="+",
        default=[],
        metavar="NAME=SOURCE",
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
    p.add_argument(
        "--framing",
        default="centre",
        choices=["centre", "ffhq"],
        help="square cut from each image: centre (default) or ffhq, FFHQ's face square from its landmarks "
        "(needs --landmarks-file; for generators trained on FFHQ)",
    )


def add_translator_commands(commands) -> None:
    train = commands.add_parser(
        "train-translator", help="train an image -> image translator on pairs (G(z), G(z + alpha n)) of a boundary"
    )
    train.set_defaults(run=run_train_translator)
    train.add_argument(
        "--config", required=True, help="YAML config file: its generator (and run, for the boundary) are used"
    )
    train.add_argument(
        "--boundary", required=True, help="the run's boundary name, or identity: the identity model (pairs (x, x))"
    )
    train.add_argument("--out", required=True, help="output stem: writes STEM.pt and STEM.json (the report inside)")
    train.add_argument(
        "--identity", help="the identity model (STEM or STEM.pt) that a boundary model is fine-tuned from (needed then)"
    )
    # Left out, these take the config's translator values (as the workflow trains), else the schema's defaults.
    train.add_argument(
        "--space",
        choices=["z", "w", "wp"],
        help=f"the boundary's latent space; default: translator.space {FROM_CONFIG}",
    )
    train.add_argument(
        "--alpha",
        type=float,
        help=f"edit distance along the boundary's normal; default: translator.alpha {FROM_CONFIG}",
    )
    train.add_argument(
        "--steps",
        type=int,
        help=f"training steps; default: translator.steps, translator.identity_steps for identity {FROM_CONFIG}",
    )
    train.add_argument(
        "--batch-size", type=int, help=f"generated pairs per step; default: translator.batch_size {FROM_CONFIG}"
    )
    train.add_argument(
        "--lr", type=float, help=f"Adam's learning rate (betas 0.5 / 0.999); default: translator.lr {FROM_CONFIG}"
    )
    train.add_argument(
        "--seed",
        type=int,
        help="seed of the weights and the training pairs (default: translator.seed, else the config's seed + 1; never the config's own)",
    )
    train.add_argument(
        "--perceptual",
        type=float,
        help=f"weight of the LPIPS (VGG16) term (0: off); default: translator.perceptual {FROM_CONFIG}",
    )
    train.add_argument(
        "--pixel", type=float, help=f"weight of the L1 pixel term (0: off); default: translator.pixel {FROM_CONFIG}"
    )
    train.add_argument(
        "--channels",
        type=int,
        help=(
            "the translator's first width (a boundary model takes its identity model's "
            f"architecture); default: translator.architecture {FROM_CONFIG}"
        ),
    )
    train.add_argument(
        "--downsamples",
        type=int,
        help=f"strided convolutions down, as many up; default: translator.architecture {FROM_CONFIG}",
    )
    train.add_argument("--blocks", type=int, help=f"residual blocks; default: translator.architecture {FROM_CONFIG}")
    train.add_argument("--held-out", type=int, default=64, help="held-out pairs for the report's PSNR (default: 64)")
    train.add_argument("--results", default="results", help="root folder of the runs (default: results)")
    train.add_argument("--device", help="device (default: the config's)")
    train.add_argument("--threads", type=int, help="CPU threads (default: torch's)")
    edit = commands.add_parser("translate", help="edit face images in one forward pass of a trained translator")
    edit.set_defaults(run=run_translate)
    edit.add_argument(
        "--config", required=True, help="YAML config file: its generator (resolution) and batch_size are used"
    )
    edit.add_argument("--translator", required=True, help="translator checkpoint STEM.pt (from train-translator)")
    edit.add_argument(
        "--images",
        nargs="+",
        required=True,
        help="image files or folders (a folder's .png/.jpg/.jpeg photos, sorted by name, as the workflow takes them)",
    )
    edit.add_argument(
        "--strength",
        type=float,
        default=1.0,
        help=(
            "0: the identity model, 1: the boundary model, between or beyond: interpolated weights (within "
            "the config's translator.strength_range, default [0, 2])"
        ),
    )
    edit.add_argument("--out", required=True, help="folder: one PNG per image, with the image's file name")
    add_align_argument(edit)


def take_defaults(args: argparse.Namespace, defaults: dict) -> None:
    """Each flag left out (None) takes its value in `defaults` (keys as the flags' dests)."""
    vars(args).update({key: value for key, value in defaults.items() if getattr(args, key) is None})


def training_setup(args: argparse.Namespace, cfg: dict, inputs: dict):
    """The models of `cfg` for a training command: --out's STEM.pt and STEM.json can be written
    (and are none of `inputs`), --device and --threads applied, and the generator has --space."""
    import torch

    from .checkpoints import check_stem_out
    from .codes import option_code_shape
    from .models import Models

    check_stem_out(args.out, inputs)
    if args.device:
        cfg["device"] = args.device
    if args.threads:
        torch.set_num_threads(args.threads)
    models = Models(cfg, with_predictor=False)
    option_code_shape(models, args.space)  # the generator has the space
    return models


def log_usage(stage: str) -> None:
    """The job's CPU time, split into user and kernel, and its minor page faults: the last
    line of its log (bench/stages.py adds them up per stage)."""
    import resource  # POSIX

    usage = resource.getrusage(resource.RUSAGE_SELF)
    logging.getLogger("interfacegan").info(
        "stage %s used: user %.2f s, sys %.2f s, minor page faults %d",
        stage,
        usage.ru_utime,
        usage.ru_stime,
        usage.ru_minflt,
    )


def run_stage(args: argparse.Namespace) -> None:
    results = Path(args.results)
    above = next(p for p in [results, *results.absolute().parents] if p.exists())
    if not above.is_dir():
        raise ArtifactError(f"--results {args.results}: {above} is a file; name the folder of the runs")
    source = json.loads(args.view) if args.view else config.load(args.config)
    wildcards = {name: getattr(args, name) for name in pipeline.STAGES[args.name].wildcards}
    if pipeline.STAGES[args.name].models:
        import torch

        torch.set_num_threads(args.threads)
    from . import stages

    with all_or_nothing():
        stages.run(source, args.name, wildcards, Layout(source["run"], args.results))
    log_usage(args.name)


def run_generate(args: argparse.Namespace) -> None:
    from .codes import load_codes
    from .models import Models

    check_out(args.out, {"--config": args.config, "--latents": args.latents})
    models = Models(config.load(args.config), with_predictor=False)
    images = models.images(load_codes(args.latents, models, args.space), args.space)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as f:
        np.save(f, images)


def run_score(args: argparse.Namespace) -> None:
    import pandas as pd

    from .codes import load_codes
    from .models import Models
    from .stages.scored_photos import image_scores

    check_out(args.out, {"--config": args.config, "--latents": args.latents, "--images": args.images})
    cfg = config.load(args.config)
    if args.images:
        paths = config.image_paths(args.images)
        frame = pd.DataFrame(
            image_scores(cfg, paths), columns=cfg["attributes"], index=pd.Index(map(str, paths), name="image")
        )
    else:
        models = Models(cfg)
        frame = pd.DataFrame(
            models.score(load_codes(args.latents, models, args.space), args.space), columns=cfg["attributes"]
        )
    write_csv(args.out, frame)


def run_invert(args: argparse.Namespace) -> None:
    from .alignment import input_faces
    from .checkpoints import checkpoint_files
    from .codes import option_code_shape
    from .inversion import invert
    from .metrics.lpips import weighted_lpips
    from .models import Models

    cfg = config.load(args.config)
    take_defaults(
        args, config.photo_defaults(cfg, "space", "encoder", "steps", "lr", "prior_weight", "perceptual", "align")
    )
    check_out(args.out, {"--config": args.config, "--images": args.images, "--encoder": checkpoint_files(args.encoder)})
    fewest = 0 if args.encoder else 1
    if (
        args.steps < fewest
        or not 0 < args.lr < math.inf
        or not 0 <= args.perceptual < math.inf
        or not 0 <= args.prior_weight < math.inf
    ):
        raise config.ConfigError(
            f"invert: --steps must be >= {fewest}{' (0 only with --encoder)' * fewest}, --lr > 0, --perceptual and --prior-weight >= 0, "
            f"each finite (got {args.steps}, {args.lr}, {args.perceptual}, {args.prior_weight})"
        )
    paths = config.image_paths(args.images)
    models = Models(cfg, with_predictor=False)
    option_code_shape(models, args.space)  # the generator has the space
    images = input_faces(paths, models.generator, args.align)
    seed = cfg["seed"] if args.seed is None else args.seed
    init = None
    if args.encoder:
        from .encoder import encode, load_encoder

        init = encode(load_encoder(args.encoder, models.generator, args.space), images, cfg["batch_size"])
    result = invert(
        models.generator,
        images,
        args.space,
        args.steps,
        args.lr,
        seed,
        weighted_lpips(args.perceptual, models.device),
        prior_weight=args.prior_weight,
        init=init,
        batch_size=cfg["batch_size"],
    )
    attrs = {
        "space": args.space,
        "generator": models.generator.name,
        "encoder": args.encoder or "",
        "generator_config": json.dumps(cfg["generator"], sort_keys=True),
        "steps": args.steps,
        "lr": args.lr,
        "seed": seed,
        "prior_weight": args.prior_weight,
        "perceptual": args.perceptual,
        "aligned": args.align,
    } | software()
    write_h5(args.out, {"codes": result.codes, "psnr": result.psnr, "images": [str(p) for p in paths]}, attrs)


def run_condition(args: argparse.Namespace) -> None:
    from .boundaries import conditioned

    check_out(args.out, {"--primal": args.primal, "--conditions": args.conditions})
    attrs = conditioned(args.primal, args.conditions, args.out)
    print(
        f"{args.out}: cosine to the primal {attrs['cosine_to_primal']:.4f}, max |residual| {attrs['max_abs_residual']:.1e}"
    )


def run_cosine(args: argparse.Namespace) -> None:
    from .boundaries import cosine_table

    if args.out:
        check_out(args.out, {"boundary": args.boundaries})
    table = cosine_table(args.boundaries)
    if args.out:
        write_csv(args.out, table)
    else:
        print(table.to_csv(float_format="%.4f"), end="")


def run_edit(args: argparse.Namespace) -> None:
    from .editing import edit, read_replay
    from .models import Models

    if args.replay:
        vars(args).update(read_replay(args.replay))
    missing = [f"--{name}" for name in ("config", "boundary", "latents", "space") if getattr(args, name) is None]
    if missing:
        raise config.ConfigError(f"edit: {', '.join(missing)} needed (or --replay EDIT.yaml)")
    check_out(
        args.out,
        {"--config": args.config, "--boundary": args.boundary, "--latents": args.latents, "--replay": args.replay},
        "new folder",
    )
    models = Models(config.load(args.config), with_predictor=False)
    record = edit(
        models,
        args.boundary,
        args.latents,
        args.space,
        args.out,
        args.start,
        args.end,
        args.steps,
        args.mode,
        args.layers,
    )
    print(
        f"{args.out}: {record['samples']} codes x {record['steps']} steps along {args.boundary} ({record['boundary_check']})"
    )


def run_studio(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535 or not 0 <= args.steps <= 10_000:
        raise config.ConfigError(
            f"studio: --port must be in 0..65535 and --steps in 0..10000 (got {args.port}, {args.steps})"
        )
    from .studio.server import open_studio

    open_studio(args.config, args.results, args.host, args.port, args.steps)


def run_export_boundaries(args: argparse.Namespace) -> None:
    from .boundaries import export_boundaries

    check_out(args.out, {"run_dir": args.run_dir}, "new folder")
    record = export_boundaries(args.run_dir, args.out)
    print(f"{args.out}: {', '.join(record['boundaries'])} and boundaries.json")


def run_convert_pkl(args: argparse.Namespace) -> None:
    from .checkpoints import check_stem_out
    from .generators.nvidia import convert_pickle

    check_stem_out(args.out, {"pickle": args.pickle})
    print(convert_pickle(args.pickle, args.out))


def run_train_predictor(args: argparse.Namespace) -> None:
    from .checkpoints import check_stem_out
    from .predictors.multihead import check_stages

    check_stages("train-predictor", args.widths, args.blocks)
    pairs = [item.partition("=") for item in args.map]
    if any(not name or not source for name, _, source in pairs):
        raise config.ConfigError(f"train-predictor: --map takes NAME=SOURCE pairs, got {' '.join(args.map)}")
    inputs = {
        "--data": args.data,
        "--attr-file": args.attr_file,
        "--landmarks-file": args.landmarks_file,
        "--partition-file": args.partition_file,
    }
    check_stem_out(args.out, inputs, ".report.json")
    from .predictors.train import train_predictor

    options = dict(
        input_size=args.input_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        widths=tuple(args.widths),
        blocks=tuple(args.blocks) if args.blocks else None,
        attr_file=args.attr_file,
        landmarks_file=args.landmarks_file,
        partition_file=args.partition_file,
        device=args.device,
        augment=args.augment,
        attribute_map={name: source for name, _, source in pairs},
        framing=args.framing,
    )
    report = train_predictor(
        args.data, args.attributes, args.out, **{k: v for k, v in options.items() if v is not None}
    )
    print(json.dumps(report, indent=2))


def run_train_encoder(args: argparse.Namespace) -> None:
    if (
        args.steps < 1
        or args.batch_size < 1
        or not 0 < args.lr < math.inf
        or not 0 <= args.image_weight < math.inf
        or args.held_out < 1
    ):
        raise config.ConfigError(
            "train-encoder: --steps, --batch-size and --held-out must be >= 1, --lr > 0 and --image-weight >= 0, each finite"
        )
    from .predictors.multihead import check_stages

    check_stages("train-encoder", args.widths, args.blocks)
    from .encoder import save_encoder, train_encoder

    cfg = config.load(args.config)
    models = training_setup(args, cfg, {"--config": args.config})
    encoder, report = train_encoder(
        models.generator,
        args.space,
        args.steps,
        args.batch_size,
        args.lr,
        args.seed,
        args.image_weight,
        widths=tuple(args.widths),
        blocks=tuple(args.blocks) if args.blocks else None,
        held_out=args.held_out,
    )
    info = {
        "space": args.space,
        "generator": models.generator.name,
        "generator_config": cfg["generator"],
        "training": report["training"],
        "report": {key: value for key, value in report.items() if key != "training"},
    } | software()
    checkpoint = save_encoder(encoder, args.out, info)
    print(json.dumps({"checkpoint": str(checkpoint)} | report, indent=2))


def run_train_translator(args: argparse.Namespace) -> None:
    from .checkpoints import checkpoint_files

    if (args.boundary == "identity") == bool(args.identity):
        raise config.ConfigError(
            "train-translator: --identity (the identity model to fine-tune) is needed with a boundary, and not with --boundary identity"
        )
    cfg = config.load(args.config)
    take_defaults(args, config.translator_defaults(cfg, args.boundary))
    if args.alpha is None:
        raise config.ConfigError(
            f"train-translator: the config's translator.alpha names no {args.boundary}; give --alpha"
        )
    if (
        args.steps < 1
        or args.batch_size < 1
        or args.held_out < 1
        or not 0 < args.lr < math.inf
        or not 0 <= args.perceptual < math.inf
        or not 0 <= args.pixel < math.inf
        or not math.isfinite(args.alpha)
    ):
        raise config.ConfigError(
            "train-translator: --steps, --batch-size and --held-out must be >= 1, --lr > 0, "
            "--perceptual and --pixel >= 0, each finite, and --alpha finite"
        )
    from .translator import ARCHITECTURE_BOUNDS, HELD_OUT_SEED

    for key, (low, high) in ARCHITECTURE_BOUNDS.items():
        if key in vars(args) and not low <= getattr(args, key) <= high:
            raise config.ConfigError(
                f"train-translator: --{key} must be in {low}..{high} (what a translator's loader takes), not {getattr(args, key)}"
            )
    models = training_setup(args, cfg, {"--config": args.config, "--identity": checkpoint_files(args.identity)})
    if args.seed in (cfg["seed"], HELD_OUT_SEED):
        raise config.ConfigError(
            f"train-translator: --seed {args.seed} would draw the run's own latents or the held-out pairs; choose another"
        )
    from .stages.translation import train_standalone

    options = {
        "space": args.space,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "perceptual": args.perceptual,
        "pixel": args.pixel,
        "architecture": {"channels": args.channels, "downsamples": args.downsamples, "blocks": args.blocks},
    }
    checkpoint, report = train_standalone(
        cfg,
        args.results,
        models.generator,
        args.boundary,
        args.identity,
        args.out,
        args.steps,
        options,
        args.seed,
        args.alpha,
        args.held_out,
    )
    print(json.dumps({"checkpoint": str(checkpoint)} | report, indent=2))


def run_translate(args: argparse.Namespace) -> None:
    from .alignment import input_faces
    from .checkpoints import checkpoint_files
    from .figures import save_png
    from .images import to_uint8
    from .models import Models
    from .translator import translate

    check_out(
        args.out,
        {"--config": args.config, "--translator": checkpoint_files(args.translator), "--images": args.images},
        "folder",
    )
    paths = config.image_paths(args.images)
    names = [p.with_suffix(".png").name for p in paths]  # the image's name, as a PNG
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ArtifactError(
            f"--images: several images would be written as {', '.join(twice[:3])}; the outputs would overwrite each other"
        )
    cfg = config.load(args.config)
    config.check_strength(cfg, args.strength, "--strength")
    take_defaults(args, config.photo_defaults(cfg, "align"))
    models = Models(cfg, with_predictor=False)
    images = input_faces(paths, models.generator, args.align)
    edited = to_uint8(translate(args.translator, models.generator, images, args.strength, cfg["batch_size"]))
    with all_or_nothing():
        for name, image in zip(names, edited):
            save_png(image, Path(args.out) / name)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (config.ConfigError, ArtifactError, CheckpointError, SelectionError) as err:
        print(f"interfacegan: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except OSError as err:  # a folder that cannot be written (read-only, full), a path under a file
        where = f"{err.filename}: " if err.filename else ""
        print(f"interfacegan: error: {where}{' '.join((err.strerror or str(err)).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

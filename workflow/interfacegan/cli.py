"""`interfacegan`: run one pipeline stage outside Snakemake, or the user tools."""

import argparse
import json
import logging
import sys

from . import __version__, config
from .artifacts import ArtifactError
from .checkpoints import CheckpointError
from .layout import Layout
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
    return p


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
        run_stage(args)
    except (config.ConfigError, ArtifactError, CheckpointError, SelectionError) as err:
        print(f"interfacegan: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

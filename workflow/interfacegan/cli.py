"""`interfacegan`: run one pipeline stage outside Snakemake, or the user tools."""

import argparse
import json
import logging
import sys

from . import __version__, config
from .artifacts import ArtifactError
from .checkpoints import CheckpointError
from .layout import Layout
from .stages import boundary, sample, score, select, table, truth
from .stages.select import SelectionError

STAGES = {
    "sample": lambda view, a, layout: sample.run(view, a.shard, layout),
    "score": lambda view, a, layout: score.run(view, a.shard, layout),
    "merge": lambda view, a, layout: score.merge(view, layout),
    "select": lambda view, a, layout: select.run(view, a.attribute, layout),
    "boundary": lambda view, a, layout: boundary.run(view, a.attribute, a.space, layout),
    "table": lambda view, a, layout: table.run(view, layout),
    "truth": lambda view, a, layout: truth.run(view, layout),
}
VIEW_OF = {"merge": "score"}  # stages that read another stage's view


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
    stage.add_argument("--space", default="z", help="latent space (boundary)")
    return p


def run_stage(args: argparse.Namespace) -> None:
    view_name = VIEW_OF.get(args.name, args.name)
    if args.view:
        view = json.loads(args.view)
    else:
        view = config.stage_view(config.load(args.config), view_name)
    STAGES[args.name](view, args, Layout(view["run"], args.results))


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

"""How long Snakemake takes to plan a run of 100, 1,000 and 10,000 shards (`snakemake -n`).

Run by hand: .venv/bin/python bench/scheduler.py [--shards 100 1000 10000]
"""

import argparse
import copy
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def plan(shards: int, workdir: Path) -> tuple[float, int]:
    """Seconds to plan, and the number of jobs planned."""
    config = yaml.safe_load((ROOT / "configs" / "planted.yaml").read_text())
    config = copy.deepcopy(config) | {"n_samples": shards * 500, "shard_size": 500, "batch_size": 500}
    path = workdir / f"config_{shards}.yaml"
    path.write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-n",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(path),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, int(re.search(r"^total\s+(\d+)", done.stdout, re.M).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shards", type=int, nargs="+", default=[100, 1000, 10000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        plans = {n: plan(n, Path(tmp)) for n in args.shards}
    base = plans[args.shards[0]][0]
    print(f"{'shards':>8} {'jobs':>8} {'plan s':>8} {'vs ' + str(args.shards[0]):>8}")
    for n, (seconds, jobs) in plans.items():
        print(f"{n:>8} {jobs:>8} {seconds:>8.2f} {seconds / base:>8.2f}")


if __name__ == "__main__":
    main()

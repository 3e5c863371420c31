"""Where a finished run's CPU time went, stage by stage: each job's user and kernel (sys)
time and minor page faults, as `interfacegan stage` logs them as its last line. Issue 11's
target: sys below 5 % of user in every image stage.

Run by hand, after a run: .venv/bin/python bench/stages.py [results/dcgan_faces]
"""

import argparse
import re
from collections import defaultdict
from pathlib import Path

from interfacegan import pipeline

USAGE = re.compile(r"stage (\w+) used: user ([\d.]+) s, sys ([\d.]+) s, minor page faults (\d+)")


def usage_by_stage(run: Path) -> dict[str, list[float]]:
    """Per stage: [jobs, user s, sys s, minor faults], from the run's job logs."""
    totals = defaultdict(lambda: [0, 0.0, 0.0, 0])
    for log in sorted((run / "logs").rglob("*.log")):
        for match in USAGE.finditer(log.read_text(errors="replace")):
            total = totals[match[1]]
            total[0] += 1
            for i, value in enumerate(match.groups()[1:], start=1):
                total[i] += float(value)
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", default="results/dcgan_faces", help="a run's results folder")
    run = Path(parser.parse_args().run)
    totals = usage_by_stage(run)
    if not totals:
        raise SystemExit(f"no job logs with resource usage under {run / 'logs'}")
    print(f"{'stage':<28} {'images':>6} {'jobs':>4} {'user s':>8} {'sys s':>7} {'sys/user':>8} {'minor faults':>12}")
    for stage, (jobs, user, system, faults) in sorted(totals.items(), key=lambda item: -item[1][1]):
        images = "yes" if pipeline.STAGES[stage].models else ""
        print(f"{stage:<28} {images:>6} {jobs:>4} {user:>8.1f} {system:>7.1f} {system / user:>8.1%} {faults:>12,.0f}")
    jobs, user, system, faults = (sum(column) for column in zip(*totals.values()))
    print(f"{'all':<28} {'':>6} {jobs:>4} {user:>8.1f} {system:>7.1f} {system / user:>8.1%} {faults:>12,.0f}")


if __name__ == "__main__":
    main()

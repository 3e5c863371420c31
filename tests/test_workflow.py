"""The Snakemake workflow itself: planning, running, bad configs, kills."""

import copy
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from helpers import PLANTED, planted_photos, run_chain, screenshot
from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.artifacts import read_h5
from interfacegan.layout import Layout

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]


def snakemake(config: dict, workdir: Path, *args: str, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    command = SNAKEMAKE + ["--directory", str(workdir), "--configfile", str(path), *args]
    if popen:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def job_counts(output: str) -> dict[str, int]:
    """The 'job count' table of a dry run, as {rule: count}."""
    table = output[output.index("Job stats:") :]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


def test_a_500_shard_config_plans(tmp_path):
    config = copy.deepcopy(PLANTED) | {"n_samples": 500_000, "shard_size": 1000}
    done = snakemake(config, tmp_path, "-n")
    assert done.returncode == 0, done.stdout + done.stderr
    counts = job_counts(done.stdout)
    assert counts["sample"] == counts["score"] == 500
    assert counts["select"] == counts["boundary"] == len(config["attributes"])


def test_the_venvs_snakemake_runs_jobs_without_the_venv_activated(tmp_path):
    """`.venv/bin/snakemake`, typed with a PATH that does not hold the venv: the jobs find its `interfacegan`."""
    config = copy.deepcopy(PLANTED)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    target = f"results/{config['run']}/latents/shard_00000.h5"
    command = [
        str(Path(sys.executable).parent / "snakemake"),
        target,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--cores",
        "1",
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "config.yaml"),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=os.environ | {"PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / target).is_file()


def test_make_takes_a_photo_folder_of_any_name(tmp_path):
    """`make dry-run PHOTOS="my, \"odd\" photos"`: spaces, a comma and quotes reach the plan intact."""
    folder = tmp_path / 'my, "odd" photos'
    folder.mkdir()
    for photo in (ROOT / "data" / "real_faces").glob("*.*g"):
        shutil.copy(photo, folder)
    done = subprocess.run(
        ["make", "--old-file=.venv/.installed", "dry-run", f"PHOTOS={folder}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    photos = sorted(p.name for p in folder.iterdir())
    assert f"input: {', '.join(str(folder / p) for p in photos)}" in done.stdout


def test_a_bad_config_stops_with_one_line_before_any_job(tmp_path):
    config = copy.deepcopy(PLANTED) | {"shard_sizes": 10}
    done = snakemake(config, tmp_path, "--cores", "1")
    assert done.returncode != 0
    assert "interfacegan: config: shard_sizes: Additional properties are not allowed" in done.stderr
    assert not (tmp_path / "results").exists()


def test_the_workflow_gives_what_the_stages_give(tmp_path):
    (tmp_path / "photos").mkdir()
    planted_photos(tmp_path / "photos", 3)
    real = {"images": str(tmp_path / "photos"), "align": False, "steps": 30, "shard_size": 2}
    translator = {
        "boundaries": ["smile", "eyeglasses_c_age"],
        "identity_steps": 4,
        "steps": 3,
        "batch_size": 4,
        "perceptual": 0.0,
        "architecture": {"channels": 8, "downsamples": 1, "blocks": 1},
        "faces": 3,
        "strengths": [0, 1],
    }
    config = copy.deepcopy(PLANTED) | {"n_samples": 4000, "real_images": real, "translator": translator}
    done = snakemake(config, tmp_path, "--cores", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    run = tmp_path / "results" / config["run"]
    expected = run_chain(configuration.validate(config), tmp_path / "direct")
    assert (run / "tables" / "separability.csv").read_text() == expected.table("separability").read_text()
    for attribute in config["attributes"]:
        np.testing.assert_array_equal(
            read_h5(run / "boundaries" / "z" / f"{attribute}.h5")["normal"],
            read_h5(expected.boundary(attribute, "z"))["normal"],
        )
        assert (run / "logs" / "boundary" / f"{attribute}_z.log").exists()
        assert (run / "benchmarks" / "boundary" / f"{attribute}_z.tsv").exists()
    assert (run / "planted_truth.h5").exists()
    assert (
        len(pd.read_csv(run / "tables" / "real_reconstruction.csv")) == 3
        and (run / "real" / "codes" / "shard_00001.h5").exists()
    )
    assert (
        len(pd.read_csv(run / "tables" / "translation.csv")) == 2 * 2 * 2
        and (run / "translators" / "eyeglasses_c_age.json").exists()
    )
    again = snakemake(config, tmp_path, "--cores", "2", "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
    check_the_usage_lines(run)
    check_the_report(config, tmp_path)


def check_the_usage_lines(run: Path) -> None:
    """Each job's log ends with its CPU time and page faults, which bench/stages.py adds up per stage."""
    spec = importlib.util.spec_from_file_location("stages_bench", ROOT / "bench" / "stages.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    logs = sorted((run / "logs").rglob("*.log"))
    assert all(bench.USAGE.search(log.read_text().splitlines()[-1]) for log in logs)
    totals = bench.usage_by_stage(run)
    assert sum(jobs for jobs, *_ in totals.values()) == len(logs)
    assert totals["score"][0] == len(list((run / "logs" / "score").glob("0*.log"))) and totals["score"][1] > 0


def check_the_report(config: dict, workdir: Path) -> None:
    """`snakemake --report` holds every table, figure and edit grid, captioned, and renders."""
    for name in ("report.html", "report.zip"):
        made = snakemake(config, workdir, "--report", str(workdir / name))
        assert made.returncode == 0 and (workdir / name).stat().st_size > 100_000, made.stdout + made.stderr
    page = (workdir / "report.html").read_text()
    layout = Layout(config["run"], workdir / "results")
    validated = configuration.validate(config)
    items = [
        Path(p)
        for stage in pipeline.STAGES.values()
        if stage.category and stage.when(validated)
        for p in stage.outputs(validated, layout)
    ]
    grids = len(pipeline.boundary_names(validated))
    # separability, cosine, correlation, rescoring, linearity, the edit grids; real faces: 3 tables, the grids;
    # translator: its table and a grid per boundary
    translated = len(validated["translator"]["boundaries"]) if validated["translator"] else 0
    assert len(items) == 3 + 2 + 2 + 2 + 2 + grids + (3 + grids) * bool(validated["real_images"]) + (
        1 + translated
    ) * bool(translated)
    for item in items:
        assert item.name in page, item
    stages = [stage.name for stage in pipeline.STAGES.values() if stage.category and stage.when(validated)]
    for caption in [pipeline.REPORT / f"{name}.rst" for name in stages] + [pipeline.REPORT / "workflow.rst"]:
        assert caption.read_text().split(".")[0][:60] in page, caption.name
    if shutil.which("chromium"):
        assert screenshot(workdir / "report.html", workdir).std() > 20  # not blank


def test_a_killed_run_leaves_no_complete_looking_shard_and_resumes(tmp_path):
    # DCGAN images read by the planted predictor: slow enough to be killed mid-shard.
    config = copy.deepcopy(PLANTED) | {"n_samples": 2000, "shard_size": 1000, "batch_size": 250}
    config["generator"] = {"name": "dcgan"}
    run = tmp_path / "results" / config["run"]
    process = snakemake(config, tmp_path, "--cores", "2", start_new_session=True)
    deadline = time.time() + 120
    while not list((run / "logs" / "score").glob("0*.log")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # inside the first batches of a score job
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for path in (run / "scores").glob("shard_*.h5"):  # any shard file there is whole
        assert len(read_h5(path, "scores")["scores"]) == 1000
    assert not (run / "scores" / "shard_00001.h5").exists() or not (run / "scores" / "shard_00000.h5").exists()
    assert snakemake(config, tmp_path, "--unlock").returncode == 0  # a killed Snakemake leaves its lock
    resumed = snakemake(config, tmp_path, "--cores", "2", "--rerun-incomplete")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    expected = run_chain(configuration.validate(config), tmp_path / "direct")
    assert (run / "tables" / "separability.csv").read_text() == expected.table("separability").read_text()


def test_only_what_changes_a_result_reruns_and_a_new_checkpoint_does(tmp_path):
    from interfacegan.predictors.multihead import MultiHeadNet, save_checkpoint

    def new_predictor(seed: int) -> None:
        torch.manual_seed(seed)
        outputs = {a: "logit" for a in PLANTED["attributes"]}
        meta = {
            "architecture": {"widths": [8], "blocks": [1]},
            "attributes": list(outputs),
            "outputs": outputs,
            "input_size": 16,
            "mean": [0.5] * 3,
            "std": [0.25] * 3,
        }
        save_checkpoint(tmp_path / "predictor.pt", MultiHeadNet(len(outputs), widths=(8,), blocks=(1,)), meta)

    new_predictor(0)
    config = copy.deepcopy(PLANTED) | {
        "n_samples": 4000,
        "predictor": {"name": "multihead", "checkpoint": str(tmp_path / "predictor.pt")},
    }
    target = f"results/{config['run']}/scores.h5"
    assert snakemake(config, tmp_path, "--cores", "2", target).returncode == 0

    def planned(changed: dict) -> dict[str, int]:
        done = snakemake(changed, tmp_path, "-n", target)
        assert done.returncode == 0, done.stdout + done.stderr
        return {} if "Nothing to be done" in done.stdout + done.stderr else job_counts(done.stdout)

    assert planned(config | {"threads": 2}) == {}
    assert planned(config | {"slurm": {"partition": "other"}}) == {}
    assert planned(config | {"seed": 1})["sample"] == 2  # the check can tell
    time.sleep(1.1)  # a newer modification time than the scores'
    new_predictor(1)
    counts = planned(config)
    assert counts["score"] == 2 and counts["merge_scores"] == 1 and "sample" not in counts

"""Content, not dates: a checkpoint or photo replaced by another file (even an older one, as
`cp -p` or unzip leave it) changes the views of the stages that read it, so Snakemake re-runs them."""

import copy
import os
import shutil

import pytest

from helpers import PLANTED, planted_photos
from interfacegan import config as configuration
from interfacegan import pipeline
from test_workflow import job_counts, snakemake


def backdate(path, seconds=86_400):
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns - seconds * 10**9, stat.st_mtime_ns - seconds * 10**9))


def test_a_replaced_checkpoint_changes_the_views_that_read_it_and_only_those(tmp_path):
    checkpoint, other = tmp_path / "predictor.pt", tmp_path / "other.pt"
    checkpoint.write_bytes(b"A" * 1000)
    other.write_bytes(b"B" * 1000)  # same size
    backdate(other)
    config = configuration.validate(
        copy.deepcopy(PLANTED) | {"predictor": {"name": "multihead", "checkpoint": str(checkpoint)}}
    )
    before = {stage: pipeline.view(config, stage)["files"] for stage in ("sample", "score", "boundary", "summary")}
    shutil.copy2(other, checkpoint)  # cp -p: the other file's older date
    after = {stage: pipeline.view(config, stage)["files"] for stage in before}
    assert after["sample"] == before["sample"]  # the generator's stage does not read the predictor
    assert all(after[stage] != before[stage] for stage in ("score", "boundary", "summary"))
    checkpoint.write_bytes(b"A" * 1000)  # the first content again, with a new date: the first views again
    assert {stage: pipeline.view(config, stage)["files"] for stage in before} == before


def test_a_view_keeps_its_digest_when_a_job_runs_it(tmp_path):
    config = configuration.validate(copy.deepcopy(PLANTED))
    view = pipeline.view(config, "score") | {"files": "as planned"}
    assert pipeline.view(view, "score")["files"] == "as planned"


@pytest.mark.parametrize("missing", [True, False])
def test_a_missing_checkpoint_is_left_to_the_job_to_name(tmp_path, missing):
    path = tmp_path / "predictor.pt"
    if not missing:
        path.write_bytes(b"weights")
    config = configuration.validate(
        copy.deepcopy(PLANTED) | {"predictor": {"name": "multihead", "checkpoint": str(path)}}
    )
    assert pipeline.view(config, "score")["files"]  # planning does not stop at a missing file


def test_snakemake_reruns_the_alignment_of_a_photo_replaced_by_an_older_one(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    planted_photos(photos, 3)
    config = copy.deepcopy(PLANTED) | {"real_images": {"images": str(photos), "align": False, "steps": 5}}
    aligned = f"results/{config['run']}/real/aligned.h5"
    done = snakemake(config, tmp_path, "--cores", "1", aligned)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Nothing to be done" in snakemake(config, tmp_path, "-n", aligned).stdout
    backdate(photos / "photo_1.png", 3600)
    shutil.copy2(photos / "photo_1.png", photos / "photo_0.png")  # cp -p of another photo, an hour older
    planned = snakemake(config, tmp_path, "-n", aligned)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert job_counts(planned.stdout).get("align_real") == 1, planned.stdout

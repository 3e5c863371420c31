"""The stage table (interfacegan.pipeline): views, provenance, declared inputs, and
artifacts that do not belong to their run."""

import builtins
import copy
import inspect
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from helpers import PLANTED, run_chain
from interfacegan import config as configuration
from interfacegan import pipeline, stages
from interfacegan.artifacts import provenance, read_h5, write_h5
from interfacegan.cli import main
from interfacegan.layout import Layout


@pytest.fixture(scope="module")
def config():
    return configuration.validate(copy.deepcopy(PLANTED))


def test_every_stage_function_takes_the_view_its_wildcards_and_the_layout():
    for name, stage in pipeline.STAGES.items():
        parameters = list(inspect.signature(stages.function(name)).parameters)
        assert parameters == ["view", *stage.wildcards, "layout"], name
        assert set(stage.reads) <= set(pipeline.STAGES), name


def test_a_view_holds_the_keys_of_the_stage_and_of_everything_upstream(config):
    sample, boundary = pipeline.view(config, "sample"), pipeline.view(config, "boundary")
    assert "selection" not in sample and "predictor" not in sample
    assert boundary["selection"] == config["selection"] and boundary["seed"] == config["seed"]  # upstream
    assert boundary["analysis"] == {"distance_bins": config["analysis"]["distance_bins"]}  # only the key it reads
    changed = copy.deepcopy(config)
    changed["selection"]["chosen_num_or_ratio"] = 0.1
    assert pipeline.view(changed, "sample") == sample
    assert pipeline.content_digest(changed, "select") != pipeline.content_digest(config, "select")


@pytest.mark.parametrize(
    "change", [{"threads": 2}, {"slurm": {"partition": "gpu", "gpu_partition": None}}, {"run": "other"}]
)
def test_keys_that_cannot_change_a_result_are_in_no_digest(config, change):
    changed = config | change
    for stage in pipeline.STAGES:
        assert pipeline.content_digest(changed, stage) == pipeline.content_digest(config, stage), stage
        assert set(change) - {"run"} & set(pipeline.view(config, stage)) == set(), stage


@pytest.fixture(scope="module")
def traced_run(config, tmp_path_factory):
    """Every job of the planted run, recording the files each one opens for reading."""
    layout = Layout(config["run"], tmp_path_factory.mktemp("traced"))
    reads: dict[tuple, set] = {}
    real_h5, real_open = h5py.File, builtins.open
    current: set = set()

    def record(path, mode="r"):
        if mode == "r" and Path(path).resolve().is_relative_to(layout.dir.resolve()):
            current.add(Path(path).resolve())

    def traced_h5(path, mode="r", *args, **kwargs):
        record(path, mode)
        return real_h5(path, mode, *args, **kwargs)

    def traced_open(path, mode="r", *args, **kwargs):
        if isinstance(path, (str, Path)):
            record(path, mode)
        return real_open(path, mode, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(h5py, "File", traced_h5)
        patch.setattr(builtins, "open", traced_open)
        for stage, wildcards in pipeline.jobs(config):
            current.clear()
            stages.run(config, stage, wildcards, layout)
            reads[stage, tuple(wildcards.items())] = set(current)
    return layout, reads


def test_every_job_reads_only_the_inputs_its_rule_declares(config, traced_run):
    layout, reads = traced_run
    assert {stage for stage, _ in reads} >= {"rescoring_table", "linearity_table", "edit_grids", "summary"}
    for (stage, wildcards), opened in reads.items():
        declared = {Path(p).resolve() for p in pipeline.inputs(config, layout, stage, dict(wildcards))}
        assert opened <= declared, (stage, sorted(map(str, opened - declared)))
    assert reads["boundary", (("attribute", "smile"), ("space", "z"))]  # the trace sees reads


def test_every_artifact_records_its_seed_generator_and_the_digest_of_its_keys(config, traced_run):
    layout, _ = traced_run
    artifacts = sorted(layout.dir.rglob("*.h5"))
    assert (
        len(artifacts) == 3 + 3 + 1 + 4 + 4 + 2 + 1
    )  # shards of latents, scores; merged; selections; boundaries; truth
    for path in artifacts:
        attrs = read_h5(path)["attrs"]
        stage = attrs["stage"]
        assert attrs["config_digest"] == pipeline.content_digest(config, stage), path
        if "seed" in pipeline.content_keys(stage):
            assert attrs["seed"] == config["seed"] and attrs["generator"] == "planted", path
    boundary = read_h5(layout.boundary("eyeglasses_c_age", "z"))["attrs"]
    assert boundary["seed"] == 7 and boundary["generator"] == "planted" and boundary["predictor"] == "planted"


def test_the_plan_names_each_job_once_and_checks_wildcards(config):
    jobs = list(pipeline.jobs(config))
    assert len(jobs) == len({(stage, tuple(w.items())) for stage, w in jobs})
    assert sum(stage == "sample" for stage, _ in jobs) == 3
    with pytest.raises(configuration.ConfigError, match=r"--shard 3 is not one of this run's \(0..2\)"):
        pipeline.check_wildcards(config, "score", {"shard": 3})
    with pytest.raises(configuration.ConfigError, match="--attribute bald is not one of this run's"):
        pipeline.check_wildcards(config, "select", {"attribute": "bald"})


# Artifacts from elsewhere: each stage refuses them with one line naming the file and what differs.


def foreign(config: dict, root: Path, stage: str, wildcards: dict, **changes) -> Path:
    """The output of `stage` made by a run whose config differs by `changes`, copied into `root`."""
    other = configuration.validate(copy.deepcopy(config) | changes)
    layout = run_chain(other, root / "other") if stage != "sample" else Layout(other["run"], root / "other")
    if stage == "sample":
        stages.run(other, "sample", wildcards, layout)
    made = pipeline.STAGES[stage].outputs(other, layout, **wildcards)[0]
    mine = pipeline.STAGES[stage].outputs(config, Layout(config["run"], root / "results"), **wildcards)[0]
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_bytes(made.read_bytes())
    return mine


def cli(config: dict, root: Path, stage: str, *arguments: str) -> int:
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return main(["stage", stage, "--config", str(path), "--results", str(root / "results"), *arguments])


def one_error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("interfacegan:")]
    assert len(lines) == 1, lines
    return lines[0]


def test_a_latents_shard_of_another_seed_is_refused(config, tmp_path, capsys):
    foreign(config, tmp_path, "sample", {"shard": 0}, seed=8)
    assert cli(config, tmp_path, "score", "--shard", "0") == 2
    line = one_error_line(capsys)
    assert "latents/shard_00000.h5 does not belong to this run: seed is 7 here but 8 in the file" in line
    assert not Layout(config["run"], tmp_path / "results").scores(0).exists()


def test_a_score_shard_of_another_run_is_refused(config, tmp_path, capsys):
    small = {"n_samples": 4000, "shard_size": 2000}
    mine = configuration.validate(copy.deepcopy(config) | small)
    run_chain(mine, tmp_path / "results")
    foreign(mine, tmp_path, "score", {"shard": 1}, generator=mine["generator"] | {"noise": 0.5})
    Layout(mine["run"], tmp_path / "results").merged_scores.unlink()
    assert cli(mine, tmp_path, "merge_scores") == 2
    assert (
        "scores/shard_00001.h5 does not belong to this run: generator.noise is 0.3 here but 0.5 in the file"
        in one_error_line(capsys)
    )
    assert not Layout(mine["run"], tmp_path / "results").merged_scores.exists()


def test_merged_scores_with_half_the_rows_are_refused(config, tmp_path, capsys):
    layout = Layout(config["run"], tmp_path / "results")
    scores = np.zeros((3000, len(config["attributes"])), np.float32)
    attrs = provenance(pipeline.view(config, "merge_scores"), "merge_scores") | {"start": 0, "stop": 6000}
    write_h5(layout.merged_scores, {"scores": scores, "attributes": config["attributes"]}, attrs)
    assert cli(config, tmp_path, "select", "--attribute", "smile") == 2
    assert "scores.h5 is incomplete: 'scores' has 3000 rows for rows 0..6000" in one_error_line(capsys)
    assert not layout.selection("smile").exists()

"""Bad configs and files: one clear line through the command line, and no output file."""

import copy

import numpy as np
import pytest
import yaml

from interfacegan.artifacts import write_h5
from interfacegan.cli import main
from interfacegan.layout import Layout
from conftest import PLANTED


def with_keys(**changes) -> dict:
    config = copy.deepcopy(PLANTED)
    for path, value in changes.items():
        node, *keys = config, *path.split("__")
        *parents, last = keys
        for key in parents:
            node = node[key]
        node[last] = value
    return config


def scores_file(layout: Layout, column: np.ndarray) -> None:
    """A merged score file whose 'smile' column is `column`."""
    scores = np.tile(column[:, None], (1, len(PLANTED["attributes"]))).astype(np.float32)
    write_h5(layout.merged_scores, {"scores": scores, "attributes": PLANTED["attributes"]}, {})


def truncated_latents(layout: Layout) -> None:
    write_h5(layout.latents(0), {"z": np.zeros((2000, 32), np.float32)}, {"start": 0, "stop": 2000})
    data = layout.latents(0).read_bytes()
    layout.latents(0).write_bytes(data[: len(data) // 2])


def foreign_score_shards(layout: Layout) -> None:
    for shard in range(3):
        write_h5(layout.scores(shard), {"scores": np.zeros((2000, 2), np.float32), "attributes": ["a", "b"]}, {"start": 2000 * shard})


CASES = [
    # (name, config, stage arguments, files to prepare, expected words, output that must not exist)
    ("unknown key", with_keys(n_sample=5), ["sample", "--shard", "0"], None, "config: n_sample: Additional properties", "latents"),
    ("wrong type", with_keys(seed="one"), ["sample", "--shard", "0"], None, "config: seed: 'one' is not of type 'integer'", "latents"),
    ("ratio 0", with_keys(selection__chosen_num_or_ratio=0), ["select", "--attribute", "smile"], None, "selection.chosen_num_or_ratio", "selection"),
    ("ratio 1.5", with_keys(selection__chosen_num_or_ratio=1.5), ["select", "--attribute", "smile"], None, "not a whole count", "selection"),
    ("n < 2 x chosen", with_keys(selection__chosen_num_or_ratio=3001), ["select", "--attribute", "smile"], None, "needs n_samples >= 6002", "selection"),
    ("split 1", with_keys(selection__split_ratio=1), ["select", "--attribute", "smile"], None, "selection.split_ratio", "selection"),
    ("batches across shards", with_keys(batch_size=300), ["sample", "--shard", "0"], None, "not a multiple of batch_size", "latents"),
    ("unknown generator", with_keys(generator={"name": "biggan"}), ["sample", "--shard", "0"], None, "unknown generator 'biggan'", "latents"),
    ("unknown generator option", with_keys(generator={"name": "dcgan", "size": 64}), ["sample", "--shard", "0"], None, "unexpected keyword argument 'size'", "latents"),
    ("missing checkpoint", with_keys(generator={"name": "dcgan", "checkpoint": "/no/such.tar"}), ["sample", "--shard", "0"], None, "checkpoint not found: /no/such.tar", "latents"),
    ("no w space", with_keys(generator={"name": "dcgan"}, spaces=["z", "w"]), ["sample", "--shard", "0"], None, "generator 'dcgan' has no w space", "latents"),
    ("unknown attribute", with_keys(attributes=["smile", "bald"], conditions=[]), ["score", "--shard", "0"], "latents", "predictor 'planted' has no bald", "scores"),
    ("condition not an attribute", with_keys(conditions=[{"primal": "smile", "conditions": ["bald"]}]), ["conditional", "--boundary", "x", "--space", "z"], None, "'bald' is not one of the attributes", "boundary"),
    ("truncated latents", PLANTED, ["score", "--shard", "0"], truncated_latents, "is unreadable (truncated or not HDF5", "scores"),
    ("missing latents", PLANTED, ["score", "--shard", "0"], None, "artifact not found", "scores"),
    ("foreign score shards", PLANTED, ["merge"], foreign_score_shards, "does not belong to this run", "merged"),
    ("infinite scores", PLANTED, ["select", "--attribute", "smile"], lambda lay: scores_file(lay, np.r_[np.inf, np.arange(5999.0)]), "1 scores are infinite", "selection"),
    ("all-equal scores", PLANTED, ["select", "--attribute", "smile"], lambda lay: scores_file(lay, np.ones(6000)), "all 6000 valid scores equal", "selection"),
    ("all-NaN scores", PLANTED, ["select", "--attribute", "smile"], lambda lay: scores_file(lay, np.full(6000, np.nan)), "0 valid scores", "selection"),
]


def output_of(layout: Layout, kind: str):
    return {
        "latents": layout.latents(0),
        "scores": layout.scores(0),
        "merged": layout.merged_scores,
        "selection": layout.selection("smile"),
        "boundary": layout.boundary("x", "z"),
    }[kind]


@pytest.mark.parametrize("name, config, arguments, prepare, words, output", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_line_and_no_output(name, config, arguments, prepare, words, output, tmp_path, capsys):
    layout = Layout(PLANTED["run"], tmp_path / "results")
    if prepare == "latents":
        assert main(["stage", "sample", "--config", str(write_config(tmp_path, PLANTED)), "--shard", "0", "--results", str(layout.dir.parent)]) == 0
        capsys.readouterr()
    elif prepare:
        prepare(layout)
    path = write_config(tmp_path, config)
    assert main(["stage", arguments[0], "--config", str(path), *arguments[1:], "--results", str(layout.dir.parent)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("interfacegan:")]
    assert len(lines) == 1 and lines[0].startswith("interfacegan: error:"), lines
    assert words in lines[0]
    assert not output_of(layout, output).exists()
    assert not list(tmp_path.rglob("*.tmp.*"))


def write_config(tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path

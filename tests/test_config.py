import copy

import pytest

from helpers import PLANTED
from interfacegan import config as configuration


def with_change(path: str, value):
    """PLANTED with the dotted key `path` set to `value` (a value of DELETE removes it)."""
    config = copy.deepcopy(PLANTED)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node.setdefault(key, {})
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


DELETE = object()


def test_defaults_are_filled():
    config = configuration.validate(copy.deepcopy(PLANTED))
    assert config["selection"]["split_ratio"] == 0.7
    assert config["boundary"]["solver"] == "svc"
    assert config["boundary"]["ridge"] is None
    assert config["spaces"] == ["z"]
    assert config["device"] == "auto"


@pytest.mark.parametrize(
    "path, value, named",
    [
        ("n_sample", 10, "n_sample"),  # unknown key
        ("selection.ratio", 0.1, "selection.ratio"),  # unknown nested key
        ("n_samples", "many", "n_samples"),  # wrong type
        ("seed", -1, "seed"),
        ("selection.chosen_num_or_ratio", 0, "selection.chosen_num_or_ratio"),
        ("selection.chosen_num_or_ratio", 2.5, "selection.chosen_num_or_ratio"),
        ("selection.chosen_num_or_ratio", 4000, "selection.chosen_num_or_ratio"),  # 2 x 4000 > 6000
        ("selection.split_ratio", 1.0, "selection.split_ratio"),
        ("boundary.solver", "perceptron", "boundary.solver"),
        ("device", "gpu", "device"),
        ("spaces", ["z", "q"], "spaces.1"),
        ("attributes", [], "attributes"),
        ("shard_size", 1234, "shard_size"),  # not a multiple of batch_size
        ("predictor", DELETE, "predictor"),
        ("generator.name", DELETE, "generator.name"),
        ("run", "..", "run"),
        ("run", ".", "run"),
        ("run", ".hidden", "run"),
        ("run", "-x", "run"),
        ("n_samples", 10**12, "n_samples"),
        ("n_samples", 10**9, "shard_size"),  # 500,000 shards of 2000
        ("n_samples", 6000.0, "n_samples"),  # a whole-number float is no integer
        ("seed", 7.0, "seed"),
        ("seed", True, "seed"),
        ("batch_size", 500.0, "batch_size"),
        ("seed", 2**63, "seed"),  # beyond HDF5's int64
        ("conditions", [{"primal": "age", "conditions": ["smile"]}] * 2, "conditions.1"),
        (
            "conditions",
            [{"primal": "age", "conditions": ["smile", "pose"]}, {"primal": "age", "conditions": ["pose", "smile"]}],
            "conditions.1",
        ),
        ("attributes", ["pose", "smile", "age", "eyeglasses", "eyeglasses_c_age"], "conditions.0"),
        ("predictor.attributes", ["pose", "age", "smile", "eyeglasses"], "predictor.attributes"),
        ("generator.name", "a b", "generator.name"),
    ],
)
def test_bad_values_name_the_key(path, value, named):
    with pytest.raises(configuration.ConfigError) as caught:
        configuration.validate(with_change(path, value))
    message = str(caught.value)
    assert message.startswith(f"config: {named}:"), message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text, words",
    [
        ("- a\n", "config: (top level): must be a mapping of keys to values, found list"),
        ("42\n", "config: (top level): must be a mapping of keys to values, found int"),
        ("run: x\n  seed: 1\n", "is not valid YAML (line 2, column 7: mapping values are not allowed here)"),
        (
            "run: !!python/object:os.system x\n",
            "is not valid YAML (line 1, column 6: could not determine a constructor",
        ),
        (b"\xff\xfe", "cannot be read ('utf-8' codec can't decode"),
    ],
)
def test_a_file_that_is_no_config_mapping_is_one_line(text, words, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(configuration.ConfigError) as caught:
        configuration.load(path)
    assert words in str(caught.value) and "\n" not in str(caught.value), str(caught.value)


def test_a_renamed_key_names_its_new_name():
    old = copy.deepcopy(PLANTED) | {"real_data": {"images": "photos"}}
    with pytest.raises(configuration.ConfigError, match=r"^config: real_data: renamed scored_photos; use the new key$"):
        configuration.validate(old)
    assert (
        configuration.validate(copy.deepcopy(PLANTED) | {"scored_photos": {"images": "photos"}})["scored_photos"][
            "limit"
        ]
        is None
    )


def test_the_bounds_themselves_are_accepted():
    config = with_change("seed", 2**63 - 1)
    config.update(n_samples=10**9, shard_size=10**4)
    assert configuration.validate(config)["seed"] == 2**63 - 1
    assert configuration.validate(with_change("run", "a.b-c_1"))["run"] == "a.b-c_1"


def test_the_shipped_configs_validate():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [root / "config.yaml", *sorted((root / "configs").glob("*.yaml"))]:
        assert configuration.load(path)["run"]


PAPER_CONFIGS = {
    "pggan_celebahq": ("pggan", ["z"]),
    "stylegan_celebahq": ("stylegan", ["z", "w"]),
    "stylegan_ffhq": ("stylegan", ["z", "w"]),
}


@pytest.mark.parametrize("name", sorted(PAPER_CONFIGS))
def test_the_paper_configs_validate_and_plan(name, tmp_path):
    """configs/<name>.yaml validates, names a registered generator that takes its options and
    has its spaces, and Snakemake plans it once its checkpoint files exist (a dry run reads none)."""
    import inspect
    import re
    import subprocess
    import sys
    from pathlib import Path

    from interfacegan.generators import registry as generators
    from interfacegan.predictors import registry as predictors

    root = Path(__file__).resolve().parents[1]
    config = configuration.load(root / "configs" / f"{name}.yaml")
    generator, spaces = PAPER_CONFIGS[name]
    assert config["run"] == name and config["spaces"] == spaces and config["n_samples"] == 500_000
    assert config["generator"]["name"] == generator and config["generator"]["checkpoint"] == f"checkpoints/{name}.pth"
    assert config["selection"] == {"chosen_num_or_ratio": 0.02, "split_ratio": 0.7, "invalid_value": None}
    assert config["attributes"] == ["pose", "smile", "age", "gender", "eyeglasses"]
    cls = generators.get(generator)
    inspect.signature(cls).bind(**{k: v for k, v in config["generator"].items() if k != "name"})
    assert set(spaces) <= set(cls.spaces)
    assert config["predictor"]["name"] in ("multihead", "torchscript") and predictors.get(config["predictor"]["name"])

    def plan():
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--snakefile",
                str(root / "Snakefile"),
                "--directory",
                str(tmp_path),
                "--configfile",
                str(root / "configs" / f"{name}.yaml"),
                "-n",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )

    missing = plan()  # the checkpoints are inputs of the jobs that use them
    assert missing.returncode != 0 and f"checkpoints/{name}.pth" in missing.stdout + missing.stderr
    for section in ("generator", "predictor"):  # placeholders: a dry run reads no checkpoint
        (tmp_path / config[section]["checkpoint"]).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / config[section]["checkpoint"]).touch()
    done = plan()
    assert done.returncode == 0, done.stdout + done.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", done.stdout[done.stdout.index("Job stats:") :], re.M))
    assert counts["sample"] == counts["score"] == "50"
    assert counts["boundary"] == str(5 * len(spaces))
    assert counts.get("conditional_boundary", "0") == str(len(config["conditions"]) * len(spaces))

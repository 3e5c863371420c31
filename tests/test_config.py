import copy

import pytest

from interfacegan import config as configuration
from conftest import PLANTED


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
    ],
)
def test_bad_values_name_the_key(path, value, named):
    with pytest.raises(configuration.ConfigError) as caught:
        configuration.validate(with_change(path, value))
    message = str(caught.value)
    assert message.startswith(f"config: {named}:"), message
    assert "\n" not in message


def test_stage_views_hold_only_what_the_stage_reads():
    config = configuration.validate(copy.deepcopy(PLANTED))
    sample_view = configuration.stage_view(config, "sample")
    assert "selection" not in sample_view and "predictor" not in sample_view
    changed = copy.deepcopy(config)
    changed["selection"]["chosen_num_or_ratio"] = 0.1
    assert configuration.digest(configuration.stage_view(changed, "sample")) == configuration.digest(sample_view)
    assert configuration.digest(configuration.stage_view(changed, "select")) != configuration.digest(
        configuration.stage_view(config, "select")
    )


def test_the_shipped_configs_validate():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [root / "config.yaml", *sorted((root / "configs").glob("*.yaml"))]:
        assert configuration.load(path)["run"]


PAPER_CONFIGS = {"pggan_celebahq": ("pggan", ["z"]), "stylegan_celebahq": ("stylegan", ["z", "w"]),
                 "stylegan_ffhq": ("stylegan", ["z", "w"])}


@pytest.mark.parametrize("name", sorted(PAPER_CONFIGS))
def test_the_paper_configs_validate_and_plan(name, tmp_path):
    """configs/<name>.yaml validates, names a registered generator that takes its options and
    has its spaces, and Snakemake plans it (a dry run: no checkpoint or predictor is read)."""
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

    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(root / "Snakefile"), "--directory", str(tmp_path),
         "--configfile", str(root / "configs" / f"{name}.yaml"), "-n"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", done.stdout[done.stdout.index("Job stats:"):], re.M))
    assert counts["sample"] == counts["score"] == "50"
    assert counts["boundary"] == str(5 * len(spaces))
    assert counts.get("conditional_boundary", "0") == str(len(config["conditions"]) * len(spaces))

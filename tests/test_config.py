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
    assert config["boundary"]["solver"] == "lda"
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

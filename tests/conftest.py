import copy

import pytest

from interfacegan import config as configuration
from interfacegan.layout import Layout, shard_bounds
from interfacegan.stages import analysis, boundary, conditional, edits, report, sample, score, select, table, truth

ATTRIBUTES = ["pose", "smile", "age", "eyeglasses"]
PLANTED = {
    "run": "planted_test",
    "seed": 7,
    "n_samples": 6000,
    "shard_size": 2000,
    "batch_size": 500,
    "attributes": ATTRIBUTES,
    "generator": {
        "name": "planted",
        "attributes": ATTRIBUTES,
        "latent_dim": 32,
        "noise": 0.3,
        "cosines": [["age", "eyeglasses", 0.6]],
    },
    "predictor": {"name": "planted", "attributes": ATTRIBUTES},
    "selection": {"chosen_num_or_ratio": 0.05},
    "conditions": [
        {"primal": "eyeglasses", "conditions": ["age"]},
        {"primal": "eyeglasses", "conditions": ["age", "smile"]},
    ],
    "analysis": {"rescoring_samples": 500, "linearity_samples": 100},
    "edit": {"samples": 3, "steps": 5},
}


@pytest.fixture
def planted_config():
    """A small planted-world config (a fresh copy per test), validated."""
    return configuration.validate(copy.deepcopy(PLANTED))


def run_chain(config: dict, root, analyses: bool = False) -> Layout:
    """Every stage in order, in this process, as the rules run them (the analyses and
    the report only when asked: they are slower)."""
    layout = Layout(config["run"], root)
    view = lambda stage: configuration.stage_view(config, stage)  # noqa: E731
    shards = range(len(shard_bounds(config["n_samples"], config["shard_size"])))
    for shard in shards:
        sample.run(view("sample"), shard, layout)
        score.run(view("score"), shard, layout)
    score.merge(view("score"), layout)
    for attribute in config["attributes"]:
        select.run(view("select"), attribute, layout)
        for space in config["spaces"]:
            boundary.run(view("boundary"), attribute, space, layout)
    table.run(view("table"), layout)
    if config["generator"]["name"] == "planted":
        truth.run(view("truth"), layout)
    if analyses:
        for space in config["spaces"]:
            for c in config["conditions"]:
                name = configuration.conditional_name(c["primal"], c["conditions"])
                conditional.run(view("conditional"), name, space, layout)
        analysis.cosine(view("cosine"), layout)
        analysis.correlation_synthesized(view("correlation"), layout)
        edits.rescoring(view("rescoring"), layout)
        edits.linearity(view("linearity"), layout)
        edits.edit_grids(view("edit"), layout)
        report.run(view("report"), layout)
    return layout

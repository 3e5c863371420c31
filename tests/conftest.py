import copy
import os
import sys

import pytest

from interfacegan import config as configuration
from interfacegan import pipeline, stages
from interfacegan.layout import Layout

# Snakemake's jobs run `interfacegan`: the one of this venv (as `make` puts it on PATH).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]

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
    """Every job of the run in order, in this process, as the rules run them (the
    analyses and the report only when asked: they are slower)."""
    layout = Layout(config["run"], root)
    for stage, wildcards in pipeline.jobs(config):
        if analyses or stage in CORE:
            stages.run(config, stage, wildcards, layout)
    return layout


CORE = ("sample", "score", "merge_scores", "select", "boundary", "conditional_boundary", "separability_table", "planted_truth")


def planted_photos(folder, count: int, seed: int = 99):
    """The planted generator's images of `count` seeded codes as PNG photos in `folder`; their codes."""
    import torch
    from PIL import Image

    from interfacegan.generators import build_generator
    from interfacegan.models import to_uint8

    generator = build_generator(PLANTED["generator"])
    z = torch.randn(count, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    with torch.inference_mode():
        for i, face in enumerate(to_uint8(generator.synthesize(z))):
            Image.fromarray(face).save(folder / f"photo_{i}.png")
    return z.numpy()

"""Select and boundary read latents by index, a shard at a time: with a fixed number of
selected samples, their peak memory must not grow with n beyond O(n) bookkeeping (the
scores, indices and distances), far below the latents' size."""

import copy
import tracemalloc

from helpers import PLANTED
from interfacegan import config as configuration
from interfacegan import pipeline, stages
from interfacegan.layout import Layout


def peak_mib(n_samples: int, root) -> float:
    """Peak traced memory (numpy's arrays included) of select + boundary, in MiB."""
    config = copy.deepcopy(PLANTED) | {"n_samples": n_samples, "shard_size": 5000, "batch_size": 1000, "conditions": []}
    config["selection"] = {"chosen_num_or_ratio": 1000}
    config["generator"]["latent_dim"] = 512
    config = configuration.validate(config)
    layout = Layout(config["run"], root)
    for stage, wildcards in pipeline.jobs(config):
        if stage in ("sample", "score", "merge_scores"):
            stages.run(config, stage, wildcards, layout)
    tracemalloc.start()
    try:
        stages.run(config, "select", {"attribute": "smile"}, layout)
        stages.run(config, "boundary", {"attribute": "smile", "space": "z"}, layout)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_select_and_boundary_memory_does_not_follow_the_latents(tmp_path):
    small, large = peak_mib(20_000, tmp_path / "small"), peak_mib(80_000, tmp_path / "large")
    latents_growth_mib = (80_000 - 20_000) * 512 * 4 / 2**20  # 117 MiB more latents
    assert large - small < latents_growth_mib / 10, (small, large)
    assert small > 10  # the measure sees the selected latents (2000 x 512 float64 = 7.8 MiB)

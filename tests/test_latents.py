import copy

import numpy as np

from helpers import PLANTED
from interfacegan import config as configuration
from interfacegan import latents, pipeline
from interfacegan.artifacts import provenance, write_h5
from interfacegan.layout import Layout


def test_latent_i_depends_on_seed_and_index_only():
    whole = latents.standard_normal(3, 0, 10_000, 8)
    pieces = [latents.standard_normal(3, start, min(start + 777, 10_000), 8) for start in range(0, 10_000, 777)]
    np.testing.assert_array_equal(whole, np.concatenate(pieces))
    assert not np.array_equal(whole, latents.standard_normal(4, 0, 10_000, 8))
    assert whole.dtype == np.float32
    assert abs(whole.mean()) < 0.02 and abs(whole.std() - 1) < 0.02


def test_gather_reads_rows_in_the_order_asked(tmp_path):
    config = configuration.validate(copy.deepcopy(PLANTED) | {"n_samples": 25, "shard_size": 10, "batch_size": 5})
    view, layout = pipeline.view(config, "boundary"), Layout(config["run"], tmp_path)
    codes = np.arange(50, dtype=np.float32).reshape(25, 2)
    for k, start in enumerate(range(0, 25, 10)):
        attrs = provenance(view, "sample") | {"start": start, "stop": min(start + 10, 25)}
        write_h5(layout.latents(k), {"z": codes[start : start + 10]}, attrs)
    index = np.array([24, 3, 3, 17, 0, 10])
    np.testing.assert_array_equal(latents.gather(view, layout, index, "z"), codes[index])
    streamed = np.concatenate([c for _, c in latents.iterate(view, layout, "z")])
    np.testing.assert_array_equal(streamed, codes)

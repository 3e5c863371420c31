import numpy as np

from interfacegan import latents
from interfacegan.artifacts import write_h5


def test_latent_i_depends_on_seed_and_index_only():
    whole = latents.standard_normal(3, 0, 10_000, 8)
    pieces = [latents.standard_normal(3, start, min(start + 777, 10_000), 8) for start in range(0, 10_000, 777)]
    np.testing.assert_array_equal(whole, np.concatenate(pieces))
    assert not np.array_equal(whole, latents.standard_normal(4, 0, 10_000, 8))
    assert whole.dtype == np.float32
    assert abs(whole.mean()) < 0.02 and abs(whole.std() - 1) < 0.02


def test_gather_reads_rows_in_the_order_asked(tmp_path):
    codes = np.arange(50, dtype=np.float32).reshape(25, 2)
    shards = []
    for k, start in enumerate(range(0, 25, 10)):
        shards.append(tmp_path / f"{k}.h5")
        write_h5(shards[-1], {"z": codes[start : start + 10]}, {"start": start})
    index = np.array([24, 3, 3, 17, 0, 10])
    np.testing.assert_array_equal(latents.gather(shards, 10, index, "z"), codes[index])
    streamed = np.concatenate([c for _, c in latents.iterate(shards, "z")])
    np.testing.assert_array_equal(streamed, codes)

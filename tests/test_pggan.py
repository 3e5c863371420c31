"""PGGAN in the official InterFaceGAN layout: keys, strict loading, bad files, and the
forward pass against a functional re-derivation written here from the formulas."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from torch.nn import functional as F

from interfacegan.checkpoints import CheckpointError
from interfacegan.config import ConfigError
from interfacegan.generators import build_generator
from interfacegan.generators.pggan import PGGAN
from interfacegan.models import Models

ROOT = Path(__file__).resolve().parents[1]


def official_shapes(res: int = 1024) -> dict:
    """Key -> shape of the official `PGGANGeneratorModel(res).state_dict()` (= the keys of
    `pggan_celebahq.pth` at 1024), written out by hand in the official order."""
    ch = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
    shapes = {"lod": ()}
    for b in range(int(math.log2(res)) - 1):
        r = 2 ** (b + 2)
        first = (ch[r], 512, 4, 4) if b == 0 else (ch[r], ch[r // 2], 3, 3)
        shapes |= {f"layer{2 * b}.conv.weight": first, f"layer{2 * b}.wscale.bias": (ch[r],)}
        shapes |= {f"layer{2 * b + 1}.conv.weight": (ch[r], ch[r], 3, 3), f"layer{2 * b + 1}.wscale.bias": (ch[r],)}
        shapes |= {f"output{b}.conv.weight": (3, ch[r], 1, 1), f"output{b}.wscale.bias": (3,)}
    return shapes


def random_state(shapes: dict, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    state = {k: torch.randn(s) for k, s in shapes.items()}
    state["lod"] = torch.zeros(())
    for k in state:
        if k.endswith("bias"):
            state[k] *= 0.2
    return state


def test_official_layout_at_1024_loads_strictly(tmp_path):
    shapes = official_shapes()
    assert len(shapes) == 55
    assert shapes["layer0.conv.weight"] == (512, 512, 4, 4) and shapes["output8.conv.weight"] == (3, 16, 1, 1)
    state = random_state(shapes)
    torch.save(state, tmp_path / "pggan_celebahq.pth")
    # The paper config's generator section, pointed at this file: its options are accepted.
    section = yaml.safe_load((ROOT / "configs" / "pggan_celebahq.yaml").read_text())["generator"]
    model = build_generator(section | {"checkpoint": str(tmp_path / "pggan_celebahq.pth")})
    loaded = model.state_dict()
    assert list(loaded) == list(shapes)  # same keys, same order as the official model
    assert all(torch.equal(loaded[k], state[k]) for k in shapes)
    assert model.resolution == 1024 and model.num_blocks == 9 and model.spaces == ("z",)


@pytest.fixture(scope="module")
def checkpoint32(tmp_path_factory):
    path = tmp_path_factory.mktemp("pggan") / "pggan32.pth"
    torch.save(random_state(official_shapes(32), seed=1), path)
    return path


@pytest.fixture(scope="module")
def model32(checkpoint32):
    return build_generator({"name": "pggan", "checkpoint": str(checkpoint32), "resolution": 32})


def reference_pggan(state: dict, z: torch.Tensor) -> torch.Tensor:
    """The generator re-derived from the official formulas, straight from the
    state dict: per block pixel norm -> (nearest x2) -> conv -> * gain / sqrt(fan_in) + b
    -> LeakyReLU 0.2 (gain sqrt(2)); RGB: pixel norm -> 1x1 conv / sqrt(C) + b; blocks
    beyond the lod are skipped and the last image is repeated 2x2 per skipped block."""
    s = {k: v.float() for k, v in state.items()}
    num_blocks = sum(1 for k in s if k.startswith("output") and k.endswith("conv.weight"))

    def pixel_norm(x):
        return x / torch.sqrt((x * x).mean(1, keepdim=True) + 1e-8)

    def block(x, name, padding, up=False, act=True):
        weight, bias = s[f"{name}.conv.weight"], s[f"{name}.wscale.bias"]
        x = pixel_norm(x)
        if up:
            x = x.repeat_interleave(2, 2).repeat_interleave(2, 3)
        gain = math.sqrt(2) if act else 1.0
        x = F.conv2d(x, weight, padding=padding) * gain / math.sqrt(weight[0].numel()) + bias.view(1, -1, 1, 1)
        return torch.where(x > 0, x, 0.2 * x) if act else x

    x = z.float().view(len(z), -1, 1, 1)  # z as a 1x1 map: the 4x4 "dense" layer is a conv padded 3
    lod = int(s["lod"])
    for b in range(num_blocks - lod):
        x = block(x, f"layer{2 * b}", padding=3 if b == 0 else 1, up=b > 0)
        x = block(x, f"layer{2 * b + 1}", padding=1)
        image = block(x, f"output{b}", padding=0, act=False)
    for _ in range(lod):
        image = image.repeat_interleave(2, 2).repeat_interleave(2, 3)
    return image


def test_forward_matches_the_reference(model32, checkpoint32):
    z = model32.prepare_z(torch.randn(2, 512, generator=torch.Generator().manual_seed(0)))
    with torch.inference_mode():
        images, again, single = model32.synthesize(z), model32.synthesize(z), model32.synthesize(z[1:2])
    assert images.shape == (2, 3, 32, 32) and images.dtype == torch.float32
    expected = reference_pggan(torch.load(checkpoint32), z)
    torch.testing.assert_close(images, expected, rtol=1e-4, atol=1e-4)
    assert torch.equal(images, again)
    torch.testing.assert_close(single[0], images[1], rtol=1e-4, atol=1e-5)  # no batch coupling
    assert not torch.allclose(images[0], images[1], atol=1e-2)  # the code matters
    with pytest.raises(ValueError, match="z only"):
        model32.synthesize(z, "w")
    with pytest.raises(ValueError, match=r"\(N, 512\)"):
        model32.synthesize(z[:, :100])


def test_first_layer_by_hand(model32):
    """layer0 in numpy: pixel norm on z, the 4x4 conv padded 3 on the 1x1 map (output (y, x)
    sees tap (3 - y, 3 - x)), He scale sqrt(2)/sqrt(512*16), bias, LeakyReLU 0.2."""
    z = np.random.default_rng(2).standard_normal((2, 512))
    weight = model32.layer0.conv.weight.detach().double().numpy()
    bias = model32.layer0.wscale.bias.detach().double().numpy()
    zn = z / np.sqrt(np.mean(z**2, axis=1, keepdims=True) + 1e-8)
    out = np.einsum("ni,oiyx->noyx", zn, weight[:, :, ::-1, ::-1]) * math.sqrt(2) / math.sqrt(512 * 16)
    out += bias[None, :, None, None]
    expected = np.where(out > 0, out, 0.2 * out)
    with torch.inference_mode():
        got = model32.layer0(torch.from_numpy(z).float().view(2, 512, 1, 1)).double().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_prepare_z_rescales_to_norm_sqrt_dim(model32):
    z = torch.randn(5, 512) * torch.tensor([[0.1], [1.0], [3.0], [10.0], [0.5]])
    prepared = model32.prepare_z(z)
    torch.testing.assert_close(prepared.norm(dim=1), torch.full((5,), math.sqrt(512)))
    torch.testing.assert_close(prepared / prepared.norm(dim=1, keepdim=True), z / z.norm(dim=1, keepdim=True))


@pytest.mark.parametrize("lod", [1.0, 1.5, 2.0])
def test_lod_stops_early_and_upsamples(checkpoint32, tmp_path, lod):
    """At lod k the official code runs the first blocks only and nearest-upsamples that
    image (a fractional lod acts as its integer part: no fading at inference)."""
    state = torch.load(checkpoint32) | {"lod": torch.tensor(lod)}
    torch.save(state, tmp_path / "lod.pth")
    z = torch.randn(2, 512)
    with torch.inference_mode():
        image = PGGAN(str(tmp_path / "lod.pth"), resolution=32).synthesize(z)
    assert image.shape == (2, 3, 32, 32)
    torch.testing.assert_close(
        image, reference_pggan(state | {"lod": torch.tensor(float(int(lod)))}, z), rtol=1e-4, atol=1e-4
    )
    k = 2 ** int(lod)
    assert torch.equal(image, image[:, :, ::k, ::k].repeat_interleave(k, 2).repeat_interleave(k, 3))


def test_images_get_the_official_post_processing(checkpoint32):
    view = {
        "device": "cpu",
        "threads": 1,
        "precision": "fp32",
        "batch_size": 2,
        "generator": {"name": "pggan", "checkpoint": str(checkpoint32), "resolution": 32},
    }
    models = Models(view, with_predictor=False)
    z = models.generator.prepare_z(torch.randn(3, 512)).numpy()
    images = models.images(z)
    with torch.inference_mode():
        x = models.generator.synthesize(torch.from_numpy(z)).double().numpy()
    assert images.shape == (3, 32, 32, 3) and images.dtype == np.uint8
    expected = np.clip((x + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    assert np.abs(images.astype(int) - expected).max() <= 1  # float32 vs float64 rounding at .5 edges
    assert (images == 0).any() and (images == 255).any()  # the random net saturates: clipping runs


def test_bad_checkpoints_and_options_are_named(checkpoint32, tmp_path):
    state = torch.load(checkpoint32)
    section = {"name": "pggan", "resolution": 32}
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(checkpoint32.read_bytes()[:5000])
    cases = {
        "missing": ({k: v for k, v in state.items() if k != "layer3.wscale.bias"}, r"missing: layer3\.wscale\.bias"),
        "renamed": (
            {k.replace("output2.conv", "output2.linear"): v for k, v in state.items()},
            r"missing: output2\.conv\.weight; unexpected: output2\.linear\.weight",
        ),
        "shape": (state | {"layer2.conv.weight": torch.zeros(512, 512, 4, 4)}, r"wrong shape: layer2\.conv\.weight"),
        "lod": (state | {"lod": torch.tensor(4.0)}, r"lod 4\.0 is outside \[0, 4\)"),
        "tensor": (torch.zeros(3), "is not a state dict"),
    }
    for name, (bad, message) in cases.items():
        torch.save(bad, tmp_path / f"{name}.pth")
        with pytest.raises(CheckpointError, match=message):
            build_generator(section | {"checkpoint": str(tmp_path / f"{name}.pth")})
    with pytest.raises(CheckpointError, match="cannot be read"):
        build_generator(section | {"checkpoint": str(corrupt)})
    with pytest.raises(CheckpointError, match="not found"):
        build_generator(section | {"checkpoint": str(tmp_path / "none.pth")})
    with pytest.raises(CheckpointError, match=r"does not fit PGGAN: missing: layer8"):
        build_generator({"name": "pggan", "checkpoint": str(checkpoint32)})  # a 32x32 file for a 1024 network
    with pytest.raises(ConfigError, match="power of two"):
        build_generator(section | {"resolution": 48})
    with pytest.raises(ConfigError, match="truncation_psi"):
        build_generator(section | {"truncation_psi": 0.7})

"""StyleGAN (v1) in the official InterFaceGAN layout: keys, strict loading, truncation,
the z / w / wp spaces, bad files, and the forward pass against a functional
re-derivation written here from the formulas."""

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
from interfacegan.generators.stylegan import Layer, StyleGAN
from interfacegan.models import Models

ROOT = Path(__file__).resolve().parents[1]
BLUR = torch.tensor(np.outer([1, 2, 1], [1, 2, 1]) / 16, dtype=torch.float32)


def official_shapes(res: int = 1024) -> dict:
    """Key -> shape of the official `StyleGANGeneratorModel(res).state_dict()` minus
    `truncation.truncation` (the keys of `stylegan_{celebahq,ffhq}.pth` at 1024, which the
    official converter saves without it), written out by hand in the official order."""
    ch = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
    shapes = {}
    for i in range(8):
        shapes |= {f"mapping.dense{i}.linear.weight": (512, 512), f"mapping.dense{i}.wscale.bias": (512,)}
    shapes |= {"truncation.w_avg": (512,), "synthesis.lod": ()}

    def epilogue(i, c, r):
        p = f"synthesis.layer{i}.epilogue"
        return {
            f"{p}.bias": (c,),
            f"{p}.apply_noise.weight": (c,),
            f"{p}.apply_noise.noise": (1, 1, r, r),
            f"{p}.style_mod.dense.linear.weight": (2 * c, 512),
            f"{p}.style_mod.dense.wscale.bias": (2 * c,),
        }

    for b in range(int(math.log2(res)) - 1):
        r, i = 2 ** (b + 2), 2 * b
        c = ch[r]
        if b == 0:
            shapes["synthesis.layer0.first_layer"] = (1, 512, 4, 4)
        elif r >= 128:  # fused up-sampling conv, kept in the TF layout (3, 3, Cin, Cout)
            shapes[f"synthesis.layer{i}.weight"] = (3, 3, ch[r // 2], c)
        else:
            shapes[f"synthesis.layer{i}.conv.weight"] = (c, ch[r // 2], 3, 3)
        if b > 0:
            shapes[f"synthesis.layer{i}.blur.kernel"] = (c, 1, 3, 3)
        shapes |= epilogue(i, c, r) | {f"synthesis.layer{i + 1}.conv.weight": (c, c, 3, 3)} | epilogue(i + 1, c, r)
        shapes |= {f"synthesis.output{b}.bias": (3,), f"synthesis.output{b}.conv.weight": (3, c, 1, 1)}
    return shapes


def random_state(shapes: dict, seed: int = 0) -> dict:
    """Random values in the official format: mapping weights stored x100 (lr multiplier
    0.01), the fixed blur kernels, lod 0, and biases small enough to keep images finite."""
    torch.manual_seed(seed)
    state = {k: torch.randn(s) for k, s in shapes.items()}
    state["synthesis.lod"] = torch.zeros(())
    for k, s in shapes.items():
        if k.endswith("blur.kernel"):
            state[k] = BLUR.float().expand(s).clone()
        elif k.startswith("mapping") and k.endswith("weight"):
            state[k] *= 100
        elif k.endswith(("bias", "style_mod.dense.linear.weight")):
            state[k] *= 0.2
    return state


# ---- the functional re-derivation, from a state dict (mapping in float64; synthesis in
# float32, as float64 convolutions are slow on CPU) -------------------------------------


def lrelu(x):
    return torch.where(x > 0, x, 0.2 * x)


def up2(x):
    return x.repeat_interleave(2, 2).repeat_interleave(2, 3)


def ref_mapping(s: dict, z: torch.Tensor) -> torch.Tensor:
    """Pixel norm, then 8 x (x W^T * sqrt(2)/sqrt(512) * 0.01 + b * 0.01, LeakyReLU 0.2)."""
    x = z.double()
    x = x / torch.sqrt((x * x).mean(1, keepdim=True) + 1e-8)
    for i in range(8):
        weight, bias = s[f"mapping.dense{i}.linear.weight"], s[f"mapping.dense{i}.wscale.bias"]
        x = lrelu(x @ weight.T * math.sqrt(2) / math.sqrt(512) * 0.01 + bias * 0.01)
    return x


def ref_truncate(w_avg, w, num_layers, psi, layers):
    """W+ = w on every layer, pulled to w_avg + psi (w - w_avg) on the first `layers`."""
    return torch.stack([w_avg + psi * (w - w_avg) if i < layers else w for i in range(num_layers)], 1)


def ref_layer(s: dict, p: str, index: int, x, w):
    """Synthesis layer `index` from its keys under prefix `p`."""
    if index == 0:
        x = s[f"{p}first_layer"].expand(len(w), -1, -1, -1)
    else:
        if f"{p}weight" in s:  # fused: TF (3, 3, Cin, Cout); equals x2 nearest + the flipped 3x3 kernel
            weight = s[f"{p}weight"].permute(3, 2, 0, 1).flip(2, 3)
        else:
            weight = s[f"{p}conv.weight"]
        if index % 2 == 0:
            x = up2(x)
        x = F.conv2d(x, weight, padding=1) * math.sqrt(2) / math.sqrt(weight[0].numel())
        if index % 2 == 0:
            x = F.conv2d(x, BLUR.expand(x.shape[1], 1, 3, 3), padding=1, groups=x.shape[1])
    e = f"{p}epilogue."
    c = x.shape[1]
    x = x + s[f"{e}apply_noise.noise"] * s[f"{e}apply_noise.weight"].view(1, c, 1, 1)
    x = lrelu(x + s[f"{e}bias"].view(1, c, 1, 1))
    x = x - x.mean((2, 3), keepdim=True)
    x = x / torch.sqrt((x * x).mean((2, 3), keepdim=True) + 1e-8)
    style = w @ s[f"{e}style_mod.dense.linear.weight"].T / math.sqrt(512) + s[f"{e}style_mod.dense.wscale.bias"]
    return x * (style[:, :c, None, None] + 1) + style[:, c:, None, None]


def ref_synthesis(s: dict, wp: torch.Tensor) -> torch.Tensor:
    num_blocks = wp.shape[1] // 2
    lod = int(s["synthesis.lod"])
    x = None
    for b in range(num_blocks - lod):
        for i in (2 * b, 2 * b + 1):
            x = ref_layer(s, f"synthesis.layer{i}.", i, x, wp[:, i])
        weight = s[f"synthesis.output{b}.conv.weight"]
        image = F.conv2d(x, weight) / math.sqrt(weight.shape[1]) + s[f"synthesis.output{b}.bias"].view(1, 3, 1, 1)
    for _ in range(lod):
        image = up2(image)
    return image


def reference(state: dict, z: torch.Tensor, psi: float, layers: int) -> tuple:
    s = {k: v.double() for k, v in state.items()}
    w = ref_mapping(s, z)
    num_layers = 2 * sum(1 for k in s if k.startswith("synthesis.output") and k.endswith("bias"))
    wp = ref_truncate(s["truncation.w_avg"], w, num_layers, psi, layers)
    return w, wp, ref_synthesis({k: v.float() for k, v in state.items()}, wp.float())


# ---- the 1024 layout --------------------------------------------------------------------


@pytest.fixture(scope="module")
def state1024():
    return random_state(official_shapes())


def test_official_layout_at_1024_loads_strictly(state1024, tmp_path):
    assert len(state1024) == 152  # + truncation.truncation = the official model's 153
    assert state1024["synthesis.layer16.weight"].shape == (3, 3, 32, 16)
    torch.save(state1024, tmp_path / "stylegan_ffhq.pth")
    # The paper config's generator section, pointed at this file: its options are accepted.
    section = yaml.safe_load((ROOT / "configs" / "stylegan_ffhq.yaml").read_text())["generator"]
    model = build_generator(section | {"checkpoint": str(tmp_path / "stylegan_ffhq.pth")})
    loaded = model.state_dict()
    assert list(loaded) == list(state1024)  # same keys, same order as the official model
    assert all(torch.equal(loaded[k], state1024[k]) for k in state1024)
    assert model.num_layers == 18 and model.resolution == 1024 and model.spaces == ("z", "w", "wp")
    # the official defaults: psi 0.7 on the first 8 of the 18 layers
    assert model.truncation.coefs.flatten().tolist() == pytest.approx([0.7] * 8 + [1.0] * 10)
    z = model.prepare_z(torch.randn(2, 512, generator=torch.Generator().manual_seed(0)))
    with torch.inference_mode():
        codes = model.map_codes(z)  # no image at 1024: mapping and truncation only
    s = {k: v.double() for k, v in state1024.items() if k.startswith(("mapping", "truncation"))}
    w = ref_mapping(s, z)
    assert codes["w"].shape == (2, 512) and codes["wp"].shape == (2, 18, 512)
    torch.testing.assert_close(codes["w"].double(), w, rtol=1e-4, atol=1e-4)
    wp = ref_truncate(s["truncation.w_avg"], w, 18, 0.7, 8)
    torch.testing.assert_close(codes["wp"].double(), wp, rtol=1e-4, atol=1e-4)


def test_a_file_with_the_truncation_buffer_loads_too(state1024, tmp_path):
    """The official model's own state dict (153 keys) has `truncation.truncation`; the
    coefficients then come from the settings, as in the official loader."""
    torch.save(state1024 | {"truncation.truncation": torch.zeros(1, 18, 1)}, tmp_path / "with_truncation.pth")
    model = StyleGAN(checkpoint=str(tmp_path / "with_truncation.pth"), truncation_psi=0.5, truncation_layers=4)
    assert model.truncation.coefs.flatten().tolist() == [0.5] * 4 + [1.0] * 14


def test_a_pytorch_layout_fused_conv_is_named(state1024, tmp_path):
    bad = {k.replace("layer12.weight", "layer12.conv.weight"): v for k, v in state1024.items()}
    bad["synthesis.layer12.conv.weight"] = bad["synthesis.layer12.conv.weight"].permute(3, 2, 0, 1)
    torch.save(bad, tmp_path / "bad.pth")
    message = r"missing: synthesis\.layer12\.weight; unexpected: synthesis\.layer12\.conv"
    with pytest.raises(CheckpointError, match=message):
        StyleGAN(checkpoint=str(tmp_path / "bad.pth"))


# ---- a 16x16 network in the same format ------------------------------------------------


@pytest.fixture(scope="module")
def checkpoint16(tmp_path_factory):
    path = tmp_path_factory.mktemp("stylegan") / "stylegan16.pth"
    torch.save(random_state(official_shapes(16), seed=1), path)
    return path


def build(checkpoint, **options):
    return build_generator({"name": "stylegan", "checkpoint": str(checkpoint), "resolution": 16} | options)


@pytest.fixture(scope="module")
def model16(checkpoint16):
    return build(checkpoint16, truncation_layers=3)  # 3 of 6 layers truncated: both kinds present


def sample_z(n: int, model, seed: int = 0) -> torch.Tensor:
    return model.prepare_z(torch.randn(n, 512, generator=torch.Generator().manual_seed(seed)))


def test_forward_matches_the_reference(model16, checkpoint16):
    z = sample_z(2, model16)
    with torch.inference_mode():
        codes, images = model16.map_codes(z), model16.synthesize(z)
    w, wp, expected = reference(torch.load(checkpoint16), z, psi=0.7, layers=3)
    torch.testing.assert_close(codes["w"].double(), w, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(codes["wp"].double(), wp, rtol=1e-4, atol=1e-4)
    assert images.shape == (2, 3, 16, 16) and images.dtype == torch.float32
    torch.testing.assert_close(images, expected, rtol=1e-3, atol=1e-3)
    assert not torch.allclose(images[0], images[1], atol=1e-2)


def test_fused_upsampling_layer_matches_the_reference():
    """From 128x128 on the up-sampling layer holds a TF-layout (3, 3, Cin, Cout) kernel run
    as a stride-2 transposed conv; it must equal x2 nearest up-sampling and the flipped
    3x3 kernel, then the blur and the epilogue (a 128x128 layer with few channels)."""
    torch.manual_seed(5)
    layer = Layer(10, 4, 3, 512)
    assert not hasattr(layer, "conv") and layer.weight.shape == (3, 3, 4, 3)
    with torch.no_grad():
        for name, value in layer.named_parameters():
            value.copy_(torch.randn_like(value) * (0.2 if "style_mod" in name or name.endswith("bias") else 1))
    x, w = torch.randn(2, 4, 64, 64), torch.randn(2, 512)
    s = {k: v.float() for k, v in layer.state_dict().items()}
    with torch.inference_mode():
        got = layer(x, w, randomize_noise=False)
    assert got.shape == (2, 3, 128, 128)
    torch.testing.assert_close(got, ref_layer(s, "", 10, x, w), rtol=1e-4, atol=1e-4)


def test_w_and_wp_spaces_and_truncation(model16, checkpoint16):
    z = sample_z(2, model16, seed=1)
    with torch.inference_mode():
        w, wp = model16.map_codes(z).values()
        w_avg = model16.truncation.w_avg
        torch.testing.assert_close(wp[:, :3], (w_avg + 0.7 * (w - w_avg)).unsqueeze(1).expand(-1, 3, -1))
        torch.testing.assert_close(wp[:, 3:], w.unsqueeze(1).expand(-1, 3, -1), rtol=0, atol=1e-6)  # coef 1
        from_z = model16.synthesize(z)
        assert torch.equal(model16.synthesize(w, "w"), from_z)  # W is truncated on the way ...
        assert torch.equal(model16.synthesize(wp, "wp"), from_z)  # ... W+ is taken as it is
        assert not torch.allclose(model16.synthesize(w.unsqueeze(1).expand(-1, 6, -1), "wp"), from_z, atol=1e-3)
        plain = build(checkpoint16, truncation_psi=1.0).map_codes(z)
    assert torch.equal(plain["wp"], plain["w"].unsqueeze(1).expand(-1, 6, -1))  # psi 1: no truncation
    with pytest.raises(ValueError, match="z, w or wp"):
        model16.synthesize(z, "s")
    with pytest.raises(ValueError, match=r"\(N, 6, 512\)"):
        model16.synthesize(wp[:, :5], "wp")
    with pytest.raises(ValueError, match=r"w codes must be \(N, 512\)"):
        model16.synthesize(wp, "w")


def test_noise_is_stored_unless_randomized(model16, checkpoint16):
    z = sample_z(2, model16)
    with torch.inference_mode():
        images, again, single = model16.synthesize(z), model16.synthesize(z), model16.synthesize(z[1:2])
        noisy = build(checkpoint16, randomize_noise=True)
        first, second = noisy.synthesize(z), noisy.synthesize(z)
    assert torch.equal(images, again)
    torch.testing.assert_close(single[0], images[1], rtol=1e-4, atol=1e-4)  # no batch coupling
    assert not torch.allclose(first, second, atol=1e-3)  # fresh noise per call
    torch.testing.assert_close(z.norm(dim=1), torch.full((2,), math.sqrt(512)))  # prepare_z as official


def test_lod_stops_early_and_upsamples(checkpoint16, tmp_path):
    state = torch.load(checkpoint16) | {"synthesis.lod": torch.tensor(1.0)}
    torch.save(state, tmp_path / "lod1.pth")
    model = build(tmp_path / "lod1.pth")
    z = sample_z(2, model)
    with torch.inference_mode():
        image = model.synthesize(z)
    torch.testing.assert_close(image, reference(state, z, 0.7, 8)[2], rtol=1e-3, atol=1e-3)
    assert torch.equal(image, up2(image[:, :, ::2, ::2]))


def test_images_get_the_official_post_processing(checkpoint16):
    view = {
        "device": "cpu",
        "threads": 1,
        "precision": "fp32",
        "batch_size": 2,
        "generator": {"name": "stylegan", "checkpoint": str(checkpoint16), "resolution": 16},
    }
    models = Models(view, with_predictor=False)
    with torch.inference_mode():
        wp = models.generator.map_codes(models.generator.prepare_z(torch.randn(3, 512)))["wp"].numpy()
    images = models.images(wp, "wp")  # W+ codes (n, layers, d)
    with torch.inference_mode():
        x = models.generator.synthesize(torch.from_numpy(wp), "wp").double().numpy()
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8
    expected = np.clip((x + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    assert np.abs(images.astype(int) - expected).max() <= 1  # float32 vs float64 rounding at .5 edges


def test_bad_checkpoints_and_options_are_named(checkpoint16, tmp_path):
    state = torch.load(checkpoint16)
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(checkpoint16.read_bytes()[:5000])
    cases = {
        "missing": (
            {k: v for k, v in state.items() if k != "synthesis.layer3.epilogue.apply_noise.noise"},
            r"missing: synthesis\.layer3\.epilogue\.apply_noise\.noise",
        ),
        "renamed": (
            {k.replace("mapping.dense7.wscale", "mapping.dense7.linear"): v for k, v in state.items()},
            r"missing: mapping\.dense7\.wscale\.bias; unexpected: mapping\.dense7\.linear\.bias",
        ),
        "shape": (state | {"truncation.w_avg": torch.zeros(1, 512)}, r"wrong shape: truncation\.w_avg \(1, 512\)"),
        "lod": (state | {"synthesis.lod": torch.tensor(3.0)}, r"lod 3\.0 is outside \[0, 3\)"),
        "list": ([1, 2], "is not a state dict"),
    }
    for name, (bad, message) in cases.items():
        torch.save(bad, tmp_path / f"{name}.pth")
        with pytest.raises(CheckpointError, match=message):
            build(tmp_path / f"{name}.pth")
    with pytest.raises(CheckpointError, match="cannot be read"):
        build(corrupt)
    with pytest.raises(CheckpointError, match="not found"):
        build(tmp_path / "none.pth")
    with pytest.raises(CheckpointError, match=r"does not fit StyleGAN: missing: synthesis\.layer6"):
        build(checkpoint16, resolution=32)
    with pytest.raises(ConfigError, match="power of two"):
        build(checkpoint16, resolution=1000)
    with pytest.raises(ConfigError, match="truncation_layers"):
        build(checkpoint16, truncation_layers=-1)
    with pytest.raises(ConfigError, match="fused_scale"):
        build(checkpoint16, fused_scale=True)


def test_the_sample_stage_stores_z_and_w(checkpoint16, tmp_path):
    from interfacegan import config as configuration
    from interfacegan import pipeline
    from interfacegan.artifacts import read_h5
    from interfacegan.layout import Layout
    from interfacegan.stages import sample

    config = configuration.validate(
        {
            "run": "sg16",
            "n_samples": 4,
            "shard_size": 4,
            "batch_size": 2,
            "attributes": ["smile"],
            "spaces": ["z", "w"],
            "device": "cpu",
            "generator": {"name": "stylegan", "checkpoint": str(checkpoint16), "resolution": 16},
            "predictor": {"name": "planted", "attributes": ["smile"]},
        }
    )
    layout = Layout("sg16", tmp_path)
    sample.run(pipeline.view(config, "sample"), 0, layout)
    stored = read_h5(layout.latents(0), "z", "w")
    model = build(checkpoint16)
    assert stored["z"].shape == stored["w"].shape == (4, 512)
    np.testing.assert_allclose(np.linalg.norm(stored["z"], axis=1), math.sqrt(512), rtol=1e-5)
    with torch.inference_mode():
        w = model.map_codes(torch.from_numpy(stored["z"]))["w"].numpy()
    np.testing.assert_allclose(stored["w"], w, rtol=1e-4, atol=1e-4)  # batches of 2 vs 4

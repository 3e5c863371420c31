"""Our StyleGAN2-ADA generator against arrays computed with NVIDIA's own code (tests/data/nvidia/make_stylegan2_ada.py).

Each fixture holds NVIDIA's init kwargs, its state dict (every constant-at-init tensor randomised), codes
and NVIDIA's float32 outputs (`force_fp32=True`): the orig architecture class-conditional with
conv_clamp 256, skip without clamp, resnet with a clamp of 0.5 that bites in every layer.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from interfacegan.generators.nvidia.stylegan2_ada import Generator

DATA = Path(__file__).parent / "data" / "nvidia"
ARCHITECTURES = ("orig", "skip", "resnet")
PSI = 0.7  # the truncation the fixtures' `img_z` and `ws_z` were made with
# NVIDIA runs the modulated conv as one grouped conv with per-sample weights, we scale the activations
# and share the weights: the same sums in another order. float32 rounding (~1e-7 relative) over ~300-term
# sums and four blocks gave up to 1.4e-6 on images of std <= 0.5; the bound keeps a 70x margin and is
# still 1/80 of a uint8 level (1/127.5).
FLOAT_BOUND = 1e-4
MAPPING_BOUND = 1e-5  # two fully connected layers in float32 (identical in practice)
UINT8_MATCH = 0.995  # share of uint8 values within one level of NVIDIA's


def load_fixture(name: str) -> tuple[dict, Generator]:
    with np.load(DATA / f"stylegan2_ada_{name}.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    generator = Generator(**json.loads(str(arrays["init_kwargs"])))
    state = {key.removeprefix("state/"): torch.from_numpy(v) for key, v in arrays.items() if key.startswith("state/")}
    assert list(generator.state_dict()) == list(state)  # the same keys in the same order
    generator.load_state_dict(state, strict=True)
    return arrays, generator.eval()


@pytest.fixture(scope="module", params=ARCHITECTURES)
def fixture(request):
    return (request.param, *load_fixture(request.param))


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """NVIDIA's scripts' image convention, NCHW float to NHWC uint8."""
    return (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).numpy()


def compare_images(name: str, ours: torch.Tensor, arrays: dict, key: str, record_property) -> None:
    delta = (ours - torch.from_numpy(arrays[f"{key}_float"])).abs().max().item()
    levels = np.abs(to_uint8(ours).astype(int) - arrays[key].astype(int))
    match = (levels <= 1).mean()
    print(f"{name} {key}: max |Δ| {delta:.3g}, uint8 within one level {match:.4%}")
    record_property(f"{name}_{key}_max_abs_delta", delta)
    assert delta < FLOAT_BOUND
    assert match >= UINT8_MATCH


@torch.no_grad()
def test_mapping_matches_nvidia(fixture):
    _, arrays, generator = fixture
    ws = generator.mapping(torch.from_numpy(arrays["z"]), torch.from_numpy(arrays["c"]), truncation_psi=PSI)
    assert (ws - torch.from_numpy(arrays["ws_z"])).abs().max() < MAPPING_BOUND


@torch.no_grad()
def test_images_from_z_match_nvidia(fixture, record_property):
    name, arrays, generator = fixture
    z, c = torch.from_numpy(arrays["z"]), torch.from_numpy(arrays["c"])
    compare_images(
        name, generator(z, c if generator.c_dim else None, truncation_psi=PSI), arrays, "img_z", record_property
    )


@torch.no_grad()
def test_images_from_ws_match_nvidia(fixture, record_property):
    name, arrays, generator = fixture
    assert arrays["ws"].shape == (8, generator.num_ws, generator.w_dim)
    compare_images(name, generator.synthesis(torch.from_numpy(arrays["ws"])), arrays, "img_ws", record_property)


@torch.no_grad()
def test_noise_modes():
    arrays, generator = load_fixture("skip")
    ws = torch.from_numpy(arrays["ws"][:2])
    torch.manual_seed(0)
    const, random, none = (generator.synthesis(ws, noise_mode=mode) for mode in ("const", "random", "none"))
    assert (random - const).abs().max() > 1e-3
    assert (none - const).abs().max() > 1e-3 and (none - random).abs().max() > 1e-3
    with pytest.raises(ValueError, match="noise_mode"):
        generator.synthesis(ws, noise_mode="fixed")


def test_bad_shapes_and_options():
    kwargs = dict(z_dim=8, c_dim=0, w_dim=8, img_resolution=8, img_channels=3, mapping_kwargs=dict(num_layers=1))
    with pytest.raises(ValueError, match="channel_bass"):
        Generator(**kwargs, synthesis_kwargs=dict(channel_base=64, channel_bass=64))
    with pytest.raises(ValueError, match="channel_bass"):
        Generator(**kwargs, channel_bass=64)
    with pytest.raises(ValueError, match="architecture"):
        Generator(**kwargs, architecture="unet")
    generator = Generator(**kwargs, channel_base=64, channel_max=8)
    assert generator.num_ws == 4
    with pytest.raises(ValueError, match=r"\(N, 4, 8\), not \(2, 5, 8\)"):
        generator.synthesis(torch.zeros(2, 5, 8))
    with pytest.raises(ValueError, match=r"\(N, 8\), not \(2, 7\)"):
        generator(torch.zeros(2, 7))


def test_stylegan3_repository_kwargs():
    """NVlabs/stylegan3's StyleGAN2 configs pass the synthesis options flat, with fused_modconv_default."""
    nested = Generator(
        z_dim=8,
        c_dim=0,
        w_dim=8,
        img_resolution=16,
        img_channels=3,
        synthesis_kwargs=dict(channel_base=128, channel_max=16, num_fp16_res=4, conv_clamp=256),
    )
    flat = Generator(
        z_dim=8,
        c_dim=0,
        w_dim=8,
        img_resolution=16,
        img_channels=3,
        channel_base=128,
        channel_max=16,
        num_fp16_res=4,
        conv_clamp=256,
        fused_modconv_default="inference_only",
    )
    assert {k: v.shape for k, v in nested.state_dict().items()} == {k: v.shape for k, v in flat.state_dict().items()}


def test_conv_clamp_defaults_follow_the_repository():
    """stylegan3's train.py leaves conv_clamp to networks_stylegan2's default 256; stylegan2-ada's default is None."""
    base = dict(z_dim=8, c_dim=0, w_dim=8, img_resolution=8, img_channels=3)
    flat = Generator(**base, channel_base=64, channel_max=8)
    nested = Generator(**base, synthesis_kwargs=dict(channel_base=64, channel_max=8))
    assert flat.synthesis.b8.conv1.conv_clamp == 256 and flat.synthesis.b8.torgb.conv_clamp == 256
    assert nested.synthesis.b8.conv1.conv_clamp is None and Generator(**base).synthesis.b8.conv1.conv_clamp is None
    assert Generator(**base, channel_base=64, conv_clamp=None).synthesis.b8.conv1.conv_clamp is None


def test_gradients_reach_ws():
    """Inversion optimises W+ through the synthesis: the in-place activation and clamp must not break it."""
    arrays, generator = load_fixture("resnet")  # clamps in every layer
    ws = torch.from_numpy(arrays["ws"][:2]).requires_grad_()
    generator.synthesis(ws).square().sum().backward()
    assert ws.grad is not None and ws.grad.abs().sum() > 0

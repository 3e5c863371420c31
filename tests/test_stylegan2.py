"""StyleGAN2 in the rosinality `g_ema` layout: keys, loading, and hand-checked maths."""

import math

import numpy as np
import pytest
import torch

from interfacegan.checkpoints import CheckpointError
from interfacegan.generators import build_generator
from interfacegan.generators.stylegan2 import FIR, EqualLinear, ModulatedConv2d, StyleGAN2

BLUR = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64 * 4  # rosinality's kernels, gain 4 for 2x upsampling


def g_ema_shapes(res: int = 1024, cm: int = 2, dim: int = 512, n_mlp: int = 8) -> dict:
    """Key -> shape of rosinality's `Generator(res, dim, n_mlp, cm).state_dict()`, written out by hand."""
    ch = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm, 256: 64 * cm, 512: 32 * cm, 1024: 16 * cm}
    shapes = {}
    for i in range(1, n_mlp + 1):
        shapes |= {f"style.{i}.weight": (dim, dim), f"style.{i}.bias": (dim,)}
    shapes["input.input"] = (1, 512, 4, 4)

    def modconv(prefix, cin, cout, k, up=False):
        return (
            {f"{prefix}.weight": (1, cout, cin, k, k)}
            | ({f"{prefix}.blur.kernel": (4, 4)} if up else {})
            | {f"{prefix}.modulation.weight": (cin, dim), f"{prefix}.modulation.bias": (cin,)}
        )

    def styled(prefix, cin, cout, up):
        extra = {f"{prefix}.noise.weight": (1,), f"{prefix}.activate.bias": (cout,)}
        return modconv(f"{prefix}.conv", cin, cout, 3, up) | extra

    def to_rgb(prefix, cin, up):
        return (
            {f"{prefix}.bias": (1, 3, 1, 1)}
            | ({f"{prefix}.upsample.kernel": (4, 4)} if up else {})
            | modconv(f"{prefix}.conv", cin, 3, 1)
        )

    shapes |= styled("conv1", 512, 512, False) | to_rgb("to_rgb1", 512, False)
    rgbs = {}
    for k, log in enumerate(range(3, int(math.log2(res)) + 1)):
        cin, cout = ch[2 ** (log - 1)], ch[2**log]
        shapes |= styled(f"convs.{2 * k}", cin, cout, True) | styled(f"convs.{2 * k + 1}", cout, cout, False)
        rgbs |= to_rgb(f"to_rgbs.{k}", cout, True)
    shapes |= rgbs
    for i in range(2 * int(math.log2(res)) - 3):
        shapes[f"noises.noise_{i}"] = (1, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2))
    return shapes


def test_g_ema_layout_at_1024_loads_strictly(tmp_path):
    torch.manual_seed(0)
    shapes = g_ema_shapes()
    assert len(shapes) == 171
    blur = torch.tensor(BLUR, dtype=torch.float32)
    state = {k: blur.clone() if k.endswith("kernel") else torch.randn(s) for k, s in shapes.items()}
    torch.save({"g_ema": state}, tmp_path / "ffhq.pt")
    model = StyleGAN2(checkpoint=str(tmp_path / "ffhq.pt"))
    loaded = model.state_dict()
    assert list(loaded) == list(shapes)  # same keys, same order as rosinality's
    assert all(torch.equal(loaded[k], state[k]) for k in shapes)
    assert model.n_latent == 18 and model.resolution == 1024


def test_channel_multiplier_4_layout_loads(tmp_path):
    """rosinality's table is not capped at 512: 64x64 has 256 * 4 = 1024 channels at cm=4."""
    shapes = g_ema_shapes(res=128, cm=4, dim=64, n_mlp=2)
    assert shapes["convs.6.conv.weight"] == (1, 1024, 512, 3, 3)
    blur = torch.tensor(BLUR, dtype=torch.float32)
    state = {k: blur.clone() if k.endswith("kernel") else torch.zeros(s) for k, s in shapes.items()}
    torch.save({"g_ema": state}, tmp_path / "cm4.pt")
    model = StyleGAN2(checkpoint=str(tmp_path / "cm4.pt"), resolution=128, latent_dim=64, n_mlp=2, channel_multiplier=4)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == shapes


@pytest.fixture(scope="module")
def checkpoint16(tmp_path_factory):
    """A 16x16 network in rosinality's initialisation, with its zero-initialised
    noise strengths and biases randomised so that they matter."""
    torch.manual_seed(1)
    state = StyleGAN2(resolution=16).state_dict()
    for key, value in state.items():
        if key.endswith(("noise.weight", "activate.bias")) or key.startswith("to_rgb") and key.endswith(".bias"):
            value.copy_(0.3 * torch.randn_like(value))
    path = tmp_path_factory.mktemp("sg2") / "g16.pt"
    torch.save({"g_ema": state, "latent_avg": torch.randn(512)}, path)
    return path


@pytest.fixture(scope="module")
def model16(checkpoint16):
    return StyleGAN2(checkpoint=str(checkpoint16), resolution=16).eval()


@torch.no_grad()
def test_forward_shape_determinism_and_noise(model16):
    z = torch.randn(2, 512, generator=torch.Generator().manual_seed(2))
    image = model16.synthesize(z)
    assert image.shape == (2, 3, 16, 16) and torch.isfinite(image).all()
    assert torch.equal(model16.synthesize(z), image)
    torch.testing.assert_close(model16.synthesize(z[1:]), image[1:], rtol=1e-4, atol=1e-5)  # samples independent
    model16.noises.noise_3.add_(1.0)  # the stored noise maps feed the output
    assert not torch.allclose(model16.synthesize(z), image)
    model16.noises.noise_3.sub_(1.0)
    model16.randomize_noise = True  # fresh noise per call
    assert not torch.allclose(model16.synthesize(z), model16.synthesize(z))
    model16.randomize_noise = False


@torch.no_grad()
def test_w_and_wp_codes_agree(model16):
    z = torch.randn(3, 512, generator=torch.Generator().manual_seed(3))
    codes = model16.map_codes(z)
    assert codes["w"].shape == (3, 512) and codes["wp"].shape == (3, model16.n_latent, 512) and model16.n_latent == 6
    assert torch.equal(codes["wp"], codes["w"][:, None].expand(-1, 6, -1))
    image = model16.synthesize(z)
    assert torch.equal(model16.synthesize(codes["w"], "w"), image)
    assert torch.equal(model16.synthesize(codes["wp"], "wp"), image)
    with pytest.raises(ValueError, match="'x'"):
        model16.synthesize(z, "x")


@torch.no_grad()
def test_truncation_uses_latent_avg_or_seeded_mean(checkpoint16, model16):
    z = torch.randn(2, 512)
    avg = torch.load(checkpoint16)["latent_avg"]
    truncated = StyleGAN2(checkpoint=str(checkpoint16), resolution=16, truncation_psi=0.5, truncation_layers=3)
    w, wp = truncated.map_codes(z).values()
    torch.testing.assert_close(wp[:, :3], (avg + 0.5 * (w - avg))[:, None].expand(-1, 3, -1))
    assert torch.equal(wp[:, 3:], w[:, None].expand(-1, 3, -1))
    torch.testing.assert_close(truncated.synthesize(w, "w"), truncated.synthesize(wp, "wp"))

    random = StyleGAN2(resolution=8, truncation_psi=0.7)  # no checkpoint: mean over 4096 seeded draws
    draws = torch.randn(4096, 512, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(random.w_avg, random.style(draws).mean(0))


def np_fir(x: np.ndarray, up: int, pad: tuple[int, int]) -> np.ndarray:
    """upfirdn2d by the definition: zero insertion, padding, correlation with the flipped kernel."""
    c, h, w = x.shape
    stuffed = np.zeros((c, h * up, w * up))
    stuffed[:, ::up, ::up] = x
    padded = np.pad(stuffed, ((0, 0), pad, pad))
    flipped = BLUR[::-1, ::-1]
    out = np.zeros((c, padded.shape[1] - 3, padded.shape[2] - 3))
    for y in range(out.shape[1]):
        for x_ in range(out.shape[2]):
            out[:, y, x_] = (padded[:, y : y + 4, x_ : x_ + 4] * flipped).sum((1, 2))
    return out


@pytest.mark.parametrize("upsample", [False, True])
@torch.no_grad()
def test_modulated_conv_matches_numpy(upsample):
    torch.manual_seed(4)
    conv = ModulatedConv2d(3, 2, 3, style_dim=5, upsample=upsample)
    x, style = torch.randn(2, 3, 5, 5), torch.randn(2, 5)
    out = conv(x, style).double().numpy()

    weight = conv.weight[0].double().numpy() / math.sqrt(3 * 9)  # (out, in, 3, 3), He scale
    mod_w, mod_b = conv.modulation.weight.double().numpy(), conv.modulation.bias.double().numpy()
    for n in range(2):
        s = style[n].double().numpy() @ mod_w.T / math.sqrt(5) + mod_b  # EqualLinear, lr_mul 1
        wn = weight * s[None, :, None, None]
        wn /= np.sqrt((wn**2).sum((1, 2, 3), keepdims=True) + 1e-8)  # demodulate per output channel
        xn = x[n].double().numpy()
        if upsample:  # stride-2 transposed conv, then the [1,3,3,1] blur padded (1, 1)
            full = np.zeros((2, 11, 11))
            for i in range(5):
                for j in range(5):
                    full[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3] += np.einsum("oiab,i->oab", wn, xn[:, i, j])
            expected = np_fir(full, 1, (1, 1))
        else:  # same-padded cross-correlation
            xp = np.pad(xn, ((0, 0), (1, 1), (1, 1)))
            expected = np.zeros((2, 5, 5))
            for i in range(5):
                for j in range(5):
                    expected[:, i, j] = (wn * xp[None, :, i : i + 3, j : j + 3]).sum((1, 2, 3))
        np.testing.assert_allclose(out[n], expected, rtol=1e-4, atol=1e-5)
    assert out.shape == ((2, 2, 10, 10) if upsample else (2, 2, 5, 5))


@torch.no_grad()
def test_skip_upsampling_matches_numpy():
    up = FIR(up=2, pad=(2, 1))
    np.testing.assert_allclose(up.kernel.numpy(), BLUR)
    x = torch.randn(2, 3, 4, 4)
    out = up(x).double().numpy()
    assert out.shape == (2, 3, 8, 8)
    for n in range(2):
        np.testing.assert_allclose(out[n], np_fir(x[n].double().numpy(), 2, (2, 1)), rtol=1e-5, atol=1e-6)


@torch.no_grad()
def test_mapping_applies_lr_mul(model16):
    layer = model16.style[1]
    assert isinstance(layer, EqualLinear) and layer.lr_mul == 0.01 and len(model16.style) == 9
    z = torch.randn(4, 512)
    x = z.double().numpy()
    x = x / np.sqrt((x**2).mean(1, keepdims=True) + 1e-8)  # PixelNorm
    for i in range(1, 9):
        weight, bias = (model16.style[i].weight.double().numpy(), model16.style[i].bias.double().numpy())
        x = x @ (weight * 0.01 / math.sqrt(512)).T + bias * 0.01
        x = np.where(x >= 0, x, 0.2 * x) * math.sqrt(2)  # fused leaky ReLU
    np.testing.assert_allclose(model16.style(z).double().numpy(), x, rtol=1e-4, atol=1e-5)


def test_bad_checkpoints_name_the_problem(tmp_path, checkpoint16):
    state = torch.load(checkpoint16)["g_ema"]
    renamed = dict(state)
    renamed["to_rgbs.0.bais"] = renamed.pop("to_rgbs.0.bias")
    torch.save({"g_ema": renamed}, tmp_path / "renamed.pt")
    with pytest.raises(CheckpointError, match=r"missing: to_rgbs\.0\.bias.*unexpected: to_rgbs\.0\.bais"):
        StyleGAN2(checkpoint=str(tmp_path / "renamed.pt"), resolution=16)
    with pytest.raises(CheckpointError, match=r"unexpected: convs\.2"):  # 16x16 weights, 8x8 network
        StyleGAN2(checkpoint=str(checkpoint16), resolution=8)
    reshaped = dict(state, **{"conv1.activate.bias": torch.zeros(7)})
    torch.save({"g_ema": reshaped}, tmp_path / "reshaped.pt")
    with pytest.raises(CheckpointError, match=r"wrong shape: conv1\.activate\.bias"):
        StyleGAN2(checkpoint=str(tmp_path / "reshaped.pt"), resolution=16)
    torch.save({"g": state}, tmp_path / "no_ema.pt")
    with pytest.raises(CheckpointError, match="no 'g_ema' entry"):
        StyleGAN2(checkpoint=str(tmp_path / "no_ema.pt"), resolution=16)


def test_registered_and_validated():
    model = build_generator({"name": "stylegan2", "resolution": 8})
    assert isinstance(model, StyleGAN2) and not model.training and model.spaces == ("z", "w", "wp")
    with pytest.raises(ValueError, match="power of two"):
        StyleGAN2(resolution=48)

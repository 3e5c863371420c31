"""Make tests/data/nvidia/stylegan3_{t,r}.npz: reference arrays computed with NVIDIA's own StyleGAN3 code.

Throw-away script, run by hand against a checkout of NVlabs/stylegan3 (never vendored here):

    .venv/bin/python tests/data/nvidia/make_stylegan3.py --nvidia-repo /tmp/nv/stylegan3

NVIDIA's code is imported, not copied; it runs on the CPU, so its custom ops take their plain-torch
reference paths in float32. Under torch 2.13 its `torch_utils.ops` import `pkg_resources.parse_version`,
which recent setuptools no longer ship: a stand-in module (packaging's `parse`) is put in `sys.modules`
before the import; no file of the checkout is changed. Only arrays are written (weights, codes, images),
never a pickle.

Every npz holds `init_kwargs` (json of the kwargs the Generator was built with, as in a pickle's
`_init_kwargs`), `state/<key>` for each entry of `G.state_dict()` in order, `z`, `ws_z` (mapping at
psi 0.7), `img_z`/`img_z_float` (`G(z, c, truncation_psi=0.7)`), `ws` (style-mixed W+ codes) with
`img_ws`/`img_ws_float` (`G.synthesis(ws)`), and for the class-conditional fixture `c`. Parameters that
are constant at init (affines, biases, `magnitude_ema`, `w_avg`, the input transform) are randomised
with a fixed seed first, so that a bug cannot hide behind a one or a zero.
"""

import argparse
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
BATCH = 8
PSI = 0.7

CONFIGS = {  # small versions of NVIDIA's stylegan3-t and stylegan3-r at 64 x 64 (R: 1x1 convs, radial filters)
    "t": dict(
        z_dim=32,
        w_dim=32,
        mapping_kwargs=dict(num_layers=2),
        channel_base=1024,
        channel_max=32,
        num_fp16_res=4,
        conv_clamp=256,
        magnitude_ema_beta=0.5 ** (32 / 20e3),
        c_dim=0,
        img_resolution=64,
        img_channels=3,
    ),
    "r": dict(
        z_dim=32,
        w_dim=32,
        mapping_kwargs=dict(num_layers=2),
        channel_base=2048,
        channel_max=64,
        num_fp16_res=4,
        conv_clamp=256,
        magnitude_ema_beta=0.5 ** (32 / 20e3),
        conv_kernel=1,
        use_radial_filters=True,
        c_dim=3,
        img_resolution=64,
        img_channels=3,
    ),
}


def import_nvidia(repo: Path):
    stand_in = types.ModuleType("pkg_resources")
    from packaging.version import parse

    stand_in.parse_version = parse
    sys.modules.setdefault("pkg_resources", stand_in)
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(repo))
    from training import networks_stylegan3

    return networks_stylegan3


def randomise(G: torch.nn.Module, gen: torch.Generator) -> None:
    """Give every init-time constant a random value; the up/down filters stay as designed."""

    def randn(t, scale=1.0, shift=0.0):
        t.copy_(torch.randn(t.shape, generator=gen) * scale + shift)

    with torch.no_grad():
        for name, module in G.synthesis.named_children():
            randn(module.affine.weight)
            if name == "input":
                randn(module.affine.bias, 0.3, torch.tensor([1.0, 0, 0, 0]))
                angle, shift = 0.4, (0.07, -0.12)  # a user's transform: rotate, then translate
                m = torch.tensor(
                    [[np.cos(angle), -np.sin(angle), shift[0]], [np.sin(angle), np.cos(angle), shift[1]], [0, 0, 1]],
                    dtype=torch.float64,
                )
                module.transform.copy_(torch.linalg.inv(m).float())
            else:
                randn(module.affine.bias, 0.3, 1.0)
                randn(module.bias, 0.2)
                module.magnitude_ema.copy_(torch.rand([], generator=gen) * 1.5 + 0.5)
        mapping = G.mapping
        randn(mapping.w_avg, 0.5)
        for layer in mapping.children():
            randn(layer.bias, 0.2 / layer.bias_gain)  # stored divided by lr_multiplier


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return (x.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).numpy()


def make(net_module, name: str, kwargs: dict, seed: int) -> dict:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    G = net_module.Generator(**kwargs).eval().requires_grad_(False)
    randomise(G, gen)
    out = {"init_kwargs": np.array(json.dumps(kwargs))}
    for key, value in G.state_dict().items():
        out[f"state/{key}"] = value.detach().float().numpy().copy()
    z = torch.randn([BATCH, G.z_dim], generator=gen)
    c = None
    if G.c_dim:
        c = torch.nn.functional.one_hot(torch.arange(BATCH) % G.c_dim, G.c_dim).float()
        out["c"] = c.numpy()
    with torch.no_grad():
        ws_z = G.mapping(z, c, truncation_psi=PSI)
        img_z = G(z, c, truncation_psi=PSI)
        # style mixing: each sample's layers >= k come from another z's mapping
        z2 = torch.randn([BATCH, G.z_dim], generator=gen)
        c2 = None if c is None else c.roll(1, 0)
        ws = G.mapping(z, c, truncation_psi=PSI)
        ws2 = G.mapping(z2, c2, truncation_psi=PSI)
        cuts = torch.randint(1, G.num_ws, [BATCH], generator=gen)
        mix = torch.arange(G.num_ws)[None, :, None] >= cuts[:, None, None]
        ws = torch.where(mix, ws2, ws)
        img_ws = G.synthesis(ws)
    out.update(
        z=z.numpy(),
        ws_z=ws_z.numpy(),
        img_z=to_uint8(img_z),
        img_z_float=img_z.numpy(),
        ws=ws.numpy(),
        img_ws=to_uint8(img_ws),
        img_ws_float=img_ws.numpy(),
    )
    for key in ("img_z_float", "img_ws_float"):
        v = out[key]
        print(
            f"{name} {key}: mean {v.mean():.3f} std {v.std():.3f} min {v.min():.3f} max {v.max():.3f} "
            f"clipped {np.mean(np.abs(v * 127.5 + 128 - 127.5) > 128):.3%}"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nvidia-repo", type=Path, required=True, help="checkout of NVlabs/stylegan3")
    args = parser.parse_args()
    torch.set_num_threads(2)
    net_module = import_nvidia(args.nvidia_repo)
    for seed, (name, kwargs) in enumerate(CONFIGS.items()):
        arrays = make(net_module, name, kwargs, seed=100 + seed)
        path = HERE / f"stylegan3_{name}.npz"
        np.savez(path, **arrays)
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB, {len(arrays)} arrays")


if __name__ == "__main__":
    main()

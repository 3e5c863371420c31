"""Make the StyleGAN2-ADA reference arrays `stylegan2_ada_{orig,skip,resnet}.npz` with NVIDIA's own code.

NVIDIA's code is imported from a checkout given on the command line, never vendored (its licence is
research-only); what is committed is data computed with it: weights, codes and images. Run:

    .venv/bin/python tests/data/nvidia/make_stylegan2_ada.py --nvidia-repo /tmp/nv/stylegan2-ada-pytorch

NVlabs/stylegan2-ada-pytorch (commit d72cc7d) imported unpatched under torch 2.13 on the CPU, where its
custom ops take their plain-torch reference path. The references use `force_fp32=True`: on the CPU
that repository would otherwise run the top `num_fp16_res` blocks in float16.

Each file holds (np.savez, loadable with allow_pickle=False):
- `init_kwargs`: 0-d str, json of the exact kwargs NVIDIA's `Generator` was built with (a pickle's
  `_init_kwargs`, `synthesis_kwargs` nested as in that repository);
- `state/<key>`: every entry of NVIDIA's `G.state_dict()`, in order, float32. Every parameter or
  buffer that is constant at init (biases, noise strengths, `w_avg`, ...) is randomised first, seed
  fixed, so that each takes part in the comparison; `resample_filter` buffers are kept;
- `z` (8, z_dim), `c` (8, c_dim; one-hot when c_dim > 0);
- `ws_z`: `G.mapping(z, c, truncation_psi=0.7)`;
- `img_z_float` (NCHW float32) and `img_z` (NHWC uint8, NVIDIA's `x * 127.5 + 128` clamped):
  `G(z, c, truncation_psi=0.7, noise_mode='const')`;
- `ws` (8, num_ws, w_dim): style-mixed W+ codes, mapping(z1) with the layers from a per-sample
  crossover on taken from mapping(z2); `img_ws_float`, `img_ws` from `G.synthesis(ws, noise_mode='const')`.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

N = 8
PSI = 0.7
TORGB_SCALE = 0.3  # random toRGB weights give images of std ~2; scaled, most pixels stay inside [-1, 1]

FIXTURES = {
    # conditional, conv_clamp at the released configs' 256
    "orig": dict(
        z_dim=32,
        c_dim=3,
        w_dim=32,
        img_resolution=32,
        img_channels=3,
        mapping_kwargs=dict(num_layers=2),
        synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=4, conv_clamp=256, architecture="orig"),
    ),
    # the default architecture; z_dim != w_dim so a transposed mapping weight cannot pass
    "skip": dict(
        z_dim=48,
        c_dim=0,
        w_dim=32,
        img_resolution=32,
        img_channels=3,
        mapping_kwargs=dict(num_layers=2),
        synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=4, conv_clamp=None, architecture="skip"),
    ),
    # a tiny conv_clamp, so that the clamping bites in every layer and in toRGB
    "resnet": dict(
        z_dim=32,
        c_dim=0,
        w_dim=32,
        img_resolution=32,
        img_channels=3,
        mapping_kwargs=dict(num_layers=2),
        synthesis_kwargs=dict(channel_base=512, channel_max=32, num_fp16_res=4, conv_clamp=0.5, architecture="resnet"),
    ),
}


def randomise(G: torch.nn.Module, seed: int) -> None:
    """Give every parameter and buffer that is constant at init random values (resample filters kept)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, value in G.state_dict().items():
            if key.endswith("resample_filter"):
                continue
            if key.endswith("torgb.weight"):
                value.mul_(TORGB_SCALE)
            elif key.endswith("noise_strength"):
                value.copy_(0.05 + 0.25 * torch.rand(value.shape, generator=gen))
            elif key == "mapping.w_avg":
                value.copy_(0.5 * torch.randn(value.shape, generator=gen))
            elif value.numel() > 1 and bool((value == value.flatten()[0]).all()):
                value.add_(0.2 * torch.randn(value.shape, generator=gen))


def to_uint8(img: torch.Tensor) -> np.ndarray:
    return (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).numpy()


@torch.no_grad()
def make(name: str, init_kwargs: dict, seed: int, out: Path) -> None:
    from training import networks

    torch.manual_seed(seed)
    G = networks.Generator(**init_kwargs).eval()
    randomise(G, seed + 1)
    gen = torch.Generator().manual_seed(seed + 2)
    z = torch.randn(N, G.z_dim, generator=gen)
    z2 = torch.randn(N, G.z_dim, generator=gen)
    c = torch.zeros(N, G.c_dim)
    if G.c_dim:
        c[torch.arange(N), torch.arange(N) % G.c_dim] = 1

    ws_z = G.mapping(z, c, truncation_psi=PSI)
    img_z = G(z, c, truncation_psi=PSI, noise_mode="const", force_fp32=True)
    ws = G.mapping(z, c)
    crossover = torch.randint(1, G.num_ws, (N,), generator=gen)
    mixed = torch.arange(G.num_ws).unsqueeze(0) >= crossover.unsqueeze(1)
    ws = torch.where(mixed.unsqueeze(2), G.mapping(z2, c), ws)
    img_ws = G.synthesis(ws, noise_mode="const", force_fp32=True)

    # how much the clamp changes the images: the same weights in a generator without it
    unclamped_kwargs = {**init_kwargs, "synthesis_kwargs": {**init_kwargs["synthesis_kwargs"], "conv_clamp": None}}
    unclamped = networks.Generator(**unclamped_kwargs).eval()
    unclamped.load_state_dict(G.state_dict())
    clamp_effect = (unclamped.synthesis(ws, noise_mode="const", force_fp32=True) - img_ws).abs().max()

    arrays = {"init_kwargs": np.array(json.dumps(init_kwargs))}
    arrays |= {f"state/{k}": v.float().numpy() for k, v in G.state_dict().items()}
    arrays |= dict(
        z=z.numpy(),
        c=c.numpy(),
        ws_z=ws_z.numpy(),
        img_z_float=img_z.numpy(),
        img_z=to_uint8(img_z),
        ws=ws.numpy(),
        img_ws_float=img_ws.numpy(),
        img_ws=to_uint8(img_ws),
    )
    path = out / f"stylegan2_ada_{name}.npz"
    np.savez(path, **arrays)
    print(
        f"{path}: {path.stat().st_size / 1e3:.0f} kB, num_ws {G.num_ws}, image std {img_z.std():.3f}, "
        f"|image| > 1: {(img_z.abs() > 1).float().mean():.3%}, "
        f"max |image change| without the clamp {clamp_effect:.3g}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nvidia-repo", type=Path, required=True, help="a checkout of NVlabs/stylegan2-ada-pytorch")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.nvidia_repo.resolve()))
    for seed, (name, init_kwargs) in enumerate(FIXTURES.items()):
        make(name, init_kwargs, 100 * (seed + 1), args.out)


if __name__ == "__main__":
    main()

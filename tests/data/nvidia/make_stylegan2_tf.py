"""Make the TensorFlow-era StyleGAN2 reference `stylegan2_tf.npz` with NVIDIA's own converter.

Random variables under TensorFlow StyleGAN2's names for a tiny config-f-like Gs (skip generator,
resolution 32) are written as a TF-era pickle (G, D, Gs) by `tests/nvidia_pickles.py`; NVIDIA's
`legacy.load_network_pkl`, imported from a checkout given on the command line (never vendored: its
licence is research-only), converts it to its PyTorch G_ema, which draws the reference images.
What is committed is data: the variables, codes and images. Run:

    .venv/bin/python tests/data/nvidia/make_stylegan2_tf.py --nvidia-repo /tmp/nv/stylegan2-ada-pytorch

The file holds (np.savez, loadable with allow_pickle=False):
- `static_kwargs`: 0-d str, json of Gs's static kwargs;
- `var/<component>/<name>`: every TF variable in creation order; component `Gs` (G_main's own:
  `lod`, `dlatent_avg`), `mapping` or `synthesis`;
- `z` (8, 48); `img_z_float` (NCHW float32), `img_z` (NHWC uint8, NVIDIA's `x * 127.5 + 128`
  clamped): `G_ema(z, truncation_psi=0.7, noise_mode='const', force_fp32=True)`;
- `ws` (8, 8, 32): style-mixed W+ codes; `img_ws_float`, `img_ws` from `G_ema.synthesis(ws, noise_mode='const')`.
"""

import argparse
import json
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for nvidia_pickles
from nvidia_pickles import Network, dumps, tensorflow_snapshot  # noqa: E402

N = 8
PSI = 0.7
LRMUL = 0.01
# z_dim != w_dim != hidden width, so that no transposed or mis-sized mapping weight can pass
STATIC_KWARGS = dict(
    num_channels=3,
    resolution=32,
    label_size=0,
    latent_size=48,
    dlatent_size=32,
    mapping_layers=2,
    mapping_fmaps=40,
    fmap_base=256,
    fmap_max=32,
    architecture="skip",
)


def nf(stage: int) -> int:
    return min(STATIC_KWARGS["fmap_base"] // 2**stage, STATIC_KWARGS["fmap_max"])


def generator_variables(rng: np.random.Generator) -> dict[str, dict]:
    """TF StyleGAN2's variables (G_main, G_mapping, G_synthesis_stylegan2), constants at init randomised."""
    w, log2 = STATIC_KWARGS["dlatent_size"], int(np.log2(STATIC_KWARGS["resolution"]))
    f32 = lambda *shape, scale=1.0: (scale * rng.standard_normal(shape)).astype(np.float32)  # noqa: E731
    widths = [STATIC_KWARGS["latent_size"], STATIC_KWARGS["mapping_fmaps"], w]
    mapping = {}
    for i in range(STATIC_KWARGS["mapping_layers"]):
        mapping[f"Dense{i}/weight"] = f32(widths[i], widths[i + 1], scale=1 / LRMUL)  # stored divided by lrmul
        mapping[f"Dense{i}/bias"] = f32(widths[i + 1], scale=0.2 / LRMUL)
    synthesis = {f"noise{i}": f32(1, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2)) for i in range(2 * log2 - 3)}

    def layer(scope: str, cin: int, cout: int, kernel: int = 3, noise: bool = True, weight_scale: float = 1.0):
        synthesis[f"{scope}/weight"] = f32(kernel, kernel, cin, cout, scale=weight_scale)
        synthesis[f"{scope}/mod_weight"] = f32(w, cin)
        synthesis[f"{scope}/mod_bias"] = f32(cin, scale=0.2)
        if noise:
            synthesis[f"{scope}/noise_strength"] = np.float32(0.05 + 0.25 * rng.random())
        synthesis[f"{scope}/bias"] = f32(cout, scale=0.2)

    synthesis["4x4/Const/const"] = f32(1, nf(1), 4, 4)
    layer("4x4/Conv", nf(1), nf(1))
    layer("4x4/ToRGB", nf(1), 3, kernel=1, noise=False, weight_scale=0.3)  # images of std ~1
    for res in range(3, log2 + 1):
        r = 2**res
        layer(f"{r}x{r}/Conv0_up", nf(res - 2), nf(res - 1))
        layer(f"{r}x{r}/Conv1", nf(res - 1), nf(res - 1))
        layer(f"{r}x{r}/ToRGB", nf(res - 1), 3, kernel=1, noise=False, weight_scale=0.3)
    own = {"lod": np.float32(0), "dlatent_avg": f32(w, scale=0.5)}
    return {"": own, "mapping": mapping, "synthesis": synthesis}


def discriminator(networks) -> Network:
    """A TF D whose variables fit the PyTorch Discriminator legacy.py builds (it converts D too)."""
    D = networks.Discriminator(
        c_dim=0,
        img_resolution=STATIC_KWARGS["resolution"],
        img_channels=3,
        channel_base=2 * STATIC_KWARGS["fmap_base"],
        channel_max=STATIC_KWARGS["fmap_max"],
    )
    variables = {}
    for key, value in D.named_parameters():
        block, layer, param = key.split(".")
        r = block[1:]
        scope = {
            "fromrgb": "FromRGB",
            "conv0": "Conv0",
            "conv1": "Conv1_down",
            "skip": "Skip",
            "conv": "Conv",
            "fc": "Dense0",
            "out": "Output",
        }[layer]
        scope = scope if layer == "out" else f"{r}x{r}/{scope}"
        array = value.detach().numpy()
        variables[f"{scope}/{param}"] = array.transpose(2, 3, 1, 0) if array.ndim == 4 else array.T
    kwargs = {k: STATIC_KWARGS[k] for k in ("num_channels", "resolution", "label_size", "fmap_base", "fmap_max")}
    return Network("D", variables, kwargs, build_func_name="D_stylegan2")


def to_uint8(img: torch.Tensor) -> np.ndarray:
    return (img.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).numpy()


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nvidia-repo", type=Path, required=True, help="a checkout of NVlabs/stylegan2-ada-pytorch")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    variables = generator_variables(np.random.default_rng(2026))

    sys.path.insert(0, str(args.nvidia_repo.resolve()))
    try:
        import pkg_resources  # noqa: F401  (NVIDIA's custom-op loader imports it)
    except ImportError:
        import packaging.version

        sys.modules["pkg_resources"] = types.SimpleNamespace(parse_version=packaging.version.parse)
    torch.manual_seed(0)
    from training import networks

    D = discriminator(networks)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stylegan2_tf.pkl"
        path.write_bytes(dumps(tensorflow_snapshot(variables, STATIC_KWARGS, D=D), protocol=3))
        import legacy

        with path.open("rb") as handle:
            G = legacy.load_network_pkl(handle)["G_ema"].eval()

    gen = torch.Generator().manual_seed(7)
    z = torch.randn(N, G.z_dim, generator=gen)
    z2 = torch.randn(N, G.z_dim, generator=gen)
    c = torch.zeros(N, 0)
    img_z = G(z, c, truncation_psi=PSI, noise_mode="const", force_fp32=True)
    crossover = torch.randint(1, G.num_ws, (N,), generator=gen)
    mixed = torch.arange(G.num_ws).unsqueeze(0) >= crossover.unsqueeze(1)
    ws = torch.where(mixed.unsqueeze(2), G.mapping(z2, c), G.mapping(z, c))
    img_ws = G.synthesis(ws, noise_mode="const", force_fp32=True)

    arrays = {"static_kwargs": np.array(json.dumps(STATIC_KWARGS))}
    for component, named in variables.items():
        arrays |= {f"var/{component or 'Gs'}/{name}": np.asarray(value) for name, value in named.items()}
    arrays |= dict(
        z=z.numpy(),
        img_z_float=img_z.numpy(),
        img_z=to_uint8(img_z),
        ws=ws.numpy(),
        img_ws_float=img_ws.numpy(),
        img_ws=to_uint8(img_ws),
    )
    out = args.out / "stylegan2_tf.npz"
    np.savez(out, **arrays)
    print(
        f"{out}: {out.stat().st_size / 1e3:.0f} kB, num_ws {G.num_ws}, image std {img_z.std():.3f}, "
        f"|image| > 1: {(img_z.abs() > 1).float().mean():.3%}"
    )


if __name__ == "__main__":
    main()

"""Our StyleGAN2-ADA and StyleGAN3 networks against NVIDIA's own code on the same pickle, on the CPU.

For each family and resolution, NVIDIA's generator is built from a checkout you supply
(never vendored; NVIDIA's licence allows research use only) in the official config
(StyleGAN2: channel_base 32768, channel_max 512, 8 mapping layers, conv_clamp 256;
StyleGAN3-T: 32768/512, 2 mapping layers; -R: 65536/1024, 1x1 kernels, radial filters), its
zero-initialised parameters randomised, pickled as a training snapshot, and read back with
our reader (nothing in the pickle is run). Both then render the same z at psi 0.7,
alternately, --repeats times each; each row gives the median images/s of each side, the
ratio, and the max |Δ| between the two outputs.

NVIDIA's sides: StyleGAN2-ADA in its default CPU path (the top 4 blocks in float16, which is
slow on a CPU) with --fp16-baseline, and always with force_fp32 (num_fp16_res 0, its fastest
CPU path); StyleGAN3 in its plain-torch reference ops (what it runs on a CPU).

Run by hand (about 10 min at 64² and 256² on 2 cores; 1024² takes NVIDIA's StyleGAN3 minutes
per image):
  .venv/bin/python bench/nvidia.py --nvidia-repo ../stylegan3 [--resolutions 64 256 1024]
      [--families stylegan2 stylegan3-t stylegan3-r] [--batch 4] [--threads 2] [--repeats 3]
      [--keep-freed-memory]
  The checkout is NVlabs/stylegan3 (it holds both families) or NVlabs/stylegan2-ada-pytorch
  (StyleGAN2 only).
  .venv/bin/python bench/nvidia.py --random-checkpoints DIR [--resolutions 1024]: our networks in
  these configs with random weights, as converted checkpoints (bench/gpu.sh times them).
"""

import argparse
import copy
import importlib
import inspect
import pickle
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

import torch

from interfacegan import runtime
from interfacegan.checkpoints import save_with_metadata
from interfacegan.generators.nvidia import build_network, load_network

FAMILIES = {
    "stylegan2": dict(channel_base=32768, channel_max=512, mapping_layers=8),
    "stylegan3-t": dict(channel_base=32768, channel_max=512, mapping_layers=2),
    "stylegan3-r": dict(channel_base=65536, channel_max=1024, mapping_layers=2, conv_kernel=1, use_radial_filters=True),
}


def import_nvidia(repo: Path) -> dict:
    """NVIDIA's Generator classes from a checkout. Its conv2d_gradfix imports pkg_resources,
    which current setuptools no longer ships: a stand-in with packaging's parser is given."""
    if importlib.util.find_spec("pkg_resources") is None:
        from packaging.version import parse

        sys.modules["pkg_resources"] = types.SimpleNamespace(parse_version=parse)
    sys.path.insert(0, str(repo))
    dnnlib = importlib.import_module("dnnlib")
    if (repo / "training" / "networks_stylegan3.py").is_file():
        classes = {
            "stylegan2": importlib.import_module("training.networks_stylegan2").Generator,
            "stylegan3": importlib.import_module("training.networks_stylegan3").Generator,
        }
    else:
        classes = {"stylegan2": importlib.import_module("training.networks").Generator}
    return classes | {"EasyDict": dnnlib.EasyDict}


def official_kwargs(family: str, resolution: int, fp16: bool = False) -> dict:
    """G_ema's init kwargs in NVIDIA's official config of `family` (flat, as stylegan3's code takes them)."""
    cfg = FAMILIES[family]
    extra = {k: cfg[k] for k in ("conv_kernel", "use_radial_filters") if k in cfg}
    return dict(
        z_dim=512,
        c_dim=0,
        w_dim=512,
        img_resolution=resolution,
        img_channels=3,
        mapping_kwargs={"num_layers": cfg["mapping_layers"]},
        channel_base=cfg["channel_base"],
        channel_max=cfg["channel_max"],
        num_fp16_res=4 if fp16 else 0,
        conv_clamp=256,
        **extra,
    )


def nvidia_generator(nvidia: dict, family: str, resolution: int, fp16: bool) -> torch.nn.Module:
    """NVIDIA's generator in the official config, with its constant-at-init tensors randomised."""
    kwargs = official_kwargs(family, resolution, fp16)
    kwargs["mapping_kwargs"] = nvidia["EasyDict"](kwargs["mapping_kwargs"])
    cls = nvidia[family.split("-")[0]]
    if "synthesis_kwargs" in inspect.signature(cls).parameters:  # stylegan2-ada-pytorch nests them
        head = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs")
        kwargs = {k: kwargs.pop(k) for k in head} | {"synthesis_kwargs": nvidia["EasyDict"](kwargs)}
    G = cls(**kwargs)
    generator = torch.Generator().manual_seed(resolution)
    with torch.no_grad():
        for name, tensor in G.named_parameters():
            if name.endswith(("bias", "noise_strength")):
                tensor.copy_(0.1 * torch.randn(tensor.shape, generator=generator))
        G.mapping.w_avg.copy_(torch.randn(G.mapping.w_avg.shape, generator=generator))
    return G.eval().requires_grad_(False)


def write_random_checkpoints(folder: Path, resolution: int) -> None:
    """Our networks in each family's official config with random weights, as `convert-pkl` writes
    them (FAMILY.pt + FAMILY.json), for bench/gpu.sh, which has no pickle and no NVIDIA code."""
    for family in FAMILIES:
        kwargs = official_kwargs(family, resolution)
        name = "stylegan3" if family.startswith("stylegan3") else "stylegan2_ada"
        torch.manual_seed(0)
        save_with_metadata(build_network(name, kwargs), folder / family, {"family": name, "init_kwargs": kwargs})
        print(folder / f"{family}.pt")


def ours_from_pickle(G: torch.nn.Module) -> torch.nn.Module:
    """Our network read back from a snapshot pickle of NVIDIA's G (the file NVIDIA's training writes)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.pkl"
        with path.open("wb") as handle:
            pickle.dump({"G": G, "D": None, "G_ema": copy.deepcopy(G), "augment_pipe": None}, handle)
        return load_network(path)[2].eval().requires_grad_(False)


def render(G: torch.nn.Module, z: torch.Tensor, **kwargs) -> torch.Tensor:
    with torch.inference_mode():
        return G(z, None, truncation_psi=0.7, noise_mode="const", **kwargs)


def rate(G, z, repeats: int, **kwargs) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        render(G, z, **kwargs)
        times.append(len(z) / (time.perf_counter() - start))
    return times


def measure(nvidia: dict, family: str, resolution: int, args) -> None:
    """Print the rows of one family and resolution: NVIDIA's path, its img/s, ours, the ratio, max |Δ|."""
    z = torch.randn(args.batch, 512, generator=torch.Generator().manual_seed(0))
    G = nvidia_generator(nvidia, family, resolution, fp16=False)
    ours = ours_from_pickle(G)
    delta = (render(G, z) - render(ours, z)).abs().max().item()
    paths = [("fp32" if family == "stylegan2" else "reference ops", G)]
    if args.fp16_baseline and family == "stylegan2":
        paths.append(("default (fp16 blocks)", nvidia_generator(nvidia, family, resolution, fp16=True)))
    for label, network in paths:
        render(network, z), render(ours, z)  # warm-up
        theirs, mine = [], []
        for _ in range(args.repeats):  # alternated, so drift in the machine's speed hits both sides
            theirs += rate(network, z, 1)
            mine += rate(ours, z, 1)
        a, b = statistics.median(theirs), statistics.median(mine)
        print(f"| {family} | {resolution}² | {label} | {a:.3f} | {b:.3f} | {b / a:.1f}× | {delta:.2e} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nvidia-repo", type=Path, help="a checkout of NVlabs/stylegan3 or stylegan2-ada-pytorch")
    p.add_argument(
        "--random-checkpoints",
        type=Path,
        metavar="DIR",
        help="instead: write our networks with random weights to DIR/FAMILY.pt (at the first resolution)",
    )
    p.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    p.add_argument("--resolutions", nargs="+", type=int, default=[64, 256, 1024])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--fp16-baseline", action="store_true", help="also time StyleGAN2-ADA's default CPU path (fp16 blocks)"
    )
    p.add_argument(
        "--keep-freed-memory",
        action="store_true",
        help="glibc keeps freed memory for reuse, for both sides, as the pipeline's stages run (runtime.setup)",
    )
    args = p.parse_args()
    if args.random_checkpoints:
        return write_random_checkpoints(args.random_checkpoints, args.resolutions[0])
    if not args.nvidia_repo:
        p.error("--nvidia-repo is needed to compare with NVIDIA's code")
    torch.set_num_threads(args.threads)
    kept = args.keep_freed_memory and runtime.keep_freed_memory()
    nvidia = import_nvidia(args.nvidia_repo.resolve())
    families = [f for f in args.families if f.split("-")[0] in nvidia]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, median of {args.repeats}"
        + ", freed memory kept" * bool(kept)
    )
    print("| family | resolution | NVIDIA's path | NVIDIA img/s | ours img/s | ours / NVIDIA | max abs diff |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for family in families:
        for resolution in args.resolutions:
            measure(nvidia, family, resolution, args)


if __name__ == "__main__":
    main()

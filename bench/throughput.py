"""Images per second of generate + score, fp32 vs bf16, and the achieved FLOP/s as a
fraction of this machine's matmul peak, measured side by side in one run.

Run by hand: .venv/bin/python bench/throughput.py [CONFIG ...] [--generator JSON ...]
  CONFIG: pipeline configs (default: config.yaml); each is measured with its generator
  and predictor. --generator '{"name": "stylegan2", "resolution": 256}' adds a generator
  (random weights when no checkpoint is given) scored by the first config's predictor.
"""

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.models import Models

ROOT = Path(__file__).resolve().parents[1]


def matmul_peak(dtype: torch.dtype, device: torch.device, repeats: int = 3) -> float:
    """FLOP/s of a square matmul, the best of `repeats` (large enough for a GPU, small
    enough for a CPU without native bf16, where bf16 runs at ~1 GFLOP/s)."""
    size = 8192 if device.type == "cuda" else 1024
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
    best = float("inf")
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        a @ b
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(view: dict, seconds: float) -> tuple[float, float]:
    """(images per second, FLOP per image) of generate + score, timing as many images as
    one image's time says fit in `seconds` (at least one, at most 8 batches)."""
    models = Models(view)
    z = np.random.default_rng(0).standard_normal((8 * view["batch_size"], models.generator.latent_dim)).astype(np.float32)
    with FlopCounterMode(display=False) as counter:
        models.score(z[:1], label="flops")
    one = timed(models, z[:1])
    count = int(np.clip(seconds / one, 1, len(z)))
    return count / timed(models, z[:count]), counter.get_total_flops()


def timed(models: Models, z: np.ndarray) -> float:
    sync(models.device)
    start = time.perf_counter()
    models.score(z, label="timed")
    sync(models.device)
    return time.perf_counter() - start


def views(args) -> list[tuple[str, dict]]:
    configs = [configuration.load(path) for path in args.configs]
    out = [(f"{c['generator']['name']} ({Path(p).name})", c) for p, c in zip(args.configs, configs)]
    for section in args.generator:
        config = copy.deepcopy(configs[0]) | {"generator": json.loads(section)}
        out.append((json.dumps(config["generator"]), config))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", default=[str(ROOT / "config.yaml")])
    parser.add_argument("--generator", action="append", default=[], help="a generator section as JSON")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0, help="time budget per generator and precision")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    rows = []
    for label, config in views(args):
        for precision in ("fp32", "bf16"):
            config = config | {"precision": precision, "batch_size": args.batch_size, "device": args.device, "threads": args.threads}
            images_per_s, flops = measure(pipeline.view(config, "score"), args.seconds)
            rows.append((label, precision, images_per_s, flops))
    device = Models(pipeline.view(config, "score"), with_predictor=False).device
    peaks = {"fp32": matmul_peak(torch.float32, device), "bf16": matmul_peak(torch.bfloat16, device)}
    print(f"device {device}, {args.threads} threads; matmul peak fp32 {peaks['fp32'] / 1e9:.1f} GFLOP/s, bf16 {peaks['bf16'] / 1e9:.1f} GFLOP/s")
    print(f"{'generator':<48} {'prec':<5} {'img/s':>9} {'GFLOP/img':>10} {'GFLOP/s':>9} {'of peak':>8} {'bf16/fp32':>9}")
    speed = {(label, precision): ips for label, precision, ips, _ in rows}
    for label, precision, ips, flops in rows:
        achieved = ips * flops
        ratio = ips / speed[(label, "fp32")]
        print(f"{label[:48]:<48} {precision:<5} {ips:>9.1f} {flops / 1e9:>10.3f} {achieved / 1e9:>9.1f} {achieved / peaks[precision]:>8.1%} {ratio:>9.2f}")


if __name__ == "__main__":
    main()

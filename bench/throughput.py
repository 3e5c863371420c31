"""The score stage's throughput: the rule's own job (`interfacegan stage score`, a fresh
process, as Snakemake starts it), its CPU time split into user and sys, the work per image
of generator and predictor, and the achieved FLOP/s as a fraction of this machine's matmul
peak, measured in the same run.

Each row times one score job of --n images: its rate is n / its wall time (start-up
included); its steady rate, the rate once it is running, is what the job logs at its end
(the rows after the first batch over their time: `runtime.batches`). The work per image is
counted on the networks as defined; "gain" times them against the stage's prepared
networks (runtime.for_inference), alternated in one process.

Run by hand: .venv/bin/python bench/throughput.py [CONFIG ...] [--generator JSON ...]
  [--generators-only] [--n 4000] [--threads 1 2] [--batch-size 250 ...] [--precision fp32 bf16]
  [--device auto]
  On a GPU node: bench/gpu.sh (DCGAN, PGGAN, StyleGAN and StyleGAN2 at 1024², fp32 and bf16,
  batch 8-64).
  CONFIG: pipeline configs (default: config.yaml), each measured with its generator and
  predictor. --generator '{"name": "stylegan2", "resolution": 256}' adds a generator (random
  weights when no checkpoint is given) scored by the first config's predictor.
"""

import argparse
import copy
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torch.utils.mkldnn import to_mkldnn

from interfacegan import config as configuration
from interfacegan import pipeline, runtime
from interfacegan.generators import Generator, build_generator
from interfacegan.models import Models, fit_size
from interfacegan.predictors import Predictor, build_predictor

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "interfacegan.cli"]


def matmul_peak(threads: int, device: torch.device, precision: str, repeats: int = 5) -> tuple[float, str]:
    """FLOP/s of a square matmul in the arithmetic the networks run in, with `threads` threads,
    the best of `repeats`, and the library that reached it. fp32 on a GPU is TF32 where cuDNN
    runs the convolutions so (torch's default). On the CPU, torch.matmul (MKL) and oneDNN's
    matmul are both tried: on AMD CPUs MKL takes its AVX2 path, half of what oneDNN (our
    convolutions' library) reaches with AVX-512."""
    torch.set_num_threads(threads)
    size = 8192 if device.type == "cuda" else 2048
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
    tf32 = device.type == "cuda" and dtype == torch.float32 and torch.backends.cudnn.allow_tf32
    candidates = {"torch.matmul (TF32)" if tf32 else "torch.matmul": lambda: a @ b}
    if device.type == "cpu" and torch.backends.mkldnn.is_available():
        linear, a_onednn = to_mkldnn(nn.Linear(size, size, bias=False), dtype), a.to_mkldnn()
        candidates["oneDNN"] = lambda: linear(a_onednn)
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        with torch.inference_mode():
            rates = {name: 2 * size**3 / best_time(run, device, repeats) for name, run in candidates.items()}
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
    return max(rates.values()), max(rates, key=rates.get)


def best_time(run, device: torch.device, repeats: int) -> float:
    run()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        run()
        sync(device)
        best = min(best, time.perf_counter() - start)
    return best


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def networks(config: dict, prepared: bool) -> tuple[Generator, Predictor]:
    """The stage's generator and predictor: as the score stage runs them (`prepared`:
    runtime.for_inference) or as defined."""
    view = pipeline.view(config, "score")
    if prepared:
        models = Models(view)
        return models.generator, models.scorer.predictor
    device = runtime.resolve_device(view["device"])
    return build_generator(view["generator"], device), build_predictor(view["predictor"], device)


def flops_per_image(config: dict) -> tuple[float, float]:
    """FLOP of the generator's and the predictor's pass over one image, as the networks
    define them (not what runtime.for_inference's rewrites execute)."""
    # frozen: FlopCounterMode's module hooks fail on parameters that need grad
    generator, predictor = (net.requires_grad_(False) for net in networks(config, prepared=False))
    z = torch.randn(1, generator.latent_dim, device=runtime.device_of(generator))
    with torch.inference_mode():
        with FlopCounterMode(display=False) as generator_count:
            images = generator.synthesize(z)
        with FlopCounterMode(display=False) as predictor_count:
            predictor(fit_size(images, predictor.input_size))
    return generator_count.get_total_flops(), predictor_count.get_total_flops()


def prepared_vs_plain(config: dict, threads: int, repeats: int = 7) -> dict[str, float]:
    """Median seconds per batch of the networks as defined and as the stage runs them,
    alternated in one process (the gain of runtime.for_inference, free of drift)."""
    torch.set_num_threads(threads)
    pairs = {"plain": networks(config, prepared=False), "prepared": networks(config, prepared=True)}
    generator = pairs["plain"][0]
    z = torch.randn(config["batch_size"], generator.latent_dim, device=runtime.device_of(generator))
    times = {name: [] for name in pairs}
    with torch.inference_mode(), runtime.autocast(z.device, config["precision"]):
        for _ in range(repeats + 1):  # the first round warms up
            for name, (generator, predictor) in pairs.items():
                sync(z.device)
                start = time.perf_counter()
                predictor(fit_size(generator.synthesize(z), predictor.input_size))
                sync(z.device)
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds[1:]) for name, seconds in times.items()}


def score_job(config: dict, threads: int, folder: Path) -> tuple[float, float, float, float]:
    """Wall, user and sys seconds of one score job over the config's n_samples (one shard), and its steady rate."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config | {"run": "bench"}))

    def stage(name: str) -> list[str]:
        return [
            *CLI,
            "stage",
            name,
            "--config",
            str(path),
            "--results",
            str(folder),
            "--shard",
            "0",
            "--threads",
            str(threads),
        ]

    subprocess.run(stage("sample"), check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    job = subprocess.run(stage("score"), check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    steady = float(re.search(r"([0-9.]+) rows/s after the first batch", job.stderr).group(1))
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, steady


def configs(args) -> list[tuple[str, dict]]:
    loaded = [configuration.load(path) for path in args.configs]
    for config in loaded:  # the jobs run in a temporary folder
        for section in (config["generator"], config["predictor"]):
            if section.get("checkpoint"):
                section["checkpoint"] = str(ROOT / section["checkpoint"])
    out = (
        []
        if args.generators_only
        else [(f"{c['generator']['name']} ({Path(p).name})", c) for p, c in zip(args.configs, loaded)]
    )
    for section in map(json.loads, args.generator):
        out.append(
            (
                ", ".join(f"{key}={value}" for key, value in section.items()),
                copy.deepcopy(loaded[0]) | {"generator": section},
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="*", default=[str(ROOT / "config.yaml")])
    parser.add_argument("--generator", action="append", default=[], help="a generator section as JSON")
    parser.add_argument(
        "--generators-only", action="store_true", help="only the --generator rows (CONFIG gives the predictor)"
    )
    parser.add_argument("--n", type=int, default=4000, help="images of the timed job")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-size", type=int, nargs="+", default=[250])
    parser.add_argument("--precision", nargs="+", default=["fp32"], choices=["fp32", "bf16"])
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.n < 2 * max(args.batch_size):  # a multiple of each: the config's sharding check
        parser.error(f"--n {args.n} must be at least 2 batches (the steady rate is after the first)")
    device = Models(
        pipeline.view(configuration.load(args.configs[0]) | {"device": args.device}, "score"), with_predictor=False
    ).device
    peaks = {(p, t): matmul_peak(t, device, p) for p in args.precision for t in args.threads}
    print(
        f"device {device}; matmul peak "
        + ", ".join(
            f"{p} {rate / 1e9:.0f} GFLOP/s with {t} threads ({library})" for (p, t), (rate, library) in peaks.items()
        )
    )
    header = (
        "generator",
        "prec",
        "batch",
        "thr",
        "job img/s",
        "steady",
        "GFLOP gen",
        "pred",
        "GFLOP/s",
        "of peak",
        "sys/user",
        "plain ms",
        "prep. ms",
        "gain",
    )
    print("{:<34} {:<5} {:>5} {:>3} {:>9} {:>7} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>5}".format(*header))
    for label, base in configs(args):
        for precision in args.precision:
            for batch in args.batch_size:
                config = configuration.validate(
                    base
                    | {
                        "precision": precision,
                        "batch_size": batch,
                        "device": args.device,
                        "n_samples": args.n,
                        "shard_size": args.n,  # one shard
                    }
                )
                generator_flops, predictor_flops = flops_per_image(config)
                for threads in args.threads:
                    with tempfile.TemporaryDirectory() as tmp:
                        wall, user, system, steady = score_job(config, threads, Path(tmp))
                    achieved = steady * (generator_flops + predictor_flops)
                    of_peak = f"{achieved / peaks[precision, threads][0]:.1%}"
                    batch_s = prepared_vs_plain(config, threads)
                    print(
                        f"{label[:34]:<34} {precision:<5} {batch:>5} {threads:>3} {args.n / wall:>9.1f} {steady:>7.1f}"
                        f" {generator_flops / 1e9:>9.3f} {predictor_flops / 1e9:>6.3f} {achieved / 1e9:>8.1f} {of_peak:>8}"
                        f" {system / user:>8.1%} {1e3 * batch_s['plain']:>8.1f} {1e3 * batch_s['prepared']:>8.1f}"
                        f" {batch_s['plain'] / batch_s['prepared']:>5.2f}",
                        flush=True,
                    )
    print(
        "job img/s: n / the job's wall time; steady: after its first batch, as the job logs it; of peak: of the row's precision;\n"
        "plain / prep. ms: one batch through the networks as defined / as the stage runs them (runtime.for_inference),\n"
        "median of 7 alternated in one process; gain: their ratio"
    )


if __name__ == "__main__":
    main()

"""Where our StyleGAN3's time goes: per synthesis layer, the modulated convolution against the
filtered leaky ReLU (bias, upsampling, leaky ReLU, clamp, downsampling), on the CPU.

  .venv/bin/python bench/stylegan3_layers.py CHECKPOINT.pt [--batch 4] [--threads 2] [--repeats 2]

CHECKPOINT is a converted network (`interfacegan convert-pkl`, or `bench/nvidia.py
--random-checkpoints DIR`: DIR/stylegan3-t.pt, DIR/stylegan3-r.pt). Each layer's time is taken by
forward hooks, the filter's by timing its call, and the convolution is the rest (modulation,
demodulation and the product); the median of --repeats forwards, after a warm-up.
"""

import argparse
import statistics
import time
from collections import defaultdict

import torch

from interfacegan.generators.nvidia import load_network
from interfacegan.generators.nvidia.stylegan3 import FilteredLReLU, SynthesisLayer


def timed_forward(net, ws, layers: dict) -> dict:
    """One synthesis pass: {layer name: [total s, filter s]}."""
    times = defaultdict(lambda: [0.0, 0.0])
    current = {}
    call = FilteredLReLU.__call__

    def filtering(self, *args):
        start = time.perf_counter()
        out = call(self, *args)
        times[current["name"]][1] += time.perf_counter() - start
        return out

    def before(module, _):
        current["name"], current["start"] = layers[module], time.perf_counter()

    def after(module, _, __):
        times[layers[module]][0] += time.perf_counter() - current["start"]

    hooks = [h for m in layers for h in (m.register_forward_pre_hook(before), m.register_forward_hook(after))]
    FilteredLReLU.__call__ = filtering
    try:
        with torch.inference_mode():
            net.synthesis(ws)
    finally:
        FilteredLReLU.__call__ = call
        for hook in hooks:
            hook.remove()
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    family, _, net = load_network(args.checkpoint)
    if family != "stylegan3":
        p.error(f"{args.checkpoint} holds a {family} network, not stylegan3")
    net.eval()
    layers = {m: name for name, m in net.synthesis.named_children() if isinstance(m, SynthesisLayer)}
    with torch.inference_mode():
        z = torch.randn(args.batch, net.z_dim, generator=torch.Generator().manual_seed(0))
        ws = net.mapping(z, None, truncation_psi=0.7)
    timed_forward(net, ws, layers)  # warm-up: filter matrices built, memory faulted in
    runs = [timed_forward(net, ws, layers) for _ in range(args.repeats)]
    print(f"{args.checkpoint}: batch {args.batch}, {args.threads} threads, median of {args.repeats}, ms per image")
    print("| layer | convolution | filtered leaky ReLU |")
    print("| --- | --- | --- |")
    totals = [0.0, 0.0]
    for name in layers.values():
        layer = statistics.median(r[name][0] for r in runs) / args.batch * 1e3
        filt = statistics.median(r[name][1] for r in runs) / args.batch * 1e3
        totals[0] += layer - filt
        totals[1] += filt
        print(f"| {name} | {layer - filt:.0f} | {filt:.0f} |")
    print(f"| all | {totals[0]:.0f} | {totals[1]:.0f} |")


if __name__ == "__main__":
    main()

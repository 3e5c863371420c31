"""Stage 1: latent codes of one shard (z, and w where the generator maps z to w)."""

import numpy as np
import torch

from .. import latents, runtime
from ..artifacts import provenance, write_h5
from ..config import ConfigError
from ..generators import build_generator
from ..layout import Layout, shard_rows


def run(view: dict, shard: int, layout: Layout) -> None:
    device = runtime.setup(view)
    start, stop = shard_rows(view["n_samples"], view["shard_size"], shard)
    generator = build_generator(view["generator"], device)
    missing = [s for s in view["spaces"] if s not in generator.spaces]
    if missing:
        raise ConfigError(f"config: spaces: generator '{generator.name}' has no {', '.join(missing)} space")
    raw = torch.from_numpy(latents.standard_normal(view["seed"], start, stop, generator.latent_dim))
    codes = {space: [] for space in ("z", *view["spaces"])}
    with torch.inference_mode():
        for rows in runtime.batches(len(raw), view["batch_size"], f"sample {shard}"):
            z = generator.prepare_z(raw[rows].to(device))
            mapped = generator.map_codes(z) if "w" in codes else {}
            codes["z"].append(z.cpu().numpy())
            if "w" in codes:
                codes["w"].append(mapped["w"].float().cpu().numpy())
    datasets = {space: np.concatenate(parts) for space, parts in codes.items()}
    write_h5(layout.latents(shard), datasets, provenance(view, "sample") | {"start": start, "stop": stop})

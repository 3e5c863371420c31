"""Stage 2: regenerate each shard's images in batches and score every attribute.

Images live only on the device, one batch at a time; nothing is written but scores.
"""

import numpy as np

from ..artifacts import ArtifactError, provenance, read_h5, write_h5
from ..layout import Layout, shard_bounds
from ..models import Models


def run(view: dict, shard: int, layout: Layout) -> None:
    z = read_h5(layout.latents(shard), "z")
    scores = Models(view).score(z["z"], label=f"score {shard}")
    attrs = provenance(view, "score") | {"start": z["attrs"]["start"], "stop": z["attrs"]["stop"]}
    write_h5(layout.scores(shard), {"scores": scores, "attributes": view["attributes"]}, attrs)


def merge(view: dict, layout: Layout) -> None:
    """All shards' scores in one (n, m) matrix, in global index order."""
    parts = []
    for shard, (start, stop) in enumerate(shard_bounds(view["n_samples"], view["shard_size"])):
        part = read_h5(layout.scores(shard), "scores", "attributes")
        if part["attributes"] != view["attributes"] or part["attrs"]["start"] != start or len(part["scores"]) != stop - start:
            raise ArtifactError(
                f"{layout.scores(shard)} does not belong to this run (rows {part['attrs']['start']}+{len(part['scores'])}, "
                f"attributes {part['attributes']}; expected {start}..{stop}, {view['attributes']}): delete it and re-run"
            )
        parts.append(part["scores"])
    write_h5(layout.merged_scores, {"scores": np.concatenate(parts), "attributes": view["attributes"]}, provenance(view, "score"))

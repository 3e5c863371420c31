"""Stage 2: regenerate each shard's images in batches and score every attribute.

Images live only on the device, one batch at a time; nothing is written but scores.
"""

import numpy as np

from ..artifacts import ArtifactError, provenance, read_artifact, write_h5
from ..layout import Layout, shard_count, shard_rows


def run(view: dict, shard: int, layout: Layout) -> None:
    from ..models import Models  # torch: only the image stages import it

    start, stop = shard_rows(view["n_samples"], view["shard_size"], shard)
    z = read_artifact(layout.latents(shard), view, "z", stage="sample", start=start, stop=stop)["z"]
    scores = Models(view).score(z, label=f"score {shard}")
    attrs = provenance(view, "score") | {"start": start, "stop": stop}
    write_h5(layout.scores(shard), {"scores": scores, "attributes": view["attributes"]}, attrs)


def merge(view: dict, layout: Layout) -> None:
    """All shards' scores in one (n, m) matrix, in global index order."""
    parts = []
    for shard in range(shard_count(view["n_samples"], view["shard_size"])):
        start, stop = shard_rows(view["n_samples"], view["shard_size"], shard)
        parts.append(read_scores(layout.scores(shard), view, "score", start, stop)["scores"])
    attrs = provenance(view, "merge_scores") | {"start": 0, "stop": view["n_samples"]}
    write_h5(layout.merged_scores, {"scores": np.concatenate(parts), "attributes": view["attributes"]}, attrs)


def read_merged(view: dict, layout: Layout) -> dict:
    """The run's merged scores (n_samples, m) and their attribute names, checked to be this run's."""
    return read_scores(layout.merged_scores, view, "merge_scores", 0, view["n_samples"])


def read_scores(path, view: dict, stage: str, start: int, stop: int) -> dict:
    """Scores of this run's rows [start, stop), checked: one row per sample, one column per attribute."""
    found = read_artifact(path, view, "scores", "attributes", stage=stage, start=start, stop=stop)
    expected = (stop - start, len(view["attributes"]))
    if found["scores"].shape != expected or list(found["attributes"]) != view["attributes"]:
        raise ArtifactError(
            f"{path} holds scores of shape {found['scores'].shape} for {', '.join(map(str, found['attributes']))}; "
            f"this run's are {expected} for {', '.join(view['attributes'])}: delete it and re-run"
        )
    return found


def score_spread(view: dict, layout: Layout) -> np.ndarray:
    """Each attribute's score SD over the run's synthesized samples (NaNs left out): the unit of every score change."""
    return np.nanstd(read_merged(view, layout)["scores"], axis=0)

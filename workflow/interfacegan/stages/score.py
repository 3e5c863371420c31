"""Stage 2: regenerate each shard's images in batches and score every attribute.

Images live only on the device, one batch at a time; nothing is written but scores.
"""

import numpy as np
import torch
import torch.nn.functional as F

from .. import runtime
from ..artifacts import ArtifactError, provenance, read_h5, write_h5
from ..config import ConfigError
from ..generators import Generator, build_generator
from ..layout import Layout, shard_bounds
from ..predictors import Predictor, build_predictor


def run(view: dict, shard: int, layout: Layout) -> None:
    device = runtime.setup(view)
    generator = build_generator(view["generator"], device)
    predictor = build_predictor(view["predictor"], device)
    z = read_h5(layout.latents(shard), "z")
    scores = score_latents(generator, predictor, view["attributes"], z["z"], view["batch_size"], device, f"score {shard}")
    attrs = provenance(view, "score") | {"start": z["attrs"]["start"], "stop": z["attrs"]["stop"]}
    write_h5(layout.scores(shard), {"scores": scores, "attributes": view["attributes"]}, attrs)


def score_latents(
    generator: Generator,
    predictor: Predictor,
    attributes: list[str],
    z: np.ndarray,
    batch_size: int,
    device: torch.device,
    label: str = "score",
    space: str = "z",
) -> np.ndarray:
    """Scores (n, len(attributes)) float32 of the images that codes `z` of `space` generate."""
    columns = attribute_columns(predictor, attributes)
    scores = np.empty((len(z), len(columns)), dtype=np.float32)
    with torch.inference_mode():
        for rows in runtime.batches(len(z), batch_size, label):
            images = generator.synthesize(torch.from_numpy(z[rows]).to(device), space)
            scores[rows] = predictor(fit_size(images, predictor.input_size))[:, columns].float().cpu().numpy()
    return scores


def attribute_columns(predictor: Predictor, attributes: list[str]) -> list[int]:
    unknown = [a for a in attributes if a not in predictor.attributes]
    if unknown:
        raise ConfigError(
            f"config: attributes: predictor '{predictor.name}' has no {', '.join(unknown)} "
            f"(it scores {', '.join(predictor.attributes)})"
        )
    return [predictor.attributes.index(a) for a in attributes]


def fit_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize square images to the predictor's input size (antialiased when shrinking)."""
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


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

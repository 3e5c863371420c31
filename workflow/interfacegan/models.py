"""The generator and predictor of a config, ready to synthesize and score codes."""

import numpy as np
import torch
import torch.nn.functional as F

from . import runtime
from .config import ConfigError
from .generators import Generator, build_generator
from .predictors import Predictor, build_predictor


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


class Models:
    def __init__(self, view: dict, with_predictor: bool = True):
        self.view = view
        self.device = runtime.setup(view)
        self.generator = build_generator(view["generator"], self.device)
        self.predictor = build_predictor(view["predictor"], self.device) if with_predictor else None

    def score(self, codes: np.ndarray, space: str = "z", label: str = "score") -> np.ndarray:
        """Scores (..., m) of the images of codes (..., d) of `space`."""
        flat = codes.reshape(-1, *codes.shape[-1:]).astype(np.float32)
        scores = score_latents(
            self.generator, self.predictor, self.view["attributes"], flat, self.view["batch_size"], self.device, label, space
        )
        return scores.reshape(*codes.shape[:-1], -1)

    def images(self, codes: np.ndarray, space: str = "z") -> np.ndarray:
        """uint8 NHWC images of codes (n, d) or W+ codes (n, layers, d), with the official
        post-processing (x + 1) * 127.5 + 0.5 clipped to [0, 255]."""
        codes = torch.from_numpy(np.asarray(codes, dtype=np.float32))
        out = []
        with torch.inference_mode():
            for rows in runtime.batches(len(codes), self.view["batch_size"], "generate"):
                x = self.generator.synthesize(codes[rows].to(self.device), space)
                out.append(((x + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy())
        return np.concatenate(out)

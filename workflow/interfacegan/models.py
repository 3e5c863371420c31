"""The generator and predictor of a config, ready to synthesize and score codes and images."""

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import runtime
from .config import ConfigError
from .generators import build_generator
from .images import to_uint8
from .predictors import Predictor, build_predictor


class Models:
    """Batches on the configured device, under inference mode and the configured precision."""

    def __init__(self, view: dict, with_predictor: bool = True):
        self.view = view
        self.device = runtime.setup(view)
        self.generator = runtime.for_inference(build_generator(view["generator"], self.device))
        self.scorer = Scorer(view, self.device) if with_predictor else None

    def synthesize(self, codes: torch.Tensor, space: str) -> torch.Tensor:
        with runtime.autocast(self.device, self.view["precision"]):
            return self.generator.synthesize(codes.to(self.device), space).float()

    def score(self, codes: np.ndarray, space: str = "z", label: str = "score") -> np.ndarray:
        """Scores (..., m) float32 of the images of codes (..., d) of `space`, or (..., layers, d) of wp;
        images never leave the device."""
        lead = codes.shape[: codes.ndim - (2 if space == "wp" else 1)]
        flat = torch.from_numpy(np.ascontiguousarray(codes, dtype=np.float32).reshape(-1, *codes.shape[len(lead) :]))
        return self.scorer.scores(len(flat), lambda rows: self.synthesize(flat[rows], space), label).reshape(*lead, -1)

    def images(self, codes: np.ndarray, space: str = "z") -> np.ndarray:
        """uint8 NHWC images of codes (n, d) or W+ codes (n, layers, d), with the official
        post-processing (x + 1) * 127.5 + 0.5 clipped to [0, 255]."""
        codes = torch.from_numpy(np.asarray(codes, dtype=np.float32))
        out = []
        with torch.inference_mode():
            for rows in runtime.batches(len(codes), self.view["batch_size"], "generate"):
                out.append(to_uint8(self.synthesize(codes[rows], space)))
        return np.concatenate(out)

    def image_tensors(self, codes: np.ndarray, space: str) -> torch.Tensor:
        """Float images (n, 3, R, R) in [-1, 1] of codes (n, d) or W+ codes (n, layers, d), on the CPU."""
        codes = torch.from_numpy(np.asarray(codes, dtype=np.float32))
        with torch.inference_mode():
            return torch.cat(
                [
                    self.synthesize(codes[rows], space).cpu()
                    for rows in runtime.batches(len(codes), self.view["batch_size"], "generate")
                ]
            )


class Scorer:
    """The predictor's scores of the run's attributes: batches of images on the device, resized to
    its input, under inference mode and the configured precision."""

    def __init__(self, view: dict, device: torch.device):
        self.view, self.device = view, device
        self.predictor = runtime.for_inference(build_predictor(view["predictor"], device))
        self.columns = attribute_columns(self.predictor, view["attributes"])

    def scores(self, count: int, images_of: Callable[[slice], torch.Tensor], label: str = "score") -> np.ndarray:
        """Scores (count, m) float32 of the images in [-1, 1] that `images_of(rows)` makes of each batch of rows."""
        scores = np.empty((count, len(self.columns)), dtype=np.float32)
        with torch.inference_mode():
            for rows in runtime.batches(count, self.view["batch_size"], label):
                scores[rows] = self.predict(images_of(rows))
        return scores

    def score_images(self, images: torch.Tensor) -> np.ndarray:
        """Scores (N, m) float32 of float images (N, 3, H, W) in [-1, 1]."""
        return self.scores(len(images), lambda rows: images[rows])

    def predict(self, images: torch.Tensor) -> np.ndarray:
        """The scores of one batch of images, moved to the device and resized to the predictor's input."""
        images = fit_size(images.to(self.device), self.predictor.input_size)
        with runtime.autocast(self.device, self.view["precision"]):
            return self.predictor(images)[:, self.columns].float().cpu().numpy()


def attribute_columns(predictor: Predictor, attributes: list[str]) -> list[int]:
    unknown = [a for a in attributes if a not in predictor.attributes]
    if unknown:
        raise ConfigError(
            f"config: attributes: predictor '{predictor.name}' has no {', '.join(unknown)} "
            f"(it scores {', '.join(predictor.attributes)})"
        )
    return [predictor.attributes.index(a) for a in attributes]


def fit_size(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize square images to the predictor's input size on their device (antialiased when shrinking)."""
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)

"""A generator whose semantics are known: the planted-truth world.

Attribute j's true score is s_j = n_j . z + noise * e_j(z), with planted unit normals
n_j whose pairwise cosines are set in the config, and e_j(z) a fixed nonlinear
function of z with unit variance that no hyperplane can explain. The generator writes
each score into one pixel row of a small image (via tanh), and the planted predictor
reads them back from the pixels, so the real image path runs end to end.
"""

import numpy as np
import torch

from ..registry import generators
from .base import Generator

SCORE_SCALE = 4.0  # pixel = tanh(score / SCORE_SCALE): invertible, inside (-1, 1)


def planted_normals(names: list[str], dim: int, cosines: list, seed: int) -> np.ndarray:
    """Unit rows (m, dim) whose Gram matrix has the requested off-diagonal cosines."""
    gram = np.eye(len(names))
    for a, b, cosine in cosines:
        i, j = names.index(a), names.index(b)
        gram[i, j] = gram[j, i] = cosine
    try:
        factor = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError as err:
        raise ValueError(f"planted cosines {cosines} are not a valid set of angles") from err
    basis, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, len(names))))
    return (factor @ basis.T).astype(np.float32)


@generators.register("planted")
class PlantedGenerator(Generator):
    def __init__(
        self,
        attributes: list[str],
        latent_dim: int = 64,
        cosines: list = (),
        noise: float = 0.3,
        image_size: int = 16,
        seed: int = 1234,
    ):
        super().__init__()
        if len(attributes) > image_size:
            raise ValueError(f"{len(attributes)} attributes need image_size >= {len(attributes)}")
        for a, b, _ in cosines:
            for name in (a, b):
                if name not in attributes:
                    raise ValueError(f"cosine names unknown attribute '{name}'")
        self.attributes = list(attributes)
        self.latent_dim, self.resolution, self.noise = latent_dim, image_size, noise
        rng = np.random.default_rng(seed + 1)
        m = len(attributes)
        self.register_buffer("normals", torch.from_numpy(planted_normals(self.attributes, latent_dim, cosines, seed)))
        # The noise e_j = sqrt(2) sin(3 u_j.z + phase_j): unit variance, uncorrelated with any n.z.
        self.register_buffer("noise_dirs", torch.from_numpy(rng.standard_normal((m, latent_dim)).astype(np.float32)) / latent_dim**0.5)
        self.register_buffer("noise_phase", torch.from_numpy(rng.uniform(0, 2 * np.pi, m).astype(np.float32)))
        texture = rng.standard_normal((3 * image_size * image_size, latent_dim)).astype(np.float32)
        self.register_buffer("texture", torch.from_numpy(texture) / latent_dim**0.5)

    def true_scores(self, z: torch.Tensor) -> torch.Tensor:
        wiggle = 2**0.5 * torch.sin(3 * z @ self.noise_dirs.T + self.noise_phase)
        return z @ self.normals.T + self.noise * wiggle

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        if space != "z":
            raise ValueError(f"planted synthesizes from z only, not {space!r}")
        size = self.resolution
        image = torch.tanh(codes @ self.texture.T).reshape(len(codes), 3, size, size).clone()
        rows = torch.tanh(self.true_scores(codes) / SCORE_SCALE)
        image[:, 0, : len(self.attributes), :] = rows[:, :, None]
        return image

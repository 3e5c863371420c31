"""A generator whose semantics are known: the planted-truth world.

Attribute j's true score is s_j = n_j . z + noise * e_j(z), with planted unit normals
n_j whose pairwise cosines are set in the config, and e_j(z) a fixed nonlinear
function of z with unit variance that no hyperplane can explain. The generator writes
each score into one pixel row of a small image (via tanh), and the planted predictor
reads them back from the pixels, so the real image path runs end to end.

With `layers: L` the world has a W space (w = R z, R a fixed rotation) and a W+ space
(w repeated on L layers, untruncated), and the planted normals live in W. Attribute j
then reads only the mean v_j of its layers' codes (`attribute_layers`, default all):
s_j = n_j . v_j + noise * e_j(v_j). From z or w every layer holds w, so s_j = n_j . R z + ...;
moving one layer of a W+ code moves exactly the attributes that read it.
"""

import numpy as np
import torch

from .base import Generator, registry

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


@registry.register("planted")
class PlantedGenerator(Generator):
    def __init__(
        self,
        attributes: list[str],
        latent_dim: int = 64,
        cosines: list = (),
        noise: float = 0.3,
        image_size: int = 16,
        seed: int = 1234,
        layers: int | None = None,  # W and W+ spaces with this many layers (None: z only)
        attribute_layers: dict[str, list[int]] | None = None,  # the W+ layers each attribute reads (default: all)
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
        normals = torch.from_numpy(planted_normals(self.attributes, latent_dim, cosines, seed))
        self.num_layers = layers
        if layers is None:
            if attribute_layers:
                raise ValueError("attribute_layers needs layers (the W+ layers of the world)")
            self.register_buffer("normals", normals)  # in z
        else:
            self.spaces = ("z", "w", "wp")
            rotation, _ = np.linalg.qr(np.random.default_rng(seed + 2).standard_normal((latent_dim, latent_dim)))
            self.register_buffer("rotation", torch.from_numpy(rotation.astype(np.float32)))
            self.register_buffer("w_normals", normals)
            self.register_buffer("normals", normals @ self.rotation)  # n . (R z) = (n R) . z
            self.register_buffer("layer_weights", layer_weights(self.attributes, layers, attribute_layers or {}))
        # The noise e_j = sqrt(2) sin(3 u_j.z + phase_j): unit variance, uncorrelated with any n.z.
        self.register_buffer(
            "noise_dirs", torch.from_numpy(rng.standard_normal((m, latent_dim)).astype(np.float32)) / latent_dim**0.5
        )
        self.register_buffer("noise_phase", torch.from_numpy(rng.uniform(0, 2 * np.pi, m).astype(np.float32)))
        texture = rng.standard_normal((3 * image_size * image_size, latent_dim)).astype(np.float32)
        self.register_buffer("texture", torch.from_numpy(texture) / latent_dim**0.5)

    def map_codes(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.num_layers is None:
            return {}
        w = z @ self.rotation.T
        return {"w": w, "wp": self.w_to_wp(w)}

    def w_to_wp(self, w: torch.Tensor) -> torch.Tensor:
        if self.num_layers is None:
            return super().w_to_wp(w)
        return w[:, None].repeat(1, self.num_layers, 1)

    def true_scores(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        if self.num_layers is None:
            if space != "z":
                raise ValueError(f"planted synthesizes from z only, not {space!r} (set layers for w and wp)")
            linear, phase = codes @ self.normals.T, codes @ self.noise_dirs.T
        else:
            read = torch.einsum("ml,nld->nmd", self.layer_weights, self.wp_codes(codes, space))  # v_j per sample
            linear, phase = (read * self.w_normals).sum(-1), (read * self.noise_dirs).sum(-1)
        return linear + self.noise * 2**0.5 * torch.sin(3 * phase + self.noise_phase)

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        size = self.resolution
        scores = self.true_scores(codes, space)
        look = codes if self.num_layers is None else self.wp_codes(codes, space).mean(1)
        image = torch.tanh(look @ self.texture.T).reshape(len(codes), 3, size, size).clone()
        rows = torch.tanh(scores / SCORE_SCALE)
        image[:, 0, : len(self.attributes), :] = rows[:, :, None]
        return image


def layer_weights(attributes: list[str], layers: int, chosen: dict[str, list[int]]) -> torch.Tensor:
    """(m, layers): attribute j averages the W+ codes of its layers (all where none are named)."""
    if layers < 1:
        raise ValueError(f"layers must be >= 1, not {layers}")
    unknown = sorted(set(chosen) - set(attributes))
    if unknown:
        raise ValueError(f"attribute_layers names unknown attribute '{unknown[0]}'")
    weights = torch.zeros(len(attributes), layers)
    for j, name in enumerate(attributes):
        picked = sorted(set(chosen.get(name, range(layers))))
        if not picked or picked[0] < 0 or picked[-1] >= layers:
            raise ValueError(
                f"attribute_layers.{name}: {chosen.get(name)} must be a non-empty list of layers in 0..{layers - 1}"
            )
        weights[j, picked] = 1 / len(picked)
    return weights

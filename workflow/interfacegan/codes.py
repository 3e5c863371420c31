"""Latent codes of a generator: the spaces it has, the shape of one code, and the codes a
command reads from a file (`load_codes`)."""

from pathlib import Path

import numpy as np
import torch

from . import runtime
from .artifacts import ArtifactError, read_h5, read_npy
from .config import ConfigError
from .generators import Generator


def check_space(generator: Generator, space: str) -> None:
    """ValueError naming the generator's spaces unless `space` is one of them."""
    if space not in generator.spaces:
        raise ValueError(f"generator '{generator.name}' has no {space} space (it has {', '.join(generator.spaces)})")


def code_shape(generator: Generator, space: str) -> tuple[int, ...]:
    """The shape of one code of `space`: (d,), or (layers, d) for wp (`check_space` first)."""
    check_space(generator, space)
    if space == "z":
        return (generator.latent_dim,)
    with torch.no_grad():
        z = generator.prepare_z(torch.ones(1, generator.latent_dim, device=runtime.device_of(generator)))
        return tuple(space_codes(generator, z, space).shape[1:])


def space_codes(generator: Generator, z: torch.Tensor, space: str) -> torch.Tensor:
    """The codes of `space` of prepared z codes: z itself, or their w / wp (`map_codes`)."""
    return z if space == "z" else generator.map_codes(z)[space]


def option_code_shape(models, space: str) -> tuple[int, ...]:
    """`code_shape` of the models' generator for a command's --space: a space it lacks is a ConfigError naming the option."""
    try:
        check_space(models.generator, space)
    except ValueError as err:
        raise ConfigError(f"--space {space}: {err}") from err
    return code_shape(models.generator, space)


def load_codes(path: str, models, space: str) -> np.ndarray:
    """Finite real codes of `space` from a .npy file (no pickles) or the codes.h5 of `invert`
    (made in `space` by this generator); z codes get the generator's own preparation, as the
    official model.preprocess does (a norm rescale for PGGAN and StyleGAN: the same again for
    codes that have it)."""
    expected = option_code_shape(models, space)
    codes = inverted_codes(path, models, space) if Path(path).suffix == ".h5" else read_npy(path, "latents")
    if codes.shape[1:] != expected or not len(codes):
        wanted = ", ".join(map(str, ("n", *expected)))
        raise ArtifactError(f"latents {path} have shape {codes.shape}; --space {space} takes ({wanted}) with n >= 1")
    with np.errstate(over="ignore"):  # beyond float32 becomes inf, counted below
        codes = codes.astype(np.float32)
    bad = int((~np.isfinite(codes)).any(axis=tuple(range(1, codes.ndim))).sum())
    if bad:
        raise ArtifactError(f"latents {path}: {bad} codes hold NaN or infinite values (or values beyond float32)")
    if space == "z":
        with torch.inference_mode():
            codes = models.generator.prepare_z(torch.from_numpy(codes)).numpy()
    return codes


def inverted_codes(path: str, models, space: str) -> np.ndarray:
    """The `codes` of an `invert` output, which must have been made in `space` by this generator."""
    content = read_h5(path, "codes")
    made = (content["attrs"].get("space"), content["attrs"].get("generator"))
    if made != (space, models.generator.name):
        raise ArtifactError(
            f"latents {path} are {made[0]} codes of {made[1]}, not {space} codes of "
            f"{models.generator.name} (--space, the config's generator)"
        )
    codes = np.asarray(content["codes"])
    if codes.dtype.kind not in "fiu":
        raise ArtifactError(f"latents {path} hold {codes.dtype} values; latents are real numbers")
    return codes

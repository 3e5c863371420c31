"""GAN inversion: the latent codes whose images reproduce given images, found by Adam
through the frozen generator (Z for every generator; W and W+ for the StyleGANs).

The objective per image is the pixel MSE, plus an optional perceptual distance (a
callable of two image batches in [-1, 1] returning (N,) distances, e.g. LPIPS; scale it
inside the callable), plus `prior_weight` times a prior that keeps the code in
distribution. The learning rate ramps up over the first 5 % of the steps and decays
with a half cosine over the last 25 %, as StyleGAN2's projector.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from . import runtime
from .codes import check_space
from .generators import Generator
from .images import psnr_of_mse

MEAN_W_SAMPLES = 4096  # z draws (seed 0) mapped to estimate the mean and spread of W
RAMP_UP, RAMP_DOWN = 0.05, 0.25  # fractions of the steps (StyleGAN2's projector)

Perceptual = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Inversion(NamedTuple):
    codes: np.ndarray  # (N, d), or (N, layers, d) for wp; z codes as prepare_z makes them
    psnr: np.ndarray  # (N,) dB of the final codes' images
    loss: np.ndarray  # (N,) final objective


def invert(
    generator: Generator,
    images: torch.Tensor,
    space: str,
    steps: int,
    lr: float = 0.1,
    seed: int = 0,
    perceptual: Perceptual | None = None,
    prior_weight: float = 0.0,
    init: np.ndarray | torch.Tensor | None = None,
    batch_size: int = 16,
    on_step: Callable[[int], None] | None = None,
) -> Inversion:
    """Invert `images` (N, 3, H, W) in [-1, 1] into `space`, `batch_size` images at a time on
    the generator's device. Start from `init` codes if given, else from seeded N(0, I) z
    or the mean W. Each image's code depends only on its image and start (not the batch).
    `on_step(step)` is called after each Adam step of each batch (a progress bar's)."""
    check_space(generator, space)
    device = runtime.device_of(generator)
    images = torch.as_tensor(images, dtype=torch.float32)
    stats = w_stats(generator, device) if space != "z" else None
    start = initial_codes(generator, space, len(images), seed, stats, init)
    prior = code_prior(generator, space, stats)
    results = []
    for rows in runtime.batches(len(images), batch_size, f"invert {space}"):
        target, code = images[rows].to(device), start[rows].to(device)

        def objective(code: torch.Tensor, target: torch.Tensor = target) -> tuple[torch.Tensor, torch.Tensor]:
            x = generator.synthesize(code, space)
            mse = F.mse_loss(x, target, reduction="none").mean((1, 2, 3))
            loss = mse + (perceptual(x, target) if perceptual else 0) + prior_weight * prior(code)
            return loss, mse

        results.append(optimise(objective, code, steps, lr, on_step))
    codes, mse, loss = (torch.cat(parts) for parts in zip(*results))
    if space == "z":
        codes = generator.prepare_z(codes)
    return Inversion(codes.cpu().numpy(), psnr_of_mse(mse).cpu().numpy(), loss.cpu().numpy())


def optimise(
    objective, code: torch.Tensor, steps: int, lr: float, on_step: Callable[[int], None] | None = None
) -> tuple[torch.Tensor, ...]:
    """Adam on `code` under the ramped schedule; the final code, its MSE and its loss."""
    code = code.clone().requires_grad_(True)
    adam = torch.optim.Adam([code], lr=lr)
    with torch.enable_grad():
        for step in range(steps):
            for group in adam.param_groups:
                group["lr"] = lr * schedule((step + 0.5) / steps)
            loss, _ = objective(code)
            (code.grad,) = torch.autograd.grad(loss.sum(), [code])  # no gradients for the weights
            adam.step()
            if on_step:
                on_step(step)
    with torch.no_grad():
        loss, mse = objective(code)
    return code.detach(), mse, loss


def schedule(t: float) -> float:
    """The learning-rate factor at fraction `t` of the steps: linear warm-up, cosine decay."""
    down = 0.5 - 0.5 * math.cos(math.pi * min(1.0, (1 - t) / RAMP_DOWN))
    return down * min(1.0, t / RAMP_UP)


@torch.no_grad()
def w_stats(generator: Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean W of seeded z draws and their mean per-dimension variance around it."""
    z = torch.randn(MEAN_W_SAMPLES, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    w = generator.map_codes(generator.prepare_z(z.to(device)))["w"]
    mean = w.mean(0)
    return mean, (w - mean).pow(2).mean()


def initial_codes(generator: Generator, space: str, n: int, seed: int, stats, init) -> torch.Tensor:
    if space == "z":
        start = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    else:
        w = stats[0].expand(n, -1)
        start = (w if space == "w" else generator.w_to_wp(w)).cpu()
    if init is None:
        return start
    init = torch.as_tensor(init, dtype=torch.float32).cpu()
    if init.shape != start.shape:
        raise ValueError(f"initial {space} codes must be {tuple(start.shape)}, not {tuple(init.shape)}")
    return init


def code_prior(generator: Generator, space: str, stats) -> Callable[[torch.Tensor], torch.Tensor]:
    """Per-code penalty (N,), about 1-2 for codes drawn as the generator's own.

    z: (|z|^2 - d)^2 / d, which keeps z on the shell of radius sqrt(d) where N(0, I) draws
    lie (E = 2). The Gaussian log-density would pull z towards 0, a code no draw is near
    in d dimensions (and PGGAN/StyleGAN rescale z to norm sqrt(d) anyway; there the shell
    keeps Adam's step size relative to |z| fixed). w, wp: the squared distance to the mean
    W in units of the mapped draws' spread (E = 1 for mapped codes; averaged over
    layers for wp): W is not Gaussian, so only its first two moments are used.
    """
    if space == "z":
        d = generator.latent_dim
        return lambda z: (z.pow(2).sum(1) - d).pow(2) / d
    mean, var = stats
    return lambda w: (w - mean).pow(2).flatten(1).mean(1) / var

"""Feed-forward editing: an image -> image translator trained on pairs the pipeline makes itself.

The paper's second way to edit real faces: a learned boundary n gives unlimited pairs
(G(c), G(c + alpha n)); an image-to-image network (pix2pixHD's global generator, trained
against a two-scale conditional PatchGAN with LSGAN, feature matching and a perceptual term)
then edits a photo in one forward pass. Two models are trained: the identity model on pairs
(x, x), and the boundary model fine-tuned from a copy of its weights on the edit pairs. Any
strength t in between (or beyond) is the network with weights (1 - t) theta_identity +
t theta_boundary (`interpolate`).

Pairs are drawn on the fly, never stored: batch k holds rows offset + k B .. offset + (k + 1) B
of `latents.standard_normal(seed, ...)`, so it depends on (seed, k) only, and the batches
of any batch size concatenate to the same stream. Training never uses HELD_OUT_SEED, whose
pairs give the report's held-out PSNR; the caller picks a training seed apart from the
run's own (`interfacegan train-translator` refuses the config's seed).

Saved as STEM.pt (a plain state dict) and STEM.json:

    {"format": "interfacegan-translator/2",
     "architecture": {"channels": 32, "downsamples": 2, "blocks": 4, "max_channels": 256},
     "boundary": "smile", "alpha": 3.0, "space": "z", "resolution": 64,
     "generator": "dcgan", "generator_config": {...}, "report": {...},
     "identity": {"file": "identity.pt", "sha256": "..."}}   (null for the identity model)
"""

import copy
import hashlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from . import latents, runtime
from .artifacts import CheckpointError
from .checkpoints import build_checked, check_fits, read_metadata, save_with_metadata, stem_paths
from .codes import check_space, code_shape, space_codes
from .config import ConfigError
from .generators import Generator
from .images import psnr

log = logging.getLogger("interfacegan")

FORMAT = "interfacegan-translator/2"  # /2: the network adds its output to its input
IDENTITY = "identity"  # the boundary name of the identity model (pairs (x, x))
HELD_OUT_SEED = 2_000_000_029  # the held-out pairs' seed; training pairs come from the caller's seed
FEATURE_MATCHING = 10.0  # pix2pixHD's lambda_feat
DEFAULT_ARCHITECTURE = {"channels": 32, "downsamples": 2, "blocks": 4, "max_channels": 256}
ARCHITECTURE_BOUNDS = {"channels": (1, 1024), "downsamples": (0, 10), "blocks": (0, 64), "max_channels": (1, 1024)}

METADATA_SCHEMA = {
    "type": "object",
    "maxProperties": 64,
    "required": ["format", "architecture", "boundary", "alpha", "space", "resolution", "generator", "identity"],
    "properties": {
        "format": {"const": FORMAT},
        "architecture": {
            "type": "object",
            "required": list(DEFAULT_ARCHITECTURE),
            "properties": {
                key: {"type": "integer", "minimum": low, "maximum": high}
                for key, (low, high) in ARCHITECTURE_BOUNDS.items()
            },
            "additionalProperties": False,
        },
        "boundary": {"type": "string", "maxLength": 300},
        "alpha": {"type": "number", "minimum": -1000, "maximum": 1000},
        "space": {"enum": ["z", "w", "wp"]},
        "resolution": {"type": "integer", "minimum": 1, "maximum": 8192},
        "generator": {"type": "string", "maxLength": 200},
        "identity": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "maxProperties": 8,
                    "required": ["file", "sha256"],
                    "properties": {
                        "file": {"type": "string", "maxLength": 4096},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "maxLength": 64},
                    },
                },
            ]
        },
    },
}


# ---------------------------------------------------------------------------------------------
# Pairs


def edit_direction(generator: Generator, normal, space: str, device) -> torch.Tensor | None:
    """`normal` as a tensor that adds to one code of `space` ((d,) spreads over W+'s layers)."""
    if normal is None:
        return None
    normal = torch.as_tensor(np.asarray(normal, dtype=np.float32)).to(device)
    shape = code_shape(generator, space)
    if tuple(normal.shape) == shape or normal.numel() == math.prod(shape):
        return normal.reshape(shape)
    if len(shape) == 2 and normal.numel() == shape[1]:
        return normal.reshape(shape[1]).expand(shape)
    raise ValueError(f"a boundary normal of shape {tuple(normal.shape)} does not fit {space} codes {shape}")


@torch.no_grad()
def pairs(
    generator: Generator,
    normal,
    alpha: float,
    space: str = "z",
    seed: int = 0,
    batch_size: int = 8,
    count: int | None = None,
    offset: int = 0,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(source, target) image batches, source = G(c), target = G(c + alpha n), made lazily.

    Batch k holds the codes of rows offset + k * batch_size ... of `standard_normal(seed)`
    (through `prepare_z`, and `map_codes` for w / wp), made on the generator's device under
    no_grad; `count` pairs in all (None: without end). normal=None or alpha=0: (x, x).
    """
    check_space(generator, space)
    if batch_size < 1 or offset < 0:
        raise ValueError(f"pairs: batch size must be >= 1 and offset >= 0 (got {batch_size}, {offset})")
    device = runtime.device_of(generator)
    direction = None if alpha == 0 else edit_direction(generator, normal, space, device)
    start, stop = offset, None if count is None else offset + count
    while stop is None or start < stop:
        end = start + batch_size if stop is None else min(start + batch_size, stop)
        z = generator.prepare_z(
            torch.from_numpy(latents.standard_normal(seed, start, end, generator.latent_dim)).to(device)
        )
        codes = space_codes(generator, z, space)
        source = generator.synthesize(codes, space).float()
        target = source if direction is None else generator.synthesize(codes + alpha * direction, space).float()
        yield source, target
        start = end


# ---------------------------------------------------------------------------------------------
# Networks


def conv_norm_relu(cin: int, cout: int, kernel: int, stride: int = 1, reflect: int = 0) -> list[nn.Module]:
    pad = [nn.ReflectionPad2d(reflect)] if reflect else []
    return [
        *pad,
        nn.Conv2d(cin, cout, kernel, stride, padding=0 if reflect else kernel // 2),
        nn.InstanceNorm2d(cout),
        nn.ReLU(True),
    ]


class ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.body = nn.Sequential(
            *conv_norm_relu(width, width, 3, reflect=1),
            nn.ReflectionPad2d(1),
            nn.Conv2d(width, width, 3),
            nn.InstanceNorm2d(width),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Translator(nn.Module):
    """pix2pixHD's global generator as a residual: images (N, 3, R, R) in [-1, 1] -> the
    images plus the network's output (`run` clips to [-1, 1]).

    7x7 conv (reflection padding), `downsamples` strided 3x3 convs (widths doubling, capped at
    `max_channels`), `blocks` residual blocks, as many 3x3 transposed convs up, 7x7 conv;
    instance norm (no running statistics: the state dict holds only weights) and ReLU. Where
    pix2pixHD ends in tanh, this network adds its output to the input, and `initialise` zeroes
    the last conv: untrained, it is the identity, and it learns only the edit, so the input's
    details pass through (measured in bench/RESULTS.md, translator).
    """

    def __init__(
        self, resolution: int, channels: int = 32, downsamples: int = 2, blocks: int = 4, max_channels: int = 256
    ):
        super().__init__()
        if resolution % 2**downsamples or resolution // 2**downsamples < 2:
            raise ValueError(
                f"a translator with {downsamples} downsamples needs a resolution divisible by "
                f"{2**downsamples} and >= {2 ** (downsamples + 1)}, not {resolution}"
            )
        self.resolution = resolution
        self.architecture = {
            "channels": channels,
            "downsamples": downsamples,
            "blocks": blocks,
            "max_channels": max_channels,
        }
        width = lambda level: min(channels * 2**level, max_channels)  # noqa: E731
        layers = conv_norm_relu(3, width(0), 7, reflect=3)
        for level in range(downsamples):
            layers += conv_norm_relu(width(level), width(level + 1), 3, stride=2)
        layers += [ResidualBlock(width(downsamples)) for _ in range(blocks)]
        for level in reversed(range(downsamples)):
            layers += [
                nn.ConvTranspose2d(width(level + 1), width(level), 3, 2, padding=1, output_padding=1),
                nn.InstanceNorm2d(width(level)),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width(0), 3, 7)]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[1:] != (3, self.resolution, self.resolution):
            raise ValueError(
                f"translator takes images (N, 3, {self.resolution}, {self.resolution}), not {tuple(images.shape)}"
            )
        return images + self.net(images)


class PatchDiscriminator(nn.Module):
    """pix2pixHD's NLayerDiscriminator: 4x4 convs (stride 2 `layers` times, then 1), LeakyReLU
    0.2, instance norm after the first; forward returns every layer's output, the last being
    the patch predictions (N, 1, h, w)."""

    def __init__(self, in_channels: int, channels: int = 32, layers: int = 3, max_channels: int = 256):
        super().__init__()
        widths = [min(channels * 2**i, max_channels) for i in range(layers + 1)]
        blocks = [nn.Sequential(nn.Conv2d(in_channels, widths[0], 4, 2, 2), nn.LeakyReLU(0.2, True))]
        for i in range(1, layers + 1):
            stride = 2 if i < layers else 1
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(widths[i - 1], widths[i], 4, stride, 2),
                    nn.InstanceNorm2d(widths[i]),
                    nn.LeakyReLU(0.2, True),
                )
            )
        blocks.append(nn.Sequential(nn.Conv2d(widths[-1], 1, 4, 1, 2)))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features


class MultiscaleDiscriminator(nn.Module):
    """PatchGANs at `scales` scales (each next one on the 3x3 average-pooled, halved input),
    conditional on the source: forward(source, image) -> per scale, every layer's features."""

    def __init__(self, channels: int = 32, layers: int = 3, scales: int = 2, max_channels: int = 256):
        super().__init__()
        self.scales = nn.ModuleList(PatchDiscriminator(6, channels, layers, max_channels) for _ in range(scales))

    def forward(self, source: torch.Tensor, image: torch.Tensor) -> list[list[torch.Tensor]]:
        x = torch.cat([source, image], dim=1)
        out = []
        for index, scale in enumerate(self.scales):
            if index:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            out.append(scale(x))
        return out


def initialise(module: nn.Module) -> None:
    """pix2pixHD's initialisation, conv weights N(0, 0.02) and zero biases, except a
    translator's last conv: zero, so that the translator starts as the identity."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
    if isinstance(module, Translator):
        nn.init.zeros_(module.net[-1].weight)


# ---------------------------------------------------------------------------------------------
# Losses


def lsgan(predictions: list[list[torch.Tensor]], real: bool) -> torch.Tensor:
    """LSGAN: the mean squared distance of every scale's patch predictions to 1 (real) or 0, summed over scales."""
    return sum(F.mse_loss(features[-1], torch.full_like(features[-1], float(real))) for features in predictions)


def feature_matching(fake: list[list[torch.Tensor]], real: list[list[torch.Tensor]]) -> torch.Tensor:
    """pix2pixHD's discriminator feature matching: L1 between the fake and (detached) real
    features of every layer but the predictions, weighted 4 / (layers + 1) / scales."""
    total = fake[0][0].new_zeros(())
    for fake_scale, real_scale in zip(fake, real):
        weight = 4.0 / len(fake_scale) / len(fake)
        for f, r in zip(fake_scale[:-1], real_scale[:-1]):
            total = total + weight * F.l1_loss(f, r.detach())
    return total


# ---------------------------------------------------------------------------------------------
# Training


@torch.no_grad()
def evaluate(
    translator: Translator, generator: Generator, normal, alpha: float, space: str, n: int = 64, batch_size: int = 16
) -> dict:
    """Held-out PSNR (dB) of the translator's output against the latent edit's image, on `n`
    pairs of HELD_OUT_SEED, beside the PSNR of the unedited source against it."""
    was_training = translator.training
    translator.eval()
    out, unedited = [], []
    try:
        for source, target in pairs(generator, normal, alpha, space, HELD_OUT_SEED, batch_size, count=n):
            out.append(psnr(translator(source).clamp(-1, 1), target))
            unedited.append(psnr(source, target))
    finally:
        translator.train(was_training)
    db, base = (torch.cat(parts).cpu().double().numpy() for parts in (out, unedited))
    finite = lambda value: float(value) if np.isfinite(value) else None  # noqa: E731  None: an exact copy (infinite PSNR)
    return {
        "n": n,
        "seed": HELD_OUT_SEED,
        "psnr_mean": finite(db.mean()),
        "psnr_median": finite(np.median(db)),
        "psnr_min": finite(db.min()),
        "unedited_psnr_mean": finite(np.mean(base)),
    }  # None: identity pairs


def train_translator(
    generator: Generator,
    normal,
    alpha: float,
    space: str = "z",
    steps: int = 2000,
    batch_size: int = 8,
    lr: float = 2e-4,
    seed: int = 1,
    init: dict | None = None,
    perceptual: float = 10.0,
    pixel: float = 10.0,
    architecture: dict | None = None,
    discriminator: dict | None = None,
    held_out: int = 64,
) -> tuple[Translator, dict]:
    """Train a translator on `pairs(generator, normal, alpha, space, seed, batch_size)`; the
    translator (eval mode, on the generator's device) and a report.

    Adam (lr, betas 0.5 / 0.999) on both networks, with LSGAN, feature matching (weight 10),
    `perceptual` times LPIPS (VGG16; 0: off) and `pixel` times L1 against the target (0: off;
    its gain: bench/RESULTS.md, translator).
    `init`: a state dict to start from (the identity model's, for a boundary model).
    `discriminator`: MultiscaleDiscriminator options (channels, layers, scales).
    Deterministic given `seed` (same device and thread count: bit-identical weights).
    """
    if steps < 1 or batch_size < 1 or not lr > 0 or perceptual < 0 or pixel < 0 or held_out < 1:
        raise ValueError(
            f"train-translator: steps, batch size and held-out pairs must be >= 1, lr > 0, weights >= 0 "
            f"(got {steps}, {batch_size}, {held_out}, {lr}, {perceptual}, {pixel})"
        )
    if seed == HELD_OUT_SEED:
        raise ValueError(f"train-translator: seed {seed} is the held-out pairs' seed")
    if normal is None:
        alpha = 0.0
    device = runtime.device_of(generator)
    architecture = DEFAULT_ARCHITECTURE | (architecture or {})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        translator = Translator(generator.resolution, **architecture)
        critic = MultiscaleDiscriminator(**(discriminator or {}))
        initialise(translator)
        initialise(critic)
    if init is not None:
        check_fits(init, translator, Path("init"))
        translator.load_state_dict(init)
    translator.to(device).train()
    critic.to(device).train()
    lpips = None
    if perceptual:
        from .metrics.lpips import LPIPS

        lpips = LPIPS().to(device)
    before = evaluate(translator, generator, normal, alpha, space, held_out, batch_size)
    g_params, d_params = list(translator.parameters()), list(critic.parameters())
    g_adam = torch.optim.Adam(g_params, lr=lr, betas=(0.5, 0.999))
    d_adam = torch.optim.Adam(d_params, lr=lr, betas=(0.5, 0.999))
    names = ("d_real", "d_fake", "g_gan", "g_feat", "g_perceptual", "g_pixel")
    losses, window = [], []
    began = time.perf_counter()
    stream = pairs(generator, normal, alpha, space, seed, batch_size)
    with (
        torch.enable_grad(),
        tqdm(total=steps, desc=f"train-translator {alpha:+g}", unit="step", file=sys.stderr, mininterval=5) as bar,
    ):
        for step in range(steps):
            source, target = next(stream)
            fake = translator(source)
            # as pix2pixHD: both losses from one pass of the discriminator, then both steps
            real_out = critic(source, target)
            d_real_loss = lsgan(real_out, True)
            d_fake_loss = lsgan(critic(source, fake.detach()), False)
            fake_out = critic(source, fake)
            g_gan = lsgan(fake_out, True)
            g_feat = feature_matching(fake_out, real_out)
            g_perceptual = lpips(fake, target).mean() if lpips is not None else fake.new_zeros(())
            g_pixel = F.l1_loss(fake, target) if pixel else fake.new_zeros(())
            g_loss = g_gan + FEATURE_MATCHING * g_feat + perceptual * g_perceptual + pixel * g_pixel
            g_grads = torch.autograd.grad(g_loss, g_params, retain_graph=True)  # the translator's only
            d_grads = torch.autograd.grad(0.5 * (d_real_loss + d_fake_loss), d_params)
            for params, grads in ((g_params, g_grads), (d_params, d_grads)):
                for p, g in zip(params, grads):
                    p.grad = g
            g_adam.step()
            d_adam.step()
            window.append([t.item() for t in (d_real_loss, d_fake_loss, g_gan, g_feat, g_perceptual, g_pixel)])
            if len(window) == max(1, steps // 20) or step == steps - 1:
                means = np.mean(window, axis=0)
                losses.append({"step": step + 1, **{name: float(v) for name, v in zip(names, means)}})
                window = []
                bar.set_postfix(d=f"{means[0] + means[1]:.3f}", g=f"{means[2]:.3f}", feat=f"{means[3]:.3f}")
            bar.update()
    seconds = time.perf_counter() - began
    translator.eval()
    report = {
        "training": {
            "alpha": alpha,
            "space": space,
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "betas": [0.5, 0.999],
            "seed": seed,
            "perceptual": perceptual,
            "pixel": pixel,
            "feature_matching": FEATURE_MATCHING,
            "fine_tuned": init is not None,
            "discriminator": discriminator or {},
            "threads": torch.get_num_threads(),
            "device": str(device),
        },
        "steps": steps,
        "seconds": seconds,
        "images_per_second": steps * batch_size / seconds,
        "losses": losses,
        "final_losses": losses[-1],
        "before": before,
        "held_out": evaluate(translator, generator, normal, alpha, space, held_out, batch_size),
    }
    return translator, report


def train_and_save(
    generator: Generator,
    out: str | Path,
    describe: Callable[[dict], dict],
    steps: int,
    options: dict,
    seed: int,
    where: str,
    held_out: int = 64,
    identity: Translator | None = None,
    identity_file: str | Path | None = None,
    normal=None,
    alpha: float = 0.0,
) -> tuple[Path, dict]:
    """Train a translator with `options` (space, batch_size, lr, perceptual, pixel, architecture) on
    the pairs of `seed` and save it at `out`, its metadata `describe(report)`: STEM.pt and the report.
    The identity model (no `identity`) starts afresh on pairs (x, x); a boundary's model starts from
    `identity`, saved at `identity_file` (its architecture and weights), on pairs (G(c), G(c + alpha
    normal)). A setting the generator cannot take is one ConfigError line, after `where`."""
    architecture, init = options["architecture"], None
    if identity is not None:
        architecture = identity.meta["architecture"]
        init = {key: value.detach().clone() for key, value in identity.state_dict().items()}
    try:
        translator, report = train_translator(
            generator,
            normal,
            alpha,
            options["space"],
            steps,
            options["batch_size"],
            options["lr"],
            seed,
            init=init,
            perceptual=options["perceptual"],
            pixel=options["pixel"],
            architecture=architecture,
            held_out=held_out,
        )
    # a space the generator lacks, a resolution the architecture cannot halve, the held-out seed
    except ValueError as err:
        raise ConfigError(f"{where}: {' '.join(str(err).split())}") from err
    return save_translator(translator, out, describe(report), identity=identity_file), report


# ---------------------------------------------------------------------------------------------
# Strength by weight interpolation


def interpolate(identity_state: dict, boundary_state: dict, t: float) -> dict:
    """The state dict (1 - t) theta_identity + t theta_boundary for every float tensor (t
    outside [0, 1] extrapolates); t = 0 gives the identity tensors themselves, t = 1 the
    boundary ones. Other entries must be equal in both."""
    if identity_state.keys() != boundary_state.keys():
        differ = sorted(identity_state.keys() ^ boundary_state.keys())
        raise ValueError(f"the two translators' weights differ in keys: {', '.join(differ[:3])}")
    t = float(t)
    out = {}
    for key, a in identity_state.items():
        b = boundary_state[key]
        if a.shape != b.shape or a.dtype != b.dtype:
            raise ValueError(
                f"the two translators' weights differ at {key}: {tuple(a.shape)} {a.dtype} and {tuple(b.shape)} {b.dtype}"
            )
        if not a.is_floating_point():
            if not torch.equal(a, b):
                raise ValueError(
                    f"the two translators' weights differ at {key}, which is not a float tensor and cannot be interpolated"
                )
            out[key] = a
        elif t == 0:
            out[key] = a
        elif t == 1:
            out[key] = b
        else:
            out[key] = (1 - t) * a + t * b
    return out


# ---------------------------------------------------------------------------------------------
# Checkpoints


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_translator(translator: Translator, stem: str | Path, info: dict, identity: str | Path | None = None) -> Path:
    """Write STEM.pt (the state dict, on the CPU) and STEM.json (architecture, resolution,
    `info`: boundary, alpha, space, generator, generator_config, report...; for a boundary
    model `identity`'s file name relative to STEM.json and its sha256), each atomically; return STEM.pt."""
    reference = None
    if identity is not None:
        identity_pt, _ = stem_paths(identity)
        if not identity_pt.is_file():
            raise CheckpointError(f"identity translator not found: {identity_pt}")
        meta_dir = stem_paths(stem)[1].absolute().parent
        reference = {"file": os.path.relpath(identity_pt.absolute(), meta_dir), "sha256": sha256(identity_pt)}
    meta = {
        "format": FORMAT,
        "architecture": translator.architecture,
        "resolution": translator.resolution,
        **info,
        "identity": reference,
    }
    return save_with_metadata(translator, stem, meta)


def load_one(path: str | Path, generator: Generator) -> tuple[Translator, dict, Path]:
    """A translator (eval mode, on the generator's device), its metadata and its STEM.json, unchecked identity."""
    checkpoint, meta_path, meta = read_metadata(path, METADATA_SCHEMA, "translator")
    for key, value in {"generator": generator.name, "resolution": generator.resolution}.items():
        if meta[key] != value:
            raise CheckpointError(f"translator {checkpoint} was trained for {key} {meta[key]!r}, not {value!r}")
    try:
        translator = build_checked(lambda: Translator(meta["resolution"], **meta["architecture"]), checkpoint)
    except CheckpointError:
        raise
    except ValueError as err:  # the resolution does not take the downsamples
        raise CheckpointError(f"translator metadata {meta_path}: architecture: {err}") from err
    translator.meta = meta
    return translator.to(runtime.device_of(generator)).eval(), meta, meta_path


def identity_path(meta: dict, meta_path: Path) -> Path:
    """The identity model that a boundary model's STEM.json names, checked to exist and to have the recorded sha256."""
    reference = meta["identity"]
    path = meta_path.parent / reference["file"]
    if not path.is_file():
        raise CheckpointError(f"translator {meta_path}: its identity model {path} is missing")
    found = sha256(path)
    if found != reference["sha256"]:
        raise CheckpointError(
            f"translator {meta_path}: its identity model {path} has sha256 {found[:12]}..., not the "
            f"recorded {reference['sha256'][:12]}... (it was replaced)"
        )
    return path


def load_translator(path: str | Path, generator: Generator) -> Translator:
    """The translator saved at STEM.pt (its STEM.json beside it, in `.meta`) for `generator`, in
    eval mode on the generator's device; one CheckpointError line for each way it can be wrong
    (for a boundary model, the identity model it names must be there, with its sha256)."""
    translator, meta, meta_path = load_one(path, generator)
    if meta["identity"] is not None:
        identity_path(meta, meta_path)
    return translator


def load_pair(path: str | Path, generator: Generator) -> tuple[Translator, Translator]:
    """(identity model, boundary model) of a boundary model's STEM.pt; an identity model's
    STEM.pt gives itself twice."""
    translator, meta, meta_path = load_one(path, generator)
    if meta["identity"] is None:
        return translator, translator
    identity, identity_meta, _ = load_one(identity_path(meta, meta_path), generator)
    if identity_meta["architecture"] != meta["architecture"]:
        raise CheckpointError(
            f"translator {meta_path}: its identity model has architecture {identity_meta['architecture']}, not {meta['architecture']}"
        )
    return identity, translator


def translate(
    translator_path: str | Path, generator: Generator, images: torch.Tensor, strength: float = 1.0, batch_size: int = 16
) -> torch.Tensor:
    """`images` (N, 3, R, R) in [-1, 1] edited at `strength` (0: the identity model, 1: the
    boundary model, between or beyond: their interpolated weights), on the CPU."""
    return translate_with(load_pair(translator_path, generator), images, strength, batch_size)


@torch.inference_mode()
def translate_with(
    pair: tuple[Translator, Translator], images: torch.Tensor, strength: float = 1.0, batch_size: int = 16
) -> torch.Tensor:
    """`translate` with a loaded (identity model, boundary model) pair."""
    return run(at_strength(pair, strength), images, batch_size)


def at_strength(pair: tuple[Translator, Translator], strength: float) -> Translator:
    """The translator of a loaded (identity model, boundary model) pair at `strength`: a copy of the
    boundary model with their interpolated weights, in eval mode."""
    identity, boundary = pair
    if identity is boundary:  # an identity model alone: every strength is itself
        return boundary
    model = copy.deepcopy(boundary)
    model.load_state_dict(interpolate(identity.state_dict(), boundary.state_dict(), strength))
    return model.eval()


@torch.inference_mode()
def run(translator: Translator, images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
    """The translator's outputs for `images`, `batch_size` at a time on its device, clipped to [-1, 1], on the CPU."""
    device = runtime.device_of(translator)
    images = torch.as_tensor(images, dtype=torch.float32)
    if not len(images):
        return images.clone()
    return torch.cat(
        [
            translator(images[i : i + batch_size].to(device)).clamp(-1, 1).float().cpu()
            for i in range(0, len(images), batch_size)
        ]
    )

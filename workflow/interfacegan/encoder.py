"""An image -> latent code encoder for a generator (`interfacegan train-encoder`), trained on
pairs the generator makes itself, and its use as the start of GAN inversion.

Training pairs are drawn on the fly and never stored: seeded N(0, I) z -> `prepare_z` ->
(`map_codes` for w / wp) -> the code's image. The loss is the squared code error, in units
of the codes' spread, plus `image_weight` times the pixel MSE of the encoded code's image,
MSE(G(E(x)), x) (in-domain / LIA style; gradients reach the encoder only), on the first
`image_rows` pairs of each batch. Held-out
metrics come from draws of the fixed seed HELD_OUT_SEED, which training never uses.

Saved as STEM.pt (a plain state dict) and STEM.json:

    {"format": "interfacegan-encoder/1",
     "architecture": {"widths": [32, 64, 128, 256], "blocks": [1, 1, 1, 1], "stem_stride": 2},
     "space": "z", "code_shape": [100], "resolution": 64,
     "generator": "dcgan", "generator_config": {"name": "dcgan"},
     "training": {...}, "report": {...}}
"""

import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from . import runtime
from .artifacts import CheckpointError
from .checkpoints import build_checked, read_metadata, save_with_metadata
from .codes import code_shape, space_codes
from .generators import Generator
from .images import psnr
from .predictors.multihead import BLOCKS, WIDTHS, BasicBlock

FORMAT = "interfacegan-encoder/1"
HELD_OUT_SEED = 2_000_000_011  # the held-out draws' seed; training draws come from the caller's seed
STATS_SAMPLES = 2048  # draws (of the training seed) that set the codes' mean and spread
WARM_UP = 0.02  # fraction of the steps with a linear learning-rate ramp, then a cosine decay

METADATA_SCHEMA = {
    "type": "object",
    "maxProperties": 64,
    "required": ["format", "architecture", "space", "code_shape", "resolution", "generator"],
    "properties": {
        "format": {"const": FORMAT},
        "architecture": {
            "type": "object",
            "required": ["widths", "blocks", "stem_stride"],
            "properties": {"widths": WIDTHS, "blocks": BLOCKS, "stem_stride": {"enum": [1, 2]}},
            "additionalProperties": False,
        },
        "space": {"enum": ["z", "w", "wp"]},
        "code_shape": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        },
        "resolution": {"type": "integer", "minimum": 1, "maximum": 8192},
        "generator": {"type": "string", "maxLength": 200},
    },
}


class Encoder(nn.Module):
    """Images (N, 3, R, R) in [-1, 1] -> codes (N, *code_shape).

    A 3x3 stem (stride `stem_stride`), one stage of `blocks[i]` BasicBlocks per width (each
    stage after the first halves the resolution), the final feature map flattened (where
    things are in the image matters for the code, so no global pool) and one linear layer.
    The output is `code_mean + code_scale * net(x)`: the buffers are the training codes'
    mean and spread, so the network itself predicts standardised codes.
    """

    channels_last = True  # plain convolutions (see runtime.for_inference)

    def __init__(
        self, resolution: int, code_shape, widths=(32, 64, 128, 256), blocks=(1, 1, 1, 1), stem_stride: int = 2
    ):
        super().__init__()
        if len(widths) != len(blocks):
            raise ValueError(f"widths {list(widths)} and blocks {list(blocks)} differ in length")
        self.resolution, self.code_shape = resolution, tuple(code_shape)
        self.architecture = {"widths": list(widths), "blocks": list(blocks), "stem_stride": stem_stride}
        layers: list[nn.Module] = [
            nn.Conv2d(3, widths[0], 3, stem_stride, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        ]
        size, cin = math.ceil(resolution / stem_stride), widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                layers.append(BasicBlock(cin, width, stride))
                size, cin = math.ceil(size / stride), width
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(cin * size * size, math.prod(self.code_shape))
        nn.init.zeros_(self.head.bias)
        self.register_buffer("code_mean", torch.zeros(self.code_shape))
        self.register_buffer("code_scale", torch.ones(()))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[1:] != (3, self.resolution, self.resolution):
            raise ValueError(
                f"encoder takes images (N, 3, {self.resolution}, {self.resolution}), not {tuple(images.shape)}"
            )
        out = self.head(self.trunk(images)).view(len(images), *self.code_shape)
        return self.code_mean + self.code_scale * out


@torch.no_grad()
def draw_codes(generator: Generator, space: str, rng: torch.Generator, n: int, device) -> torch.Tensor:
    """`n` codes of `space` from seeded z (drawn on the CPU: the same on every device)."""
    z = generator.prepare_z(torch.randn(n, generator.latent_dim, generator=rng).to(device))
    return space_codes(generator, z, space)


@torch.no_grad()
def draw(generator: Generator, space: str, rng: torch.Generator, n: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """`draw_codes` and their images."""
    codes = draw_codes(generator, space, rng, n, device)
    return codes, generator.synthesize(codes, space).float()


@torch.no_grad()
def encode(encoder: Encoder, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Codes of `images` (on the CPU), `batch_size` at a time on the encoder's device, in eval mode."""
    device, was_training = runtime.device_of(encoder), encoder.training
    encoder.eval()
    try:
        images = torch.as_tensor(images, dtype=torch.float32)
        return torch.cat(
            [encoder(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
        )
    finally:
        encoder.train(was_training)


@torch.no_grad()
def evaluate(encoder: Encoder, generator: Generator, space: str, n: int = 256, batch_size: int = 64) -> dict:
    """Held-out metrics on `n` draws of HELD_OUT_SEED: code MSE (per coordinate), relative code
    error |E(x) - c| / |c| (mean), and the PSNR of G(E(x)) against x (mean, median, min)."""
    rng, device = torch.Generator().manual_seed(HELD_OUT_SEED), runtime.device_of(generator)
    sq, rel, db = [], [], []
    for start in range(0, n, batch_size):
        codes, images = draw(generator, space, rng, min(batch_size, n - start), device)
        guess = encode(encoder, images, batch_size).to(device)
        sq.append((guess - codes).pow(2).flatten(1).mean(1))
        rel.append((guess - codes).flatten(1).norm(dim=1) / codes.flatten(1).norm(dim=1))
        db.append(psnr(generator.synthesize(guess, space).float(), images))
    sq, rel, db = (torch.cat(parts).cpu().numpy().astype(np.float64) for parts in (sq, rel, db))
    return {
        "n": n,
        "seed": HELD_OUT_SEED,
        "code_mse": float(sq.mean()),
        "relative_error": float(rel.mean()),
        "psnr_mean": float(db.mean()),
        "psnr_median": float(np.median(db)),
        "psnr_min": float(db.min()),
    }


def learning_rate(step: int, steps: int) -> float:
    """The factor of the peak rate at `step`: linear warm-up, then a half cosine to 0."""
    t = (step + 0.5) / steps
    if t < WARM_UP:
        return t / WARM_UP
    return 0.5 + 0.5 * math.cos(math.pi * (t - WARM_UP) / (1 - WARM_UP))


def train_encoder(
    generator: Generator,
    space: str = "z",
    steps: int = 2000,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    image_weight: float = 0.0,
    image_rows: int | None = None,
    widths: tuple[int, ...] = (32, 64, 128, 256),
    blocks: tuple[int, ...] | None = None,
    stem_stride: int = 2,
    held_out: int = 256,
    weight_decay: float = 0.0,
) -> tuple[Encoder, dict]:
    """Train an encoder for `generator`'s `space` on its own pairs; the encoder (eval mode, on
    the generator's device) and a report (options, losses, held-out metrics before and after).

    Deterministic given `seed` (same device and thread count: bit-identical weights).
    """
    if steps < 1 or batch_size < 1 or not lr > 0 or image_weight < 0:
        raise ValueError(
            f"train-encoder: steps and batch size must be >= 1, lr > 0, image weight >= 0 (got {steps}, {batch_size}, {lr}, {image_weight})"
        )
    device = runtime.device_of(generator)
    shape = code_shape(generator, space)
    blocks = tuple(blocks or (1,) * len(widths))
    torch.manual_seed(seed)
    encoder = Encoder(generator.resolution, shape, widths, blocks, stem_stride).to(device)
    if device.type == "cpu":
        encoder = encoder.to(memory_format=torch.channels_last)
    rng = torch.Generator().manual_seed(seed)
    codes = draw_codes(generator, space, rng, STATS_SAMPLES, device)
    encoder.code_mean.copy_(codes.mean(0))
    encoder.code_scale.copy_((codes - codes.mean(0)).pow(2).mean().sqrt())
    untrained = evaluate(encoder, generator, space, held_out, batch_size)

    params = list(encoder.parameters())
    adam = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    scale = encoder.code_scale
    losses, window = [], []
    encoder.train()
    with (
        torch.enable_grad(),
        tqdm(total=steps, desc=f"train-encoder {space}", unit="step", file=sys.stderr, mininterval=5) as bar,
    ):
        for step in range(steps):
            for group in adam.param_groups:
                group["lr"] = lr * learning_rate(step, steps)
            codes, images = draw(generator, space, rng, batch_size, device)
            if device.type == "cpu":
                images = images.contiguous(memory_format=torch.channels_last)
            guess = encoder(images)
            code_loss = ((guess - codes) / scale).pow(2).mean()
            loss = code_loss
            image_loss = torch.zeros(())
            if image_weight:
                rows = slice(0, image_rows)  # the image term on the first `image_rows` pairs (all when None)
                image_loss = F.mse_loss(generator.synthesize(guess[rows], space).float(), images[rows])
                loss = loss + image_weight * image_loss
            grads = torch.autograd.grad(loss, params)  # the generator's weights get none
            for p, g in zip(params, grads):
                p.grad = g
            adam.step()
            window.append((code_loss.item(), image_loss.item()))
            if len(window) == max(1, steps // 20) or step == steps - 1:
                code_mean, image_mean = np.mean(window, axis=0)
                losses.append({"step": step + 1, "code": float(code_mean), "image": float(image_mean)})
                window = []
                bar.set_postfix(code=f"{code_mean:.4f}", image=f"{image_mean:.4f}")
            bar.update()
    encoder.eval()
    report = {
        "training": {
            "space": space,
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "seed": seed,
            "image_weight": image_weight,
            "image_rows": image_rows,
            "weight_decay": weight_decay,
            "threads": torch.get_num_threads(),
            "device": str(device),
        },
        "losses": losses,
        "untrained": untrained,
        "held_out": evaluate(encoder, generator, space, held_out, batch_size),
    }
    return encoder, report


def save_encoder(encoder: Encoder, stem: str | Path, info: dict) -> Path:
    """Write STEM.pt (the state dict, on the CPU) and STEM.json (architecture, space, code
    shape, resolution and `info`: generator, generator_config, training, report), each
    atomically; return STEM.pt."""
    meta = {
        "format": FORMAT,
        "architecture": encoder.architecture,
        "space": info["space"],
        "code_shape": list(encoder.code_shape),
        "resolution": encoder.resolution,
        **{k: v for k, v in info.items() if k != "space"},
    }
    return save_with_metadata(encoder, stem, meta)


def load_encoder(path: str | Path, generator: Generator, space: str) -> Encoder:
    """The encoder saved at STEM.pt (its STEM.json beside it) for `generator`'s `space`, in
    eval mode on the generator's device; one CheckpointError line for each way it can be wrong."""
    checkpoint, meta_path, meta = read_metadata(path, METADATA_SCHEMA, "encoder")
    if len(meta["architecture"]["widths"]) != len(meta["architecture"]["blocks"]):
        raise CheckpointError(f"encoder metadata {meta_path}: architecture: widths and blocks must be equally long")
    expected = {"generator": generator.name, "resolution": generator.resolution, "space": space}
    for key, value in expected.items():
        if meta[key] != value:
            raise CheckpointError(f"encoder {checkpoint} was trained for {key} {meta[key]!r}, not {value!r}")
    try:
        shape = code_shape(generator, space)
    except ValueError as err:
        raise CheckpointError(f"encoder {checkpoint}: {err}") from err
    if tuple(meta["code_shape"]) != shape:
        raise CheckpointError(
            f"encoder {checkpoint} makes codes {tuple(meta['code_shape'])}; {generator.name}'s {space} codes are {shape}"
        )
    encoder = build_checked(lambda: Encoder(meta["resolution"], shape, **meta["architecture"]), checkpoint)
    return encoder.to(runtime.device_of(generator)).eval()

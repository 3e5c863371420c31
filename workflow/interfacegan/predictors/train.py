"""Train a `MultiHeadNet` on a CelebA-format labelled set (`interfacegan train-predictor`).

Writes `<out>.pt` + `<out>.json` (a `multihead` predictor) and `<out>.report.json`: per
attribute, on the validation split, accuracy and ROC AUC (binary) or Pearson r and sign
accuracy (regression). Both JSON files record the framing the images were cut with.
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..artifacts import atomic_path
from . import build_predictor
from .celeba import ATTR_FILE, CelebADataset, CelebALabels, DataError, hflip
from .multihead import MultiHeadNet, Normalise, save_checkpoint

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # ImageNet statistics


def masked_loss(outputs, targets, mask, binary, variance) -> torch.Tensor:
    """Mean over attributes of each one's mean loss over its known targets (mask 1): BCE with
    logits where `binary`, else squared error / the training targets' `variance`."""
    losses = torch.where(
        binary,
        F.binary_cross_entropy_with_logits(outputs, targets, reduction="none"),
        F.mse_loss(outputs, targets, reduction="none") / variance,
    )
    known = mask.sum(0)
    per_attribute = (losses * mask).sum(0) / known.clamp(min=1)
    return per_attribute.sum() / (known > 0).sum().clamp(min=1)


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Mann-Whitney AUC from ranks (ties averaged); None without both classes."""
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return None
    return float((rankdata(scores)[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def attribute_report(kind: str, scores: np.ndarray, targets: np.ndarray) -> dict:
    known = ~np.isnan(targets)
    scores, targets = scores[known], targets[known]
    if kind == "logit":
        positive = targets > 0.5
        accuracy = float(np.mean((scores > 0) == positive)) if len(targets) else None
        return {
            "kind": kind,
            "n": len(targets),
            "positives": int(positive.sum()),
            "accuracy": accuracy,
            "auc": roc_auc(scores, positive),
        }
    signed = targets != 0
    varied = len(targets) > 1 and scores.std() > 0 and targets.std() > 0
    return {
        "kind": kind,
        "n": len(targets),
        "pearson_r": float(np.corrcoef(scores, targets)[0, 1]) if varied else None,
        "sign_accuracy": float(np.mean(np.sign(scores[signed]) == np.sign(targets[signed]))) if signed.any() else None,
    }


def predict(predictor: torch.nn.Module, dataset: CelebADataset, batch_size: int, device: str) -> np.ndarray:
    scores = []
    with torch.inference_mode():
        for images, _, _ in DataLoader(dataset, batch_size, num_workers=0):
            scores.append(predictor(images.to(device)).float().cpu().numpy())
    return np.concatenate(scores)


def train_predictor(
    data_dir: str | Path,
    attributes: list[str],
    out_stem: str | Path,
    input_size: int = 64,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    widths: tuple[int, ...] = (32, 64, 128, 256),
    blocks: tuple[int, ...] | None = None,
    attr_file: str | Path = ATTR_FILE,
    landmarks_file: str | Path | None = None,
    partition_file: str | Path | None = None,
    device: str = "cpu",
    augment: bool = True,
    attribute_map: dict[str, str] | None = None,
    weight_decay: float = 1e-4,
    framing: str = "centre",
) -> dict:
    """Train, write the predictor and its report, and return the report.

    Deterministic given `seed` (on one device). `blocks` defaults to 2 per width; with
    `augment`, half the images are mirrored, negating yaw-like targets. Tables are as in
    `predictors.celeba`; `attribute_map` maps output names to table columns or `yaw`.
    `framing` cuts each image to the centre square or, `ffhq`, to FFHQ's face square from
    its landmarks (for generators trained on FFHQ).
    """
    torch.manual_seed(seed)
    labels = CelebALabels(data_dir, attributes, attr_file, landmarks_file, partition_file, attribute_map, seed, framing)
    train, val = labels.dataset("train", input_size), labels.dataset("val", input_size)
    if not len(train):
        raise DataError(f"no training images in {data_dir} (partition 0)")
    evaluation, split = (val, "val") if len(val) else (train, "train")

    blocks = tuple(blocks or (2,) * len(widths))
    net = MultiHeadNet(len(attributes), widths, blocks).to(device)
    normalise = Normalise(MEAN, STD).to(device)
    binary = torch.tensor([labels.outputs[a] == "logit" for a in attributes], device=device)
    # Regression targets (yaw spans about +-0.5) would otherwise weigh little beside the BCE terms.
    variance = torch.tensor(np.nan_to_num(np.nanvar(train.targets, axis=0), nan=1.0), device=device).clamp(min=1e-6)
    loader = DataLoader(train, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed), num_workers=0)
    flips = torch.Generator().manual_seed(seed + 1)
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * len(loader))
    train_loss = []
    with tqdm(total=epochs * len(loader), desc="train-predictor", unit="batch", file=sys.stderr) as bar:
        for epoch in range(epochs):
            net.train()
            total = 0.0
            for images, targets, mask in loader:
                if augment:
                    flip = torch.rand(len(images), generator=flips) < 0.5
                    images[flip], targets[flip] = hflip(images[flip], targets[flip], labels.flip_signs)
                images, targets, mask = images.to(device), targets.to(device), mask.to(device)
                loss = masked_loss(net(normalise(images)), targets, mask, binary, variance)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                total += loss.item() * len(images)
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.4f}")
                bar.update()
            train_loss.append(total / len(train))

    out_stem = Path(out_stem)
    checkpoint = out_stem.parent / f"{out_stem.name}.pt"
    meta = {
        "architecture": {"widths": list(widths), "blocks": list(blocks)},
        "attributes": list(attributes),
        "outputs": labels.outputs,
        "input_size": input_size,
        "mean": list(MEAN),
        "std": list(STD),
        "framing": framing,
    }
    save_checkpoint(checkpoint, net, meta)
    # Evaluate what was saved, through the registry, as the pipeline will load it.
    scores = predict(
        build_predictor({"name": "multihead", "checkpoint": str(checkpoint)}, device), evaluation, batch_size, device
    )
    report = {
        "checkpoint": str(checkpoint),
        "split": split,
        "n_train": len(train),
        "n_evaluated": len(evaluation),
        "epochs": epochs,
        "seed": seed,
        "framing": framing,
        "train_loss": train_loss,
        "attributes": {
            a: attribute_report(labels.outputs[a], scores[:, j], evaluation.targets[:, j])
            for j, a in enumerate(attributes)
        },
    }
    with atomic_path(out_stem.parent / f"{out_stem.name}.report.json") as tmp:
        tmp.write_text(json.dumps(report, indent=2))
    return report

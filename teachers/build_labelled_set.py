"""Build the CelebA-format training set of the default predictor from human and teacher labels.

Faces: the 2,048 human-labelled DCGAN faces (data/dcgan_faces/) and the extra faces that
label_faces.py scored. Writes into OUT (default teachers/out/celeba_dcgan/):
  - one 64x64 PNG per face: h0000.png (human-labelled), x00000.png (extra);
  - list_attr_celeba.txt: Eyeglasses Smiling Young Male, each 1 / -1 / 0 (unknown);
  - list_landmarks_align_celeba.txt: MediaPipe's five points (rounded), for yaw;
  - list_eval_partition.txt: 0 train, 1 val (a seeded 5 % of the extra faces), 2 test
    (the held-out third of the human-labelled faces, heldout.py);
  - thresholds.json: how teacher scores became labels.

A sure human label wins. Otherwise a teacher score s gives 1 if s >= t + band, -1 if
s <= t - band, else 0, where t puts the human positive rate of the training human labels
above it (on their teacher scores) and band = BAND x the scores' standard deviation. The
held-out faces carry only their human labels and are never trained on. Runs in the
project's .venv (no teacher model is needed).
"""
import argparse
import csv
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from heldout import heldout_mask
from interfacegan.generators import build_generator
from interfacegan.models import to_uint8
from interfacegan.predictors.celeba import LANDMARKS

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "dcgan_faces"
# column -> (teacher score, human label counted positive, human label counted negative, sign)
# sign -1: the column is the opposite of the score (Young = not old).
COLUMNS = {
    "Eyeglasses": ("eyeglasses", "1", "0", 1),
    "Smiling": ("smile", "1", "0", 1),
    "Young": ("age", "o", "y", -1),
    "Male": ("gender", "m", "f", 1),
}
BAND = 0.25
VAL_FRACTION, SEED = 0.05, 0


def read_csv(path: Path) -> dict[str, np.ndarray]:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return {key: np.array([row[key] for row in rows]) for key in rows[0]}


def teacher_labels(scores: np.ndarray, threshold: float, band: float) -> np.ndarray:
    """1 / -1 / 0 (unknown or no face) per score."""
    return np.where(scores >= threshold + band, 1, np.where(scores <= threshold - band, -1, 0))


def fit_threshold(scores: np.ndarray, human: np.ndarray, positive: str, negative: str) -> float:
    """The teacher score above which the human positive rate of the sure labels lies."""
    sure = np.isin(human, (positive, negative)) & np.isfinite(scores)
    return float(np.quantile(scores[sure], 1 - np.mean(human[sure] == positive)))


def render(generator, z: np.ndarray, folder: Path, names: list[str], batch: int = 500) -> None:
    for lo in range(0, len(z), batch):
        with torch.inference_mode():
            images = to_uint8(generator.synthesize(torch.from_numpy(z[lo : lo + batch])))
        for name, image in zip(names[lo : lo + batch], images):
            Image.fromarray(image).save(folder / name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="latents.npy and labels.csv of the human-labelled faces")
    parser.add_argument("--labelled-scores", type=Path, default=HERE / "out" / "labelled_scores.csv")
    parser.add_argument("--extra-latents", type=Path, default=HERE / "out" / "extra_latents.npy")
    parser.add_argument("--extra-scores", type=Path, default=HERE / "out" / "extra_scores.csv")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "celeba_dcgan")
    args = parser.parse_args(argv)

    human, labelled = read_csv(args.data / "labels.csv"), read_csv(args.labelled_scores)
    extra = read_csv(args.extra_scores)
    heldout = heldout_mask(len(human["index"]))
    z_human, z_extra = np.load(args.data / "latents.npy"), np.load(args.extra_latents)
    assert len(z_human) == len(heldout) and len(z_extra) == len(extra["index"]), "latents and score tables differ in length"

    thresholds, human_columns, extra_columns = {}, [], []
    for column, (score, positive, negative, sign) in COLUMNS.items():
        train_scores = labelled[score].astype(float)
        t = fit_threshold(train_scores[~heldout], human[score][~heldout], positive, negative)
        band = BAND * float(np.nanstd(train_scores))
        thresholds[column] = {"teacher": score, "threshold": t, "band": band, "sign": sign}
        sure = np.where(human[score] == positive, 1, np.where(human[score] == negative, -1, 0))
        from_teacher = np.where(heldout, 0, teacher_labels(train_scores, t, band))
        human_columns.append(sign * np.where(sure != 0, sure, from_teacher))
        extra_columns.append(sign * teacher_labels(extra[score].astype(float), t, band))
    human_values, extra_values = np.stack(human_columns, 1), np.stack(extra_columns, 1)
    found = extra["face_found"] == "1"

    names = [f"h{i:04d}.png" for i in range(len(z_human))] + [f"x{i:05d}.png" for i in np.flatnonzero(found)]
    values = np.concatenate([human_values, extra_values[found]])
    points = np.concatenate([labelled[k][:, None] for k in LANDMARKS], 1), np.concatenate([extra[k][:, None] for k in LANDMARKS], 1)
    points = np.concatenate([points[0], points[1][found]]).astype(float)
    val = np.random.default_rng(SEED).random(found.sum()) < VAL_FRACTION
    partition = np.concatenate([np.where(heldout, 2, 0), np.where(val, 1, 0)])

    args.out.mkdir(parents=True, exist_ok=True)
    render(build_generator({"name": "dcgan"}), z_human, args.out, names[: len(z_human)])
    render(build_generator({"name": "dcgan"}), np.ascontiguousarray(z_extra[found]), args.out, names[len(z_human) :])
    rows = [f"{n} " + " ".join(f"{v:2d}" for v in row) for n, row in zip(names, values)]
    (args.out / "list_attr_celeba.txt").write_text(f"{len(rows)}\n{' '.join(COLUMNS)}\n" + "\n".join(rows) + "\n")
    has_points = np.isfinite(points).all(1)
    rows = [f"{n} " + " ".join(str(int(round(v))) for v in p) for n, p, ok in zip(names, points, has_points) if ok]
    (args.out / "list_landmarks_align_celeba.txt").write_text(f"{len(rows)}\n{' '.join(LANDMARKS)}\n" + "\n".join(rows) + "\n")
    (args.out / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, partition)))
    (args.out / "thresholds.json").write_text(json.dumps(thresholds, indent=2))
    known = (values[partition == 0] != 0).sum(0)
    positives = (values[partition == 0] == 1).sum(0)
    print(f"{len(names)} faces ({(partition == 0).sum()} train, {(partition == 1).sum()} val, {(partition == 2).sum()} test)")
    for column, k, p in zip(COLUMNS, known, positives):
        print(f"  {column:10s} train labels {k:6d}, of them +1: {p:6d}; {thresholds[column]}")


if __name__ == "__main__":
    main()

"""Labelled face images in the CelebA layout, for training a predictor.

Tables (a relative path is taken inside the image folder):
- attributes, `list_attr_celeba.txt` layout: line 1 the row count, line 2 the attribute
  names, then `filename v1 v2 ...` per image with v = 1 or -1. Extension: v = 0 means
  unknown; such targets are masked out of the loss and the report.
- landmarks (optional), `list_landmarks_align_celeba.txt` layout: count, the header
  LANDMARKS, then `filename` + 10 integers. Gives the regression target `yaw` and the
  FFHQ framing.
- partition (optional), `list_eval_partition.txt` layout: `filename 0|1|2` (train, val,
  test) per line, no count or header. Without it, a seeded 80/10/10 split.

Images are cropped to a square, resized to the input size and scaled to [-1, 1]. Framing
`centre`: the centre square (CelebA's aligned images are 178x218). Framing `ffhq`: the
square FFHQ's alignment cuts around the face, from each image's landmarks, so that a
predictor sees CelebA faces at the scale and position of FFHQ-trained generators' faces.
"""

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..artifacts import ArtifactError
from ..images import load_face

ATTR_FILE = "list_attr_celeba.txt"
LANDMARKS = (
    "lefteye_x",
    "lefteye_y",
    "righteye_x",
    "righteye_y",
    "nose_x",
    "nose_y",
    "leftmouth_x",
    "leftmouth_y",
    "rightmouth_x",
    "rightmouth_y",
)
YAW = "yaw"
FRAMINGS = ("centre", "ffhq")
SPLITS = ("train", "val", "test")


class DataError(ArtifactError):
    """A labelled set lacks a table or an image, or a table is malformed."""


def read_rows(path: Path, lines: list[str], width: int, first_line: int) -> tuple[list[str], np.ndarray]:
    """Filenames and int values (n, width) of `filename v1 ... v_width` lines."""
    files, values = [], []
    for number, line in enumerate(lines, first_line):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != width + 1:
            raise DataError(f"{path}:{number}: expected a filename and {width} values, found {len(fields) - 1} values")
        try:
            values.append([int(v) for v in fields[1:]])
        except ValueError:
            raise DataError(f"{path}:{number}: values must be integers: {line.strip()!r}") from None
        files.append(fields[0])
    if len(set(files)) < len(files):
        raise DataError(f"{path}: an image is listed twice")
    return files, np.array(values, dtype=np.int64).reshape(len(files), width)


def read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"table not found: {path}")
    return path.read_text().splitlines()


def read_table(path: Path, header: tuple[str, ...] | None = None) -> tuple[list[str], list[str], np.ndarray]:
    """(column names, filenames, values) of a table with count and header lines."""
    lines = read_lines(path)
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise DataError(f"{path}: line 1 must be the row count and line 2 the column names (CelebA layout)")
    columns = lines[1].split()
    if header is not None and tuple(columns) != header:
        raise DataError(f"{path}: line 2 must be the header {' '.join(header)}")
    files, values = read_rows(path, lines[2:], len(columns), first_line=3)
    if int(lines[0]) != len(files):
        raise DataError(f"{path}: line 1 announces {int(lines[0])} rows but the table has {len(files)}")
    return columns, files, values


def yaw_from_landmarks(points: np.ndarray) -> np.ndarray:
    """(nose_x - eye midpoint x) / inter-ocular distance per row of LANDMARKS values; positive
    = nose toward the image's right; NaN where the eyes coincide."""
    points = np.asarray(points, dtype=np.float64)
    left, right, nose_x = points[:, 0:2], points[:, 2:4], points[:, 4]
    distance = np.linalg.norm(right - left, axis=1)
    return (nose_x - (left[:, 0] + right[:, 0]) / 2) / np.where(distance > 0, distance, np.nan)


def ffhq_boxes(points: np.ndarray) -> np.ndarray:
    """(n, 4) squares (left, top, right, bottom), in pixels, per row of LANDMARKS values, by the
    rule of FFHQ's alignment script: side max(4 |eye_to_eye|, 3.6 |eye_to_mouth|), centred at
    eye_avg + 0.1 eye_to_mouth. Axis-aligned: CelebA's aligned faces already have level eyes.
    A square may overflow its image; `load_face` moves it inside."""
    points = np.asarray(points, dtype=np.float64)
    left_eye, right_eye = points[:, 0:2], points[:, 2:4]
    eyes, mouth = (left_eye + right_eye) / 2, (points[:, 6:8] + points[:, 8:10]) / 2
    eye_to_eye, eye_to_mouth = right_eye - left_eye, mouth - eyes
    half = np.maximum(4 * np.linalg.norm(eye_to_eye, axis=1), 3.6 * np.linalg.norm(eye_to_mouth, axis=1))[:, None] / 2
    centre = eyes + 0.1 * eye_to_mouth
    return np.concatenate([centre - half, centre + half], axis=1)


def hflip(images: torch.Tensor, targets: torch.Tensor, flip_signs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror images (..., W) left-right; targets are multiplied by flip_signs (-1 for yaw)."""
    return images.flip(-1), targets * flip_signs


class CelebALabels:
    """Targets of the chosen attributes for every image of the attribute table.

    `attributes` are the output names; `attribute_map` maps any of them to its source, a
    column of the attribute table or `yaw` (from the landmarks), negated by a leading `-`
    (`age=-Young`: higher = older); unmapped names are their own source. `targets` (n, m)
    float32: 1/0 for binary, yaw for regression, NaN if unknown. `framing` (FRAMINGS) picks
    the square cut from each image; `boxes` (n, 4) holds it for `ffhq`, else is None.
    """

    def __init__(
        self,
        data_dir: str | Path,
        attributes: list[str],
        attr_file: str | Path = ATTR_FILE,
        landmarks_file: str | Path | None = None,
        partition_file: str | Path | None = None,
        attribute_map: dict[str, str] | None = None,
        seed: int = 0,
        framing: str = "centre",
    ):
        self.image_dir = Path(data_dir)
        if not self.image_dir.is_dir():
            raise DataError(f"image folder not found: {self.image_dir}")
        if framing not in FRAMINGS:
            raise DataError(f"framing must be {' or '.join(FRAMINGS)}, not {framing!r}")
        mapping = attribute_map or {}
        if set(mapping) - set(attributes):
            raise DataError(
                f"attribute_map names {', '.join(sorted(set(mapping) - set(attributes)))}, not among the attributes"
            )
        self.attributes = tuple(attributes)
        signs = [-1 if mapping.get(a, a).startswith("-") else 1 for a in attributes]
        sources = [mapping.get(a, a).removeprefix("-") for a in attributes]
        path = self.image_dir / attr_file
        columns, self.files, values = read_table(path)
        unknown = [s for s in sources if s not in columns and s != YAW]
        if unknown:
            raise DataError(
                f"{path} has no attribute {', '.join(unknown)} (it has {', '.join(columns)}; and {YAW} from landmarks)"
            )
        if not np.isin(values, (-1, 0, 1)).all():
            row = int(np.flatnonzero(~np.isin(values, (-1, 0, 1)).all(axis=1))[0])
            raise DataError(
                f"{path}: values must be 1, -1 or 0 (unknown); {self.files[row]} has {values[row].tolist()}"
            )
        self.outputs = {a: "regression" if s == YAW else "logit" for a, s in zip(attributes, sources)}
        self.targets = np.full((len(self.files), len(sources)), np.nan, dtype=np.float32)
        for j, (source, sign) in enumerate(zip(sources, signs)):
            if source != YAW:
                column = sign * values[:, columns.index(source)]
                self.targets[:, j] = np.where(column == 0, np.nan, column > 0)
        users = [f"attribute {YAW}"] * (YAW in sources) + [f"framing {framing}"] * (framing == "ffhq")
        landmarks = self.read_landmarks(landmarks_file, users[0]) if users else {}
        no_points = np.full(len(LANDMARKS), np.nan)
        points = np.array([landmarks.get(f, no_points) for f in self.files]).reshape(-1, len(LANDMARKS))
        for j in [j for j, s in enumerate(sources) if s == YAW]:
            self.targets[:, j] = signs[j] * yaw_from_landmarks(points)
        self.framing, self.boxes = framing, None
        if framing == "ffhq":
            missing = [f for f in self.files if f not in landmarks]
            if missing:
                raise DataError(
                    f"{self.image_dir / landmarks_file} lacks {len(missing)} image(s) of the attribute table, e.g. "
                    f"{missing[0]} (framing ffhq needs each one's landmarks)"
                )
            self.boxes = ffhq_boxes(points)
        self.partition = (
            self.read_partition(self.image_dir / partition_file) if partition_file else self.seeded_partition(seed)
        )

    def read_landmarks(self, landmarks_file: str | Path | None, user: str) -> dict[str, np.ndarray]:
        """Filename -> its LANDMARKS values, from the table that `user` needs."""
        if landmarks_file is None:
            raise DataError(f"{user} needs a landmarks table (landmarks_file, e.g. list_landmarks_align_celeba.txt)")
        _, files, points = read_table(self.image_dir / landmarks_file, LANDMARKS)
        return dict(zip(files, points))

    @property
    def flip_signs(self) -> torch.Tensor:
        """-1 for yaw-like regression targets (a mirrored face turns the other way), 1 else."""
        return torch.tensor([-1.0 if self.outputs[a] == "regression" else 1.0 for a in self.attributes])

    def seeded_partition(self, seed: int) -> np.ndarray:
        n = len(self.files)
        order = np.random.default_rng(seed).permutation(n)
        partition = np.zeros(n, dtype=np.int64)
        partition[order[int(0.8 * n) : int(0.9 * n)]] = 1
        partition[order[int(0.9 * n) :]] = 2
        return partition

    def read_partition(self, path: Path) -> np.ndarray:
        files, values = read_rows(path, read_lines(path), 1, first_line=1)
        split = dict(zip(files, values[:, 0].tolist()))
        missing = [f for f in self.files if f not in split]
        if missing:
            raise DataError(f"{path} lacks {len(missing)} image(s) of the attribute table, e.g. {missing[0]}")
        partition = np.array([split[f] for f in self.files], dtype=np.int64)
        if not np.isin(partition, (0, 1, 2)).all():
            raise DataError(f"{path}: partitions must be 0 (train), 1 (val) or 2 (test)")
        return partition

    def dataset(self, split: str, input_size: int) -> "CelebADataset":
        """The images of one split ("train", "val", "test"), checked to exist."""
        rows = np.flatnonzero(self.partition == SPLITS.index(split))
        missing = [self.files[i] for i in rows if not (self.image_dir / self.files[i]).is_file()]
        if missing:
            raise DataError(
                f"{len(missing)} image(s) of the {split} split not found in {self.image_dir}, e.g. {missing[0]}"
            )
        boxes = None if self.boxes is None else self.boxes[rows]
        return CelebADataset([self.image_dir / self.files[i] for i in rows], self.targets[rows], input_size, boxes)


class CelebADataset(Dataset):
    """Items (image (3, S, S) in [-1, 1], targets (m,) with unknowns as 0, mask (m,): 1 if known).
    Each image is cut to its row of `boxes` (n, 4), or to the centre square without them."""

    def __init__(self, paths: list[Path], targets: np.ndarray, input_size: int, boxes: np.ndarray | None = None):
        self.paths, self.targets, self.input_size, self.boxes = paths, targets, input_size, boxes

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        targets = torch.from_numpy(self.targets[index])
        known = ~torch.isnan(targets)
        box = None if self.boxes is None else tuple(self.boxes[index].tolist())
        return load_face(self.paths[index], self.input_size, box), torch.where(known, targets, 0.0), known.float()

"""Training a multi-attribute predictor on a CelebA-format set, and loading it back
(as `multihead` and as a TorchScript `torchscript` predictor)."""

import json
import math
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from interfacegan.checkpoints import CheckpointError
from interfacegan.cli import main
from interfacegan.images import inside
from interfacegan.predictors import build_predictor
from interfacegan.predictors.celeba import LANDMARKS, CelebALabels, DataError, ffhq_boxes, hflip
from interfacegan.predictors.train import train_predictor

COLUMNS = ["Eyeglasses", "Male", "Smiling", "Young"]  # Young is noise, never trained
WIDTH, HEIGHT = 36, 44  # not square, like CelebA's 178x218: the centre crop drops 4 rows top and bottom
N_TRAIN, N_VAL, N_TEST = 64, 24, 8
EYES = (12, 14, 24, 14)  # lefteye x, y, righteye x, y: inter-ocular distance 12
TRAINED = ["glasses", "Male", "Smiling", "pose"]
MAP = {"glasses": "Eyeglasses", "pose": "yaw"}
SMALL = dict(input_size=32, widths=(8, 16, 32), blocks=(1, 1, 1), batch_size=8, lr=3e-3, seed=3)


def write_celeba(root, n=N_TRAIN + N_VAL + N_TEST, seed=0):
    """PNGs whose pixels show the attributes, and the three CelebA tables."""
    rng = np.random.default_rng(seed)
    labels = rng.random((n, len(COLUMNS))) < 0.5
    offsets = rng.integers(-6, 7, n)
    attr_rows, landmark_rows, partition_rows = [], [], []
    for i in range(n):
        glasses, male, smiling, _ = labels[i]
        image = rng.normal(110, 20, (HEIGHT, WIDTH, 3))
        if male:
            image[..., 0] += 60  # red tint
        if glasses:
            image[10:16, 4:32] = 10  # dark band
        if smiling:
            image[28:35, 6:30] = 250  # bright bar in the lower half
        nose = 18 + offsets[i]
        image[..., 2] += 20 * offsets[i] * np.linspace(-1, 1, WIDTH)  # light from the side the face turns to
        image[20:25, nose - 2 : nose + 2, 1] = 255  # green blob where the nose points
        name = f"{i:06d}.png"
        Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(root / name)
        values = np.where(labels[i], 1, -1)
        if i % 10 == 0:
            values[2] = 0  # Smiling unknown
        attr_rows.append(name + " " + " ".join(f"{v:2d}" for v in values))
        landmark_rows.append(f"{name} " + " ".join(map(str, (*EYES, nose, 22, 12, 30, 24, 30))))
        partition_rows.append(f"{name} {0 if i < N_TRAIN else 1 if i < N_TRAIN + N_VAL else 2}")
    (root / "list_attr_celeba.txt").write_text("\n".join([str(n), " ".join(COLUMNS) + " ", *attr_rows]) + "\n")
    (root / "list_landmarks_align_celeba.txt").write_text(
        "\n".join([str(n), " ".join(LANDMARKS), *landmark_rows]) + "\n"
    )
    (root / "list_eval_partition.txt").write_text("\n".join(partition_rows) + "\n")
    return root


TABLES = dict(
    landmarks_file="list_landmarks_align_celeba.txt", partition_file="list_eval_partition.txt", attribute_map=MAP
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Two threads on two busy cores make these tiny steps ten times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = write_celeba(tmp_path_factory.mktemp("celeba"))
    stem = root.parent / "out" / "faces"
    report = train_predictor(root, TRAINED, stem, epochs=8, **SMALL, **TABLES)
    return root, stem, report


def test_trained_predictor_loads_and_beats_chance(trained):
    root, stem, report = trained
    for suffix in (".pt", ".json", ".report.json"):
        assert (stem.parent / f"{stem.name}{suffix}").is_file()
    assert isinstance(torch.load(f"{stem}.pt", weights_only=True), dict)
    assert json.loads((stem.parent / f"{stem.name}.report.json").read_text()) == report
    predictor = build_predictor({"name": "multihead", "checkpoint": f"{stem}.pt"})
    assert predictor.attributes == tuple(TRAINED) and predictor.input_size == 32
    assert predictor.outputs == {"glasses": "logit", "Male": "logit", "Smiling": "logit", "pose": "regression"}

    stats = report["attributes"]
    assert report["split"] == "val" and report["n_train"] == N_TRAIN and report["n_evaluated"] == N_VAL
    assert stats["Smiling"]["n"] == N_VAL - 2  # rows 70 and 80 are unknown
    for name in ("glasses", "Male", "Smiling"):
        assert set(stats[name]) == {"kind", "n", "positives", "accuracy", "auc"}
        assert stats[name]["auc"] > 0.8, (name, stats[name])
    assert set(stats["pose"]) == {"kind", "n", "pearson_r", "sign_accuracy"}
    assert stats["pose"]["pearson_r"] > 0.5, stats["pose"]


def test_training_is_deterministic(tmp_path):
    root = write_celeba(tmp_path, n=24)
    for run in ("a", "b"):
        train_predictor(
            root,
            ["Smiling", "yaw"],
            tmp_path / run,
            epochs=1,
            landmarks_file="list_landmarks_align_celeba.txt",
            **SMALL,
        )
    states = [torch.load(tmp_path / f"{run}.pt", weights_only=True) for run in ("a", "b")]
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_torchscript_round_trip(trained, tmp_path):
    root, stem, _ = trained
    multihead = build_predictor({"name": "multihead", "checkpoint": f"{stem}.pt"})
    torch.jit.script(multihead.net).save(str(tmp_path / "faces.ts"))
    meta = json.loads((stem.parent / f"{stem.name}.json").read_text())
    del meta["architecture"]
    (tmp_path / "faces.json").write_text(json.dumps(meta))
    scripted = build_predictor({"name": "torchscript", "checkpoint": str(tmp_path / "faces.ts")})
    assert scripted.attributes == multihead.attributes and scripted.input_size == 32
    images = torch.stack([CelebALabels(root, ["Smiling"]).dataset("val", 32)[i][0] for i in range(6)])
    with torch.inference_mode():
        torch.testing.assert_close(scripted(images), multihead(images))


def test_yaw_from_landmarks_and_flip(tmp_path):
    (tmp_path / "list_attr_celeba.txt").write_text("1\nSmiling Male\na.png  1 -1\n")
    (tmp_path / "marks.txt").write_text(f"1\n{' '.join(LANDMARKS)}\na.png 70 110 110 112 95 130 75 150 105 151\n")
    labels = CelebALabels(
        tmp_path, ["pose", "Smiling", "Male"], landmarks_file="marks.txt", attribute_map={"pose": "yaw"}
    )
    # eye midpoint x = 90, inter-ocular distance = sqrt(40^2 + 2^2): the nose is 5 px to the right
    np.testing.assert_allclose(labels.targets, [[5 / math.sqrt(1604), 1.0, 0.0]], rtol=1e-6)
    assert labels.outputs == {"pose": "regression", "Smiling": "logit", "Male": "logit"}

    negated = CelebALabels(
        tmp_path, ["left", "female"], landmarks_file="marks.txt", attribute_map={"left": "-yaw", "female": "-Male"}
    )
    np.testing.assert_allclose(negated.targets, [[-5 / math.sqrt(1604), 1.0]], rtol=1e-6)

    images, targets = torch.arange(6.0).view(1, 1, 2, 3).expand(2, 3, 2, 3), torch.tensor([[0.3, 1.0, 0.0]] * 2)
    flipped, flipped_targets = hflip(images, targets, labels.flip_signs)
    assert torch.equal(flipped[0, 0, 0], torch.tensor([2.0, 1.0, 0.0]))
    assert torch.equal(flipped_targets, torch.tensor([[-0.3, 1.0, 0.0]] * 2))


def replace_line(path, number, text):
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "damage, attributes, words",
    [
        (None, ["Smiling", "Bald"], "has no attribute Bald"),
        (lambda r: (r / "000003.png").unlink(), ["Smiling"], "e.g. 000003.png"),
        (
            lambda r: replace_line(r / "list_attr_celeba.txt", 1, "Eyeglasses Male Smiling Young"),
            ["Smiling"],
            "line 1 must be the row count",
        ),
        (
            lambda r: replace_line(r / "list_attr_celeba.txt", 2, "Eyeglasses Male Smiling"),
            ["Smiling"],
            "list_attr_celeba.txt:3: expected a filename and 3 values, found 4",
        ),
        (
            lambda r: replace_line(r / "list_attr_celeba.txt", 5, "000002.png 1 -1 1 x"),
            ["Smiling"],
            "list_attr_celeba.txt:5: values must be integers",
        ),
        (
            lambda r: replace_line(r / "list_attr_celeba.txt", 5, "000002.png 1 -1 2 1"),
            ["Smiling"],
            "values must be 1, -1 or 0",
        ),
        (
            lambda r: replace_line(r / "list_attr_celeba.txt", 1, "7"),
            ["Smiling"],
            "line 1 announces 7 rows but the table has 8",
        ),
        (
            lambda r: replace_line(r / "list_landmarks_align_celeba.txt", 2, "x y"),
            ["yaw"],
            "line 2 must be the header lefteye_x",
        ),
        (
            lambda r: replace_line(r / "list_eval_partition.txt", 1, "000000.png 3"),
            ["Smiling"],
            "partitions must be 0 (train), 1 (val) or 2 (test)",
        ),
    ],
)
def test_reading_errors(tmp_path, damage, attributes, words):
    write_celeba(tmp_path, n=8)
    if damage:
        damage(tmp_path)
    with pytest.raises(DataError) as error:
        CelebALabels(tmp_path, attributes, **{k: v for k, v in TABLES.items() if k != "attribute_map"}).dataset(
            "train", 32
        )
    assert words in str(error.value)


def test_yaw_needs_landmarks(tmp_path):
    write_celeba(tmp_path, n=8)
    with pytest.raises(DataError, match="yaw needs a landmarks table"):
        CelebALabels(tmp_path, ["yaw"])


def test_cli(tmp_path, capsys):
    data = tmp_path / "celeba"  # --out lies outside the data: inputs are never written into
    data.mkdir()
    write_celeba(data, n=8)
    out = [
        "--out",
        str(tmp_path / "p"),
        "--input-size",
        "16",
        "--widths",
        "4",
        "8",
        "--blocks",
        "1",
        "1",
        "--epochs",
        "1",
    ]
    assert main(["train-predictor", "--data", str(data), "--attributes", "Smiling", "Bald", *out]) == 2
    assert "interfacegan: error:" in capsys.readouterr().err and not (tmp_path / "p.pt").exists()
    tables = ["--landmarks-file", "list_landmarks_align_celeba.txt", "--partition-file", "list_eval_partition.txt"]
    assert (
        main(
            [
                "train-predictor",
                "--data",
                str(data),
                "--attributes",
                "smile",
                "pose",
                "--map",
                "smile=Smiling",
                "pose=yaw",
                *tables,
                *out,
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "train" and set(report["attributes"]) == {
        "smile",
        "pose",
    }  # all 8 images are in partition 0
    assert build_predictor({"name": "multihead", "checkpoint": str(tmp_path / "p.pt")}).input_size == 16


def break_json(meta):
    del meta["outputs"]


def shrink_widths(meta):
    meta["architecture"]["widths"] = [8, 16, 64]


@pytest.mark.parametrize(
    "change, words",
    [
        (None, "predictor metadata not found"),
        (break_json, "top level: 'outputs' is a required property"),
        (shrink_widths, "does not fit MultiHeadNet"),
        (lambda meta: meta.update(std=[0.2, 0, 0.2]), "std.1: 0 is less than or equal to the minimum of 0"),
        (lambda meta: meta.update(outputs={"glasses": "logit"}), "outputs must name each attribute once"),
    ],
)
def test_checkpoint_errors(trained, tmp_path, change, words):
    _, stem, _ = trained
    shutil.copy(f"{stem}.pt", tmp_path / "p.pt")
    if change:
        meta = json.loads((stem.parent / f"{stem.name}.json").read_text())
        change(meta)
        (tmp_path / "p.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=words):
        build_predictor({"name": "multihead", "checkpoint": str(tmp_path / "p.pt")})


def test_torchscript_checkpoint_must_be_torchscript(trained, tmp_path):
    _, stem, _ = trained
    shutil.copy(f"{stem}.pt", tmp_path / "p.pt")
    shutil.copy(stem.parent / f"{stem.name}.json", tmp_path / "p.json")
    with pytest.raises(CheckpointError, match="cannot be read as TorchScript"):
        build_predictor({"name": "torchscript", "checkpoint": str(tmp_path / "p.pt")})


# --- framing: the centre square, or FFHQ's face square from each image's landmarks ---

FILL = (200, 30, 60)


def write_framed(root, width, height, square, landmarks):
    """One image, black except for FILL in `square` (left, top, right, bottom), and its tables."""
    image = np.zeros((height, width, 3), np.uint8)
    left, top, right, bottom = square
    image[top:bottom, left:right] = FILL
    Image.fromarray(image).save(root / "a.png")
    (root / "list_attr_celeba.txt").write_text("1\nSmiling\na.png 1\n")
    (root / "marks.txt").write_text(f"1\n{' '.join(LANDMARKS)}\na.png {' '.join(map(str, landmarks))}\n")
    (root / "part.txt").write_text("a.png 0\n")
    return root


def framed_labels(root, framing="ffhq"):
    return CelebALabels(root, ["Smiling"], landmarks_file="marks.txt", partition_file="part.txt", framing=framing)


def framed_face(root, size, framing="ffhq"):
    return framed_labels(root, framing).dataset("train", size)[0][0]


def fill_error(face):
    """Largest distance of a (3, S, S) face in [-1, 1] from FILL, per pixel."""
    return (face - torch.tensor(FILL).view(3, 1, 1) / 127.5 + 1).abs().amax(0)


def test_ffhq_boxes_follow_the_ffhq_rule():
    points = np.array(
        [
            # CelebA's mean landmarks: side max(4 * 38, 3.6 * 41) = 152, centre (88, 111 + 4.1)
            [69, 111, 107, 111, 88, 130, 72, 152, 104, 152],
            # tilted eyes, |eye_to_eye| = |(16, 12)| = 20; |eye_to_mouth| = |(30, 40)| = 50 wins: side 180,
            # centre (88, 106) + (3, 4)
            [80, 100, 96, 112, 90, 125, 110, 146, 126, 146],
        ]
    )
    np.testing.assert_allclose(ffhq_boxes(points), [[12, 39.1, 164, 191.1], [1, 20, 181, 200]], rtol=0, atol=1e-12)


def test_ffhq_framing_cuts_the_face_square(tmp_path):
    # eyes (50, 60), (70, 60), mouth at (60, 80): side max(80, 72) = 80 about (60, 62)
    root = write_framed(tmp_path, 120, 140, (20, 22, 100, 102), (50, 60, 70, 60, 60, 70, 52, 80, 68, 80))
    assert torch.all(fill_error(framed_face(root, 80)) == 0)  # at the square's own size, exactly
    # smaller, bicubic reads 2 output pixels beyond the square's edges, as a whole-image resize would
    assert torch.all(fill_error(framed_face(root, 16))[2:-2, 2:-2] == 0)
    centre = fill_error(framed_face(root, 16, "centre"))  # the square is 80 / 120 of the centre crop
    assert centre[0].min() > 1 and centre[-1].min() > 1


def test_ffhq_squares_overflowing_the_image_move_inside(tmp_path):
    # eyes (5, 10), (15, 10), mouth at (10, 20): the square (-10, -9, 30, 31) moves to (0, 0, 40, 40)
    root = write_framed(tmp_path, 40, 60, (0, 0, 40, 40), (5, 10, 15, 10, 10, 15, 7, 20, 13, 20))
    np.testing.assert_allclose(framed_labels(root).boxes, [[-10, -9, 30, 31]])
    assert torch.all(fill_error(framed_face(root, 40)) == 0)
    assert inside((35, 50, 55, 70), 40, 60) == (20, 40, 40, 60)
    assert inside((-10, 0, 50, 60), 40, 60) == (0, 10, 40, 50)  # wider than the image: its shorter side, same centre


def test_centre_framing_is_unchanged(tmp_path):
    write_celeba(tmp_path, n=8)
    dataset = CelebALabels(tmp_path, ["Smiling"]).dataset("train", 32)
    with Image.open(tmp_path / "000000.png") as image:  # today's crop: the centre 36 x 36 of 36 x 44
        today = image.convert("RGB").resize((32, 32), Image.Resampling.BICUBIC, box=(0, 4, 36, 40))
    assert torch.equal(
        dataset[0][0], torch.from_numpy(np.asarray(today, dtype=np.float32)).permute(2, 0, 1) / 127.5 - 1
    )
    assert dataset.boxes is None


def test_ffhq_framing_needs_landmarks(tmp_path, capsys):
    data = tmp_path / "celeba"  # --out lies outside the data: inputs are never written into
    data.mkdir()
    write_celeba(data, n=8)
    with pytest.raises(DataError, match="framing ffhq needs a landmarks table"):
        CelebALabels(data, ["Smiling"], framing="ffhq")
    out = ["--out", str(tmp_path / "p"), "--input-size", "16", "--widths", "4", "--blocks", "1", "--epochs", "1"]
    assert main(["train-predictor", "--data", str(data), "--attributes", "Smiling", "--framing", "ffhq", *out]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "interfacegan: error: framing ffhq needs a landmarks table" in error
    replace_line(data / "list_landmarks_align_celeba.txt", 1, "7")
    replace_line(data / "list_landmarks_align_celeba.txt", 10, "")
    with pytest.raises(DataError, match="lacks 1 image.*e.g. 000007.png"):
        CelebALabels(data, ["Smiling"], landmarks_file="list_landmarks_align_celeba.txt", framing="ffhq")


def test_framing_is_recorded(trained, tmp_path, capsys):
    _, stem, report = trained
    meta = json.loads((stem.parent / f"{stem.name}.json").read_text())
    assert meta["framing"] == report["framing"] == "centre"
    del meta["framing"]  # a predictor written before framings
    shutil.copy(f"{stem}.pt", tmp_path / "old.pt")
    (tmp_path / "old.json").write_text(json.dumps(meta))
    assert build_predictor({"name": "multihead", "checkpoint": str(tmp_path / "old.pt")}).framing == "centre"

    data = tmp_path / "celeba"  # --out lies outside the data: inputs are never written into
    data.mkdir()
    write_celeba(data, n=8)
    out = ["--out", str(tmp_path / "p"), "--input-size", "16", "--widths", "4", "--blocks", "1", "--epochs", "1"]
    tables = ["--landmarks-file", "list_landmarks_align_celeba.txt"]
    assert (
        main(["train-predictor", "--data", str(data), "--attributes", "Smiling", "--framing", "ffhq", *tables, *out])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["framing"] == "ffhq"
    assert json.loads((tmp_path / "p.json").read_text())["framing"] == "ffhq"
    assert build_predictor({"name": "multihead", "checkpoint": str(tmp_path / "p.pt")}).framing == "ffhq"

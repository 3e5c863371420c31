"""What users hand the commands: no --out ever lands on an input, every image path reads photos
the same way (EXIF orientation, a pixel limit, a folder's photos by the workflow's rule), invert
and translate default to the config's real_images options, and unwritable places cost one line."""

import json
import os
import time
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from PIL import Image

from helpers import PLANTED
from interfacegan import config as configuration
from interfacegan import stages
from interfacegan.cli import main
from interfacegan.generators import build_generator
from interfacegan.images import read_image, to_uint8

REPO = Path(__file__).resolve().parents[1]


def write_config(path: Path, **sections) -> Path:
    path.write_text(json.dumps(PLANTED | sections))  # JSON is YAML, without aliases
    return path


def faces(folder: Path, n: int = 2, seed: int = 8) -> list[Path]:
    """n of the planted generator's faces as PNGs in `folder`."""
    folder.mkdir(exist_ok=True)
    generator = build_generator(PLANTED["generator"])
    images = to_uint8(generator.synthesize(torch.randn(n, 32, generator=torch.Generator().manual_seed(seed))))
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"face{i}.png")
    return sorted(folder.glob("*.png"))


def refused(capsys, argv: list[str]) -> str:
    """The one stderr line of a refused command (exit 2), beside any progress bar (tqdm's lines of carriage returns)."""
    assert main(argv) == 2, argv
    lines = [line for line in capsys.readouterr().err.split("\n") if line and "\r" not in line]
    assert len(lines) == 1 and lines[0].startswith("interfacegan: error: "), lines
    return lines[0]


def snapshot(root: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_no_out_is_an_input(tmp_path, capsys):
    write_config(tmp_path / "config.json")
    photos = tmp_path / "photos"
    photo = faces(photos)[0]
    np.save(tmp_path / "z.npy", np.zeros((2, 32), np.float32))
    np.save(tmp_path / "a.npy", np.eye(32, dtype=np.float32)[:1])
    np.save(tmp_path / "b.npy", np.eye(32, dtype=np.float32)[1:2])
    for stem in ("enc", "tr", "id"):
        (tmp_path / f"{stem}.pt").write_bytes(b"weights")
        (tmp_path / f"{stem}.json").write_text("{}")
    (tmp_path / "net.pt").write_bytes(b"a pickle named .pt")
    run = tmp_path / "results" / "run"
    (run / "boundaries" / "z").mkdir(parents=True)
    (run / "boundaries" / "z" / "smile.h5").write_bytes(b"boundary")
    data = tmp_path / "data"
    data.mkdir()
    (data / "list_attr_celeba.txt").write_text("table")
    (tmp_path / "link").symlink_to(photos)
    before = snapshot(tmp_path)
    z, a, b, c = (str(tmp_path / name) for name in ("z.npy", "a.npy", "b.npy", "config.json"))
    cases = [
        (["generate", "--config", c, "--latents", z, "--out", z], "is the input --latents"),
        (["generate", "--config", c, "--latents", z, "--out", c], "is the input --config"),
        (["score", "--config", c, "--latents", z, "--out", z], "is the input --latents"),
        (["score", "--config", c, "--images", str(photos), "--out", str(photo)], "lies inside the input --images"),
        (["score", "--config", c, "--images", str(photo), "--out", str(photo)], "is the input --images"),
        (
            ["score", "--config", c, "--images", str(photos), "--out", str(tmp_path / "link" / "s.csv")],
            "lies inside",
        ),  # a symlink
        (
            ["score", "--config", c, "--images", str(photo), "--out", f"{photos}/../photos/{photo.name}"],
            "is the input",
        ),  # ..
        (
            ["invert", "--config", c, "--images", str(photos), "--out", str(photos / "face0.jpg")],
            "lies inside the input --images",
        ),
        (
            [
                "invert",
                "--config",
                c,
                "--images",
                str(photo),
                "--encoder",
                str(tmp_path / "enc.pt"),
                "--out",
                str(tmp_path / "enc.json"),
            ],
            "is the input --encoder",
        ),
        (
            [
                "translate",
                "--config",
                c,
                "--translator",
                str(tmp_path / "tr.pt"),
                "--images",
                str(photos),
                "--out",
                str(photos),
            ],
            "is the input --images",
        ),
        (
            [
                "translate",
                "--config",
                c,
                "--translator",
                str(tmp_path / "tr.pt"),
                "--images",
                str(photo),
                "--out",
                str(photos),
            ],
            "holds the input --images",
        ),
        (
            [
                "translate",
                "--config",
                c,
                "--translator",
                str(tmp_path / "tr.pt"),
                "--images",
                str(photo),
                "--out",
                str(tmp_path),
            ],
            "holds the input",
        ),
        (
            ["edit", "--config", c, "--boundary", a, "--latents", z, "--space", "z", "--out", str(tmp_path)],
            "a folder that holds files",
        ),
        (["edit", "--config", c, "--boundary", a, "--latents", z, "--space", "z", "--out", z], "is a file"),
        (["condition", "--primal", a, "--conditions", b, "--out", b], "is the input --conditions"),
        (["cosine", a, b, "--out", a], "is the input boundary"),
        (["convert-pkl", str(tmp_path / "net.pt"), str(tmp_path / "net")], "is the input pickle"),
        (["export-boundaries", str(run), "--out", str(run / "official")], "lies inside the input run_dir"),
        (
            ["train-predictor", "--data", str(data), "--attributes", "Smiling", "--out", str(data / "model")],
            "lies inside the input --data",
        ),
        (["train-encoder", "--config", c, "--out", str(tmp_path / "config")], "is the input --config"),
        (
            [
                "train-translator",
                "--config",
                c,
                "--boundary",
                "smile",
                "--identity",
                str(tmp_path / "id.pt"),
                "--results",
                str(tmp_path / "results"),
                "--out",
                str(tmp_path / "id"),
            ],
            "is the input --identity",
        ),
    ]
    for argv, message in cases:
        err = refused(capsys, argv)
        assert message is None or message in err, (argv, err)
    assert snapshot(tmp_path) == before  # every input byte-identical, nothing added


def test_an_exif_rotated_photo_reads_as_the_upright_one(tmp_path, capsys):
    upright = faces(tmp_path / "faces", 1)[0]
    image = Image.open(upright).resize((16, 24))  # not square: a sideways reading would show in the crop
    image.save(tmp_path / "upright.png")
    for orientation, stored in ((6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)):
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.transpose(stored).save(tmp_path / f"phone{orientation}.png", exif=exif)
        assert np.array_equal(np.asarray(read_image(tmp_path / f"phone{orientation}.png")), np.asarray(image))
    cfg = write_config(tmp_path / "config.json")
    out = tmp_path / "s.csv"
    assert (
        main(
            [
                "score",
                "--config",
                str(cfg),
                "--images",
                *(str(tmp_path / n) for n in ("upright.png", "phone6.png", "phone8.png")),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = [line.split(",")[1:] for line in out.read_text().splitlines()[1:]]
    assert rows[0] == rows[1] == rows[2]


def bomb(path: Path, width: int, height: int) -> Path:
    """A tiny PNG that declares width x height pixels (its IHDR rewritten, CRC fixed)."""
    Image.new("1", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("side", [20_000, 8_000])  # beyond what PIL opens; under PIL's warning, over the limit
def test_a_decompression_bomb_is_one_line(tmp_path, capsys, side):
    png = bomb(tmp_path / "bomb.png", side, side)
    assert png.stat().st_size < 100
    cfg = str(write_config(tmp_path / "config.json"))
    (tmp_path / "tr.pt").write_bytes(b"never read")
    for argv in (
        ["score", "--config", cfg, "--images", str(png), "--out", str(tmp_path / "s.csv")],
        ["invert", "--config", cfg, "--images", str(png), "--out", str(tmp_path / "c.h5")],
        [
            "translate",
            "--config",
            cfg,
            "--translator",
            str(tmp_path / "tr.pt"),
            "--images",
            str(png),
            "--out",
            str(tmp_path / "o"),
        ],
    ):
        start = time.monotonic()
        err = refused(capsys, argv)
        assert f"image {png} is " in err and "more than the 50 megapixels read" in err, err
        assert time.monotonic() - start < 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.png", "config.json", "tr.pt"]


def test_a_folders_images_are_the_workflows_photos(tmp_path, capsys):
    photos = tmp_path / "photos"
    faces(photos, 2)
    (photos / "README.md").write_text("# where these come from")
    (photos / ".hidden.png").write_bytes(b"not read")
    (photos / "sub").mkdir()
    section = {"images": str(photos), "limit": None}
    assert (
        configuration.image_paths([str(photos)])
        == configuration.photos(section, "real_images")
        == [photos / "face0.png", photos / "face1.png"]
    )
    real = REPO / "data" / "real_faces"
    assert configuration.image_paths([str(real)]) == configuration.photos(
        {"images": str(real), "limit": None}, "real_images"
    )
    cfg = write_config(tmp_path / "config.json")
    assert main(["score", "--config", str(cfg), "--images", str(photos), "--out", str(tmp_path / "s.csv")]) == 0
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 3
    assert "no images found" in refused(
        capsys, ["score", "--config", str(cfg), "--images", str(photos / "sub"), "--out", str(tmp_path / "t.csv")]
    )


def test_invert_without_flags_takes_the_configs_real_images_options(tmp_path, capsys):
    photos = tmp_path / "photos"
    faces(photos, 2)
    plain = write_config(tmp_path / "plain.json")
    stem = tmp_path / "enc"
    assert (
        main(
            [
                "train-encoder",
                "--config",
                str(plain),
                "--out",
                str(stem),
                "--steps",
                "2",
                "--batch-size",
                "4",
                "--widths",
                "8",
                "--held-out",
                "4",
            ]
        )
        == 0
    )
    real = {
        "images": str(photos),
        "align": False,
        "encoder": f"{stem}.pt",
        "steps": 3,
        "lr": 0.05,
        "perceptual": 0.0,
        "prior_weight": 0.5,
    }
    cfg = write_config(tmp_path / "config.json", real_images=real)
    out = tmp_path / "codes.h5"
    assert main(["invert", "--config", str(cfg), "--images", str(photos), "--out", str(out)]) == 0
    with h5py.File(out) as f:
        attrs = dict(f.attrs)
    assert (attrs["encoder"], attrs["steps"], attrs["lr"], attrs["prior_weight"], attrs["space"], attrs["aligned"]) == (
        f"{stem}.pt",
        3,
        0.05,
        0.5,
        "z",
        False,
    )
    assert (
        main(
            [
                "invert",
                "--config",
                str(cfg),
                "--images",
                str(photos),
                "--steps",
                "1",
                "--prior-weight",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with h5py.File(out) as f:
        assert (f.attrs["steps"], f.attrs["prior_weight"], f.attrs["encoder"]) == (
            1,
            0.0,
            f"{stem}.pt",
        )  # flags override
    # a config without real_images: the schema's defaults (no encoder: at least one step), photos as aligned crops
    assert "--steps must be >= 1 (0 only with --encoder)" in refused(
        capsys, ["invert", "--config", str(plain), "--images", str(photos), "--steps", "0", "--out", str(out)]
    )
    assert main(["invert", "--config", str(plain), "--images", str(photos), "--steps", "2", "--out", str(out)]) == 0
    with h5py.File(out) as f:
        assert (f.attrs["encoder"], f.attrs["lr"], f.attrs["aligned"]) == ("", 0.1, False)
    assert "--lr > 0" in refused(
        capsys, ["invert", "--config", str(cfg), "--images", str(photos), "--lr", "nan", "--out", str(out)]
    )


def test_unwritable_places_are_one_line(tmp_path, capsys, monkeypatch):
    cfg = str(write_config(tmp_path / "config.json"))
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    assert "is a file; name the folder of the runs" in refused(
        capsys, ["stage", "sample", "--config", cfg, "--shard", "0", "--results", str(blocker)]
    )
    assert f"{blocker} is a file" in refused(
        capsys, ["stage", "sample", "--config", cfg, "--shard", "0", "--results", str(blocker / "results")]
    )
    photo = faces(tmp_path / "photos", 1)[0]
    (tmp_path / "tr.pt").write_bytes(b"never read")
    translate = ["translate", "--config", cfg, "--translator", str(tmp_path / "tr.pt"), "--images", str(photo)]
    assert f"{blocker} is a file" in refused(capsys, translate + ["--out", str(blocker / "edited")])
    assert "is a file; name a folder" in refused(capsys, translate + ["--out", str(blocker)])
    # a folder that refuses the write (read-only, full): as root can write anywhere, the refusal is simulated
    denied = tmp_path / "results" / "planted_test" / "latents" / "00000.h5"

    def refuse(*_):
        raise PermissionError(13, "Permission denied", str(denied))

    monkeypatch.setattr(stages, "run", refuse)
    assert (
        refused(capsys, ["stage", "sample", "--config", cfg, "--shard", "0", "--results", str(tmp_path / "results")])
        == f"interfacegan: error: {denied}: Permission denied"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folders_are_one_line(tmp_path, capsys):
    cfg = str(write_config(tmp_path / "config.json"))
    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o555)
    try:
        assert "Permission denied" in refused(
            capsys, ["stage", "sample", "--config", cfg, "--shard", "0", "--results", str(results)]
        )
    finally:
        results.chmod(0o755)

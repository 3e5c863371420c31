"""The real-faces stages on the planted world, whose photos are its own images of known codes:
alignment off (they are aligned crops), inversion per shard, the tables and the grids."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from helpers import PLANTED, planted_photos, run_chain
from interfacegan import config as configuration
from interfacegan import pipeline, stages
from interfacegan.artifacts import ArtifactError, read_h5
from interfacegan.cli import main
from interfacegan.stages import report

PHOTOS = 5
REAL = ("align_real", "invert_real", "real_reconstruction_table", "real_edits")


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    """A folder of the planted generator's images as PNGs (and a text file), and their true codes."""
    folder = tmp_path_factory.mktemp("photos")
    (folder / "notes.txt").write_text("not a photo")
    return folder, planted_photos(folder, PHOTOS)


def real_config(folder, **options) -> dict:
    real = {"images": str(folder), "align": False, "steps": 150, "shard_size": 2} | options
    return configuration.validate(copy.deepcopy(PLANTED) | {"real_images": real})


@pytest.fixture(scope="module")
def finished(truth, tmp_path_factory):
    """A planted run with its real-faces stages done."""
    config = real_config(truth[0])
    layout = run_chain(config, tmp_path_factory.mktemp("results"))
    for stage, wildcards in pipeline.jobs(config):
        if stage in REAL:
            stages.run(config, stage, wildcards, layout)
    return config, layout


def test_the_photos_are_the_folders_images_in_name_order(truth):
    config = real_config(truth[0], limit=4)
    assert [p.name for p in configuration.photos(config["real_images"], "real_images")] == [
        f"photo_{i}.png" for i in range(4)
    ]
    assert pipeline.wildcard_values(config, "photo_shard") == [0, 1]


def test_inversion_recovers_the_photos_codes(finished, truth):
    config, layout = finished
    shards = [read_h5(layout.real_codes(k)) for k in range(3)]
    assert [(s["attrs"]["start"], s["attrs"]["stop"]) for s in shards] == [(0, 2), (2, 4), (4, 5)]
    codes = np.concatenate([s["codes"] for s in shards])
    error = np.linalg.norm(codes - truth[1], axis=1) / np.linalg.norm(truth[1], axis=1)
    assert error.max() < 0.05  # the photos are uint8-rounded images; measured 0.2-0.6 %


def test_the_reconstruction_table_has_a_row_per_photo(finished):
    _, layout = finished
    table = pd.read_csv(layout.table("real_reconstruction"))
    assert list(table["image"]) == [f"photo_{i}.png" for i in range(PHOTOS)]
    assert table["psnr"].min() > 40  # near-exact codes; only the uint8 rounding differs (measured > 50 dB)
    assert (table["lpips"] >= 0).all() and table["lpips"].max() < 0.05
    assert table["identity_distance"].notna().all()


def test_edits_move_their_own_attribute(finished):
    config, layout = finished
    rescoring = pd.read_csv(layout.table("real_rescoring"), index_col=["space", "boundary"]).loc["z"]
    for attribute in config["attributes"]:
        assert (
            rescoring.loc[attribute, attribute] > 0.3
        )  # a unit move along n_j moves s_j by about 1 (in units of its SD ~1.05)
    identity = pd.read_csv(layout.table("real_identity"))
    names = pipeline.boundary_names(config)
    assert len(identity) == PHOTOS * len(names) * config["edit"]["steps"]
    assert set(identity["boundary"]) == set(names)
    grid = Image.open(layout.real_edit_grid("age"))
    assert (
        grid.size[1] > grid.size[0] * PHOTOS / (config["edit"]["steps"] + 2) * 0.9
    )  # a row per photo, steps + 2 columns


def test_the_summary_shows_the_real_faces(finished):
    config, layout = finished
    page = "\n".join(report.real_faces(pipeline.view(config, "summary"), layout))
    assert "Real faces: reconstruction" in page and "photo_4.png" in page
    assert all(f"real/edits/{name}.png" in page for name in pipeline.boundary_names(config))


def test_codes_do_not_depend_on_the_sharding(finished, truth, tmp_path):
    config, layout = finished
    single = real_config(truth[0], shard_size=PHOTOS)
    other = run_chain(single, tmp_path)
    for stage in ("align_real", "invert_real"):
        stages.run(single, stage, {"photo_shard": 0} if stage == "invert_real" else {}, other)
    together = read_h5(other.real_codes(0))["codes"]
    apart = np.concatenate([read_h5(layout.real_codes(k))["codes"] for k in range(3)])
    np.testing.assert_allclose(together, apart, atol=1e-5)  # same starts and images; batches differ only in float order


def test_codes_of_another_folder_or_limit_are_refused(finished, truth, tmp_path):
    config, layout = finished
    fewer = real_config(truth[0], limit=3)
    with pytest.raises(ArtifactError, match="does not belong to this run: real_images.limit is 3 here but null"):
        stages.run(fewer, "invert_real", {"photo_shard": 0}, layout)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"space": "w"}, "real_images.space: w codes are edited along the w boundaries; add w to spaces"),
        ({"steps": 0}, "real_images.steps: 0 steps needs an encoder"),
        ({"images": "/nonexistent/photos"}, "real_images.images: /nonexistent/photos is not a folder"),
        ({"shard_size": 0}, "real_images.shard_size"),
    ],
)
def test_bad_real_images_sections_are_config_errors(truth, options, message):
    with pytest.raises(configuration.ConfigError, match=message):
        real_config(truth[0], **options)


def test_photos_whose_crops_would_share_a_name_are_a_config_error(tmp_path):
    for name in ("face.png", "face.jpg"):
        Image.new("RGB", (80, 80)).save(tmp_path / name)
    with pytest.raises(configuration.ConfigError, match=r"photos named face\.\* more than once"):
        real_config(tmp_path)


def test_a_folder_without_photos_is_a_config_error(tmp_path):
    (tmp_path / "readme.txt").write_text("no photos here")
    with pytest.raises(configuration.ConfigError, match="holds no .png/.jpg photos"):
        real_config(tmp_path)


ROOT = Path(__file__).resolve().parents[1]


def dcgan_config(tmp_path, folder) -> Path:
    """The default world with real_images on `folder` (alignment on), as a config file."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["predictor"]["checkpoint"] = str(ROOT / config["predictor"]["checkpoint"])
    config["real_images"] = {"images": str(folder)}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_photos_are_aligned_to_the_generators_faces(tmp_path):
    config = dcgan_config(tmp_path, ROOT / "data" / "real_faces")
    assert main(["stage", "align_real", "--config", str(config), "--results", str(tmp_path)]) == 0
    aligned = read_h5(tmp_path / "dcgan_faces" / "real" / "aligned.h5")
    assert aligned["images"].shape == (2, 64, 64, 3) and aligned["images"].dtype == np.uint8
    assert list(aligned["names"]) == ["astronaut.png", "grace_hopper.jpg"]
    assert aligned["attrs"]["count"] == 2 and aligned["attrs"]["stage"] == "align_real"
    for name, face in zip(["astronaut", "grace_hopper"], aligned["images"]):  # the crops as PNGs, the same pixels
        np.testing.assert_array_equal(
            np.asarray(Image.open(tmp_path / "dcgan_faces" / "real" / "aligned" / f"{name}.png")), face
        )


@pytest.mark.parametrize(
    "mode, message", [("L", "is greyscale"), ("tiny", "smaller than the generator's"), ("blank", "no face found")]
)
def test_a_bad_photo_stops_the_alignment_with_one_line_naming_it(tmp_path, capsys, mode, message):
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = Image.open(ROOT / "data" / "real_faces" / "grace_hopper.jpg")
    bad = {
        "L": photo.convert("L"),
        "tiny": photo.resize((40, 47)),
        "blank": Image.new("RGB", (200, 200), (120, 90, 60)),
    }[mode]
    bad.save(folder / "bad.png")
    config = dcgan_config(tmp_path, folder)
    assert main(["stage", "align_real", "--config", str(config), "--results", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors[-1].startswith("interfacegan: error:") and message in errors[-1] and "bad.png" in errors[-1]
    assert not list((tmp_path / "dcgan_faces").rglob("*.h5*"))


def test_invert_aligns_photos_when_asked(tmp_path, capsys):
    config, out = dcgan_config(tmp_path, ROOT / "data" / "real_faces"), tmp_path / "codes.h5"
    photos = [str(ROOT / "data" / "real_faces" / name) for name in ("grace_hopper.jpg", "astronaut.png")]
    assert (
        main(["invert", "--config", str(config), "--images", *photos, "--align", "--steps", "1", "--out", str(out)])
        == 0
    )
    codes = read_h5(out)
    assert codes["codes"].shape == (2, 100) and list(codes["images"]) == photos and codes["attrs"]["aligned"]
    grey = tmp_path / "grey.png"
    Image.open(photos[0]).convert("L").save(grey)
    assert (
        main(["invert", "--config", str(config), "--images", str(grey), "--align", "--out", str(tmp_path / "grey.h5")])
        == 2
    )
    assert "is greyscale" in capsys.readouterr().err and not (tmp_path / "grey.h5").exists()


def test_translate_aligns_photos_when_asked(tmp_path):
    from interfacegan.alignment import align_faces
    from interfacegan.images import from_uint8, to_uint8
    from interfacegan.models import Models
    from interfacegan.translator import translate

    config, photo = (
        dcgan_config(tmp_path, ROOT / "data" / "real_faces"),
        ROOT / "data" / "real_faces" / "grace_hopper.jpg",
    )
    shipped = ROOT / "models" / "dcgan_faces" / "translators" / "smile.pt"
    assert (
        main(
            [
                "translate",
                "--config",
                str(config),
                "--translator",
                str(shipped),
                "--images",
                str(photo),
                "--align",
                "--strength",
                "0.5",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    generator = Models(configuration.load(config), with_predictor=False).generator
    wanted = to_uint8(translate(shipped, generator, from_uint8(align_faces([photo], generator).images), 0.5))[0]
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "grace_hopper.png")), wanted)

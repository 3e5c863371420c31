"""The studio: the editor over a finished run (library and HTTP), and the page in headless Chromium."""

import base64
import json
import shutil
import struct
import threading
import urllib.request
import zlib

import numpy as np
import pytest
import yaml
from PIL import Image

from helpers import planted_photos, run_chain
from interfacegan import config as configuration
from interfacegan.cli import main
from interfacegan.images import to_uint8
from interfacegan.studio.editor import Studio
from interfacegan.studio.server import StudioServer

ATTRIBUTES = ["pose", "smile", "age", "eyeglasses"]
LAYERS = {"pose": [0, 1], "smile": [4, 5], "age": [2, 3], "eyeglasses": [5]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished layered planted run (z, w and W+, eyeglasses entangled with age) with photos to upload: its config path."""
    root = tmp_path_factory.mktemp("studio")
    (root / "photos").mkdir()
    planted_photos(root / "photos", 2)
    generator = {
        "name": "planted",
        "attributes": ATTRIBUTES,
        "latent_dim": 32,
        "noise": 0.05,
        "layers": 6,
        "attribute_layers": LAYERS,
        "cosines": [["age", "eyeglasses", 0.6]],
    }
    config = {
        "run": "studio",
        "seed": 5,
        "n_samples": 3000,
        "shard_size": 1500,
        "batch_size": 500,
        "attributes": ATTRIBUTES,
        "spaces": ["z", "w"],
        "generator": generator,
        "predictor": {"name": "planted", "attributes": ATTRIBUTES},
        "selection": {"chosen_num_or_ratio": 0.1},
        "conditions": [{"primal": "eyeglasses", "conditions": ["age"]}],
        "analysis": {"rescoring_samples": 50, "linearity_samples": 10, "layerwise_samples": 50},
        "edit": {"samples": 2, "steps": 3, "wp_layers": "auto"},
        "real_images": {"images": str(root / "photos"), "align": False, "steps": 5},
        "translator": {
            "boundaries": ["smile"],
            "identity_steps": 4,
            "steps": 3,
            "batch_size": 4,
            "perceptual": 0.0,
            "architecture": {"channels": 8, "downsamples": 1, "blocks": 1},
            "faces": 2,
            "strengths": [0, 1],
        },
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    run_chain(configuration.validate(config), root / "results", analyses=True)
    return path


@pytest.fixture(scope="module")
def studio(run):
    return Studio(run, run.parent / "results", steps=5)


def test_moving_along_a_boundary_raises_its_attribute_and_conditioning_holds_the_other(studio):
    face = studio.sample(3)
    start = studio.render(face).scores
    plain = studio.render(face, "eyeglasses", "z", 2.0).scores - start
    conditional = studio.render(face, "eyeglasses_c_age", "z", 2.0).scores - start
    eyeglasses, age = ATTRIBUTES.index("eyeglasses"), ATTRIBUTES.index("age")
    assert plain[eyeglasses] > 1 and conditional[eyeglasses] > 1
    assert (
        plain[age] > 0.5 and abs(conditional[age]) < 0.2 * plain[age]
    )  # age rises beside eyeglasses, and stays with _c_age


def test_the_runs_photos_edit_from_their_inverted_codes(studio, run):
    assert studio.photos() == ["photo_0.png", "photo_1.png"]
    face = studio.real(1)
    assert face.origin == "photo_1.png" and list(face.codes) == ["z"]  # real_images.space
    np.testing.assert_array_equal(face.photo, np.asarray(Image.open(studio.layout.aligned_face("photo_1.png"))))
    moved = studio.render(face, "smile", "z", 1.5).scores - studio.render(face).scores
    assert moved[ATTRIBUTES.index("smile")] > 1
    with pytest.raises(configuration.ConfigError, match="photo 2 is not one of the run's"):
        studio.real(2)


def test_the_translator_mode_is_the_translate_commands_forward_pass(studio, run, tmp_path, capsys):
    from interfacegan.images import from_uint8
    from interfacegan.translator import translate

    assert studio.translators() == ["smile"]
    face = studio.sample(4)
    start = studio.editor.images(face.codes["z"], "z")
    for strength in (0.0, 0.6, 1.0):
        expected = translate(studio.layout.translator("smile"), studio.generator, from_uint8(start), strength, 1)
        np.testing.assert_array_equal(studio.translated(face, "smile", strength).image, to_uint8(expected)[0])
    with pytest.raises(configuration.ConfigError, match="strength"):
        studio.translated(face, "smile", 9.0)  # outside translator.strength_range
    with pytest.raises(configuration.ConfigError, match="no translator for 'age'"):
        studio.translated(face, "age", 1.0)


def test_auto_moves_only_the_layers_of_the_attribute(studio):
    face = studio.sample(0)
    start = studio.render(face, space="wp").scores
    moved = studio.render(face, "smile", "wp", 2.0, studio.layers("smile", "auto")).scores - start
    assert studio.layers("smile", "auto") == LAYERS["smile"]
    assert moved[ATTRIBUTES.index("smile")] > 1
    assert moved[ATTRIBUTES.index("eyeglasses")] != 0  # eyeglasses reads layer 5 too
    assert moved[ATTRIBUTES.index("pose")] == moved[ATTRIBUTES.index("age")] == 0  # their layers stay put, exactly


@pytest.mark.parametrize("space, layers", [("z", None), ("w", None), ("wp", "auto"), ("wp", "1-3")])
def test_an_exported_edit_replays_to_the_same_pixels(studio, run, tmp_path, space, layers):
    face = studio.sample(7)
    settings = {"boundary": "smile", "space": space, "amount": 1.35, "layers": studio.layers("smile", layers)}
    shown = studio.render(face, **settings)
    for name, data in studio.export(face, shown, settings).items():
        (tmp_path / name).write_bytes(data)
    assert main(["edit", "--replay", str(tmp_path / "edit.yaml"), "--out", str(tmp_path / "replayed")]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "replayed" / "000_000.png")), shown.image)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "face.png")), shown.image)


def bomb(path):
    """A PNG that declares 100,000 x 100,000 pixels in a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    return path


@pytest.fixture
def server(studio):
    server = StudioServer(studio, ("127.0.0.1", 0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def call(server, path, body=b"{}", token="", **headers):
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.server_address[1]}{path}", data=body, headers={"X-Session": token, **headers}
    )
    try:
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        return json.loads(err.read())


def page_token(server) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/") as response:
        page = response.read().decode()
    return page.split('name="session" content="')[1].split('"')[0]


def test_visitors_do_not_see_each_others_faces_and_leave_nothing_behind(server, run):
    first, second = page_token(server), page_token(server)
    assert first != second
    photo = (run.parent / "photos" / "photo_0.png").read_bytes()
    assert "image" in call(server, "/api/upload", photo, first, **{"X-Filename": "photo_0.png"})
    assert call(server, "/api/identity", b"{}", first)["identity"] > 0  # the reconstruction against the photo
    assert call(server, "/api/identity", b"{}", second) == {"error": "choose a face first"}
    assert call(server, "/api/edit", json.dumps({"boundary": "smile", "space": "z", "amount": 1}).encode(), second) == {
        "error": "choose a face first"
    }
    call(server, "/api/choose", json.dumps({"kind": "sample", "index": 2}).encode(), second)
    assert call(server, "/api/identity", b"{}", second) == {"identity": 0.0}  # an unedited sample is its own start
    folder = server.visitors[first].folder
    assert folder.is_dir() and folder.name.startswith("interfacegan-studio-")
    call(server, "/api/close", json.dumps({"token": first}).encode())
    assert not folder.exists()
    assert call(server, "/api/edit", b"{}", first) == {"error": "this page's session has ended; reload the page"}
    assert call(server, "/api/meta", b"{}", "forged") == {"error": "this page's session has ended; reload the page"}


def test_uploads_are_checked_like_every_photo(server, run, tmp_path):
    token = page_token(server)

    def upload(data: bytes, name: str) -> dict:
        return call(server, "/api/upload", data, token, **{"X-Filename": name})

    refused = upload(bomb(tmp_path / "bomb.png").read_bytes(), "bomb.png")
    assert refused.keys() == {"error"} and "megapixels" in refused["error"] and "\n" not in refused["error"]
    assert "cannot be read" in upload(b"not an image", "x.png")["error"]
    assert "a .png or .jpg file" in upload(b"", "../../etc/passwd")["error"]
    grey = tmp_path / "grey.png"
    Image.open(run.parent / "photos" / "photo_1.png").convert("L").save(grey)
    accepted = upload(grey.read_bytes(), "grey.png")
    assert accepted["notes"] == ["a greyscale photo: its face is inverted in colour"] and accepted["image"].startswith(
        "data:image/png"
    )
    assert sorted(p.name for p in server.visitors[token].folder.iterdir()) == ["upload.png"]  # nothing elsewhere


def test_a_translation_exports_its_image_alone(server):
    token = page_token(server)
    call(server, "/api/choose", json.dumps({"kind": "sample", "index": 1}).encode(), token)
    assert call(server, "/api/translate", b'{"strength": 1}', token) == {"error": "the request lacks 'translator'"}
    shown = call(server, "/api/translate", json.dumps({"translator": "smile", "strength": 1.0}).encode(), token)
    assert shown["origin"] == "sample 1 · translator smile"
    exported = call(server, "/api/export", b"{}", token)
    assert list(exported) == ["face.png"] and base64.b64decode(exported["face.png"]) == base64.b64decode(
        shown["image"].split(",", 1)[1]
    )


chromium = shutil.which("chromium")
playwright = pytest.importorskip("playwright.sync_api") if chromium else None


@pytest.mark.skipif(chromium is None, reason="Debian chromium is not installed (.ci/run installs it)")
def test_the_page_in_a_browser(server, run, tmp_path):
    """Load, drag a slider, switch to the conditional boundary, the translator, upload a photo, export and replay, refusals."""
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
        page.wait_for_function("document.getElementById('face').src.startsWith('data:')")

        def after(action, selector="#face") -> tuple[str, dict]:
            before = page.get_attribute(selector, "src")
            action()
            page.wait_for_function(f"document.querySelector('{selector}').src !== {json.dumps(before)}")
            return page.get_attribute(selector, "src"), {a: float(page.text_content(f"#value-{a}")) for a in ATTRIBUTES}

        _, start = after(lambda: page.fill("#slider-z-eyeglasses", "0.5"))
        _, plain = after(lambda: page.fill("#slider-z-eyeglasses", "2.5"))
        _, conditional = after(lambda: page.fill("#slider-z-eyeglasses_c_age", "2.5"))
        assert plain["eyeglasses"] > start["eyeglasses"] + 1
        assert float(page.input_value("#slider-z-eyeglasses")) == 0  # one boundary at a time
        assert abs(conditional["age"] - start["age"]) < 0.3 * (plain["age"] - start["age"])
        after(lambda: page.fill("#strength", "1"))  # the translator mode
        assert (
            page.text_content("#origin").endswith("translator smile")
            and float(page.input_value("#slider-z-eyeglasses_c_age")) == 0
        )

        page.set_input_files("#file", str(run.parent / "photos" / "photo_1.png"))
        page.wait_for_function("document.getElementById('origin').textContent.startsWith('photo_1.png')")
        after(lambda: page.fill("#slider-z-smile", "1.5"))
        page.click("#export")
        page.wait_for_selector("#exports a[download='edit.yaml']")
        for name in ("face.png", "code.npy", "edit.yaml"):
            href = page.get_attribute(f"#exports a[download='{name}']", "href")
            (tmp_path / name).write_bytes(base64.b64decode(href.split(",", 1)[1]))
        assert main(["edit", "--replay", str(tmp_path / "edit.yaml"), "--out", str(tmp_path / "replayed")]) == 0
        np.testing.assert_array_equal(
            np.asarray(Image.open(tmp_path / "replayed" / "000_000.png")), np.asarray(Image.open(tmp_path / "face.png"))
        )

        page.set_input_files("#file", str(bomb(tmp_path / "bomb.png")))
        page.wait_for_function("document.getElementById('message').textContent.includes('megapixels')")
        grey = tmp_path / "grey.png"
        Image.open(run.parent / "photos" / "photo_0.png").convert("L").save(grey)
        page.set_input_files("#file", str(grey))
        page.wait_for_function("document.getElementById('note').textContent.includes('greyscale')")
        assert page.text_content("#message") == ""
        browser.close()
    assert {r.split("/")[2] for r in requests if not r.startswith("data:")} == {
        url.split("/")[2]
    }  # nothing from elsewhere


@pytest.mark.parametrize("host, warned", [(None, False), ("0.0.0.0", True)])
def test_the_command_listens_on_this_machine_unless_told_otherwise(run, host, warned):
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "interfacegan.cli",
        "studio",
        "--config",
        str(run),
        "--results",
        str(run.parent / "results"),
        "--port",
        "0",
    ]
    process = subprocess.Popen(
        command + (["--host", host] if host else []), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        lines = [process.stdout.readline() for _ in range(1 + warned)]
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert lines[-1].startswith("InterFaceGAN studio: http://127.0.0.1:")
    assert lines[0].startswith("interfacegan: warning: the studio listens on 0.0.0.0") == warned


def test_a_run_that_is_not_finished_is_one_line(run, tmp_path, capsys):
    other = yaml.safe_load(run.read_text()) | {"run": "never_run"}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other))
    assert main(["studio", "--config", str(tmp_path / "other.yaml"), "--results", str(run.parent / "results")]) == 2
    error = capsys.readouterr().err
    assert (
        error.count("\n") == 1
        and "interfacegan: error: the run" in error
        and "is not finished" in error
        and "make run" in error
    )

"""`interfacegan edit` (the counterpart of the official edit.py) against the official
linear_interpolate, its refusals, and the round trip of a run's exported boundaries."""

import copy
import json
import pickle
import re

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from helpers import PLANTED, planted_photos, run_chain
from interfacegan import config as configuration
from interfacegan.artifacts import read_h5, write_h5
from interfacegan.cli import main
from interfacegan.editing import BARE, CHECKED
from interfacegan.generators import build_generator
from interfacegan.images import to_uint8
from interfacegan.manipulation import interpolate
from interfacegan.stages.edits import Editor
from test_boundaries import Payload

STYLEGAN2 = {
    "name": "stylegan2",
    "resolution": 8,
    "latent_dim": 16,
    "n_mlp": 2,
    "channel_multiplier": 1,
}  # W+: 4 layers of 16


def official_linear_interpolate(latent_code, boundary, start_distance=-3.0, end_distance=3.0, steps=10):
    """The official InterFaceGAN utils/manipulator.py linear_interpolate, restated."""
    assert latent_code.shape[0] == 1 and boundary.shape == (1, latent_code.shape[-1])
    linspace = np.linspace(start_distance, end_distance, steps)
    if len(latent_code.shape) == 2:
        linspace = linspace - latent_code.dot(boundary.T)
        linspace = linspace.reshape(-1, 1).astype(np.float32)
        return latent_code + linspace * boundary
    linspace = linspace.reshape(-1, 1, 1).astype(np.float32)
    return latent_code + linspace * boundary.reshape(1, 1, -1)


def unit(v):
    return (v / np.linalg.norm(v)).astype(np.float32)


def ours(path, normal, space, generator):
    """A boundary file of ours: it records its space and generator."""
    write_h5(path, {"normal": unit(np.asarray(normal, np.float64))}, {"space": space, "generator": generator})
    return path


@pytest.fixture
def configs(tmp_path):
    """Config files: the planted world (z, 32-d; batches of 8 images, so an edit renders its samples in
    several batches) and a tiny random StyleGAN2 (z, w, wp)."""
    paths = {"planted": tmp_path / "planted.yaml", "stylegan2": tmp_path / "stylegan2.yaml"}
    paths["planted"].write_text(yaml.safe_dump(PLANTED | {"batch_size": 8}))
    paths["stylegan2"].write_text(yaml.safe_dump(PLANTED | {"generator": STYLEGAN2}))
    return paths


def edit(config, boundary, latents, space, out, *options):
    return main(
        [
            "edit",
            "--config",
            str(config),
            "--boundary",
            str(boundary),
            "--latents",
            str(latents),
            "--space",
            space,
            "--out",
            str(out),
            *options,
        ]
    )


@pytest.mark.parametrize("mode", ["distance", "offset"])
def test_z_codes_follow_the_official_linear_interpolate(configs, tmp_path, capsys, mode):
    rng = np.random.default_rng(0)
    z, normal = rng.standard_normal((3, 32)).astype(np.float32), unit(rng.standard_normal(32))
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "n.npy", normal[None])  # official layout, a bare vector
    out = tmp_path / "out"
    assert (
        edit(
            configs["planted"],
            tmp_path / "n.npy",
            tmp_path / "z.npy",
            "z",
            out,
            "--start",
            "-2",
            "--end",
            "1",
            "--steps",
            "4",
            "--mode",
            mode,
        )
        == 0
    )
    assert BARE in capsys.readouterr().out
    codes = np.load(out / "codes.npy")
    assert codes.shape == (3, 4, 32) and codes.dtype == np.float32
    if mode == "distance":
        expected = np.stack([official_linear_interpolate(code[None], normal[None], -2, 1, 4) for code in z])
    else:  # z + a n, the paper's edit
        expected = z[:, None] + np.linspace(-2, 1, 4)[None, :, None] * normal
    np.testing.assert_allclose(
        codes, expected, atol=1e-5
    )  # official: float64 steps cast to float32; ours float32 throughout
    record = json.loads((out / "edit.json").read_text())
    assert record["boundary_check"] == BARE and (record["start"], record["end"], record["steps"], record["mode"]) == (
        -2,
        1,
        4,
        mode,
    )
    images = sorted(p.name for p in out.glob("*.png"))
    assert images == [f"{i:03d}_{k:03d}.png" for i in range(3) for k in range(4)] + [
        f"grid_{i:03d}.png" for i in range(3)
    ]
    with torch.inference_mode():  # each step's PNG is the image of its code
        rendered = to_uint8(build_generator(PLANTED["generator"]).synthesize(torch.from_numpy(codes[1, 2:3])))[0]
    np.testing.assert_array_equal(np.asarray(Image.open(out / "001_002.png")), rendered)  # sample 1: the second batch
    assert Image.open(out / "grid_001.png").size == (
        5 * 100 + 4,
        104,
    )  # one row of 96-pixel cells, 4 apart: the original and 4 steps


@pytest.mark.parametrize(
    "space, mode, layers",
    [("w", "distance", None), ("wp", "distance", None), ("wp", "offset", "1-2"), ("wp", "distance", "0,3")],
)
def test_w_and_wplus_codes_follow_the_official_linear_interpolate(configs, tmp_path, space, mode, layers):
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((2, 4, 16) if space == "wp" else (2, 16)).astype(np.float32)
    np.save(tmp_path / "codes.npy", codes)
    normal = unit(rng.standard_normal(16))
    boundary = ours(tmp_path / "smile.h5", normal, "w", "stylegan2")  # W+ codes take a w boundary
    out = tmp_path / "out"
    options = ["--steps", "5", "--mode", mode] + (["--layers", layers] if layers else [])
    assert edit(configs["stylegan2"], boundary, tmp_path / "codes.npy", space, out, *options) == 0
    edited = np.load(out / "codes.npy")
    expected = np.stack([official_linear_interpolate(code[None], normal[None], steps=5) for code in codes])
    if mode == "offset" and space == "w":
        expected = codes[:, None] + np.linspace(-3, 3, 5)[None, :, None] * normal
    moved = {"1-2": [1, 2], "0,3": [0, 3], None: "all" if space == "wp" else None}[layers]
    if layers:  # the official W+ move, on the chosen layers only
        kept = [layer for layer in range(4) if layer not in moved]
        expected[:, :, kept] = codes[:, None, kept]
    np.testing.assert_allclose(edited, expected, atol=1e-5)
    record = json.loads((out / "edit.json").read_text())
    assert record["boundary_check"] == CHECKED
    assert record["layers"] == moved
    assert len(list(out.glob("grid_*.png"))) == 2 and len(list(out.glob("00?_00?.png"))) == 10


def test_invert_then_edit(configs, tmp_path):
    """A user's path: photos -> `invert` -> codes.h5 (its space and generator recorded) -> `edit`."""
    (tmp_path / "photos").mkdir()
    planted_photos(tmp_path / "photos", 2)
    inverted = tmp_path / "codes.h5"
    assert (
        main(
            [
                "invert",
                "--config",
                str(configs["planted"]),
                "--images",
                str(tmp_path / "photos"),
                "--steps",
                "5",
                "--out",
                str(inverted),
            ]
        )
        == 0
    )
    boundary = ours(tmp_path / "pose.h5", np.eye(32)[0], "z", "planted")
    assert edit(configs["planted"], boundary, inverted, "z", tmp_path / "out", "--steps", "3") == 0
    expected = np.stack(
        [
            official_linear_interpolate(code[None], np.eye(32, dtype=np.float32)[:1], steps=3)
            for code in read_h5(inverted)["codes"]
        ]
    )
    np.testing.assert_allclose(np.load(tmp_path / "out" / "codes.npy"), expected, atol=1e-5)
    assert json.loads((tmp_path / "out" / "edit.json").read_text())["latents"] == str(inverted)


HOSTILE = {  # case: (generator, space, message)
    "wrong dimension": ("planted", "z", r"is a bare 8-d vector; codes are z of planted, 32-d$"),
    "h5 of wrong dimension": ("planted", "z", r"is 8-d, in z of planted; codes are z of planted, 32-d$"),
    "zero vector": ("planted", "z", r"is not a finite unit vector \(norm 0\)$"),
    "not unit": ("planted", "z", r"is not a finite unit vector \(norm 2\)$"),
    "pickle boundary": ("planted", "z", r"is not a .npy file"),
    "pickle latents": ("planted", "z", r"latents .* is not a .npy file"),
    "other space": ("planted", "z", r"boundary \S+ is in w of planted, codes are z of planted$"),
    "other generator": ("planted", "z", r"boundary \S+ is in z of dcgan, codes are z of planted$"),
    "z boundary for wp": (
        "stylegan2",
        "wp",
        r"is in z of stylegan2, codes are wp of stylegan2 \(W\+ codes take a w boundary\)$",
    ),
    "nan codes": ("planted", "z", r"latents \S+: 1 codes hold NaN or infinite values"),
    "nan codes.h5": ("planted", "z", r"latents \S+: 1 codes hold NaN or infinite values"),
    "codes.h5 of w": ("stylegan2", "z", r"latents \S+ are w codes of stylegan2, not z codes of stylegan2"),
    "codes.h5 of dcgan": ("planted", "z", r"latents \S+ are z codes of dcgan, not z codes of planted"),
    "layers out of range": (
        "stylegan2",
        "wp",
        r"--layers 0-2,5: layer 5 does not exist; these W\+ codes have 4 layers \(0-3\)$",
    ),
    "layers backwards": ("stylegan2", "wp", r"--layers 3-1: give layer numbers and rising ranges"),
    "layers with z": ("planted", "z", r"--layers picks W\+ layers; --space z codes have none"),
    "steps 0": ("planted", "z", r"--steps must be >= 1"),
    "out holds files": ("planted", "z", r"--out \S+ is a file or a folder that holds files"),
    "out is a file": ("planted", "z", r"--out \S+ is a file or a folder that holds files"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_refusals_are_one_line_and_write_nothing(configs, tmp_path, capsys, case):
    generator, space, message = HOSTILE[case]
    dim = {"planted": 32, "stylegan2": 16}[generator]
    rng = np.random.default_rng(3)
    codes = rng.standard_normal((2, 4, dim) if space == "wp" else (2, dim)).astype(np.float32)
    boundary_space = "w" if space == "wp" else space
    boundary = ours(tmp_path / "b.h5", rng.standard_normal(dim), boundary_space, generator)
    latents, options, out = tmp_path / "codes.npy", [], tmp_path / "out"
    if case in ("wrong dimension", "zero vector", "not unit"):
        boundary = tmp_path / "b.npy"
        np.save(
            boundary,
            {"wrong dimension": unit(np.ones(8)), "zero vector": np.zeros(dim), "not unit": 2 * unit(np.ones(dim))}[
                case
            ],
        )
    elif case == "pickle boundary":
        boundary = tmp_path / "b.npy"
        boundary.write_bytes(pickle.dumps(Payload(tmp_path / "payload_ran")))
    elif case == "pickle latents":
        latents.write_bytes(pickle.dumps(Payload(tmp_path / "payload_ran")))
    elif case in ("other space", "other generator", "z boundary for wp"):
        boundary = ours(
            tmp_path / "b.h5",
            rng.standard_normal(dim),
            *{
                "other space": ("w", "planted"),
                "other generator": ("z", "dcgan"),
                "z boundary for wp": ("z", "stylegan2"),
            }[case],
        )
    elif case == "h5 of wrong dimension":
        boundary = ours(tmp_path / "b.h5", rng.standard_normal(8), "z", "planted")
    elif case.startswith("nan"):
        codes[1, 3] = np.nan
    elif case.startswith("layers"):
        options = ["--layers", {"layers out of range": "0-2,5", "layers backwards": "3-1", "layers with z": "0"}[case]]
    elif case == "steps 0":
        options = ["--steps", "0"]
    elif case == "out holds files":
        out.mkdir()
        (out / "mine.txt").write_text("keep")
    elif case == "out is a file":
        out.write_text("keep")
    if "codes.h5" in case:  # as invert writes them
        latents = tmp_path / "codes.h5"
        made = {"codes.h5 of w": ("w", "stylegan2"), "codes.h5 of dcgan": ("z", "dcgan")}.get(case, ("z", generator))
        write_h5(latents, {"codes": codes}, {"space": made[0], "generator": made[1]})
    elif case != "pickle latents":
        np.save(latents, codes)
    assert edit(configs[generator], boundary, latents, space, out, *options) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("interfacegan: error: ") and re.search(message, err.strip()), err
    if case == "out is a file":
        assert out.read_text() == "keep"
    else:
        written = sorted(p.name for p in out.iterdir()) if out.exists() else []
        assert written == (["mine.txt"] if case == "out holds files" else [])
    assert not (tmp_path / "payload_ran").exists()


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    """A planted run (its boundaries) and its boundaries exported in the official layout."""
    root = tmp_path_factory.mktemp("run")
    cfg = configuration.validate(copy.deepcopy(PLANTED))
    layout = run_chain(cfg, root)
    assert main(["export-boundaries", str(layout.dir), "--out", str(root / "exported")]) == 0
    return cfg, layout, root / "exported"


@pytest.mark.parametrize("boundary", ["smile", "eyeglasses_c_age"])
def test_an_exported_boundary_edits_the_runs_codes_as_the_run_does(planted_run, configs, tmp_path, capsys, boundary):
    cfg, layout, exported = planted_run
    editor = Editor(cfg, layout, with_predictor=False)
    options = cfg["edit"]
    codes = editor.first_codes(options["samples"], "z")
    runs_own = interpolate(
        codes, editor.normal(boundary, "z"), options["start"], options["end"], options["steps"], options["mode"]
    )
    np.save(tmp_path / "first.npy", codes)
    for source, out in (
        (exported / f"{boundary}_boundary.npy", tmp_path / "bare"),
        (layout.boundary(boundary, "z"), tmp_path / "ours"),
    ):
        assert (
            edit(
                configs["planted"],
                source,
                tmp_path / "first.npy",
                "z",
                out,
                "--start",
                str(options["start"]),
                "--end",
                str(options["end"]),
                "--steps",
                str(options["steps"]),
                "--mode",
                options["mode"],
            )
            == 0
        )
        # Both read the stored float32 normal through read_boundary, which renormalises it in float64: a change of at
        # most one float32 rounding (6e-8) per component, times |distance| + |z.n| (< 10 here) in the codes.
        np.testing.assert_allclose(np.load(out / "codes.npy"), runs_own, rtol=0, atol=1e-6)
    assert json.loads((tmp_path / "ours" / "edit.json").read_text())["boundary_check"] == CHECKED


@pytest.mark.parametrize(
    "text, words",
    [
        ("!!python/object/apply:os.system ['touch MARKER']\n", "is not a YAML edit"),
        ("config: c.yaml\n", "must hold exactly config, latents, boundary, space, start, end, steps, mode, layers"),
        (
            "config: c.yaml\nlatents: z.npy\nboundary: b.h5\nspace: z\nstart: .nan\nend: 1\nsteps: 1\nmode: offset\nlayers: null\n",
            "start is nan, not a finite float",
        ),
    ],
)
def test_a_hostile_replay_file_is_one_line_and_runs_nothing(tmp_path, capsys, monkeypatch, text, words):
    """`edit --replay` reads its YAML as data: a payload that would leave a marker file never runs."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "edit.yaml").write_text(text.replace("MARKER", str(tmp_path / "marker")))
    assert main(["edit", "--replay", str(tmp_path / "edit.yaml"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and words in error
    assert not (tmp_path / "marker").exists() and not (tmp_path / "out").exists()

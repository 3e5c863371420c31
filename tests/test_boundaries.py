"""Boundary files in and out: `interfacegan condition` and `interfacegan cosine` on our .h5 and bare .npy."""

import copy
import json
import os
import pickle
import re

import numpy as np
import pandas as pd
import pytest

from helpers import PLANTED, run_chain
from interfacegan import config as configuration
from interfacegan.artifacts import read_h5, write_h5
from interfacegan.cli import main


def unit(v):
    return v / np.linalg.norm(v)


def official_one(p, c):  # the official one-condition closed form (without its 1e-8 guard)
    n = p - (p @ c) * c
    return n / np.linalg.norm(n)


def official_two(p, c1, c2):  # the official two-condition closed form
    a, b, c, d, e = p @ c1, p @ c2, c1 @ c1, c1 @ c2, c2 @ c2
    alpha, beta = (a * e - b * d) / (c * e - d * d), (b * c - a * d) / (c * e - d * d)
    n = p - alpha * c1 - beta * c2
    return n / np.linalg.norm(n)


@pytest.fixture
def vectors(tmp_path):
    """Six unit vectors in R^16 as official-layout .npy files (1, d): p, c1 ... c5."""
    rng = np.random.default_rng(0)
    paths = {}
    for name in ("p", "c1", "c2", "c3", "c4", "c5"):
        paths[name] = tmp_path / f"{name}.npy"
        np.save(paths[name], unit(rng.standard_normal(16)).astype(np.float32)[None])
    return paths


def load(path):
    return np.load(path).astype(np.float64).ravel()


def condition(out, primal, *conditions):
    return main(["condition", "--primal", str(primal), "--conditions", *map(str, conditions), "--out", str(out)])


def test_one_and_two_conditions_match_the_official_forms(vectors, tmp_path):
    p, c1, c2 = (load(vectors[k]) for k in ("p", "c1", "c2"))
    assert condition(tmp_path / "one.npy", vectors["p"], vectors["c1"]) == 0
    assert condition(tmp_path / "two.npy", vectors["p"], vectors["c1"], vectors["c2"]) == 0
    assert np.load(tmp_path / "one.npy").shape == (1, 16) and np.load(tmp_path / "one.npy").dtype == np.float32
    np.testing.assert_allclose(load(tmp_path / "one.npy"), official_one(p, c1), atol=1e-6)
    np.testing.assert_allclose(load(tmp_path / "two.npy"), official_two(p, c1, c2), atol=1e-6)


def test_five_conditions_give_a_unit_vector_orthogonal_to_all(vectors, tmp_path):
    out = tmp_path / "five.h5"
    assert condition(out, vectors["p"], *(vectors[f"c{i}"] for i in range(1, 6))) == 0
    saved = read_h5(out)
    normal, conditions = saved["normal"].astype(np.float64), np.stack([load(vectors[f"c{i}"]) for i in range(1, 6)])
    assert abs(np.linalg.norm(normal) - 1) < 1e-6 and np.abs(conditions @ normal).max() < 1e-6
    assert saved["attrs"]["stage"] == "condition" and saved["attrs"]["max_abs_residual"] < 1e-6
    assert "torch_version" in saved["attrs"]  # provenance


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def ours(path, normal, space, generator="stylegan2"):
    write_h5(path, {"normal": np.asarray(normal, np.float32)}, {"space": space, "generator": generator})
    return path


@pytest.mark.parametrize(
    "case, message",
    [
        ("parallel", r"are \(nearly\) parallel"),
        ("equal to primal", "lies in the span of its conditions"),
        ("wrong dimension", "is 8-d"),
        ("zero", r"is not a finite unit vector \(norm 0\)"),
        ("not unit", r"is not a finite unit vector \(norm 2\)"),
        ("pickle", "is not a .npy file"),
        ("other space", "is in z of stylegan2, .* in w of stylegan2"),
        ("other generator", "is in w of stylegan2, .* in w of dcgan"),
    ],
)
def test_bad_boundaries_are_one_line_errors(vectors, tmp_path, capsys, case, message):
    p, c1 = load(vectors["p"]), load(vectors["c1"])
    primal, conditions = vectors["p"], [vectors["c1"]]
    if case == "parallel":
        near = unit(c1 + 1e-5 * load(vectors["c2"]))
        np.save(tmp_path / "near.npy", near.astype(np.float32))
        conditions = [vectors["c1"], tmp_path / "near.npy"]
    elif case == "equal to primal":
        conditions = [vectors["p"]]
    elif case in ("wrong dimension", "zero", "not unit"):
        vector = {"wrong dimension": unit(np.ones(8)), "zero": np.zeros(16), "not unit": 2 * c1}[case]
        np.save(tmp_path / "bad.npy", vector.astype(np.float32))
        conditions = [tmp_path / "bad.npy"]
    elif case == "pickle":  # its payload would leave a marker file if it were ever unpickled
        (tmp_path / "evil.npy").write_bytes(pickle.dumps(Payload(tmp_path / "payload_ran")))
        conditions = [tmp_path / "evil.npy"]
    elif case == "other space":
        primal, conditions = ours(tmp_path / "p.h5", p, "z"), [ours(tmp_path / "c.h5", c1, "w")]
    else:
        primal, conditions = ours(tmp_path / "p.h5", p, "w"), [ours(tmp_path / "c.h5", c1, "w", "dcgan")]
    assert condition(tmp_path / "out.npy", primal, *conditions) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "out.npy").exists() and not (tmp_path / "payload_ran").exists()


def test_ours_and_bare_vectors_mix_and_keep_the_space(vectors, tmp_path):
    primal = ours(tmp_path / "age.h5", load(vectors["p"]), "w")
    assert condition(tmp_path / "age_c_x.h5", primal, vectors["c1"]) == 0
    attrs = read_h5(tmp_path / "age_c_x.h5")["attrs"]
    assert (attrs["space"], attrs["generator"]) == ("w", "stylegan2")


def test_cosine_matrix_is_labelled_by_stem(vectors, tmp_path, capsys):
    files = [vectors[k] for k in ("p", "c1", "c2")] + [ours(tmp_path / "mine.h5", load(vectors["c3"]), "z")]
    assert main(["cosine", *map(str, files), "--out", str(tmp_path / "cosine.csv")]) == 0
    table = pd.read_csv(tmp_path / "cosine.csv", keep_default_na=False)
    assert list(table.columns) == ["space", "boundary", "p", "c1", "c2", "mine"]
    assert list(table["space"]) == ["", "", "", "z"]
    normals = np.stack([load(f) if f.suffix == ".npy" else load(vectors["c3"]) for f in files])
    np.testing.assert_allclose(table[["p", "c1", "c2", "mine"]].to_numpy(), normals @ normals.T, atol=2e-6)
    assert main(["cosine", str(vectors["p"]), str(vectors["p"])]) == 2
    assert "named p more than once" in capsys.readouterr().err


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A planted run's boundaries (z: four plain, two conditional), exported in the official layout."""
    root = tmp_path_factory.mktemp("run")
    layout = run_chain(configuration.validate(copy.deepcopy(PLANTED)), root)
    assert main(["export-boundaries", str(layout.dir), "--out", str(root / "exported")]) == 0
    return layout, root / "exported"


def test_export_writes_official_files_and_what_each_boundary_records(exported):
    layout, out = exported
    plain = [f"{a}_boundary.npy" for a in PLANTED["attributes"]]
    conditional = ["eyeglasses_c_age_boundary.npy", "eyeglasses_c_age_smile_boundary.npy"]
    assert sorted(p.name for p in out.iterdir()) == sorted(plain + conditional + ["boundaries.json"])
    record = json.loads((out / "boundaries.json").read_text())
    assert record["run"] == PLANTED["run"] and sorted(record["boundaries"]) == sorted(plain + conditional)
    for name, entry in record["boundaries"].items():
        saved = np.load(out / name)
        assert saved.shape == (1, 32) and saved.dtype == np.float32
        source = read_h5(layout.dir / entry["source"])
        np.testing.assert_allclose(
            saved[0], source["normal"], rtol=0, atol=1e-7
        )  # the stored normal, up to read_boundary's renormalisation
        assert (entry["generator"], entry["space"], entry["config_digest"]) == (
            "planted",
            "z",
            source["attrs"]["config_digest"],
        )
        assert "config" not in entry  # the digest names it; the config itself stays in the .h5
    assert all(
        0.5 < record["boundaries"][name]["val_accuracy"] <= 1 and record["boundaries"][name]["solver"] for name in plain
    )
    assert record["boundaries"]["eyeglasses_c_age_smile_boundary.npy"]["conditions"] == "age,smile"


def test_condition_rebuilds_the_runs_conditional_boundaries_from_the_exported_files(exported, tmp_path):
    layout, out = exported
    for name, entry in json.loads((out / "boundaries.json").read_text())["boundaries"].items():
        if entry["stage"] != "conditional_boundary":
            continue
        conditions = [out / f"{c}_boundary.npy" for c in entry["conditions"].split(",")]
        assert condition(tmp_path / name, out / f"{entry['primal']}_boundary.npy", *conditions) == 0
        # The run projects the stored float32 normals; `condition` reads them through read_boundary, which
        # renormalises (a change of at most one float32 rounding, 6e-8), and the projection amplifies that by at
        # most 1 / |p - its projection| (0.8 for eyeglasses and age here): 1e-6 bounds both roundings with margin.
        np.testing.assert_allclose(
            np.load(tmp_path / name)[0], read_h5(layout.dir / entry["source"])["normal"], rtol=0, atol=1e-6
        )


@pytest.mark.parametrize(
    "case, message",
    [
        ("no boundaries", r"holds no boundaries \(boundaries/<space>/<name>.h5\)"),
        ("not unit", r"boundary \S+/boundaries/z/age.h5 is not a finite unit vector \(norm 2\)"),
        ("out holds files", r"--out \S+ is a file or a folder that holds files"),
    ],
)
def test_export_refusals_are_one_line_and_write_nothing(tmp_path, capsys, case, message):
    run, out = tmp_path / "results" / "run", tmp_path / "out"
    run.mkdir(parents=True)
    if case != "no boundaries":
        ours(
            run / "boundaries" / "z" / "age.h5", 2 * unit(np.ones(16)) if case == "not unit" else unit(np.ones(16)), "z"
        )
    if case == "out holds files":
        out.mkdir()
        (out / "mine.txt").write_text("keep")
    assert main(["export-boundaries", str(run), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("interfacegan: error: ") and re.search(message, err), err
    assert (sorted(p.name for p in out.iterdir()) if out.exists() else []) == (
        ["mine.txt"] if case == "out holds files" else []
    )

"""The translator stages on the planted world: config checks, jobs, the chain (identity model,
boundary models, the table and grids against the latent edits), stale translators, the summary."""

import copy
import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from helpers import PLANTED, planted_photos, run_chain
from interfacegan import config as configuration
from interfacegan import pipeline, stages
from interfacegan import translator as tr
from interfacegan.artifacts import ArtifactError
from interfacegan.images import psnr
from interfacegan.layout import Layout
from interfacegan.stages import report
from interfacegan.stages.edits import Editor

BOUNDARIES = ["smile", "eyeglasses_c_age"]  # a plain and a conditional boundary
FACES, PHOTOS = 4, 3
TRANSLATOR = {
    "boundaries": BOUNDARIES,
    "alpha": {"smile": 3.0, "eyeglasses_c_age": 2.5},
    "identity_steps": 8,
    "steps": 5,
    "batch_size": 4,
    "perceptual": 0.0,
    "architecture": {"channels": 8, "downsamples": 1, "blocks": 1},
    "faces": FACES,
}
TRAINED = ("train_identity_translator", "train_translator", "translation_table")
COLUMNS = [
    "boundary",
    "alpha",
    "set",
    "strength",
    "faces",
    "target_change",
    "latent_target_change",
    "ratio",
    "other_change",
    "latent_other_change",
    "psnr",
    "lpips",
    "psnr_input",
    "identity_distance",
    "same_person",
    "latent_identity_distance",
    "latent_same_person",
    "images_per_second",
]


def translator_config(photos=None, **options) -> dict:
    config = copy.deepcopy(PLANTED) | {"n_samples": 4000, "translator": TRANSLATOR | options}
    if photos is not None:
        config["real_images"] = {"images": str(photos), "align": False, "steps": 1}
    return configuration.validate(config)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A planted run with photos, its boundaries, the aligned photos and every translator job done."""
    torch.set_num_threads(1)  # tiny networks: threads cost more than they give
    photos = tmp_path_factory.mktemp("photos")
    planted_photos(photos, PHOTOS)
    config = translator_config(photos)
    layout = run_chain(config, tmp_path_factory.mktemp("results"))
    for stage, wildcards in pipeline.jobs(config):
        if stage == "align_real" or stage in TRAINED:
            stages.run(config, stage, wildcards, layout)
    return config, layout


@pytest.mark.parametrize(
    "options, message",
    [
        ({"boundaries": ["smile", "beard"]}, "translator.boundaries: 'beard' is not one of the run's boundaries"),
        ({"seed": PLANTED["seed"]}, "translator.seed: 7 is the run's seed"),
        ({"space": "w"}, "translator.space: w codes are edited along the w boundaries; add w to spaces"),
        ({"space": "wp"}, "translator.space: wp codes are edited along the w boundaries; add w to spaces"),
        ({"strengths": []}, "translator.strengths"),
        ({"strengths": [0, 1, 3]}, r"translator.strengths: strength 3 is outside translator.strength_range \[0, 2\]"),
        ({"strength_range": [1, 0]}, r"translator.strength_range: \[1, 0\] is empty"),
        ({"strength_range": [0]}, "translator.strength_range"),
        (
            {"alpha": {"smile": 2.0}},
            "translator.alpha: the mapping must name exactly translator.boundaries; missing eyeglasses_c_age$",
        ),
        (
            {"alpha": {"smile": 2.0, "eyeglasses_c_age": 1.0, "age": 1.0}},
            "translator.alpha: .*; not a translator boundary: age$",
        ),
        ({"alpha": {"smile": "far", "eyeglasses_c_age": 1.0}}, "translator.alpha.smile: 'far' is not of type 'number'"),
        ({"architecture": {"width": 8}}, "translator.architecture.width: Additional properties"),
    ],
)
def test_bad_translator_sections_are_config_errors(options, message):
    with pytest.raises(configuration.ConfigError, match=message):
        translator_config(**options)


def test_the_section_is_off_by_default_and_its_defaults_fill_in():
    off = configuration.validate(copy.deepcopy(PLANTED))
    assert off["translator"] is None
    assert not any(stage in TRAINED for stage, _ in pipeline.jobs(off))
    config = configuration.validate(copy.deepcopy(PLANTED) | {"translator": {"boundaries": ["age"]}})
    assert config["translator"]["strengths"] == [0, 0.5, 1, 1.5] and config["translator"]["faces"] == 16
    assert config["translator"]["architecture"] == {"channels": 32, "downsamples": 2, "blocks": 4}
    assert configuration.translator_seed(config) == PLANTED["seed"] + 1  # never the run's own latents


def test_the_jobs_train_the_identity_model_first_then_each_boundary_then_measure():
    config = translator_config()
    assert pipeline.wildcard_values(config, "translator_boundary") == BOUNDARIES
    jobs = [
        (stage, wildcards)
        for stage, wildcards in pipeline.jobs(config)
        if stage in TRAINED + ("summary", "boundary", "conditional_boundary")
    ]
    names = [stage for stage, _ in jobs]
    assert names.count("train_identity_translator") == 1 and names.count("translation_table") == 1
    assert [w for s, w in jobs if s == "train_translator"] == [{"translator_boundary": b} for b in BOUNDARIES]
    assert max(i for i, s in enumerate(names) if s in ("boundary", "conditional_boundary")) < names.index(
        "train_translator"
    )
    assert names.index("train_identity_translator") < names.index("train_translator")
    assert names.index("translation_table") == names.index("summary") - 1
    layout = Layout(config["run"])
    needs = pipeline.inputs(config, layout, "train_translator", {"translator_boundary": "eyeglasses_c_age"})
    assert layout.boundary("eyeglasses_c_age", "z") in needs and layout.translator("identity") in needs
    assert layout.table("translation") in pipeline.inputs(config, layout, "summary", {})
    assert (
        pipeline.wildcard_flags("train_translator")({"translator_boundary": "smile"}) == " --translator-boundary smile"
    )
    with pytest.raises(configuration.ConfigError, match="--translator-boundary age is not one of this run's"):
        pipeline.check_wildcards(config, "train_translator", {"translator_boundary": "age"})
    # what a rule's job gets is its view, which holds no translator.boundaries: any boundary of the run passes there
    pipeline.check_wildcards(
        pipeline.view(config, "train_translator"), "train_translator", {"translator_boundary": "smile"}
    )
    with pytest.raises(configuration.ConfigError, match="--translator-boundary beard is not one of this run's"):
        pipeline.check_wildcards(
            pipeline.view(config, "train_translator"), "train_translator", {"translator_boundary": "beard"}
        )
    # a changed strength list re-measures, it retrains nothing
    other = translator_config(strengths=[0, 2])
    assert pipeline.view(other, "train_translator") == pipeline.view(config, "train_translator")
    assert pipeline.view(other, "translation_table") != pipeline.view(config, "translation_table")


def test_the_translators_record_their_config_and_their_identity_model(finished):
    config, layout = finished
    meta = json.loads(layout.translator("smile").with_suffix(".json").read_text())
    assert meta["stage"] == "train_translator" and meta["boundary"] == "smile"
    assert meta["config_digest"] == pipeline.content_digest(config, "train_translator")
    assert (
        meta["pairs_seed"] == PLANTED["seed"] + 1
        and meta["report"]["steps"] == TRANSLATOR["steps"]
        and meta["alpha"] == 3.0
    )
    assert meta["identity"]["sha256"] == tr.sha256(layout.translator("identity"))
    identity = json.loads(layout.translator("identity").with_suffix(".json").read_text())
    assert identity["identity"] is None and identity["report"]["steps"] == TRANSLATOR["identity_steps"]


def test_the_table_measures_every_boundary_set_and_strength(finished):
    config, layout = finished
    table = pd.read_csv(layout.table("translation"))
    strengths = config["translator"]["strengths"]
    assert list(table.columns) == COLUMNS
    assert len(table) == len(BOUNDARIES) * 2 * len(strengths)
    assert list(table[["boundary", "set"]].drop_duplicates().itertuples(index=False, name=None)) == [
        (b, s) for b in BOUNDARIES for s in ("generated", "real")
    ]
    generated, real = table[table["set"] == "generated"], table[table["set"] == "real"]
    assert (generated["faces"] == FACES).all() and (real["faces"] == PHOTOS).all()
    # the latent edit: +alpha along a unit normal moves the planted score by alpha cos(n, truth) (about 1 for
    # smile, 0.8 for eyeglasses made orthogonal to age, which has cosine 0.6 with it) plus the noise term's change,
    # 0.3 * sqrt(2) * (sin - sin), at most 0.85; all in SDs of sqrt(1 + 0.3^2) = 1.044 (measured 2.93 at alpha 3 and 1.87 at 2.5)
    assert table.groupby("boundary")["alpha"].first().to_dict() == TRANSLATOR["alpha"]
    alpha = generated["alpha"]
    assert (generated["latent_target_change"] > (0.8 * alpha - 0.85) / 1.044).all() and (
        generated["latent_target_change"] < (alpha + 0.85) / 1.044
    ).all()
    assert (
        generated["latent_target_change"] > 4 * generated["latent_other_change"]
    ).all()  # it moves its own attribute (measured 8x, 15x)
    np.testing.assert_allclose(
        generated["ratio"], generated["target_change"] / generated["latent_target_change"], rtol=1e-4
    )  # CSV's 6 decimals
    assert (
        generated[["psnr", "lpips", "latent_other_change", "latent_identity_distance", "latent_same_person"]]
        .notna()
        .all()
        .all()
    )
    assert (
        real[["latent_target_change", "ratio", "psnr", "lpips", "latent_identity_distance", "latent_same_person"]]
        .isna()
        .all()
        .all()
    )
    assert table[["target_change", "other_change", "psnr_input", "identity_distance"]].notna().all().all()
    assert table["same_person"].between(0, 1).all() and (table["images_per_second"] > 0).all()
    # even 5 fine-tuning steps pull the target's score rows toward the latent edit's, and outputs move about
    # linearly in t for so small a change of weights (measured +0.13 SD per 0.5 for both boundaries)
    for boundary in BOUNDARIES:
        change = generated[generated["boundary"] == boundary].set_index("strength")["target_change"]
        assert change[1.5] > change[1.0] > change[0.5] > change[0.0]
    # at t = 0 every boundary's translator is the identity model itself: the same outputs
    at_zero = table[table["strength"] == 0].set_index(["set", "boundary"])
    for column in ("psnr_input", "identity_distance", "same_person"):  # (psnr, lpips: against each boundary's own edit)
        values = at_zero[column].groupby(level="set").nunique(dropna=False)
        assert (values == 1).all(), column


def test_t0_is_the_identity_models_psnr_and_t1_the_boundary_models(finished):
    config, layout = finished
    table = pd.read_csv(layout.table("translation")).set_index(["boundary", "set", "strength"])
    editor = Editor(config, layout, with_predictor=False)
    faces = editor.image_tensors(editor.first_codes(FACES, "z"), "z")
    identity = tr.load_translator(layout.translator("identity"), editor.generator)
    reproduced = psnr(tr.run(identity, faces, config["batch_size"]), faces).mean().item()
    for boundary in BOUNDARIES:
        assert table.loc[(boundary, "generated", 0), "psnr_input"] == pytest.approx(
            reproduced, abs=2e-6
        )  # the CSV's 6 decimals
        alpha = TRANSLATOR["alpha"][boundary]
        edit = editor.image_tensors(
            editor.first_codes(FACES, "z") + alpha * editor.normal(boundary, "z").reshape(-1), "z"
        )
        translated = tr.translate(layout.translator(boundary), editor.generator, faces, 1.0, config["batch_size"])
        assert table.loc[(boundary, "generated", 1), "psnr"] == pytest.approx(
            psnr(translated, edit).mean().item(), abs=2e-6
        )


def test_the_grids_show_input_latent_edit_and_each_strength(finished):
    config, layout = finished
    columns, rows = 2 + len(config["translator"]["strengths"]), FACES + PHOTOS
    for boundary in BOUNDARIES:
        grid = np.asarray(Image.open(layout.translation_grid(boundary)))
        assert grid.shape == (rows * 100 + 4, columns * 100 + 4, 3)  # 96-pixel tiles, 4-pixel gaps
        blank = grid[4 + FACES * 100 : 4 + FACES * 100 + 96, 104:200]  # a photo's latent-edit tile: no ground truth
        assert (blank == 255).all()
        assert grid[4:100, 104:200].std() > 10  # a face's latent edit is an image


def test_a_stale_translator_is_refused_with_one_line(finished):
    config, layout = finished
    more = translator_config(configuration.validate(config)["real_images"]["images"], steps=6)
    with pytest.raises(
        ArtifactError,
        match=r"smile.json does not belong to this run: translator.steps is 6 here but 5 in the file; delete it",
    ):
        stages.run(more, "translation_table", {}, layout)
    other = translator_config(identity_steps=9)
    with pytest.raises(
        ArtifactError,
        match=r"identity.json does not belong to this run: translator.identity_steps is 9 here but 8 in the file",
    ):
        stages.run(other, "train_translator", {"translator_boundary": "smile"}, layout)


def test_the_summary_shows_the_translators(finished):
    config, layout = finished
    page = "\n".join(report.translation(pipeline.view(config, "summary"), layout))
    assert "Feed-forward editing (translator)" in page and "psnr_input" in page and "eyeglasses_c_age" in page
    assert all(f"translations/{name}.png" in page for name in BOUNDARIES)


def test_the_table_reads_only_the_inputs_its_rule_declares(finished, monkeypatch):
    import builtins

    import h5py

    config, layout = finished
    opened, real_h5, real_open = set(), h5py.File, builtins.open

    def record(path, mode):
        if (
            isinstance(path, (str, type(layout.dir)))
            and "r" in mode
            and layout.dir.resolve() in type(layout.dir)(path).resolve().parents
        ):
            opened.add(type(layout.dir)(path).resolve())

    monkeypatch.setattr(
        h5py, "File", lambda path, mode="r", *a, **k: (record(path, mode), real_h5(path, mode, *a, **k))[1]
    )
    monkeypatch.setattr(
        builtins, "open", lambda path, mode="r", *a, **k: (record(path, mode), real_open(path, mode, *a, **k))[1]
    )
    stages.run(config, "translation_table", {}, layout)
    declared = {type(layout.dir)(p).resolve() for p in pipeline.inputs(config, layout, "translation_table", {})}
    assert layout.translator("smile").resolve() in opened and layout.aligned.resolve() in opened  # the trace sees reads
    assert opened <= declared, sorted(map(str, opened - declared))

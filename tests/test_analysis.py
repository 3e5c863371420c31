"""Conditional boundaries, the paper's tables, edit grids and the report, on the planted world."""

import copy
import html
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from helpers import PLANTED, run_chain, screenshot
from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.artifacts import read_h5
from interfacegan.generators import build_generator
from interfacegan.stages import analysis
from interfacegan.stages.report import edit_caption, table_html
from interfacegan.stages.scored_photos import run as score_photos


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    config = configuration.validate(copy.deepcopy(PLANTED))
    return config, run_chain(config, tmp_path_factory.mktemp("results"), analyses=True)


def test_conditional_boundaries_are_orthogonal_to_their_conditions(planted):
    config, layout = planted
    for name, conditions in [("eyeglasses_c_age", ["age"]), ("eyeglasses_c_age_smile", ["age", "smile"])]:
        boundary = read_h5(layout.boundary(name, "z"))
        assert abs(np.linalg.norm(boundary["normal"]) - 1) < 1e-5
        for condition in conditions:
            assert abs(boundary["normal"] @ read_h5(layout.boundary(condition, "z"))["normal"]) < 1e-5
        assert boundary["attrs"]["max_abs_residual"] < 1e-5
        assert boundary["attrs"]["cosine_to_primal"] > 0.7


def test_cosines_between_boundaries_match_the_planted_ones(planted):
    config, layout = planted
    cosine = pd.read_csv(layout.table("cosine"), index_col=["space", "boundary"]).loc["z"]
    assert cosine.loc["age", "eyeglasses"] == pytest.approx(0.6, abs=0.05)
    assert cosine.loc["eyeglasses", "age"] == cosine.loc["age", "eyeglasses"]
    assert abs(cosine.loc["pose", "smile"]) < 0.1
    assert cosine.loc["smile", "smile"] == pytest.approx(1.0, abs=1e-5)
    assert abs(cosine.loc["eyeglasses_c_age", "age"]) < 1e-5


def test_the_cosine_table_is_one_symmetric_matrix_per_space_labelled_by_the_boundaries(planted):
    config, layout = planted
    names = configuration.boundary_names(config)
    table = pd.read_csv(layout.table("cosine"), index_col=["space", "boundary"])
    assert list(table.index.unique("space")) == config["spaces"]
    for space in config["spaces"]:
        matrix = table.loc[space]
        assert list(matrix.index) == names and list(matrix.columns) == names
        np.testing.assert_allclose(matrix.to_numpy(), matrix.to_numpy().T, atol=1e-5)
        np.testing.assert_allclose(np.diag(matrix), 1.0, atol=1e-5)


def test_score_correlations_follow_the_planted_geometry(planted):
    config, layout = planted
    corr = pd.read_csv(layout.table("correlation_synthesized"), index_col="attribute")
    assert list(corr.index) == list(corr.columns) == config["attributes"]
    noise = config["generator"]["noise"]
    assert corr.loc["age", "eyeglasses"] == pytest.approx(0.6 / (1 + noise**2), abs=0.05)
    assert abs(corr.loc["pose", "age"]) < 0.05


def test_rescoring_diagonal_dominates_and_conditioning_removes_the_entanglement(planted):
    config, layout = planted
    table = pd.read_csv(layout.table("rescoring"), index_col=["space", "boundary"]).loc["z"]
    assert list(table.index) == configuration.boundary_names(config) and list(table.columns) == config["attributes"]
    for attribute in config["attributes"]:
        own = table.loc[attribute, attribute]
        assert own > 0.85
        assert all(abs(v) < own / 1.5 for a, v in table.loc[attribute].items() if a != attribute)
    assert table.loc["eyeglasses", "age"] > 0.45  # entangled at cosine 0.6
    assert abs(table.loc["eyeglasses_c_age", "age"]) < 0.08  # conditioning removes it
    assert abs(table.loc["eyeglasses_c_age_smile", "smile"]) < 0.08
    assert table.loc["eyeglasses_c_age", "eyeglasses"] > 0.6  # and keeps the primal


def test_scores_vary_linearly_with_distance(planted):
    config, layout = planted
    linearity = pd.read_csv(layout.table("linearity"))
    assert (linearity["r2"] > 0.99).all()
    np.testing.assert_allclose(linearity["slope"], 1.0, atol=0.06)


def test_accuracy_grows_with_distance_to_the_boundary(planted):
    config, layout = planted
    table = pd.read_csv(layout.table("separability_by_distance"))
    for attribute in config["attributes"]:
        accuracy = table[table["attribute"] == attribute]["accuracy"].to_numpy()
        assert len(accuracy) == 10
        assert accuracy[-1] > accuracy[0] + 0.2
        assert accuracy[-1] > 0.98


def test_edit_grids_show_the_original_then_the_steps(planted):
    config, layout = planted
    grid = np.asarray(Image.open(layout.edit_grid("eyeglasses_c_age", "z")))
    cell, gap = 96, 4
    assert grid.shape == (3 * (cell + gap) + gap, 6 * (cell + gap) + gap, 3)
    generator = build_generator(config["generator"])
    z = read_h5(layout.latents(0), "z")["z"][:1]
    with torch.inference_mode():
        original = ((generator.synthesize(torch.from_numpy(z)) + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8)
    expected = np.asarray(
        Image.fromarray(original[0].permute(1, 2, 0).numpy()).resize((cell, cell), Image.Resampling.NEAREST)
    )
    np.testing.assert_array_equal(grid[gap : gap + cell, gap : gap + cell], expected)
    assert tuple(grid[gap - 1, gap + 10]) == (220, 30, 30)  # the original's frame


def test_the_report_links_every_figure(planted):
    config, layout = planted
    page = layout.summary.read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 5 + len(configuration.boundary_names(config))
    assert all((layout.dir / s).is_file() for s in sources)
    assert "<table" in page and "Re-scoring" in page


def test_the_report_shows_the_matrices_with_their_row_labels(planted):
    config, layout = planted
    page = layout.summary.read_text(encoding="utf-8")
    cosine = page[
        page.index("<h2>Cosine between boundaries</h2>") : page.index("<h2>Correlation of attribute scores</h2>")
    ]
    names = configuration.boundary_names(config)
    header = "".join(f"<th>{n}</th>" for n in ["boundary", *names])
    assert header in re.sub(r"\s+", "", cosine)  # the corner names the row labels, then one column per boundary
    for name in names:
        assert re.search(rf"<tr>\s*<th>{name}</th>\s*<td>", cosine)  # each row starts with its label


def test_every_edit_grid_says_what_moves_from_where_to_where(planted):
    config, layout = planted
    page = html.unescape(layout.summary.read_text(encoding="utf-8"))
    plain = "then 5 steps placing each at signed distance −3 … +3 from the smile boundary, i.e. from a lower to a higher smile score."
    conditional = (
        "from the eyeglasses boundary conditioned on age and smile, i.e. from a lower to a higher eyeglasses score "
        "while age and smile stay."
    )
    assert "Rows are the run's first 3 samples; the framed first column is the original; " + plain in page
    assert conditional in page
    assert page.count("Rows are the run") == len(configuration.boundary_names(config))


def test_edit_captions_of_offsets_and_of_w_plus_layers():
    view = {
        "n_samples": 4,
        "conditions": [{"primal": "smile", "conditions": ["age"]}],
        "edit": {"samples": 6, "start": 2, "end": -2.5, "steps": 4, "mode": "offset", "wp_layers": [0, 1]},
    }
    caption = edit_caption(view, "smile_c_age", "z")
    assert caption.startswith("Rows are the run's first 4 samples;")  # only 4 samples in the run
    assert (
        "then 4 steps adding +2 … −2.5 times the unit normal of the smile boundary conditioned on age to each code, "
        "i.e. from a higher to a lower smile score while age stays."
    ) in caption
    assert (
        "adding +2 … −2.5 times the unit normal of the w smile boundary conditioned on age to layers 0, 1 of each W+ code"
        in edit_caption(view, "smile_c_age", "wp")
    )
    assert "the w age boundary to every layer" in edit_caption(
        view | {"edit": view["edit"] | {"wp_layers": "all"}}, "age", "wp"
    )


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed (.ci/run installs it)")
def test_the_report_renders_in_headless_chromium(planted, tmp_path):
    config, layout = planted
    pixels = screenshot(layout.summary, tmp_path, height=2400)
    assert pixels.std() > 20  # not blank
    sources = re.findall(r'<img src="([^"]+)"', layout.summary.read_text(encoding="utf-8"))
    assert len(sources) == 5 + len(
        configuration.boundary_names(config)
    )  # by distance, cosine, correlation, rescoring, linearity; grids
    for source in sources:  # every image the page shows is there and decodes
        with Image.open(layout.dir / source) as image:
            image.verify()
    # a heat map's reds and blues made it onto the page
    assert np.sum((pixels[..., 0] > 150) & (pixels[..., 2] < 100)) > 500
    assert np.sum((pixels[..., 2] > 150) & (pixels[..., 0] < 100)) > 50


def test_real_images_are_scored_and_correlated(planted, tmp_path):
    config, layout = planted
    generator = build_generator(config["generator"])
    z = torch.from_numpy(np.random.default_rng(5).standard_normal((400, 32)).astype(np.float32))
    with torch.inference_mode():
        faces = ((generator.synthesize(z) + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    folder = tmp_path / "real"
    folder.mkdir()
    for i, face in enumerate(faces):
        Image.fromarray(face).save(folder / f"{i:04d}.png")
    (folder / "notes.txt").write_text("not an image")
    real_config = copy.deepcopy(config) | {"scored_photos": {"images": str(folder), "limit": None}}
    real_layout = type(layout)(config["run"], tmp_path / "results")
    score_photos(pipeline.view(real_config, "real_scores"), real_layout)
    analysis.correlation_real(pipeline.view(real_config, "correlation_real_table"), real_layout)
    scores = read_h5(real_layout.real_scores)
    assert scores["scores"].shape == (400, len(config["attributes"])) and scores["images"][0] == "0000.png"
    truth = generator.true_scores(z).numpy()
    np.testing.assert_allclose(scores["scores"], truth, atol=0.1)  # 8-bit pixels, read back
    corr = pd.read_csv(real_layout.table("correlation_real"), index_col="attribute")
    assert corr.loc["age", "eyeglasses"] == pytest.approx(np.corrcoef(truth[:, 2], truth[:, 3])[0, 1], abs=0.02)
    assert real_layout.figure("correlation_real").is_file()


def test_report_tables_show_every_row():
    page = table_html(pd.DataFrame({"i": range(250), "v": [i * i for i in range(250)]}))
    assert page.count("<tr") == 251 and "<td>249</td>" in page and "more rows" not in page and "..." not in page

"""Feed-forward editing in the pipeline: translators trained on the run's own edit pairs, then
measured against the latent edits they imitate.

The identity model learns pairs (G(c), G(c)), each boundary's model is fine-tuned from it on
pairs (G(c), G(c + alpha n)); all pairs are drawn with `translator.seed` (default: the run's
seed + 1), never the run's seed, so the run's first latents, on which the table measures the
translators, are faces no translator has seen. A translator's JSON records the digest of its
stage's config keys; a translator of another config is refused when read. Both stages and
`interfacegan train-translator` (`train_standalone`) train through `translator.train_and_save`.
"""

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .. import figures, pipeline
from .. import translator as tr
from ..artifacts import ArtifactError, CheckpointError, differences, provenance, software, write_csv
from ..config import boundary_space, primal_of, translator_alpha, translator_seed
from ..images import from_uint8, psnr, to_uint8
from ..layout import Layout
from ..metrics.identity import THRESHOLD, Identity
from ..metrics.lpips import LPIPS, paired_distances
from ..models import Models
from .boundary import read_boundary
from .edits import Editor
from .score import score_spread


def train_identity(view: dict, layout: Layout) -> None:
    """The identity model: the translator trained on pairs (x, x) of the translator seed's latents."""
    options = view["translator"]
    generator = Models(view, with_predictor=False).generator
    describe = run_metadata(view, "train_identity_translator", tr.IDENTITY, 0.0, generator)
    tr.train_and_save(
        generator,
        layout.translator(tr.IDENTITY),
        describe,
        options["identity_steps"],
        options,
        translator_seed(view),
        "config: translator",
    )


def train_boundary(view: dict, translator_boundary: str, layout: Layout) -> None:
    """A boundary's model: the identity model fine-tuned on pairs (G(c), G(c + alpha n))."""
    options = view["translator"]
    models = Models(view, with_predictor=False)
    identity = load_checked(view, layout, tr.IDENTITY, models)
    normal = read_boundary(view, layout, translator_boundary, boundary_space(options["space"]), "normal")["normal"]
    alpha = translator_alpha(view, translator_boundary)
    describe = run_metadata(view, "train_translator", translator_boundary, alpha, models.generator)
    tr.train_and_save(
        models.generator,
        layout.translator(translator_boundary),
        describe,
        options["steps"],
        options,
        translator_seed(view),
        "config: translator",
        identity=identity,
        identity_file=layout.translator(tr.IDENTITY),
        normal=normal,
        alpha=alpha,
    )


def run_metadata(view: dict, stage: str, name: str, alpha: float, generator) -> Callable[[dict], dict]:
    """The metadata of the run's translator `name`, given its training report."""
    return lambda report: (
        provenance(view, stage)
        | {
            "boundary": name,
            "alpha": alpha,
            "space": view["translator"]["space"],
            "generator": generator.name,
            "generator_config": view["generator"],
            "pairs_seed": translator_seed(view),
            "report": report,
        }
    )


def train_standalone(
    cfg: dict,
    results: str,
    generator,
    boundary: str,
    identity_file: str | None,
    out: str,
    steps: int,
    options: dict,
    seed: int,
    alpha: float,
    held_out: int,
) -> tuple[Path, dict]:
    """`interfacegan train-translator`: the identity model (no `identity_file`), or `boundary`'s
    model fine-tuned from the identity model at `identity_file` along the boundary of the run of
    `cfg` under `results`, trained as `tr.train_and_save` and saved at `out` without the
    pipeline's provenance; STEM.pt and the report."""
    identity, normal = None, None
    if identity_file:
        identity = tr.load_translator(identity_file, generator)
        if identity.meta["identity"] is not None:
            raise CheckpointError(
                f"--identity {identity_file} is a boundary model ({identity.meta['boundary']}), not an identity model"
            )
        stage = "boundary" if boundary in cfg["attributes"] else "conditional_boundary"
        normal = read_boundary(
            pipeline.view(cfg, stage), Layout(cfg["run"], results), boundary, boundary_space(options["space"]), "normal"
        )["normal"]
    else:
        alpha = 0.0

    def describe(report: dict) -> dict:
        return {
            "boundary": boundary,
            "alpha": alpha,
            "space": options["space"],
            "generator": generator.name,
            "generator_config": cfg["generator"],
            "report": report,
        } | software()

    return tr.train_and_save(
        generator,
        out,
        describe,
        steps,
        options,
        seed,
        "train-translator",
        held_out=held_out,
        identity=identity,
        identity_file=identity_file,
        normal=normal,
        alpha=alpha,
    )


def check_translator(view: dict, meta: dict, meta_path: Path, name: str) -> None:
    """One ArtifactError line unless the translator's JSON is this run's `name` model, made
    from the same config keys (as `artifacts.check_belongs` does for HDF5 artifacts)."""
    stage = "train_identity_translator" if name == tr.IDENTITY else "train_translator"
    if meta.get("stage") != stage or meta.get("boundary") != name:
        raise ArtifactError(
            f"{meta_path} is not this run's {name} translator (stage {meta.get('stage')!r}, boundary "
            f"{meta.get('boundary')!r}); delete it and re-run"
        )
    wanted = pipeline.pick(view, pipeline.content_keys(stage))
    if meta.get("config_digest") != pipeline.content_digest(view, stage):
        raise ArtifactError(
            f"translator {meta_path} does not belong to this run: {differences(wanted, meta.get('config'))}; delete it and re-run"
        )


def load_checked(view: dict, layout: Layout, name: str, models: Models) -> tr.Translator:
    """The run's translator `name` (its identity model, for a boundary's, there with its sha256), checked to belong."""
    translator, meta, meta_path = tr.load_one(layout.translator(name), models.generator)
    check_translator(view, meta, meta_path, name)
    if meta["identity"] is not None:
        tr.identity_path(meta, meta_path)
    return translator


def table(view: dict, layout: Layout) -> None:
    """Every configured boundary's translator at each strength t, on the run's first `faces`
    generated faces (beside the latent edit G(c + alpha n), the ground truth) and on the
    aligned photos of real_images: score changes in SDs of the run's synthesized scores,
    PSNR and LPIPS against the latent edit, dlib's identity distance to the input, speed."""
    options = view["translator"]
    space, strengths = options["space"], [float(t) for t in options["strengths"]]
    editor = Editor(view, layout)
    spread = score_spread(view, layout)
    codes = editor.first_codes(options["faces"], space)
    sets = {"generated": editor.image_tensors(codes, space)}
    if view["real_images"]:
        from .real_images import read_aligned

        sets["real"] = from_uint8(read_aligned(view, layout)[1])
    before = {name: editor.scorer.score_images(images) for name, images in sets.items()}
    identity = load_checked(view, layout, tr.IDENTITY, editor)
    lpips, faces_id, rows = LPIPS().to(editor.device), Identity(), []
    for boundary in options["boundaries"]:
        target = view["attributes"].index(primal_of(view, boundary))
        others = [j for j in range(len(view["attributes"])) if j != target]
        model = load_checked(view, layout, boundary, editor)
        normal = editor.normal(boundary, boundary_space(space)).reshape(-1)
        alpha = translator_alpha(view, boundary)
        edited_codes = codes + alpha * normal
        latent = editor.image_tensors(edited_codes, space)
        latent_change = (editor.score(edited_codes, space, f"latent edit {boundary}") - before["generated"]) / spread
        latent_distance = faces_id.distance(to_uint8(sets["generated"]), to_uint8(latent))
        tiles = {name: [to_uint8(images)] for name, images in sets.items()}
        tiles["generated"].append(to_uint8(latent))
        if "real" in tiles:  # no ground truth: a blank tile where the latent edit would be
            tiles["real"].append(np.full_like(tiles["real"][0], 255))
        for t in strengths:
            at = tr.at_strength((identity, model), t)
            for name, images in sets.items():
                began = time.perf_counter()
                out = tr.run(at, images, view["batch_size"])
                speed = len(images) / (time.perf_counter() - began)
                tiles[name].append(to_uint8(out))
                change = (editor.scorer.score_images(out) - before[name]) / spread
                distance = faces_id.distance(to_uint8(images), to_uint8(out))
                row = {
                    "boundary": boundary,
                    "alpha": alpha,
                    "set": name,
                    "strength": t,
                    "faces": len(images),
                    "target_change": change[:, target].mean(),
                    "latent_target_change": np.nan,
                    "ratio": np.nan,
                    "other_change": np.abs(change[:, others]).mean() if others else np.nan,
                    "latent_other_change": np.nan,
                    "psnr": np.nan,
                    "lpips": np.nan,
                    "psnr_input": psnr(out, images).mean().item(),
                    "identity_distance": distance.mean(),
                    "same_person": (distance < THRESHOLD).mean(),
                    "latent_identity_distance": np.nan,
                    "latent_same_person": np.nan,
                    "images_per_second": speed,
                }
                if name == "generated":
                    row |= {
                        "latent_target_change": latent_change[:, target].mean(),
                        "latent_other_change": np.abs(latent_change[:, others]).mean() if others else np.nan,
                        "psnr": psnr(out, latent).mean().item(),
                        "lpips": float(paired_distances(lpips, out, latent, view["batch_size"]).mean()),
                        "latent_identity_distance": latent_distance.mean(),
                        "latent_same_person": (latent_distance < THRESHOLD).mean(),
                    }
                    row["ratio"] = (
                        row["target_change"] / row["latent_target_change"] if row["latent_target_change"] else np.nan
                    )
                rows.append(row)
        grid = np.concatenate([np.stack(parts, axis=1) for parts in tiles.values() if parts])
        figures.image_grid(grid, layout.translation_grid(boundary), marked_column=0)
    write_csv(layout.table("translation"), pd.DataFrame(rows))

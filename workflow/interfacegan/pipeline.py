"""The pipeline in one table: per stage, its function, the config keys that determine its
output, the stages whose artifacts it reads, its wildcards, and its input and output files.

The Snakefile, the CLI and the tests all read this table; nothing else spells the
pipeline out. A stage's *view* is the part of the config it sees: its own keys and those
of every stage upstream of it. The digest of that view (without `run`) is what its
artifacts record, so a stage can tell whether a file it reads belongs to its run.
"""

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError, boundary_names, boundary_space, condition_of, digest, edit_spaces, grid_spaces, photos
from .layout import Layout, shard_count, sidecar

REPORT = Path(__file__).resolve().parents[1] / "report"  # the captions of the report's items

# `run`, `threads` and `slurm` say where or how fast a job runs, never what it computes:
# they are no stage's keys, so changing them re-runs nothing. These do change the floats
# (by a few ulps to about 1e-3), so they are keys of the stages that compute images.
IMAGES = ("device", "precision", "batch_size")


@dataclass(frozen=True)
class Stage:
    name: str  # the rule, the CLI's `interfacegan stage NAME` and the view are all named so
    function: str  # "module:function" in interfacegan.stages (run by `stages.run`): function(view, *wildcards, layout)
    keys: tuple[str, ...]  # config keys ("section" or "section.key") that determine its output
    reads: tuple[str, ...]  # stages whose artifacts it reads
    inputs: Callable[..., list]  # (config, layout, **wildcards) -> files it reads
    outputs: Callable[..., list]  # (config, layout, **wildcards) -> files it writes (wildcards may be "{patterns}")
    wildcards: tuple[str, ...] = ()
    models: tuple[str, ...] = ()  # config sections it builds networks from (their checkpoints are inputs)
    # files from outside the run it reads, beside its checkpoints
    files: Callable[[dict], list] = field(default=lambda config: [])
    when: Callable[[dict], bool] = field(default=lambda config: True)  # whether the run has this stage
    category: str | None = None  # its section of Snakemake's report (captioned by workflow/report/<name>.rst)
    threaded: bool = False  # takes the config's threads though it builds no network (BLAS-heavy)
    mem_mb: int | None = None  # memory per attempt on a cluster (None: the profile's default)
    runtime: int | None = None  # minutes per attempt on a cluster (None: the profile's default)


@dataclass(frozen=True)
class Wildcard:
    type: type  # of the CLI's --flag (int: a shard, written with five digits in paths)
    values: Callable[[dict], list]  # every value it takes in a run of the config
    help: str  # of the CLI's --flag


WILDCARDS = {
    "shard": Wildcard(
        int, lambda c: list(range(shard_count(c["n_samples"], c["shard_size"]))), "shard number (sample, score)"
    ),
    "attribute": Wildcard(str, lambda c: list(c["attributes"]), "attribute name (select, boundary)"),
    "space": Wildcard(str, lambda c: list(c["spaces"]), "latent space (boundary, conditional_boundary)"),
    "boundary": Wildcard(
        str,
        lambda c: boundary_names(c)[len(c["attributes"]) :],
        "conditional boundary name, e.g. age_c_gender (conditional_boundary)",
    ),
    "photo_shard": Wildcard(
        int, lambda c: list(range(photo_shards(c))), "shard number of the real photos (invert_real)"
    ),
    "translator_boundary": Wildcard(
        str, lambda c: translator_boundaries(c), "the boundary of a translator (train_translator)"
    ),
}


def latent_files(config: dict, layout: Layout) -> list:
    return [layout.latents(k) for k in range(shard_count(config["n_samples"], config["shard_size"]))]


def boundary_files(config: dict, layout: Layout, plain_only: bool = False) -> list:
    names = config["attributes"] if plain_only else boundary_names(config)
    return [layout.boundary(name, space) for space in config["spaces"] for name in names]


def conditions_of(config: dict, name: str) -> list[str]:
    """The primal and conditions of the conditional boundary `name`."""
    condition = condition_of(config, name)
    if not condition["conditions"]:
        raise ConfigError(f"config: conditions: no conditional boundary named '{name}'")
    return [condition["primal"], *condition["conditions"]]


def has_real_images(config: dict) -> bool:
    return config["real_images"] is not None


def photo_shards(config: dict) -> int:
    return shard_count(len(photos(config["real_images"], "real_images")), config["real_images"]["shard_size"])


def real_code_files(config: dict, layout: Layout) -> list:
    return [layout.real_codes(k) for k in range(photo_shards(config))]


def encoder_files(config: dict) -> list[str]:
    """The encoder checkpoint of `real_images` and the JSON beside it, if one is configured."""
    path = config["real_images"]["encoder"]
    return [path, str(sidecar(path))] if path else []


def has_layers(config: dict) -> bool:
    """Whether the run analyses W+ layer by layer: it has w boundaries (every generator with w has W+)."""
    return "w" in config["spaces"]


def has_translator(config: dict) -> bool:
    return config["translator"] is not None


def translator_boundaries(config: dict) -> list[str]:
    """The boundaries with a translator; a train_translator job's view holds no translator.boundaries
    (adding a boundary must not retrain the others), so there it is any boundary of the run."""
    if not has_translator(config):
        return []
    options = config["translator"]
    return list(options["boundaries"]) if "boundaries" in options else boundary_names(config)


def translator_files(layout: Layout, name: str) -> list:
    """A translator's STEM.pt and STEM.json."""
    checkpoint = layout.translator(name)
    return [checkpoint, sidecar(checkpoint)]


# What determines the identity translator: its pairs (seed, space, generator) and its training.
TRANSLATOR_TRAINING = tuple(
    f"translator.{key}"
    for key in ("seed", "space", "identity_steps", "batch_size", "lr", "perceptual", "pixel", "architecture")
)


# The stages whose tables and figures the summary page shows.
SUMMARIZED = (
    "separability_table",
    "cosine_table",
    "correlation_table",
    "rescoring_table",
    "linearity_table",
    "edit_grids",
    "layerwise_table",
    "layerwise_edit_grids",
    "correlation_real_table",
    "real_reconstruction_table",
    "real_edits",
    "translation_table",
)


STAGES = {
    stage.name: stage
    for stage in [
        Stage(
            "sample",
            "sample:run",
            keys=("seed", "n_samples", "shard_size", "spaces", "generator", *IMAGES),
            reads=(),
            inputs=lambda c, lay, shard: [],
            outputs=lambda c, lay, shard: [lay.latents(shard)],
            wildcards=("shard",),
            models=("generator",),
            mem_mb=4000,
            runtime=30,
        ),
        Stage(
            "score",
            "score:run",
            keys=("attributes", "predictor"),
            reads=("sample",),
            inputs=lambda c, lay, shard: [lay.latents(shard)],
            outputs=lambda c, lay, shard: [lay.scores(shard)],
            wildcards=("shard",),
            models=("generator", "predictor"),
            mem_mb=4000,
            runtime=120,
        ),
        Stage(
            "merge_scores",
            "score:merge",
            keys=(),
            reads=("score",),
            inputs=lambda c, lay: [lay.scores(k) for k in range(shard_count(c["n_samples"], c["shard_size"]))],
            outputs=lambda c, lay: [lay.merged_scores],
        ),
        Stage(
            "select",
            "select:run",
            keys=("selection",),
            reads=("merge_scores",),
            inputs=lambda c, lay, attribute: [lay.merged_scores],
            outputs=lambda c, lay, attribute: [lay.selection(attribute)],
            wildcards=("attribute",),
        ),
        Stage(
            "boundary",
            "boundary:run",
            keys=("boundary", "analysis.distance_bins"),
            reads=("select", "sample"),
            inputs=lambda c, lay, attribute, space: [lay.selection(attribute), *latent_files(c, lay)],
            outputs=lambda c, lay, attribute, space: [lay.boundary(attribute, space)],
            wildcards=("attribute", "space"),
            threaded=True,
            mem_mb=4000,
            runtime=60,
        ),
        Stage(
            "conditional_boundary",
            "conditional:run",
            keys=("conditions",),
            reads=("boundary",),
            inputs=lambda c, lay, boundary, space: [lay.boundary(b, space) for b in conditions_of(c, boundary)],
            outputs=lambda c, lay, boundary, space: [lay.boundary(boundary, space)],
            wildcards=("boundary", "space"),
        ),
        Stage(
            "separability_table",
            "separability:run",
            keys=(),
            reads=("boundary",),
            inputs=lambda c, lay: boundary_files(c, lay, plain_only=True),
            outputs=lambda c, lay: [
                lay.table("separability"),
                lay.table("separability_by_distance"),
                lay.figure("separability_by_distance"),
            ],
            category="Separability",
        ),
        Stage(
            "planted_truth",
            "truth:run",
            keys=("generator",),
            reads=(),
            inputs=lambda c, lay: [],
            outputs=lambda c, lay: [lay.planted_truth],
            when=lambda c: c["generator"]["name"] == "planted",
        ),
        Stage(
            "cosine_table",
            "analysis:cosine",
            keys=(),
            reads=("boundary", "conditional_boundary"),
            inputs=lambda c, lay: boundary_files(c, lay),
            outputs=lambda c, lay: [lay.table("cosine"), *(lay.figure(f"cosine_{s}") for s in c["spaces"])],
            category="Boundaries",
        ),
        Stage(
            "correlation_table",
            "analysis:correlation_synthesized",
            keys=(),
            reads=("merge_scores",),
            inputs=lambda c, lay: [lay.merged_scores],
            outputs=lambda c, lay: [lay.table("correlation_synthesized"), lay.figure("correlation_synthesized")],
            category="Scores",
        ),
        Stage(
            "real_scores",
            "scored_photos:run",
            keys=("attributes", "predictor", "scored_photos", *IMAGES),
            reads=(),
            inputs=lambda c, lay: [],
            outputs=lambda c, lay: [lay.real_scores],
            models=("predictor",),
            files=lambda c: photos(c["scored_photos"], "scored_photos"),
            when=lambda c: bool(c["scored_photos"]),
            mem_mb=4000,
            runtime=120,
        ),
        Stage(
            "correlation_real_table",
            "analysis:correlation_real",
            keys=(),
            reads=("real_scores",),
            inputs=lambda c, lay: [lay.real_scores],
            outputs=lambda c, lay: [lay.table("correlation_real"), lay.figure("correlation_real")],
            when=lambda c: bool(c["scored_photos"]),
            category="Scores",
        ),
        Stage(
            "rescoring_table",
            "edits:rescoring",
            keys=("analysis.rescoring_samples", "analysis.rescoring_step"),
            reads=("merge_scores", "boundary", "conditional_boundary"),
            inputs=lambda c, lay: [lay.merged_scores, *boundary_files(c, lay), *latent_files(c, lay)],
            outputs=lambda c, lay: [lay.table("rescoring"), *(lay.figure(f"rescoring_{s}") for s in c["spaces"])],
            models=("generator", "predictor"),
            category="Editing",
            mem_mb=4000,
            runtime=120,
        ),
        Stage(
            "linearity_table",
            "edits:linearity",
            keys=("edit.start", "edit.end", "analysis.linearity_samples", "analysis.linearity_steps", "predictor"),
            reads=("boundary",),
            inputs=lambda c, lay: [*boundary_files(c, lay, plain_only=True), *latent_files(c, lay)],
            outputs=lambda c, lay: [lay.table("linearity"), lay.figure("linearity")],
            models=("generator", "predictor"),
            category="Editing",
            mem_mb=4000,
            runtime=60,
        ),
        Stage(
            "edit_grids",
            "edits:edit_grids",
            keys=("edit",),
            reads=("boundary", "conditional_boundary"),
            inputs=lambda c, lay: [*boundary_files(c, lay), *latent_files(c, lay)],
            outputs=lambda c, lay: [lay.edit_grid(b, s) for s in grid_spaces(c) for b in boundary_names(c)],
            models=("generator",),
            category="Edit grids",
            mem_mb=4000,
            runtime=60,
        ),
        Stage(
            "layerwise_table",
            "layerwise:run",
            keys=("analysis.layerwise_samples", "analysis.layerwise_step"),
            reads=("merge_scores", "boundary", "conditional_boundary"),
            inputs=lambda c, lay: [lay.merged_scores, *boundary_files(c, lay), *latent_files(c, lay)],
            outputs=lambda c, lay: [
                lay.layerwise,
                lay.table("layerwise"),
                lay.table("layerwise_layers"),
                *(lay.figure(f"layerwise_{b}") for b in boundary_names(c)),
            ],
            models=("generator", "predictor"),
            when=has_layers,
            category="Layers",
            mem_mb=4000,
            runtime=120,
        ),
        Stage(
            "layerwise_edit_grids",
            "layerwise:edit_grids",
            keys=("edit",),
            reads=("layerwise_table",),
            inputs=lambda c, lay: [lay.layerwise, *boundary_files(c, lay), *latent_files(c, lay)],
            outputs=lambda c, lay: [lay.edit_grid(b, "wp") for b in boundary_names(c)],
            models=("generator",),
            when=lambda c: c["edit"]["wp_layers"] == "auto",
            category="Edit grids",
            mem_mb=4000,
            runtime=60,
        ),
        Stage(
            "align_real",
            "real_images:align",
            keys=("real_images.images", "real_images.limit", "real_images.align", "generator", *IMAGES),
            reads=(),
            inputs=lambda c, lay: photos(c["real_images"], "real_images"),
            outputs=lambda c, lay: [
                lay.aligned,
                *(lay.aligned_face(p.name) for p in photos(c["real_images"], "real_images")),
            ],
            models=("generator",),
            files=lambda c: photos(c["real_images"], "real_images"),
            when=has_real_images,
        ),
        Stage(
            "invert_real",
            "real_images:invert_shard",
            keys=("seed", "real_images"),
            reads=("align_real",),
            inputs=lambda c, lay, photo_shard: [lay.aligned, *encoder_files(c)],
            outputs=lambda c, lay, photo_shard: [lay.real_codes(photo_shard)],
            wildcards=("photo_shard",),
            models=("generator",),
            files=encoder_files,
            when=has_real_images,
            mem_mb=4000,
            runtime=120,
        ),
        Stage(
            "real_reconstruction_table",
            "real_images:reconstruction",
            keys=(),
            reads=("invert_real",),
            inputs=lambda c, lay: [lay.aligned, *real_code_files(c, lay)],
            outputs=lambda c, lay: [lay.table("real_reconstruction")],
            models=("generator",),
            when=has_real_images,
            category="Real faces",
        ),
        Stage(
            "real_edits",
            "real_images:edits",
            keys=("edit.start", "edit.end", "edit.steps", "edit.mode"),
            reads=("invert_real", "merge_scores", "boundary", "conditional_boundary"),
            inputs=lambda c, lay: [
                lay.aligned,
                *real_code_files(c, lay),
                lay.merged_scores,
                *(lay.boundary(name, boundary_space(c["real_images"]["space"])) for name in boundary_names(c)),
            ],
            outputs=lambda c, lay: [
                lay.table("real_identity"),
                lay.table("real_rescoring"),
                *(lay.real_edit_grid(name) for name in boundary_names(c)),
            ],
            models=("generator", "predictor"),
            when=has_real_images,
            category="Real faces",
            mem_mb=4000,
        ),
        Stage(
            "train_identity_translator",
            "translation:train_identity",
            keys=("seed", "generator", "device", *TRANSLATOR_TRAINING),
            reads=(),
            inputs=lambda c, lay: [],
            outputs=lambda c, lay: translator_files(lay, "identity"),
            models=("generator",),
            when=has_translator,
            mem_mb=4000,
            runtime=240,
        ),
        Stage(
            "train_translator",
            "translation:train_boundary",
            keys=("translator.alpha", "translator.steps"),
            reads=("train_identity_translator", "boundary", "conditional_boundary"),
            inputs=lambda c, lay, translator_boundary: [
                *translator_files(lay, "identity"),
                lay.boundary(translator_boundary, boundary_space(c["translator"]["space"])),
            ],
            outputs=lambda c, lay, translator_boundary: translator_files(lay, translator_boundary),
            wildcards=("translator_boundary",),
            models=("generator",),
            when=has_translator,
            mem_mb=4000,
            runtime=240,
        ),
        Stage(
            "translation_table",
            "translation:table",
            keys=(
                "translator.boundaries",
                "translator.strengths",
                "translator.faces",
                "attributes",
                "predictor",
                *IMAGES,
            ),
            reads=("train_translator", "merge_scores", "sample", "align_real"),
            inputs=lambda c, lay: [
                *(
                    path
                    for name in ["identity", *c["translator"]["boundaries"]]
                    for path in translator_files(lay, name)
                ),
                *(
                    lay.boundary(name, boundary_space(c["translator"]["space"]))
                    for name in c["translator"]["boundaries"]
                ),
                lay.merged_scores,
                *latent_files(c, lay),
                *([lay.aligned] if has_real_images(c) else []),
            ],
            outputs=lambda c, lay: [
                lay.table("translation"),
                *(lay.translation_grid(name) for name in c["translator"]["boundaries"]),
            ],
            models=("generator", "predictor"),
            when=has_translator,
            category="Translator",
            mem_mb=4000,
        ),
        Stage(
            "summary",
            "report:run",
            keys=("edit", "scored_photos"),
            reads=SUMMARIZED,
            inputs=lambda c, lay: [
                path for name in SUMMARIZED if STAGES[name].when(c) for path in STAGES[name].outputs(c, lay)
            ],
            outputs=lambda c, lay: [lay.summary],
        ),
    ]
}


def upstream(stage: str) -> list[str]:
    """The stage and every stage it depends on, each once."""
    seen = [stage]
    for name in STAGES[stage].reads:
        seen += [s for s in upstream(name) if s not in seen]
    return seen


def content_keys(stage: str) -> set[str]:
    """The config keys that determine the stage's output: its own and its inputs'."""
    return {key for name in upstream(stage) for key in STAGES[name].keys}


def pick(config: dict, keys: set[str]) -> dict:
    """The sub-config holding `keys` ("section" or "section.key"), in a stable order."""
    out: dict = {}
    for key in sorted(keys, key=lambda k: (k.count("."), k)):  # whole sections first
        head, _, rest = key.partition(".")
        if not rest:
            out[head] = config[head]
        elif config[head] is None:  # an optional section that is off
            out[head] = None
        elif head not in keys:
            out.setdefault(head, {})[rest] = config[head][rest]
    return out


def view(config: dict, stage: str) -> dict:
    """What `stage` sees of a validated config: its content keys, the run's name, and the
    content digest of the files from outside the run that it and its upstream stages read
    (a view keeps its own): a file replaced by another changes the view, whatever its date."""
    files = config["files"] if "files" in config else files_digest(outside_files(config, stage))
    return pick(config, content_keys(stage)) | {"run": config["run"], "files": files}


def outside_files(config: dict, stage: str) -> list[str]:
    """The checkpoints, sidecars, photos and images that `stage` and its upstream stages read."""
    return sorted(
        {
            str(path)
            for name in upstream(stage)
            if STAGES[name].when(config)
            for path in [*model_files(config, name), *STAGES[name].files(config)]
        }
    )


def files_digest(paths: list[str]) -> str:
    """One digest of the files' names and contents (a missing file is the job's to report)."""
    return digest({path: file_digest(path, *stat_key(path)) if os.path.isfile(path) else None for path in paths})


def stat_key(path: str) -> tuple:
    """What changes whenever the file's content can have (ctime: even a `cp -p` moves it)."""
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


@functools.cache
def file_digest(path: str, *key) -> str:
    """SHA-256 of a file's content (remembered per path and stat key: each file is read once a process)."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def content_digest(view_or_config: dict, stage: str) -> str:
    """The digest an artifact of `stage` records: of the keys that determine it."""
    return digest(pick(view_or_config, content_keys(stage)))


def wildcard_values(config: dict, name: str) -> list:
    """Every value a wildcard takes in a run."""
    return WILDCARDS[name].values(config)


def check_wildcards(config: dict, stage: str, wildcards: dict) -> None:
    """A clear ConfigError for a missing wildcard or a value the run does not have."""
    for name in STAGES[stage].wildcards:
        value = wildcards.get(name)
        if value is None:
            raise ConfigError(f"stage {stage} needs --{name.replace('_', '-')}")
        allowed = wildcard_values(config, name)
        if value not in allowed:
            shown = f"0..{len(allowed) - 1}" if WILDCARDS[name].type is int else ", ".join(map(str, allowed)) or "none"
            raise ConfigError(f"stage {stage}: --{name.replace('_', '-')} {value} is not one of this run's ({shown})")


def active(config: dict) -> list[Stage]:
    """The stages a run of `config` has, in an order where each one's inputs come first."""
    return [stage for stage in STAGES.values() if stage.when(config)]


def jobs(config: dict) -> Iterator[tuple[str, dict]]:
    """Every (stage, wildcards) of a run, in an order where each job's inputs come first."""
    for stage in active(config):
        combos = [{}]
        for name in stage.wildcards:
            combos = [c | {name: value} for c in combos for value in wildcard_values(config, name)]
        yield from ((stage.name, c) for c in combos)


def model_files(config: dict, stage: str) -> list[str]:
    """The checkpoint files of the networks a stage builds, with the JSON metadata beside
    one where there is such a file (the multihead format): inputs of its jobs."""
    paths = [
        Path(config[section]["checkpoint"]) for section in STAGES[stage].models if config[section].get("checkpoint")
    ]
    return [str(p) for path in paths for p in (path, sidecar(path)) if p == path or p.is_file()]


# What the rules read (Snakemake wiring: wildcards arrive as strings, outputs are patterns).


def inputs(config: dict, layout: Layout, stage: str, wildcards) -> list:
    """The files a job reads: its artifacts and the checkpoints of its networks."""
    given = {name: wildcards[name] for name in STAGES[stage].wildcards}
    return [*STAGES[stage].inputs(config, layout, **given), *model_files(config, stage)]


def rule_inputs(config: dict, layout: Layout, stage: str) -> Callable:
    """A rule's `input`: the function of Snakemake's wildcards giving its job's files."""
    return lambda wildcards: inputs(config, layout, stage, wildcards)


def outputs(config: dict, layout: Layout, stage: str, report: Callable | None = None) -> list:
    """The files a stage writes, with "{wildcard}" patterns; with Snakemake's `report`,
    marked for its report: captioned, in the stage's category, by latent space."""
    paths = STAGES[stage].outputs(config, layout, **{name: f"{{{name}}}" for name in STAGES[stage].wildcards})
    if report is None or STAGES[stage].category is None:
        return paths
    caption = str(REPORT / f"{stage}.rst")
    return [
        report(
            p,
            caption=caption,
            category=STAGES[stage].category,
            subcategory=space_of(Path(p), config),
            labels={"file": Path(p).stem},
        )
        for p in paths
    ]


def space_of(path: Path, config: dict) -> str:
    """The latent space a figure or grid belongs to (Layout names them figures/<name>_<space>.png
    and edits/<space>/<boundary>.png); tables hold every space."""
    for space in edit_spaces(config):
        if path.parent.name == space or path.stem.endswith(f"_{space}"):
            return space
    return "all spaces"


def job_key(stage: str) -> str:
    """A job's name among its stage's logs and benchmarks: its wildcards, or the stage's name."""
    return "_".join(f"{{{name}}}" for name in STAGES[stage].wildcards) or stage


def threads(config: dict, stage: str) -> int:
    """The config's threads for the stages that build networks or lean on BLAS; 1 for the others."""
    return config["threads"] if STAGES[stage].models or STAGES[stage].threaded else 1


def resources(config: dict, stage: str) -> dict:
    """A rule's cluster resources (read by workflow/profiles/slurm; locally they limit nothing):
    a GPU (SLURM: --gpus=1) for the stages that build networks when the device is CUDA, there on
    `slurm.gpu_partition` if set, every job on `slurm.partition` if set, and memory and runtime
    that grow with each retry."""
    options, slurm = STAGES[stage], config["slurm"]
    gpu = bool(options.models) and config["device"].startswith("cuda")
    partition = slurm["gpu_partition"] if gpu and slurm["gpu_partition"] else slurm["partition"]
    out = ({"gpu": int(gpu)} if options.models else {}) | ({"slurm_partition": partition} if partition else {})
    if options.mem_mb:
        out["mem_mb"] = lambda wildcards, attempt: options.mem_mb * attempt
    if options.runtime:
        out["runtime"] = lambda wildcards, attempt: options.runtime * attempt
    return out


def wildcard_patterns(config: dict, stage: str) -> dict:
    """The regex of each of a stage's wildcards: five digits for a shard, else one of the run's values."""
    return {
        name: r"\d{5}" if WILDCARDS[name].type is int else "|".join(wildcard_values(config, name)) or "(?!)"
        for name in STAGES[stage].wildcards
    }


def view_json(config: dict, stage: str) -> str:
    """A rule's `params`: a change to its view, and only that, re-runs the stage."""
    return json.dumps(view(config, stage), sort_keys=True)


# The shell command of every rule: the CLI runs the rule's stage (`params.stage`), given its view,
# its wildcards' flags and its threads. One string for all, every value in params: Snakemake
# evaluates a rule's `shell:` when the job runs, where a loop's variable would name the last stage.
COMMAND = "interfacegan stage {params.stage} --view {params.view:q}{params.flags} --threads {threads} > {log} 2>&1"


def wildcard_flags(stage: str) -> Callable:
    """A rule's `params.flags`: the function of a job's wildcards giving their CLI flags (" --shard 00001")."""
    names = STAGES[stage].wildcards
    return lambda wildcards: "".join(f" --{name.replace('_', '-')} {wildcards[name]}" for name in names)


def targets(config: dict, layout: Layout) -> list:
    """What a run makes in the end: the summary page (and the planted truth, in that world)."""
    return [
        path
        for name in ("summary", "planted_truth")
        if STAGES[name].when(config)
        for path in outputs(config, layout, name)
    ]

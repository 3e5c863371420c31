"""Bounds, stated once: every number, array, object and string of the config schema and of the
checkpoint sidecars has a bound; NaN and infinity are refused; a YAML alias bomb or an
oversized free-form section is refused before anything expands it; a sidecar's architecture
is checked (bounds, then tensor shapes on the meta device) before a network is built. Each
refusal is one line, and writes nothing."""

import copy
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from helpers import ATTRIBUTES, PLANTED
from interfacegan import config as configuration
from interfacegan.artifacts import CheckpointError
from interfacegan.cli import main
from interfacegan.encoder import METADATA_SCHEMA as ENCODER_SCHEMA
from interfacegan.encoder import Encoder, load_encoder, save_encoder
from interfacegan.generators import build_generator
from interfacegan.predictors import build_predictor
from interfacegan.predictors.multihead import METADATA_SCHEMA as PREDICTOR_SCHEMA
from interfacegan.predictors.multihead import MultiHeadNet, save_checkpoint
from interfacegan.translator import METADATA_SCHEMA as TRANSLATOR_SCHEMA
from interfacegan.translator import Translator, load_translator, save_translator

ROOT = Path(__file__).resolve().parents[1]


# --- the schemas: nothing unbounded -------------------------------------------------------------


def unbounded(node: dict, where: str = "(top level)") -> list[str]:
    """Every place in a JSON schema that leaves a number, array, object or string without a bound."""
    if not isinstance(node, dict):
        return []
    types = node.get("type", [])
    types = {types} if isinstance(types, str) else set(types)
    found = []
    if types & {"number", "integer"} and not (
        node.keys() & {"minimum", "exclusiveMinimum"} and node.keys() & {"maximum", "exclusiveMaximum"}
    ):
        found.append(f"{where}: a number without a minimum and a maximum")
    if "array" in types and "maxItems" not in node:
        found.append(f"{where}: an array without maxItems")
    if "object" in types and node.get("additionalProperties", True) is not False and "maxProperties" not in node:
        found.append(f"{where}: an object open to more keys without maxProperties")
    if "string" in types and not node.keys() & {"maxLength", "enum", "const"}:
        found.append(f"{where}: a string without maxLength")
    for key, sub in node.get("properties", {}).items():
        found += unbounded(sub, f"{where}.{key}")
    for key in ("items", "additionalProperties"):
        found += unbounded(node.get(key), f"{where}[{key}]")
    for key in ("oneOf", "anyOf", "allOf"):
        for index, sub in enumerate(node.get(key, [])):
            found += unbounded(sub, f"{where}.{key}[{index}]")
    return found


@pytest.mark.parametrize(
    "name, schema",
    [
        ("config", configuration.schema()),
        ("encoder sidecar", ENCODER_SCHEMA),
        ("translator sidecar", TRANSLATOR_SCHEMA),
        ("predictor sidecar", PREDICTOR_SCHEMA),
    ],
)
def test_every_number_array_object_and_string_has_a_bound(name, schema):
    assert unbounded(schema) == [], name


def test_the_walk_finds_what_is_unbounded():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1},
            "x": {"type": ["number", "null"], "maximum": 1},
            "list": {"type": "array", "items": {"type": "string"}},
            "free": {"type": "object"},
        },
    }
    assert len(unbounded(schema)) == 6  # the top level's open object, n, x, list, its strings, free


def test_every_default_lies_within_its_bounds():
    config = configuration.validate(copy.deepcopy(PLANTED))
    assert config["edit"]["steps"] == 5 and config["analysis"]["layerwise_samples"] == 200


# --- the config: out of bounds, not finite, too large ------------------------------------------


def with_change(path: str, value) -> dict:
    config = copy.deepcopy(PLANTED)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return config


def refused(config: dict) -> str:
    with pytest.raises(configuration.ConfigError) as caught:
        configuration.validate(config)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, message
    return message


@pytest.mark.parametrize(
    "path, value, words",
    [
        ("edit.steps", 100_000, "config: edit.steps: 100000 is greater than the maximum of 100"),
        ("edit.samples", 1000, "config: edit.samples:"),
        ("threads", 10**6, "config: threads:"),
        ("batch_size", 10**6, "config: batch_size:"),
        ("shard_size", 10**8, "config: shard_size:"),
        ("analysis.layerwise_samples", 10**6, "config: analysis.layerwise_samples:"),
        ("analysis.linearity_steps", 10**4, "config: analysis.linearity_steps:"),
        ("selection.invalid_value", 1e300, "config: selection.invalid_value:"),
        ("attributes", [f"a{i}" for i in range(101)], "config: attributes: 101 items, more than 100"),
        (
            "predictor",
            {"name": "planted", **{f"option{i}": i for i in range(70)}},
            "config: predictor: 71 keys, more than 64",
        ),
        ("run", "r" * 300, "config: run: 300 characters, more than 200"),
        (
            "translator",
            {"boundaries": ["smile"], "architecture": {"blocks": 10**6}},
            "config: translator.architecture.blocks:",
        ),
        (
            "translator",
            {"boundaries": ["smile"], "strengths": [i / 100 for i in range(100)]},
            "config: translator.strengths: 100 items",
        ),
    ],
)
def test_out_of_bounds_values_are_one_line(path, value, words):
    assert refused(with_change(path, value)).startswith(words)


@pytest.mark.parametrize(
    "path, value",
    [
        ("real_images", {"images": "photos", "lr": float("nan")}),
        ("selection.split_ratio", float("nan")),
        ("selection.invalid_value", float("nan")),
        ("boundary.svc_c", float("inf")),
        ("boundary.ridge", float("-inf")),
        ("edit.start", float("nan")),
        ("analysis.rescoring_step", float("inf")),
        ("translator", {"boundaries": ["smile"], "alpha": {"smile": float("nan")}}),
        ("generator.noise", float("nan")),  # free-form options too
    ],
)
def test_nan_and_infinity_are_refused_naming_the_key(path, value):
    message = refused(with_change(path, value))
    assert "is not a finite number" in message and message.startswith("config: " + path.split(".")[0]), message


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def cli_refuses(argv: list[str], words: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("interfacegan: error: ") and words in err, err


def test_a_yaml_nan_is_one_line_from_the_file_and_the_command_line(tmp_path, capsys):
    text = yaml.safe_dump(PLANTED) + "real_images: {images: photos, lr: .nan}\nboundary: {svc_c: .inf}\n"
    path = write(tmp_path, text)
    with pytest.raises(
        configuration.ConfigError, match=r"^config: (real_images\.lr: nan|boundary\.svc_c: inf) is not a finite number$"
    ):
        configuration.load(path)
    np.save(tmp_path / "z.npy", np.zeros((2, 32), np.float32))
    out = tmp_path / "scores.csv"
    cli_refuses(
        ["score", "--config", str(path), "--latents", str(tmp_path / "z.npy"), "--out", str(out)],
        "is not a finite number",
        capsys,
    )
    assert not out.exists()


def test_edit_start_equal_to_edit_end_is_refused():
    config = with_change("edit.start", 2)
    config["edit"]["end"] = 2.0
    assert refused(config) == "config: edit.end: 2 is edit.start too; edits and linearity curves need two distances"
    assert (
        configuration.validate(with_change("edit.start", 4))["edit"]["end"] == 3.0
    )  # start > end: the edits run the other way


# --- YAML aliases and free-form sections ---------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    """A config whose generator options expand to 10^levels values through nested YAML aliases."""
    lines = [
        yaml.safe_dump({key: value for key, value in PLANTED.items() if key != "generator"}).rstrip(),
        "generator:",
        "  name: planted",
        "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def quickly_and_lightly(action) -> str:
    """The one-line ConfigError of `action`, which must come within 5 s and 50 MB of Python allocations."""
    began = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(configuration.ConfigError) as caught:
            action()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < 5 and peak < 50 << 20, (time.perf_counter() - began, peak)
    assert "\n" not in str(caught.value)
    return str(caught.value)


TOO_LARGE = (
    "too large or too deep (at most 100,000 values nested 20 deep, a value shared by YAML aliases counted at each use)"
)


def test_an_alias_bomb_is_refused_before_anything_expands_it(tmp_path, capsys):
    text = alias_bomb()
    loaded = yaml.safe_load(text)  # as Snakemake loads --configfile: the aliases are shared objects, not yet expanded
    assert quickly_and_lightly(lambda: configuration.validate(loaded)) == f"config: generator: {TOO_LARGE}"
    path = write(tmp_path, text)
    assert quickly_and_lightly(lambda: configuration.load(path)) == f"config: generator: {TOO_LARGE}"
    cli_refuses(
        ["score", "--config", str(path), "--latents", str(tmp_path / "z.npy"), "--out", str(tmp_path / "s.csv")],
        TOO_LARGE,
        capsys,
    )
    assert not (tmp_path / "s.csv").exists()


def test_the_workflow_refuses_an_alias_bomb_in_one_line(tmp_path):
    """The Snakefile validates the config Snakemake loaded (which 24 GB of JSON once expanded)."""
    path = write(tmp_path, alias_bomb())
    began = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--directory",
            str(tmp_path / "run"),
            "--configfile",
            str(path),
            "-n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and f"interfacegan: config: generator: {TOO_LARGE}" in done.stderr, done.stderr[-2000:]
    assert time.perf_counter() - began < 60 and not (tmp_path / "run" / "results").exists()


def test_a_self_containing_alias_is_refused():
    loaded = yaml.safe_load(yaml.safe_dump(PLANTED) + "predictor: &p {name: planted, again: *p}\n")
    assert quickly_and_lightly(lambda: configuration.validate(loaded)) == f"config: predictor: {TOO_LARGE}"


def test_aliases_that_stay_small_are_fine(tmp_path):
    """yaml.safe_dump writes an alias for a value used twice (PLANTED's attributes)."""
    text = yaml.safe_dump(PLANTED)
    assert "*id001" in text
    assert configuration.load(write(tmp_path, text))["predictor"]["attributes"] == ATTRIBUTES


@pytest.mark.parametrize("options", [{"big": list(range(200_000))}, {"deep": json.loads("[" * 30 + "]" * 30)}])
def test_an_oversized_free_form_section_is_refused(options):
    config = copy.deepcopy(PLANTED)
    config["generator"] |= options
    assert quickly_and_lightly(lambda: configuration.validate(config)) == f"config: generator: {TOO_LARGE}"


def test_a_config_file_over_a_megabyte_is_refused(tmp_path):
    path = write(tmp_path, yaml.safe_dump(PLANTED) + "# padding\n" * 120_000)
    with pytest.raises(
        configuration.ConfigError,
        match=r"^config: .*config.yaml is 1,\d{3},\d{3} bytes; a config file has at most 1,048,576$",
    ):
        configuration.load(path)


# --- checkpoint sidecars -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    return build_generator(PLANTED["generator"])  # 16x16 images, z in R^32


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, planted):
    """Small real checkpoints as the package writes them: an encoder, an identity translator, a multihead predictor."""
    folder = tmp_path_factory.mktemp("tiny")
    info = {"space": "z", "generator": "planted", "generator_config": PLANTED["generator"]}
    encoder = save_encoder(Encoder(16, (32,), widths=(8,), blocks=(1,)), folder / "encoder", info)
    translator = save_translator(
        Translator(16, channels=8, downsamples=0, blocks=1, max_channels=8),
        folder / "translator",
        info | {"boundary": "identity", "alpha": 0.0},
    )
    predictor = folder / "predictor.pt"
    save_checkpoint(
        predictor,
        MultiHeadNet(len(ATTRIBUTES), (8,), (1,)),
        {
            "architecture": {"widths": [8], "blocks": [1]},
            "attributes": ATTRIBUTES,
            "outputs": dict.fromkeys(ATTRIBUTES, "logit"),
            "input_size": 16,
            "mean": [0.5] * 3,
            "std": [0.5] * 3,
        },
    )
    return {"encoder": encoder, "translator": translator, "predictor": predictor}


def hostile(tmp_path: Path, good: Path, change) -> Path:
    """A copy of `good` (STEM.pt and STEM.json) in tmp_path, its JSON changed by `change(meta)`."""
    checkpoint = tmp_path / good.name
    checkpoint.write_bytes(good.read_bytes())
    meta = json.loads(good.with_suffix(".json").read_text())
    change(meta)
    checkpoint.with_suffix(".json").write_text(json.dumps(meta))
    return checkpoint


def load(kind: str, path: Path, generator):
    if kind == "encoder":
        return load_encoder(path, generator, "z")
    if kind == "translator":
        return load_translator(path, generator)
    return build_predictor({"name": "multihead", "checkpoint": str(path)})


def arch(**values):
    return lambda meta: meta["architecture"].update(values)


def refused_checkpoint(kind: str, path: Path, generator) -> str:
    """The one-line CheckpointError of loading `path`: within 5 s, and 300 MB more peak memory at most."""
    peak, began = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
    with pytest.raises(CheckpointError) as caught:
        load(kind, path, generator)
    assert time.perf_counter() - began < 5 and resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 300_000
    assert "\n" not in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize(
    "kind, change, words",
    [
        ("encoder", arch(blocks=[1_000_000]), "architecture.blocks.0: 1000000 is greater than the maximum of 64"),
        ("encoder", arch(widths=[10**9]), "architecture.widths.0: 1000000000 is greater than the maximum of 4096"),
        ("encoder", arch(widths=[8] * 100, blocks=[1] * 100), "architecture.widths: 100 items, more than 8"),
        ("translator", arch(blocks=1_000_000), "architecture.blocks: 1000000 is greater than the maximum of 64"),
        ("translator", arch(channels=10**9), "architecture.channels: 1000000000 is greater than the maximum of 1024"),
        ("translator", lambda meta: meta.update(alpha=float("nan")), "alpha: nan is not a finite number"),
        ("predictor", arch(blocks=[1_000_000]), "architecture.blocks.0: 1000000 is greater than the maximum of 64"),
        ("predictor", arch(widths=[10**9]), "architecture.widths.0: 1000000000 is greater than the maximum of 4096"),
        ("predictor", lambda meta: meta.update(mean=[float("nan"), 0.5, 0.5]), "mean.0: nan is not a finite number"),
        (
            "predictor",
            lambda meta: meta.update(input_size=10**9),
            "input_size: 1000000000 is greater than the maximum of 4096",
        ),
    ],
)
def test_sidecar_fields_out_of_bounds_are_one_line_naming_file_and_field(kind, change, words, tiny, planted, tmp_path):
    path = hostile(tmp_path, tiny[kind], change)
    message = refused_checkpoint(kind, path, planted)
    assert f"metadata {path.with_suffix('.json')}: {words}" in message, message


@pytest.mark.parametrize(
    "kind, change, network",
    [
        ("encoder", arch(widths=[16]), "Encoder"),
        ("translator", arch(blocks=2), "Translator"),
        ("predictor", arch(widths=[8, 16], blocks=[1, 1]), "MultiHeadNet"),
        # the largest architectures the bounds allow (hundreds of GB for real): refused from their shapes alone
        ("encoder", arch(widths=[4096] * 8, blocks=[64] * 8, stem_stride=1), "Encoder"),
        ("translator", arch(channels=1024, downsamples=3, blocks=64, max_channels=1024), "Translator"),
        ("predictor", arch(widths=[4096] * 8, blocks=[64] * 8), "MultiHeadNet"),
    ],
)
def test_an_architecture_that_disagrees_with_the_weights_is_refused_before_it_is_built(
    kind, change, network, tiny, planted, tmp_path
):
    path = hostile(tmp_path, tiny[kind], change)
    message = refused_checkpoint(kind, path, planted)
    assert f"checkpoint {path} does not fit {network}: " in message, message


def test_the_tiny_checkpoints_themselves_load(tiny, planted):
    assert load("encoder", tiny["encoder"], planted).code_shape == (32,)
    assert load("translator", tiny["translator"], planted).architecture["blocks"] == 1
    assert load("predictor", tiny["predictor"], planted).attributes == tuple(ATTRIBUTES)


@pytest.fixture
def faces(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((16, 16, 3), 60 * i, np.uint8)).save(folder / f"face{i}.png")
    return folder


def test_the_command_line_refuses_hostile_sidecars_in_one_line(tiny, faces, tmp_path, capsys):
    config = write(tmp_path, yaml.safe_dump(PLANTED))
    encoder = hostile(tmp_path, tiny["encoder"], arch(blocks=[1_000_000]))
    cli_refuses(
        [
            "invert",
            "--config",
            str(config),
            "--images",
            str(faces),
            "--out",
            str(tmp_path / "codes.h5"),
            "--encoder",
            str(encoder),
            "--steps",
            "0",
        ],
        "architecture.blocks.0: 1000000 is greater than the maximum of 64",
        capsys,
    )
    translator = hostile(tmp_path, tiny["translator"], arch(blocks=1_000_000))
    cli_refuses(
        [
            "translate",
            "--config",
            str(config),
            "--translator",
            str(translator),
            "--images",
            str(faces),
            "--out",
            str(tmp_path / "edited"),
        ],
        "architecture.blocks: 1000000 is greater than the maximum of 64",
        capsys,
    )
    predictor = hostile(tmp_path, tiny["predictor"], arch(widths=[4096] * 8, blocks=[64] * 8))
    scored = write(
        tmp_path,
        yaml.safe_dump(PLANTED | {"predictor": {"name": "multihead", "checkpoint": str(predictor)}}),
        "scored.yaml",
    )
    cli_refuses(
        ["score", "--config", str(scored), "--images", str(faces), "--out", str(tmp_path / "scores.csv")],
        "does not fit MultiHeadNet",
        capsys,
    )
    assert not any((tmp_path / name).exists() for name in ("codes.h5", "edited", "scores.csv"))


def test_a_weight_that_is_no_tensor_is_one_line(tiny, planted, tmp_path):
    path = hostile(tmp_path, tiny["encoder"], lambda meta: None)
    state = torch.load(path, weights_only=True)
    state["head.weight"] = 5
    torch.save(state, path)
    assert "wrong shape: head.weight int != (32, 512)" in refused_checkpoint("encoder", path, planted)


@pytest.mark.parametrize(
    "arguments, words",
    [
        (
            ["train-encoder", "--config", "CONFIG", "--out", "OUT", "--widths", "100000"],
            "train-encoder: --widths: 100000 is greater than the maximum of 4096",
        ),
        (
            [
                "train-predictor",
                "--data",
                "DATA",
                "--attributes",
                "smile",
                "--out",
                "OUT",
                "--widths",
                "8",
                "--blocks",
                "1000",
            ],
            "train-predictor: --blocks: 1000 is greater than the maximum of 64",
        ),
        (
            ["train-translator", "--config", "CONFIG", "--boundary", "identity", "--out", "OUT", "--channels", "5000"],
            "train-translator: --channels must be in 1..1024",
        ),
    ],
)
def test_training_flags_are_held_to_the_bounds_of_the_sidecars_they_write(arguments, words, tmp_path, capsys):
    """A network trained past the sidecar bounds would write a checkpoint its own loader refuses."""
    from helpers import PLANTED
    from interfacegan.cli import main

    (tmp_path / "data").mkdir()
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(PLANTED))
    paths = {
        "CONFIG": str(tmp_path / "config.yaml"),
        "OUT": str(tmp_path / "out" / "net"),
        "DATA": str(tmp_path / "data"),
    }
    assert main([paths.get(a, a) for a in arguments]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("interfacegan: error: " + words) and not (tmp_path / "out").exists()

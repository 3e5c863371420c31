"""Load, validate and digest the pipeline configuration."""

import copy
import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"

# The config keys each stage reads: a stage's view (and its digest) holds only these,
# so that editing, say, the selection ratio re-runs selection but not sampling.
COMPUTE = ("device", "threads", "precision", "batch_size", "generator")
STAGE_KEYS = {
    "sample": ("seed", "n_samples", "shard_size", "spaces", "device", "threads", "batch_size", "generator"),
    "score": ("n_samples", "shard_size", "attributes", "predictor", *COMPUTE),
    "select": ("seed", "attributes", "selection"),
    "boundary": ("n_samples", "shard_size", "attributes", "spaces", "boundary", "analysis"),
    "table": ("attributes", "spaces"),
    "truth": ("generator",),
    "conditional": ("conditions",),
    "cosine": ("attributes", "spaces", "conditions"),
    "correlation": ("attributes",),
    "real": ("attributes", "real_data", "predictor", "device", "threads", "precision", "batch_size"),
    "rescoring": ("n_samples", "shard_size", "attributes", "spaces", "conditions", "analysis", "predictor", *COMPUTE),
    "linearity": ("n_samples", "shard_size", "attributes", "spaces", "edit", "analysis", "predictor", *COMPUTE),
    "edit": ("n_samples", "shard_size", "attributes", "spaces", "conditions", "edit", *COMPUTE),
    "report": ("attributes", "spaces", "conditions", "edit", "real_data"),
}


class ConfigError(ValueError):
    """A config value is missing, unknown or out of range."""


def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def load(path: str | Path) -> dict:
    """Read a YAML config file, fill defaults and validate it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    return validate(yaml.safe_load(path.read_text()) or {})


def validate(config: dict) -> dict:
    """A validated copy of `config` with defaults filled; ConfigError names the bad key."""
    config = copy.deepcopy(config)
    the_schema = schema()
    fill_defaults(config, the_schema)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(the_schema).iter_errors(config))
    if error is not None:
        raise ConfigError(f"config: {key_of(error)}: {error.message}")
    check_consistency(config)
    return config


def fill_defaults(node: dict, node_schema: dict) -> None:
    for key, sub in node_schema.get("properties", {}).items():
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if isinstance(node.get(key), dict):
            fill_defaults(node[key], sub)


def key_of(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties":  # name the unknown key itself
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path = ".".join(filter(None, [path, extra[0] if extra else ""]))
    elif error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        path = ".".join(filter(None, [path, missing[0] if missing else ""]))
    return path or "(top level)"


def check_consistency(config: dict) -> None:
    """Rules that tie several keys together."""
    if config["shard_size"] % config["batch_size"]:
        raise ConfigError(
            f"config: shard_size: {config['shard_size']} is not a multiple of batch_size "
            f"{config['batch_size']} (batches must not depend on the sharding)"
        )
    for index, condition in enumerate(config["conditions"]):
        for name in [condition["primal"], *condition["conditions"]]:
            if name not in config["attributes"]:
                raise ConfigError(f"config: conditions.{index}: '{name}' is not one of the attributes")
        if condition["primal"] in condition["conditions"]:
            raise ConfigError(f"config: conditions.{index}: '{condition['primal']}' cannot condition itself")
    if config["edit"]["wp_layers"] is not None and "w" not in config["spaces"]:
        raise ConfigError("config: edit.wp_layers: W+ edits use the w boundaries; add w to spaces")
    chosen = config["selection"]["chosen_num_or_ratio"]
    if chosen > 1:
        if chosen != int(chosen):
            raise ConfigError(f"config: selection.chosen_num_or_ratio: {chosen} is above 1 but not a whole count")
        if 2 * chosen > config["n_samples"]:
            raise ConfigError(
                f"config: selection.chosen_num_or_ratio: {int(chosen)} per side needs n_samples >= "
                f"{2 * int(chosen)}, got {config['n_samples']}"
            )


def conditional_name(primal: str, conditions: list[str]) -> str:
    """The boundary name of a conditional boundary: age_c_gender, eyeglasses_c_age_gender."""
    return "_c_".join([primal, "_".join(conditions)])


def boundary_names(config: dict) -> list[str]:
    """Every boundary of a run: the attributes', then the conditional ones."""
    return config["attributes"] + [conditional_name(c["primal"], c["conditions"]) for c in config["conditions"]]


def edit_spaces(config: dict) -> list[str]:
    """The spaces of the edit grids: the boundaries' spaces, and wp with `edit.wp_layers`."""
    return config["spaces"] + ["wp"] * (config["edit"]["wp_layers"] is not None)


def stage_view(config: dict, stage: str) -> dict:
    """The part of a validated config that `stage` reads."""
    return {key: config[key] for key in ("run", *STAGE_KEYS[stage])}


def digest(config: dict) -> str:
    """A stable short hash of a config (or of a stage's view of it)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]

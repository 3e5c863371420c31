"""Load, validate and digest the pipeline configuration.

jsonschema and yaml are imported where a config is read or checked: a job that is given
its validated view as JSON never needs them (and starts 0.1 s sooner).
"""

import copy
import hashlib
import json
import math
from pathlib import Path

from .layout import shard_count

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A config value is missing, unknown or out of range."""


MAX_FILE_BYTES = 1 << 20  # a config file (the shipped ones are 1-5 kB)
MAX_VALUES = 100_000  # values in a whole config, each time it is reached (YAML aliases repeat theirs)
MAX_DEPTH = 20  # nesting of a config's values (the shipped ones nest 4 deep)


def schema() -> dict:
    import yaml

    return yaml.safe_load(SCHEMA_PATH.read_text())


def load(path: str | Path) -> dict:
    """Read a YAML config file, fill defaults and validate it."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(
                f"config: {path} is {path.stat().st_size:,} bytes; a config file has at most {MAX_FILE_BYTES:,}"
            )
        config = yaml.safe_load(path.read_text())  # aliases stay shared objects: check_values counts each use
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"config: {path} cannot be read ({err})") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"config: {path} is not valid YAML ({yaml_problem(err)})") from err
    return validate({} if config is None else config)


def yaml_problem(err) -> str:
    """A YAML error in one line, with its position (1-based) when known."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return where + " ".join(problem.split())


def schema_error(the_schema: dict, config: dict):
    """The most relevant jsonschema error of `config` (or of a checkpoint's sidecar), or None, in
    one short line. Whole-number floats (6000.0) are no integers here: they would reach range()
    and HDF5; NaN and infinities are no numbers."""
    import jsonschema

    draft = jsonschema.Draft202012Validator
    checker = draft.TYPE_CHECKER.redefine_many(
        {
            "integer": lambda _, value: isinstance(value, int) and not isinstance(value, bool),
            "number": lambda _, value: is_number(value),
        }
    )
    validator = jsonschema.validators.extend(draft, type_checker=checker)
    error = jsonschema.exceptions.best_match(validator(the_schema).iter_errors(config))
    if (
        error is not None
        and error.validator == "type"
        and isinstance(error.instance, float)
        and not math.isfinite(error.instance)
    ):
        error.message = f"{error.instance} is not a finite number"
    elif error is not None and error.validator in SIZES:  # not jsonschema's repr of the whole value
        error.message = f"{len(error.instance):,} {SIZES[error.validator]}, more than {error.validator_value:,}"
    return error


SIZES = {"maxItems": "items", "maxProperties": "keys", "maxLength": "characters"}


def is_number(value) -> bool:
    """An int or a finite float (NaN would pass every bound: it compares false)."""
    return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and math.isfinite(value)


# Keys renamed since an earlier release -> their names now (an old config gets one line naming the new key).
RENAMED = {"real_data": "scored_photos"}


def validate(config: dict) -> dict:
    """A validated copy of `config` with defaults filled; ConfigError names the bad key."""
    if not isinstance(config, dict):
        raise ConfigError(f"config: (top level): must be a mapping of keys to values, found {type(config).__name__}")
    check_values(config)
    renamed = sorted(RENAMED.keys() & config.keys())
    if renamed:
        raise ConfigError(f"config: {renamed[0]}: renamed {RENAMED[renamed[0]]}; use the new key")
    config = copy.deepcopy(config)
    the_schema = schema()
    fill_defaults(config, the_schema)
    error = schema_error(the_schema, config)
    if error is not None:
        raise ConfigError(f"config: {key_of(error)}: {error.message}")
    check_consistency(config)
    return config


def check_values(config: dict) -> None:
    """Before anything copies, dumps or expands `config`: at most MAX_VALUES values, counted each
    time they are reached (a value shared by YAML aliases counts at each use), nested at most
    MAX_DEPTH deep, and no NaN or infinity anywhere (free-form options included)."""
    count, stack = 0, [((), config)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"config: {'.'.join(map(str, where))}: {value} is not a finite number")
        if not isinstance(value, (dict, list, tuple)):
            continue
        count += len(value)
        if count > MAX_VALUES or (value and len(where) >= MAX_DEPTH):
            raise ConfigError(
                f"config: {where[0] if where else '(top level)'}: too large or too deep (at most {MAX_VALUES:,} values "
                f"nested {MAX_DEPTH} deep, a value shared by YAML aliases counted at each use)"
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend(((*where, key), item) for key, item in items)


def fill_defaults(node: dict, node_schema: dict) -> None:
    for key, sub in node_schema.get("properties", {}).items():
        if key not in node and "default" in sub:
            node[key] = copy.deepcopy(sub["default"])
        if isinstance(node.get(key), dict):
            fill_defaults(node[key], sub)


def key_of(error) -> str:
    """The dotted config key a jsonschema.ValidationError is about."""
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties":  # name the unknown key itself
        extra = sorted(str(k) for k in set(error.instance) - set(error.schema.get("properties", {})))
        path = ".".join(filter(None, [path, extra[0] if extra else ""]))
    elif error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        path = ".".join(filter(None, [path, missing[0] if missing else ""]))
    return path or "(top level)"


MAX_SHARDS = 100_000  # a job per shard: far more would swamp the scheduler


def check_consistency(config: dict) -> None:
    """Rules that tie several keys together."""
    check_sharding(config)
    check_conditions(config)
    check_planted_rows(config)
    if config["edit"]["wp_layers"] is not None and "w" not in config["spaces"]:
        raise ConfigError("config: edit.wp_layers: W+ edits use the w boundaries; add w to spaces")
    check_selection(config)
    if config["edit"]["start"] == config["edit"]["end"]:
        raise ConfigError(
            f"config: edit.end: {config['edit']['end']:g} is edit.start too; edits and linearity curves need two distances"
        )
    check_real_images(config)
    check_translator(config)


def check_translator(config: dict) -> None:
    """Translators are trained for boundaries of the run, in a space it has boundaries for,
    on pairs drawn with a seed other than the run's (whose first latents are the faces they are measured on)."""
    options = config["translator"]
    if options is None:
        return
    names = boundary_names(config)
    for name in options["boundaries"]:
        if name not in names:
            raise ConfigError(
                f"config: translator.boundaries: '{name}' is not one of the run's boundaries ({', '.join(names)})"
            )
        if name == "identity":
            raise ConfigError(
                "config: translator.boundaries: 'identity' is the identity model's name; a boundary named so cannot have a translator"
            )
    low, high = options["strength_range"]
    if low > high:
        raise ConfigError(f"config: translator.strength_range: [{low:g}, {high:g}] is empty; write [low, high]")
    for t in options["strengths"]:
        check_strength(config, t, "translator.strengths")
    alpha = options["alpha"]
    if isinstance(alpha, dict) and alpha.keys() != set(options["boundaries"]):
        missing, extra = (
            sorted(set(options["boundaries"]) - alpha.keys()),
            sorted(alpha.keys() - set(options["boundaries"])),
        )
        raise ConfigError(
            f"config: translator.alpha: the mapping must name exactly translator.boundaries"
            f"{'; missing ' + ', '.join(missing) if missing else ''}{'; not a translator boundary: ' + ', '.join(extra) if extra else ''}"
        )
    if boundary_space(options["space"]) not in config["spaces"]:
        raise ConfigError(
            f"config: translator.space: {options['space']} codes are edited along the {boundary_space(options['space'])} "
            f"boundaries; add {boundary_space(options['space'])} to spaces"
        )
    if translator_seed(config) == config["seed"]:
        raise ConfigError(
            f"config: translator.seed: {config['seed']} is the run's seed, whose latents are the faces the translators are "
            "measured on; training pairs need another seed"
        )


def check_strength(config: dict, t: float, where: str) -> None:
    """One ConfigError line unless the translator strength t lies in translator.strength_range
    (the schema's default range where the config has no translator section)."""
    options = config["translator"] or {}
    low, high = (
        options.get("strength_range") or schema()["properties"]["translator"]["properties"]["strength_range"]["default"]
    )
    if not low <= t <= high:
        raise ConfigError(f"config: {where}: strength {t:g} is outside translator.strength_range [{low:g}, {high:g}]")


def translator_alpha(config: dict, boundary: str) -> float:
    """The edit strength of `boundary`'s translator: translator.alpha, or its entry in the mapping."""
    alpha = config["translator"]["alpha"]
    return float(alpha[boundary] if isinstance(alpha, dict) else alpha)


def translator_seed(config: dict) -> int:
    """The seed of the translators' training pairs: translator.seed, or the run's seed + 1."""
    seed = section_defaults(config, "translator")["seed"]
    return config["seed"] + 1 if seed is None else seed


def section_defaults(config: dict, section: str) -> dict:
    """The config's `section` (real_images, translator), or the schema's defaults of it where the config has none."""
    if config[section] is not None:
        return config[section]
    options = {}
    fill_defaults(options, schema()["properties"][section])
    return options


def translator_defaults(config: dict, boundary: str) -> dict:
    """What `interfacegan train-translator` trains `boundary`'s model with (identity: the identity
    model) where its flags leave it open, keyed as the flags: the config's translator values, else
    the schema's; alpha None where a translator.alpha mapping does not name `boundary`."""
    options = section_defaults(config, "translator")
    alpha = options["alpha"].get(boundary) if isinstance(options["alpha"], dict) else options["alpha"]
    return (
        {"steps": options["identity_steps" if boundary == "identity" else "steps"], "alpha": alpha}
        | options["architecture"]
        | {key: options[key] for key in ("space", "batch_size", "lr", "perceptual", "pixel")}
        | {"seed": translator_seed(config)}
    )


def photo_defaults(config: dict, *keys: str) -> dict:
    """The real_images options `keys` that `interfacegan invert` and `translate` take photos with
    where their flags leave them open: the config's (the workflow's own), else the schema's; without
    real_images, photos are taken as aligned crops (align off)."""
    options = section_defaults(config, "real_images") | ({} if config["real_images"] else {"align": False})
    return {key: options[key] for key in keys}


def check_real_images(config: dict) -> None:
    """Inverted photos are edited along boundaries of their space (w ones for wp)."""
    real = config["real_images"]
    if real is None:
        return
    if boundary_space(real["space"]) not in config["spaces"]:
        raise ConfigError(
            f"config: real_images.space: {real['space']} codes are edited along the {boundary_space(real['space'])} "
            f"boundaries; add {boundary_space(real['space'])} to spaces"
        )
    if real["steps"] == 0 and not real["encoder"]:
        raise ConfigError("config: real_images.steps: 0 steps needs an encoder (its codes are then the inversion)")
    stems = [p.stem for p in photos(real, "real_images")]
    twins = sorted({stem for stem in stems if stems.count(stem) > 1})
    if twins:
        raise ConfigError(
            f"config: real_images.images: photos named {twins[0]}.* more than once (their crops would share {twins[0]}.png)"
        )


PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg")


def photos(section: dict, key: str) -> list[Path]:
    """The photos of the `key` section's folder (scored_photos, real_images), at most `limit`."""
    folder = Path(section["images"])
    if not folder.is_dir():
        raise ConfigError(f"config: {key}.images: {folder} is not a folder")
    paths = folder_photos(folder)
    if not paths:
        raise ConfigError(f"config: {key}.images: {folder} holds no .png/.jpg photos")
    return paths[: section["limit"]]


def folder_photos(folder: Path) -> list[Path]:
    """A folder's photos, for every command and the workflow alike: its .png/.jpg/.jpeg files, not hidden ones, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith("."))


def image_paths(paths: list[str]) -> list[Path]:
    """The files named, each folder replaced by its photos as the workflow takes them (`folder_photos`)."""
    found = []
    for path in map(Path, paths):
        found += folder_photos(path) if path.is_dir() else [path]
    if not found:
        raise ConfigError(
            f"--images {' '.join(paths)}: no images found (a folder's are its {'/'.join(PHOTO_SUFFIXES)} files)"
        )
    return found


def boundary_space(space: str) -> str:
    """The space of the boundaries that move codes of `space`: w for W+ codes."""
    return "w" if space == "wp" else space


def check_sharding(config: dict) -> None:
    shards = shard_count(config["n_samples"], config["shard_size"])
    if shards > MAX_SHARDS:
        raise ConfigError(
            f"config: shard_size: {config['n_samples']} samples in shards of {config['shard_size']} make "
            f"{shards} shards, more than {MAX_SHARDS}; raise shard_size"
        )
    if config["shard_size"] % config["batch_size"]:
        raise ConfigError(
            f"config: shard_size: {config['shard_size']} is not a multiple of batch_size "
            f"{config['batch_size']} (batches must not depend on the sharding)"
        )


def check_conditions(config: dict) -> None:
    """Each conditional boundary names attributes, and its name is its own: not an
    attribute's, not another conditional's (the order of the conditions does not change
    the boundary, so the same set in another order is the same boundary twice)."""
    by_name, by_set = {}, {}
    for index, condition in enumerate(config["conditions"]):
        primal, conditions = condition["primal"], condition["conditions"]
        for name in [primal, *conditions]:
            if name not in config["attributes"]:
                raise ConfigError(f"config: conditions.{index}: '{name}' is not one of the attributes")
        if primal in conditions:
            raise ConfigError(f"config: conditions.{index}: '{primal}' cannot condition itself")
        name = conditional_name(primal, conditions)
        if name in config["attributes"]:
            raise ConfigError(f"config: conditions.{index}: its boundary name '{name}' is also an attribute's")
        same_name = by_name.setdefault(name, index)
        same_set = by_set.setdefault((primal, frozenset(conditions)), index)
        if same_name != index:
            raise ConfigError(
                f"config: conditions.{index}: its boundary name '{name}' is also that of conditions.{same_name}"
            )
        if same_set != index:
            raise ConfigError(
                f"config: conditions.{index}: the same boundary as conditions.{same_set} (the conditions in another order)"
            )


def check_planted_rows(config: dict) -> None:
    """The planted predictor reads score rows in the planted generator's order."""
    generator, predictor = config["generator"], config["predictor"]
    if generator["name"] != "planted" or predictor["name"] != "planted":
        return
    if "attributes" in generator and "attributes" in predictor and predictor["attributes"] != generator["attributes"]:
        raise ConfigError(
            f"config: predictor.attributes: {predictor['attributes']} must be generator.attributes "
            f"{generator['attributes']} in the same order (the planted predictor reads the generator's pixel rows)"
        )


def check_selection(config: dict) -> None:
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


def condition_of(config: dict, boundary: str) -> dict:
    """The {primal, conditions} entry of a conditional boundary; a plain one is its own primal, without conditions."""
    for c in config["conditions"]:
        if conditional_name(c["primal"], c["conditions"]) == boundary:
            return c
    return {"primal": boundary, "conditions": []}


def primal_of(config: dict, boundary: str) -> str:
    """The attribute a boundary moves: its own name, or a conditional boundary's primal."""
    return condition_of(config, boundary)["primal"]


def edit_spaces(config: dict) -> list[str]:
    """The spaces of the edit grids: the boundaries' spaces, and wp with `edit.wp_layers`."""
    return config["spaces"] + ["wp"] * (config["edit"]["wp_layers"] is not None)


def grid_spaces(config: dict) -> list[str]:
    """The spaces of the `edit_grids` stage's grids: all but wp with `edit.wp_layers: auto`,
    whose grids follow the layer-wise re-scoring."""
    return [space for space in edit_spaces(config) if space != "wp" or config["edit"]["wp_layers"] != "auto"]


def digest(config: dict) -> str:
    """A stable short hash of a config (or of a stage's view of it)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]

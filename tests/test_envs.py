"""The software of the rules: the conda environment each names holds every distribution its
stage imports, with pyproject's bounds, and the container image is built from it."""

import functools
import re
import subprocess
import sys
import tomllib
from importlib.metadata import distributions, packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers import imported_modules, module_file
from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.generators import dcgan
from interfacegan.metrics import identity, lpips

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONDA = re.compile(r'^\s+conda:\n\s+"([^"]+)"$', re.M)


def rule_env() -> Path:
    """The env file every rule names: the one `conda:` of rules/stages.smk (relative to it)."""
    [path] = CONDA.findall((ROOT / "rules" / "stages.smk").read_text())
    return (ROOT / "rules" / path).resolve()


def pip_requirements(env_file: Path) -> dict[str, Requirement]:
    dependencies = yaml.safe_load(env_file.read_text())["dependencies"]
    pip = next(d["pip"] for d in dependencies if isinstance(d, dict))
    return {canonicalize_name(r.name): r for r in map(Requirement, pip)}


@functools.cache
def imports(module: str) -> tuple[frozenset[str], frozenset[str]]:
    """The package's modules (with their parent packages) and the top-level outside modules
    that `module` imports, at module level or inside any function."""
    names = imported_modules(module)
    ours = [n.split(".") for n in names if n.split(".")[0] == "interfacegan"]
    inside = {".".join(parts[:k]) for parts in ours for k in range(1, len(parts) + 1)}
    outside = {n.split(".")[0] for n in names if n.split(".")[0] != "interfacegan"}
    return frozenset(m for m in inside if module_file(m)), frozenset(outside - set(sys.stdlib_module_names))


def distributions_imported(entries: list[str]) -> set[str]:
    """The distributions of every outside module that `entries` import, transitively."""
    seen, todo, outside = set(), list(entries), set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            inside, found = imports(module)
            todo += inside
            outside |= found
    return {canonicalize_name(d) for top in outside for d in distributions_of(top)}


def distributions_of(top: str) -> list[str]:
    """The installed distributions holding the top-level module `top` (dlib-bin's top_level.txt
    names only its extension module, so its files are searched too)."""
    found = packages_distributions().get(top) or [
        d.metadata["Name"] for d in distributions() if any(f.parts[0] == top for f in d.files or [])
    ]
    assert found, f"{top} is imported but no installed distribution holds it"
    return found


def no_deps() -> dict[str, Requirement]:
    """The pins that `make` and the post-deploy script install with --no-deps."""
    lines = (ROOT / "envs" / "no-deps.txt").read_text().splitlines()
    return {
        canonicalize_name(r.name): r
        for r in map(Requirement, (line for line in lines if line and not line.startswith("#")))
    }


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_an_env_file_names_its_channels_and_dependencies_with_pyprojects_python(path):
    env = yaml.safe_load(path.read_text())
    assert isinstance(env["name"], str) and env["channels"] and env["dependencies"]
    lowest = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert f"python={lowest}" in env["dependencies"] and "pip" in env["dependencies"]


@pytest.mark.parametrize("name", ["planted.yaml", "planted_layers.yaml"])
def test_the_rules_are_the_stages_the_config_has_each_naming_one_env_file_of_envs(name, tmp_path):
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--list-rules",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(ROOT / "configs" / name),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    config = configuration.load(ROOT / "configs" / name)
    assert sorted(listed) == sorted(["all", *(stage.name for stage in pipeline.active(config))])
    assert rule_env() in ENVS


def test_snakemake_lint_finds_nothing(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--lint",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(ROOT / "configs" / "planted.yaml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout + done.stderr
    assert "Congratulations, your workflow is in a good condition!" in out and "Lints for" not in out, out


def test_the_snakefile_and_every_rule_file_are_formatted():
    snakefmt = Path(sys.executable).with_name("snakefmt")  # the test extra's
    done = subprocess.run(
        [str(snakefmt), "--check", "Snakefile", "rules"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("rule", sorted(pipeline.STAGES))
def test_the_env_of_a_rule_holds_every_distribution_its_stage_imports(rule):
    script = PYPROJECT["project"]["scripts"]["interfacegan"].partition(":")[0]  # what the rule runs
    stage = f"interfacegan.stages.{pipeline.STAGES[rule].function.partition(':')[0]}"  # imported by name
    env = rule_env()
    needed = distributions_imported([script, stage]) - {"interfacegan"}
    assert needed - set(pip_requirements(env)) - set(no_deps()) == set()


def test_the_env_pins_are_pyprojects_with_torch_as_make_installs_it():
    torch = re.search(r"pip install --quiet torch==(\S+)", (ROOT / "Makefile").read_text()).group(1)
    project = {canonicalize_name(r.name): r for r in map(Requirement, PYPROJECT["project"]["dependencies"])}
    assert torch in project["torch"].specifier
    for env in ENVS:
        assert pip_requirements(env) == project | {"torch": Requirement(f"torch=={torch}")}, env.name


def test_make_and_the_post_deploy_script_install_the_package_and_the_no_deps_pins():
    pins = {str(r) for r in no_deps().values()}
    assert {install.split()[-1] for install in (dcgan.INSTALL, lpips.INSTALL)} | set(
        identity.INSTALL.split()[-2:]
    ) == pins
    for env in ENVS:
        script = env.with_suffix(".post-deploy.sh").read_text()
        [command] = [line.split() for line in script.splitlines() if " pip install " in line]
        assert {"--no-deps", "-e", ".", "-r", "envs/no-deps.txt"} <= set(command)
    assert "pip install --quiet --no-deps -r envs/no-deps.txt" in (ROOT / "Makefile").read_text()


def test_the_image_definition_copies_what_the_package_install_reads():
    definition = (ROOT / "envs" / "interfacegan.def").read_text()
    files = definition.split("\n%files\n")[1].split("\n%")[0]
    sources = [line.split()[0] for line in files.strip().splitlines()]
    assert all((ROOT / source).exists() for source in sources), sources
    package = module_file("interfacegan").parent
    read = {"envs", "pyproject.toml", PYPROJECT["project"]["readme"], package, configuration.SCHEMA_PATH.parent}
    assert {str(ROOT / p) for p in read} <= {str(ROOT / s) for s in sources}

"""The package's modules import one another without a cycle (read from their source: module-level
and function-level imports alike), the pipeline imports no torch, and ruff finds the code formatted
and clean."""

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from helpers import WORKFLOW, imported_modules

ROOT = WORKFLOW.parent


def package_modules() -> list[str]:
    files = sorted((WORKFLOW / "interfacegan").rglob("*.py"))
    return [".".join(file.relative_to(WORKFLOW).with_suffix("").parts).removesuffix(".__init__") for file in files]


def import_graph() -> nx.DiGraph:
    """An edge from each module to each module of the package it imports and to the packages Python
    runs first for it, except its own packages: a module runs inside them. A package's `__init__`
    importing its submodules is an edge; one of those importing a name of the `__init__` back is
    the edge that closes a cycle."""
    graph = nx.DiGraph()
    for module in package_modules():
        parts = module.split(".")
        own = {".".join(parts[:k]) for k in range(1, len(parts) + 1)}
        graph.add_node(module)
        for target in imported_modules(module):
            names = target.split(".")
            if names[0] != "interfacegan":
                continue
            parents = {".".join(names[:k]) for k in range(1, len(names))}
            graph.add_edges_from((module, m) for m in ({target} | (parents - own)) - {module})
    return graph


def test_the_graph_holds_function_level_imports_and_package_inits():
    graph = import_graph()
    assert graph.has_edge("interfacegan.cli", "interfacegan.generators.nvidia")  # inside a function
    assert graph.has_edge("interfacegan.generators", "interfacegan.generators.stylegan")  # registers it
    assert graph.has_edge("interfacegan.generators.stylegan", "interfacegan.generators.nvidia.pickles")
    assert not graph.has_edge("interfacegan.generators.stylegan", "interfacegan.generators")  # its own package


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    if not nx.is_directed_acyclic_graph(graph):
        cycle = [edge[0] for edge in nx.find_cycle(graph)]
        pytest.fail("import cycle: " + " -> ".join([*cycle, cycle[0]]))


def test_the_pipeline_imports_no_torch():
    """The Snakefile imports it (the CLI and the short stages: test_cli's test_jobs_without_images_start_light)."""
    code = "import sys, interfacegan.pipeline; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_ruff_finds_the_code_clean(command):
    ruff = Path(sys.executable).with_name("ruff")  # the test extra's
    done = subprocess.run(
        [str(ruff), *command, "workflow", "tests", "bench"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr

"""Plain helpers the test files import (`from helpers import ...`): the planted-world config, the
chain of its jobs, planted photos, a page's screenshot, and the package's imports read from its source."""

import ast
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from interfacegan import pipeline, stages
from interfacegan.layout import Layout

WORKFLOW = Path(__file__).resolve().parents[1] / "workflow"

ATTRIBUTES = ["pose", "smile", "age", "eyeglasses"]
PLANTED = {
    "run": "planted_test",
    "seed": 7,
    "n_samples": 6000,
    "shard_size": 2000,
    "batch_size": 500,
    "attributes": ATTRIBUTES,
    "generator": {
        "name": "planted",
        "attributes": ATTRIBUTES,
        "latent_dim": 32,
        "noise": 0.3,
        "cosines": [["age", "eyeglasses", 0.6]],
    },
    "predictor": {"name": "planted", "attributes": ATTRIBUTES},
    "selection": {"chosen_num_or_ratio": 0.05},
    "conditions": [
        {"primal": "eyeglasses", "conditions": ["age"]},
        {"primal": "eyeglasses", "conditions": ["age", "smile"]},
    ],
    "analysis": {"rescoring_samples": 500, "linearity_samples": 100},
    "edit": {"samples": 3, "steps": 5},
}


def run_chain(config: dict, root, analyses: bool = False) -> Layout:
    """Every job of the run in order, in this process, as the rules run them (the
    analyses and the report only when asked: they are slower)."""
    layout = Layout(config["run"], root)
    for stage, wildcards in pipeline.jobs(config):
        if analyses or stage in CORE:
            stages.run(config, stage, wildcards, layout)
    return layout


CORE = (
    "sample",
    "score",
    "merge_scores",
    "select",
    "boundary",
    "conditional_boundary",
    "separability_table",
    "planted_truth",
)


def planted_photos(folder, count: int, seed: int = 99):
    """The planted generator's images of `count` seeded codes as PNG photos in `folder`; their codes."""
    import torch
    from PIL import Image

    from interfacegan.generators import build_generator
    from interfacegan.images import to_uint8

    generator = build_generator(PLANTED["generator"])
    z = torch.randn(count, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    with torch.inference_mode():
        for i, face in enumerate(to_uint8(generator.synthesize(z))):
            Image.fromarray(face).save(folder / f"photo_{i}.png")
    return z.numpy()


def screenshot(page: Path, workdir: Path, height: int = 900) -> np.ndarray:
    """`page` as headless Debian chromium draws it 1200 pixels wide (its profile in `workdir`): RGB floats."""
    shot = workdir / "shot.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={workdir / 'profile'}",
            f"--window-size=1200,{height}",
            "--virtual-time-budget=10000",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return np.asarray(Image.open(shot).convert("RGB")).astype(float)


def module_file(module: str) -> Path | None:
    """The source file of a module of `workflow/` (a package's `__init__.py`); None for any other."""
    path = WORKFLOW / Path(*module.split("."))
    return next((p for p in (path.with_suffix(".py"), path / "__init__.py") if p.is_file()), None)


def imported_modules(module: str) -> set[str]:
    """The modules that `module` (one of `workflow/`) names in its imports, at module level or inside
    any function, as absolute names: `from X import n` names X.n where that is a module of ours, else X.
    (Python runs each one's parent packages first; they are not listed.)"""
    file = module_file(module)
    package = module.split(".") if file.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            target = node.module
            if node.level:  # relative: from the package, up level - 1
                target = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            submodules = {f"{target}.{alias.name}" for alias in node.names if module_file(f"{target}.{alias.name}")}
            found |= submodules if len(submodules) == len(node.names) else submodules | {target}
    return found

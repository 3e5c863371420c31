"""One module per pipeline stage; each stage's function reads and writes artifacts of a Layout.

The stage table (`interfacegan.pipeline`) names each function as "module:function"; `run`
imports the module when its job runs, so light jobs never import torch.
"""

import importlib
from collections.abc import Callable

from .. import pipeline
from ..layout import Layout


def function(stage: str) -> Callable:
    """The function of `stage`: called as function(view, *wildcards, layout)."""
    module, _, name = pipeline.STAGES[stage].function.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def run(config: dict, stage: str, wildcards: dict, layout: Layout) -> None:
    """One job, as the rule runs it (the config validated; `layout` holds its folder)."""
    pipeline.check_wildcards(config, stage, wildcards)
    args = [wildcards[name] for name in pipeline.STAGES[stage].wildcards]
    function(stage)(pipeline.view(config, stage), *args, layout)

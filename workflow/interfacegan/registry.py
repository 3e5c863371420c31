"""Name -> class registries for generators and predictors.

A config names a built-in by its registered name, or any class by its import path
("package.module:ClassName"), so users add networks without touching the workflow.
"""

import importlib

from .checkpoints import CheckpointError
from .config import ConfigError


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._classes: dict[str, type] = {}

    def register(self, name: str):
        def add(cls):
            self._classes[name] = cls
            cls.name = name
            return cls

        return add

    def get(self, name: str) -> type:
        if ":" in name:
            module, _, attr = name.partition(":")
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as err:
                raise ConfigError(f"config: {self.kind}.name: '{name}' cannot be imported ({err})") from err
        if name not in self._classes:
            known = ", ".join(sorted(self._classes))
            raise ConfigError(f"config: {self.kind}.name: unknown {self.kind} '{name}' (known: {known}; or give module:Class)")
        return self._classes[name]

    def build(self, section: dict):
        """An instance from a config section: `name` plus the class's own options."""
        cls = self.get(section["name"])
        options = {key: value for key, value in section.items() if key != "name"}
        try:
            return cls.from_options(options)
        except (CheckpointError, ConfigError):
            raise
        except (TypeError, ValueError) as err:  # an option the class does not take, or a bad value
            raise ConfigError(f"config: {self.kind}: {section['name']}: {err}") from err


generators = Registry("generator")
predictors = Registry("predictor")

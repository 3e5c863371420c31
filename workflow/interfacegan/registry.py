"""Name -> class registries for generators and predictors.

A config names a built-in by its registered name, or any class by its import path
("package.module:ClassName"), so users add networks without touching the workflow.
"""

import importlib
import inspect

from .checkpoints import CheckpointError
from .config import ConfigError


class Registry:
    def __init__(self, kind: str, base: type):
        """`base`: the class every entry subclasses (each package makes its registry beside it)."""
        self.kind = kind
        self.base = base
        self._classes: dict[str, type] = {}

    def register(self, name: str):
        def add(cls):
            self._classes[name] = cls
            cls.name = name
            return cls

        return add

    def get(self, name: str) -> type:
        cls = self.imported(name) if ":" in name else self._classes.get(name)
        if cls is None:
            known = ", ".join(sorted(self._classes))
            raise ConfigError(
                f"config: {self.kind}.name: unknown {self.kind} '{name}' (known: {known}; or give module:Class)"
            )
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise ConfigError(f"config: {self.kind}.name: '{name}' is not a {self.base.__name__} class")
        return cls

    def imported(self, name: str):
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as err:
            raise ConfigError(f"config: {self.kind}.name: '{name}' cannot be imported ({err})") from err

    def build(self, section: dict):
        """An instance from a config section: `name` plus the class's own options.

        Options the constructor does not take (or lacks) are config errors, and so is a
        ValueError it raises (a bad option value); any other error inside it is a bug
        and propagates as it is.
        """
        cls = self.get(section["name"])
        options = {key: value for key, value in section.items() if key != "name"}
        self.check_options(cls, options, section["name"])
        try:
            return cls.from_options(options)
        except (CheckpointError, ConfigError):
            raise
        except ValueError as err:
            raise ConfigError(f"config: {self.kind}: {section['name']}: {err}") from err

    def check_options(self, cls: type, options: dict, name: str) -> None:
        """Bind the options to the constructor's signature (unless the class reads
        them itself, with its own `from_options`)."""
        if getattr(cls.from_options, "__func__", None) is not self.base.from_options.__func__:
            return
        try:
            inspect.signature(cls).bind(**options)
        except TypeError as err:
            raise ConfigError(f"config: {self.kind}: {name}: {err}") from err

"""Name -> class registries for generators and predictors.

A config names a built-in by its registered name, or any class by its import path
("package.module:ClassName"), so users add networks without touching the workflow.
"""

import importlib


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
                raise ValueError(f"{self.kind} '{name}' cannot be imported: {err}") from err
        if name not in self._classes:
            known = ", ".join(sorted(self._classes))
            raise ValueError(f"unknown {self.kind} '{name}' (known: {known}; or give 'module:Class')")
        return self._classes[name]

    def names(self) -> list[str]:
        return sorted(self._classes)


generators = Registry("generator")
predictors = Registry("predictor")

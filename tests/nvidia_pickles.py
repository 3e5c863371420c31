"""A writer of network pickles in NVIDIA's exact layout, for tests (no NVIDIA code involved).

Each module becomes a persistent record reduced by `torch_utils.persistence.
_reconstruct_persistent_obj(meta)`, with meta {type, version, module_src, class_name, state}
and state the module's `__dict__` (children as records, init kwargs in `_init_kwargs`);
tensors are pickled by torch itself, whose storages are legacy `torch.save` byte streams.
The `torch_utils` and `dnnlib` modules the stream names are stand-ins that live in
`sys.modules` only while pickling.
"""

import contextlib
import pickle
import sys
import types

import numpy as np
import torch

STAND_IN_SOURCE = "# stand-in module source: a reader must never run this\n"
PLAIN = (bool, int, float, str, type(None), np.ndarray, np.generic)


def _reconstruct_persistent_obj(meta):  # the name NVIDIA's records are reduced by
    raise AssertionError("stand-in: never called")


class EasyDict(dict):
    """Pickled as `dnnlib.util.EasyDict`."""


class Network:
    """Pickled as a TensorFlow-era `dnnlib.tflib.network.Network`, with the state its `__getstate__`
    writes: static kwargs and components as plain dicts (components are Networks), own variables
    as a list of (local name, array)."""

    def __init__(
        self,
        name: str,  # "G", "D", "Gs", or a component's "G_mapping", "G_synthesis"
        variables: dict,  # own variables, local TF name -> array
        static_kwargs: dict | None = None,  # the build function's kwargs
        components: dict | None = None,  # sub-networks by key ("mapping", "synthesis"), Networks themselves
        build_func_name: str | None = None,  # e.g. "G_main"; default f"{name}_main"
    ):
        self.state = {
            "version": 4,
            "name": name,
            "static_kwargs": dict(static_kwargs or {}),
            "components": dict(components or {}),
            "build_module_src": STAND_IN_SOURCE,
            "build_func_name": build_func_name or f"{name}_main",
            "variables": list(variables.items()),
        }

    def __getstate__(self):
        return self.state


class PersistentRecord:
    def __init__(self, meta: dict):
        self.meta = meta

    def __reduce__(self):
        return _reconstruct_persistent_obj, (self.meta,)


def record(
    module: torch.nn.Module,
    init_kwargs: dict | None = None,
    source: str = STAND_IN_SOURCE,
    class_name: str | None = None,
) -> PersistentRecord:
    """The persistent record of `module` and its children (init kwargs on the top one only)."""
    state = {}
    for key, value in vars(module).items():
        if key == "_modules":
            value = {name: None if child is None else record(child, source=source) for name, child in value.items()}
        elif key in ("_parameters", "_buffers"):
            value = dict(value)
        elif not (isinstance(value, PLAIN) or (isinstance(value, (dict, set, tuple, list)) and key.startswith("_"))):
            continue
        state[key] = value
    state["_init_args"], state["_init_kwargs"] = (), easy(init_kwargs or {})
    meta = {
        "type": "class",
        "version": 6,
        "module_src": source,
        "class_name": class_name or type(module).__name__,
        "state": state,
    }
    return PersistentRecord(meta)


def easy(kwargs: dict) -> EasyDict:
    """Nested kwargs as EasyDicts, as NVIDIA's training scripts pass them."""
    return EasyDict({key: easy(value) if isinstance(value, dict) else value for key, value in kwargs.items()})


@contextlib.contextmanager
def stand_in_modules():
    names = ("torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util", "dnnlib.tflib", "dnnlib.tflib.network")
    saved = {name: sys.modules.get(name) for name in names}
    modules = {name: types.ModuleType(name) for name in names}
    for name, obj in (
        ("torch_utils.persistence", _reconstruct_persistent_obj),
        ("dnnlib.util", EasyDict),
        ("dnnlib.tflib.network", Network),
    ):
        setattr(modules[name], obj.__name__, obj)
        obj.__module__ = name
    sys.modules.update(modules)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def dumps(snapshot: dict | tuple, protocol: int = 4, old_numpy: bool = False) -> bytes:
    """The bytes of `snapshot` (records, tensors, plain values). `old_numpy` writes numpy's
    globals as `numpy.core.*` like the released pickles (protocol 3: names are text lines)."""
    with stand_in_modules():
        data = pickle.dumps(snapshot, protocol=protocol)
    if old_numpy:
        assert protocol <= 3, "the numpy.core spelling is written by renaming protocol-3 GLOBAL lines"
        data = data.replace(b"cnumpy._core.", b"cnumpy.core.")
    return data


def snapshot(G_ema: torch.nn.Module, init_kwargs: dict, sg3: bool = False) -> dict:
    """A training snapshot's dict in NVIDIA's key order, with only the generator filled in."""
    networks = {"G": record(G_ema, init_kwargs), "D": None, "G_ema": record(G_ema, init_kwargs), "augment_pipe": None}
    kwargs = EasyDict(class_name="training.dataset.ImageFolderDataset", path="ffhq.zip", resolution=64)
    return networks | {"training_set_kwargs": kwargs} if sg3 else {"training_set_kwargs": kwargs} | networks


def tensorflow_snapshot(
    variables: dict[str, dict],
    static_kwargs: dict,
    synthesis_func: str = "G_synthesis_stylegan2",
    D: Network | None = None,
) -> tuple:
    """A TensorFlow StyleGAN2 training snapshot (G, D, Gs) as `training_loop` pickles it: G and Gs
    built by G_main with the same static kwargs, each with components mapping (G_mapping) and
    synthesis, whose variables are `variables["mapping"]` and `variables["synthesis"]`; G_main's
    own (`lod`, `dlatent_avg`) are `variables[""]`. D is an empty stand-in unless given."""

    def generator(name: str) -> Network:
        components = {
            "synthesis": Network("G_synthesis", variables["synthesis"], static_kwargs, None, synthesis_func),
            "mapping": Network("G_mapping", variables["mapping"], static_kwargs, None, "G_mapping"),
        }
        return Network(name, variables[""], static_kwargs, components, "G_main")

    return generator("G"), D or Network("D", {}, static_kwargs, build_func_name="D_stylegan2"), generator("Gs")

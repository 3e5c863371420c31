"""NVIDIA network pickles read as data: nothing in the file is imported or run.

A StyleGAN2-ADA / StyleGAN3 snapshot is a pickled dict of "persistent" records, each the
source text of its module plus the class name, the init kwargs and the module's
`__dict__`. NVIDIA's loader executes that source. Here a restricted unpickler admits an
explicit allow-list of globals, each mapped to a local stand-in that builds plain data:
records become `Record`s (the source text is dropped unread), tensors become numpy arrays
parsed from their legacy `torch.save` byte streams by a second restricted unpickler.
Anything else in the file is refused with one line naming it.
"""

import io
import pickle
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ...artifacts import CheckpointError
from .tensorflow import TensorflowNetwork, from_stylegan1, from_tensorflow, is_stylegan1

# ---------------------------------------------------------------------------- records


class Refused(pickle.UnpicklingError):
    """The file asks for something a network pickle never needs; it is not run."""


@dataclass
class Record:
    """One persistent network object: its class name, init kwargs and module state."""

    class_name: str
    init_args: tuple
    init_kwargs: dict
    state: dict = field(repr=False)

    def children(self) -> dict:
        return self.state.get("_modules") or {}

    def state_dict(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The arrays `torch.nn.Module.state_dict()` would give, in its order: own
        parameters, persistent buffers (None skipped), then each child's."""
        skipped = self.state.get("_non_persistent_buffers_set") or set()
        out = {}
        for group in ("_parameters", "_buffers"):
            for name, value in (self.state.get(group) or {}).items():
                if value is not None and name not in skipped:
                    out[prefix + name] = value
        for name, child in self.children().items():
            if isinstance(child, Record):
                out |= child.state_dict(f"{prefix}{name}.")
        return out


class EasyDict(dict):
    """Stand-in for `dnnlib.util.EasyDict` (a dict with attribute access): a plain dict here."""


def reconstruct_persistent(meta: dict) -> Record:
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("state"), dict):
        raise Refused("a persistent record is not a class record")
    state = meta["state"]
    return Record(
        str(meta.get("class_name")), tuple(state.get("_init_args") or ()), dict(state.get("_init_kwargs") or {}), state
    )


# ---------------------------------------------------------------------------- tensors

STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class StorageType:
    """Stand-in for a `torch.<X>Storage` class named in a storage stream."""

    def __init__(self, name: str):
        self.name, self.dtype = name, np.dtype(STORAGE_DTYPES[name]).newbyteorder("<")


class StorageStreamUnpickler(pickle.Unpickler):
    """The pickles inside a legacy `torch.save` stream: typed storage classes only."""

    def find_class(self, module: str, name: str):
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageType(name)
        raise Refused(f"global '{module}.{name}' inside a tensor storage")

    def persistent_load(self, pid):
        # ('storage', type, key, location, numel, view metadata: None since torch 0.4)
        if not (
            isinstance(pid, tuple)
            and len(pid) == 6
            and pid[0] == "storage"
            and isinstance(pid[1], StorageType)
            and pid[5] is None
        ):
            raise Refused(f"unexpected persistent id in a tensor storage: {pid!r:.80}")
        _, storage_type, key, _location, numel, _ = pid
        return storage_type, str(key), int(numel)


def load_storage(data: bytes) -> np.ndarray:
    """A storage's elements from its legacy `torch.save` bytes: magic number, protocol and
    system info pickles, the storage pickle, its key list, then per key an int64 count and
    the raw little-endian elements."""
    stream = io.BytesIO(bytes(data))

    def next_pickle():
        return StorageStreamUnpickler(stream).load()

    if next_pickle() != 0x1950A86A20F9469CFC6C or next_pickle() != 1001:
        raise Refused("a tensor storage is not a legacy torch.save stream")
    next_pickle()  # system info: endianness and type sizes (little-endian is checked below)
    storage_type, key, numel = next_pickle()
    if next_pickle() != [key]:
        raise Refused("a tensor storage holds other than one storage")
    (count,) = struct.unpack("<q", stream.read(8))
    raw = stream.read()
    if count != numel or len(raw) != numel * storage_type.dtype.itemsize:
        raise Refused(f"a tensor storage is truncated ({len(raw)} bytes for {numel} elements)")
    return np.frombuffer(raw, dtype=storage_type.dtype).astype(storage_type.dtype.newbyteorder("="))


def rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None) -> np.ndarray:
    """`torch._utils._rebuild_tensor_v2` as data: the strided view of a storage, copied."""
    if not isinstance(storage, np.ndarray):
        raise Refused("a tensor without a storage")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    last = int(offset) + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else int(offset) - 1
    if int(offset) < 0 or min(stride, default=0) < 0 or len(size) != len(stride) or last >= len(storage):
        raise Refused(f"a tensor of size {size} and stride {stride} overruns its storage")
    view = np.lib.stride_tricks.as_strided(storage[int(offset) :], size, [s * storage.itemsize for s in stride])
    return np.array(view)


def rebuild_parameter(tensor, requires_grad=False, hooks=None, state=None) -> np.ndarray:
    if not isinstance(tensor, np.ndarray):
        raise Refused("a parameter without a tensor")
    return tensor


def plain_dtype(*args):
    """`numpy.dtype`, refusing object dtypes (their elements would be arbitrary objects)."""
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise Refused("a numpy array of Python objects")
    return dtype


def array_from_buffer(buffer, dtype, shape, order="C") -> np.ndarray:
    """numpy's protocol-5 array rebuilder, as data (a copy of a plain-dtype buffer)."""
    dtype = plain_dtype(dtype)
    return np.frombuffer(bytes(buffer), dtype=dtype).reshape(shape, order=order).copy()


def latin1_bytes(text: str, encoding: str) -> bytes:
    """`_codecs.encode` as protocol 2 writes bytes (text, "latin1"); no other codec."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise Refused(f"codec {encoding!r} is not allowed in a network pickle")
    return text.encode("latin1")


# ---------------------------------------------------------------------------- the unpickler

_multiarray = (getattr(np, "_core", None) or np.core).multiarray  # numpy 2 renamed numpy.core to numpy._core
NUMPY_GLOBALS = {"_reconstruct": _multiarray._reconstruct, "scalar": _multiarray.scalar}
ALLOWED = (
    {
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): reconstruct_persistent,
        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): load_storage,
        ("collections", "OrderedDict"): OrderedDict,
        ("dnnlib.util", "EasyDict"): EasyDict,
        ("dnnlib", "EasyDict"): EasyDict,
        ("dnnlib.tflib.network", "Network"): TensorflowNetwork,
        ("builtins", "set"): set,
        ("_codecs", "encode"): latin1_bytes,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): plain_dtype,
    }
    | {(f"numpy.{core}.multiarray", name): f for core in ("core", "_core") for name, f in NUMPY_GLOBALS.items()}
    | {(f"numpy.{core}.numeric", "_frombuffer"): array_from_buffer for core in ("core", "_core")}
)


class NetworkUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        module = "builtins" if module == "__builtin__" else module  # protocol 2's spelling
        if (module, name) not in ALLOWED:
            raise Refused(f"global '{module}.{name}' is not allowed in a network pickle")
        return ALLOWED[module, name]

    def persistent_load(self, pid):
        raise Refused("persistent ids are not allowed outside tensor storages")


def read_pickle(path: str | Path):
    """The top-level object of an NVIDIA network pickle, as records and arrays; nothing is run."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"network pickle not found: {path}")
    try:
        with path.open("rb") as handle:
            return NetworkUnpickler(handle).load()
    except Refused as err:
        raise CheckpointError(f"network pickle {path} refused: {err} (nothing in it was run)") from err
    except Exception as err:  # truncated or foreign bytes raise many types
        raise CheckpointError(f"network pickle {path} cannot be read ({type(err).__name__}: {err})") from err


def read_generator(
    path: str | Path,
    stylegan1: type[torch.nn.Module] | None = None,
) -> tuple[str, dict, dict[str, torch.Tensor]]:
    """(family, init kwargs, state dict) of the pickle's `G_ema`; family is "stylegan2_ada" or
    "stylegan3", told from the synthesis network's own state (StyleGAN3's has a Fourier input).
    A TensorFlow-era pickle's Gs gives "stylegan2_ada" (`tensorflow.from_tensorflow`) or, for
    StyleGAN (v1), "stylegan" with our `stylegan` generator's kwargs and official `.pth` state dict
    (`tensorflow.from_stylegan1`): only for that generator, which passes its class as `stylegan1`."""
    data = read_pickle(path)
    networks = data.values() if isinstance(data, dict) else data if isinstance(data, (tuple, list)) else ()
    tensorflow = [network for network in networks if isinstance(network, TensorflowNetwork)]
    if tensorflow:
        names = ", ".join(network.name for network in tensorflow)
        generator = next((network for network in reversed(tensorflow) if network.name == "Gs"), None)
        if generator is not None and is_stylegan1(generator) and stylegan1 is None:
            raise CheckpointError(
                f"network pickle {path} is a StyleGAN (v1) network: load it with "
                f"`generator: {{name: stylegan, checkpoint: {path}}}`, not name: nvidia"
            )
        try:
            if generator is None:
                raise CheckpointError("it has no generator Gs")
            return from_stylegan1(generator, stylegan1) if is_stylegan1(generator) else from_tensorflow(generator)
        except CheckpointError as err:
            raise CheckpointError(
                f"network pickle {path} is a TensorFlow-era pickle (networks {names}), which is not mapped: {err}"
            ) from err
    if not isinstance(data, dict):
        raise CheckpointError(f"network pickle {path} holds a {type(data).__name__}, not a dict of networks")
    network = data.get("G_ema")
    if not isinstance(network, Record):
        found = ", ".join(
            f"{k} ({v.class_name if isinstance(v, Record) else type(v).__name__})" for k, v in data.items()
        )
        raise CheckpointError(f"network pickle {path} has no generator G_ema (it holds {found or 'nothing'})")
    state = network.state_dict()
    family = "stylegan3" if "synthesis.input.freqs" in state else "stylegan2_ada"
    return family, network.init_kwargs, {key: torch.from_numpy(value) for key, value in state.items()}

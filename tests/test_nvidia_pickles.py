"""NVIDIA network pickles read as data: layouts that load, and files refused without running."""

import os
import pickle
import sys

import numpy as np
import pytest
import torch

from interfacegan.checkpoints import CheckpointError
from interfacegan.generators.nvidia.pickles import read_generator, read_pickle
from nvidia_pickles import Network, PersistentRecord, dumps, record, snapshot, stand_in_modules

KWARGS = {"z_dim": 4, "w_dim": 4, "mapping_kwargs": {"num_layers": 2}, "c_dim": 0, "img_resolution": 8}


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(3, 2))
        self.register_buffer("kernel", torch.randn(4, 4).t())  # not contiguous: strides are kept
        self.register_buffer("scratch", torch.ones(2), persistent=False)
        self.register_buffer("down_filter", None)
        self.sampling_rate, self.size = np.float64(16.5), np.array([36, 36])


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.synthesis, self.mapping = Layer(), Layer()
        self.mapping.register_buffer("w_avg", torch.arange(4.0))


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "payload_ran"
    yield path
    assert not path.exists(), "a payload in the file was run"


def write(tmp_path, obj, name="net.pkl", **kwargs) -> str:
    path = tmp_path / name
    path.write_bytes(obj if isinstance(obj, bytes) else dumps(obj, **kwargs))
    return str(path)


@pytest.mark.parametrize("protocol, old_numpy", [(2, False), (3, True), (4, False), (5, False)])
def test_state_dict_and_kwargs_come_back_exactly(tmp_path, protocol, old_numpy):
    torch.manual_seed(0)
    net = Net()
    path = write(tmp_path, snapshot(net, KWARGS, sg3=protocol == 4), protocol=protocol, old_numpy=old_numpy)
    family, kwargs, state = read_generator(path)
    expected = net.state_dict()
    assert family == "stylegan2_ada" and kwargs == KWARGS
    assert list(state) == list(expected)  # scratch (not persistent) and down_filter (None) skipped, order kept
    assert all(torch.equal(state[key], expected[key]) for key in expected)
    synthesis = read_pickle(path)["G_ema"].children()["synthesis"]
    assert synthesis.state["sampling_rate"] == 16.5 and synthesis.state["size"].tolist() == [36, 36]
    if old_numpy:
        assert b"numpy.core.multiarray" in open(path, "rb").read()


def test_stylegan3_is_told_from_its_fourier_input(tmp_path):
    net = Net()
    net.synthesis.input = torch.nn.Module()
    net.synthesis.input.register_buffer("freqs", torch.randn(8, 2))
    family, _, state = read_generator(write(tmp_path, snapshot(net, KWARGS)))
    assert family == "stylegan3" and "synthesis.input.freqs" in state


def test_dnnlib_and_torch_utils_are_never_imported_even_when_installed(tmp_path, marker, monkeypatch):
    path = write(tmp_path, snapshot(Net(), KWARGS))
    for package in ("dnnlib", "torch_utils", "training"):
        (tmp_path / "site" / package).mkdir(parents=True)
        (tmp_path / "site" / package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    read_generator(path)
    assert not {"dnnlib", "torch_utils", "training"} & set(sys.modules)


def test_module_source_is_read_as_data_only(tmp_path, marker):
    source = f"import os\nos.system('touch {marker}')\nopen({str(marker)!r}, 'w').close()\n"
    data = {"G_ema": record(Net(), KWARGS, source=source)}
    path = write(tmp_path, data)
    assert source.encode() in open(path, "rb").read()
    _, _, state = read_generator(path)
    assert "mapping.w_avg" in state
    assert "module_src" not in repr(read_pickle(path)["G_ema"])


class SystemCall:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class Eval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return eval, (f"open({str(self.marker)!r}, 'w')",)


class HiddenInStorage:
    """A tensor storage whose legacy stream carries a system call after its header."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        header = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}))
        return torch.storage._load_from_bytes, (header + pickle.dumps(SystemCall(self.marker), protocol=2),)


@pytest.mark.parametrize(
    "payload, named",
    [
        (SystemCall, "global 'posix.system'"),
        (Eval, "global 'builtins.eval'"),
        (HiddenInStorage, "global 'posix.system' inside a tensor storage"),
    ],
)
def test_payloads_are_refused_without_running(tmp_path, marker, payload, named):
    data = {"G_ema": record(Net(), KWARGS), "augment_pipe": payload(marker)}
    path = write(tmp_path, data)
    with pytest.raises(CheckpointError, match=f"refused: {named}.*nothing in it was run") as err:
        read_generator(path)
    assert "\n" not in str(err.value)


def test_an_unknown_class_is_refused_naming_it(tmp_path):
    net = Net()
    net.synthesis.extra = torch.nn.Linear(2, 2)  # a module NVIDIA would have pickled as a persistent record
    with stand_in_modules():
        meta = record(net, KWARGS).meta
        meta["state"]["_modules"]["synthesis"].meta["state"]["_modules"]["extra"] = net.synthesis.extra
    with pytest.raises(CheckpointError, match="global 'torch.nn.modules.linear.Linear' is not allowed"):
        read_generator(write(tmp_path, {"G_ema": PersistentRecord(meta)}))


def test_an_object_array_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="numpy array of Python objects"):
        read_generator(write(tmp_path, {"G_ema": record(Net(), KWARGS), "x": np.array([None, 1], dtype=object)}))


def test_a_truncated_file_is_one_line(tmp_path):
    data = dumps(snapshot(Net(), KWARGS))
    with pytest.raises(CheckpointError, match=r"net.pkl cannot be read \((EOFError|UnpicklingError)"):
        read_generator(write(tmp_path, data[: len(data) // 2]))


def test_a_discriminator_only_pickle_names_what_it_holds(tmp_path):
    path = write(tmp_path, {"D": record(Net(), {"c_dim": 0}, class_name="Discriminator")})
    with pytest.raises(CheckpointError, match=r"has no generator G_ema \(it holds D \(Discriminator\)\)"):
        read_generator(path)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(CheckpointError, match="network pickle not found: .*absent.pkl"):
        read_generator(tmp_path / "absent.pkl")


def test_a_tensorflow_era_pickle_is_named_not_run(tmp_path, marker):
    networks = tuple(Network(name, {"dlatent_avg": np.zeros(4, np.float32)}) for name in ("G", "D", "Gs"))
    path = write(tmp_path, networks, protocol=3)
    with pytest.raises(CheckpointError, match=r"TensorFlow-era pickle \(networks G, D, Gs\), which is not mapped"):
        read_generator(path)
    assert read_pickle(path)[2].state["variables"][0][0] == "dlatent_avg"

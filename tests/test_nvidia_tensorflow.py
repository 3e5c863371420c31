"""TensorFlow-era StyleGAN2 pickles (G, D, Gs) read as data onto our StyleGAN2-ADA network: the
reference variables (tests/data/nvidia/stylegan2_tf.npz, converted by NVIDIA's legacy.py there)
draw NVIDIA's images; what is not StyleGAN2's G_main is refused with one line."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from interfacegan.artifacts import CheckpointError
from interfacegan.generators import build_generator
from interfacegan.generators.nvidia import convert_pickle
from nvidia_pickles import Network, dumps, tensorflow_snapshot
from test_nvidia_generator import assert_matches

DATA = Path(__file__).parent / "data" / "nvidia"


def reference() -> dict:
    arrays = np.load(DATA / "stylegan2_tf.npz", allow_pickle=False)
    return {key: arrays[key] for key in arrays.files}


def tf_variables(arrays: dict) -> dict[str, dict]:
    """`var/<component>/<name>` back to tensorflow_snapshot's {component: {name: array}} (Gs's own under "")."""
    variables = {"": {}, "mapping": {}, "synthesis": {}}
    for key, value in arrays.items():
        if key.startswith("var/"):
            component, name = key[4:].split("/", 1)
            variables["" if component == "Gs" else component][name] = value
    return variables


def write(folder: Path, variables: dict, static_kwargs: dict, **options) -> Path:
    path = folder / "stylegan2_tf.pkl"
    path.write_bytes(dumps(tensorflow_snapshot(variables, static_kwargs, **options), protocol=3, old_numpy=True))
    return path


def reference_pickle(folder: Path) -> Path:
    arrays = reference()
    return write(folder, tf_variables(arrays), json.loads(str(arrays["static_kwargs"])))


def test_tensorflow_pickle_reproduces_nvidia_images_from_z_and_wp(tmp_path):
    arrays = reference()
    G = build_generator({"name": "nvidia", "checkpoint": str(reference_pickle(tmp_path)), "truncation_psi": 0.7})
    assert G.family == "stylegan2_ada" and G.network.synthesis.b4.conv1.conv_clamp is None
    for codes, space, image in (("z", "z", "img_z"), ("ws", "wp", "img_ws")):
        with torch.no_grad():
            ours = G.synthesize(torch.from_numpy(arrays[codes]), space)
        assert_matches((ours.permute(0, 2, 3, 1) * 127.5 + 128).clamp(0, 255).to(torch.uint8).numpy(), arrays[image])
        delta = np.abs(ours.numpy() - arrays[f"{image}_float"]).max()
        assert delta < 1e-3, f"max |Δ| {delta:.2e} from NVIDIA's float output"  # measured 1.7e-6 (z), 2.3e-6 (wp)


def test_convert_pkl_writes_a_loadable_pair(tmp_path):
    path = reference_pickle(tmp_path)
    convert_pickle(path, tmp_path / "converted")
    meta = json.loads((tmp_path / "converted.json").read_text())
    assert meta["init_kwargs"]["synthesis_kwargs"]["channel_base"] == 512  # 2 * fmap_base
    z = torch.from_numpy(reference()["z"])
    with torch.no_grad():
        images = [build_generator({"name": "nvidia", "checkpoint": str(p)}).synthesize(z)
                  for p in (path, tmp_path / "converted.pt")]
    assert torch.equal(*images)


def test_a_stylegan1_network_is_refused_in_one_line(tmp_path):
    """StyleGAN1's Gs: G_style with its own G_synthesis (variables such as 4x4/Const/Noise/weight, ToRGB_lod0)."""
    zeros = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    static_kwargs = {"num_channels": 3, "resolution": 8, "label_size": 0}
    synthesis = {"4x4/Const/const": zeros(1, 8, 4, 4), "4x4/Const/Noise/weight": zeros(8),
                 "ToRGB_lod0/weight": zeros(1, 1, 8, 3)}
    components = {"synthesis": Network("G_synthesis", synthesis, static_kwargs, None, "G_synthesis"),
                  "mapping": Network("G_mapping", {"Dense0/weight": zeros(4, 4)}, static_kwargs, None, "G_mapping")}
    own = {"lod": np.float32(0), "dlatent_avg": zeros(4)}
    networks = tuple(Network(name, own, static_kwargs, components, func)
                     for name, func in (("G", "G_style"), ("D", "D_basic"), ("Gs", "G_style")))
    path = tmp_path / "karras2019stylegan-tiny.pkl"
    path.write_bytes(dumps(networks, protocol=3, old_numpy=True))
    with pytest.raises(CheckpointError, match=r"TensorFlow-era network Gs \(build function G_style\) is not mapped: "
                                              r"only StyleGAN2's G_main is$") as err:
        build_generator({"name": "nvidia", "checkpoint": str(path)})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("change, message", [
    (lambda v, k: v["synthesis"].update({"64x64/Conv1/weight": np.zeros((3, 3, 16, 16), np.float32)}),
     r"variable synthesis/64x64/Conv1/weight is not mapped \(1 left over\)"),
    (lambda v, k: v["mapping"].update({"LabelConcat/weight": np.zeros((2, 48), np.float32)}),
     r"variable mapping/LabelConcat/weight is not mapped"),  # StyleGAN2's conditional mapping
    (lambda v, k: v["synthesis"].pop("noise3"), r"lacks variable synthesis/noise3 \(1 missing\)"),
    (lambda v, k: k.update(fmap_decay=0.5), r"static kwarg fmap_decay=0.5 is not mapped \(only 1 is\)"),
    (lambda v, k: k.update(spectral_norm=True), r"static kwarg spectral_norm=True is not mapped"),
])
def test_what_does_not_map_is_named_in_one_line(tmp_path, change, message):
    arrays = reference()
    variables, static_kwargs = tf_variables(arrays), json.loads(str(arrays["static_kwargs"]))
    change(variables, static_kwargs)
    path = write(tmp_path, variables, static_kwargs)
    pattern = r"TensorFlow-era pickle \(networks G, D, Gs\), which is not mapped: .*" + message
    with pytest.raises(CheckpointError, match=pattern) as err:
        build_generator({"name": "nvidia", "checkpoint": str(path)})
    assert "\n" not in str(err.value)

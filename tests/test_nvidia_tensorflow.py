"""TensorFlow-era StyleGAN2 pickles (G, D, Gs) read as data onto our StyleGAN2-ADA network: the
reference variables (tests/data/nvidia/stylegan2_tf.npz, converted by NVIDIA's legacy.py there)
draw NVIDIA's images; StyleGAN's (G_style) load through the `stylegan` generator as the official
`.pth` they convert to; what does not map is refused with one line."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from interfacegan.artifacts import CheckpointError
from interfacegan.generators import build_generator
from interfacegan.generators.nvidia import convert_pickle
from interfacegan.generators.nvidia.pickles import read_generator
from interfacegan.generators.nvidia.tensorflow import stylegan1_source
from interfacegan.generators.stylegan import StyleGAN
from nvidia_pickles import Network, dumps, tensorflow_snapshot
from test_nvidia_generator import assert_matches
from test_stylegan import official_shapes, random_state

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
        images = [
            build_generator({"name": "nvidia", "checkpoint": str(p)}).synthesize(z)
            for p in (path, tmp_path / "converted.pt")
        ]
    assert torch.equal(*images)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda v, k: v["synthesis"].update({"64x64/Conv1/weight": np.zeros((3, 3, 16, 16), np.float32)}),
            r"variable synthesis/64x64/Conv1/weight is not mapped \(1 left over\)",
        ),
        (
            lambda v, k: v["mapping"].update({"LabelConcat/weight": np.zeros((2, 48), np.float32)}),
            r"variable mapping/LabelConcat/weight is not mapped",
        ),  # StyleGAN2's conditional mapping
        (lambda v, k: v["synthesis"].pop("noise3"), r"lacks variable synthesis/noise3 \(1 missing\)"),
        (lambda v, k: k.update(fmap_decay=0.5), r"static kwarg fmap_decay=0.5 is not mapped \(only 1 is\)"),
        (lambda v, k: k.update(spectral_norm=True), r"static kwarg spectral_norm=True is not mapped"),
    ],
)
def test_what_does_not_map_is_named_in_one_line(tmp_path, change, message):
    arrays = reference()
    variables, static_kwargs = tf_variables(arrays), json.loads(str(arrays["static_kwargs"]))
    change(variables, static_kwargs)
    path = write(tmp_path, variables, static_kwargs)
    pattern = r"TensorFlow-era pickle \(networks G, D, Gs\), which is not mapped: .*" + message
    with pytest.raises(CheckpointError, match=pattern) as err:
        build_generator({"name": "nvidia", "checkpoint": str(path)})
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------- StyleGAN (v1): G_style


def stylegan1_variables(state: dict, resolution: int) -> dict[str, dict]:
    """An official `.pth` state dict back in TF's variables, by the inverse of the official converter's
    table (genforce/interfacegan `_STYLEGAN_PTH_VARS_TO_TF_VARS`): dense weights [in, out], conv and
    ToRGB weights [k, k, in, out], the fused conv's already TF's; `lod` in both Gs and its synthesis."""
    log2 = int(np.log2(resolution))
    arrays = {key: value.numpy() for key, value in state.items() if not key.endswith("blur.kernel")}
    variables = {
        "": {"lod": arrays["synthesis.lod"], "dlatent_avg": arrays.pop("truncation.w_avg")},
        "mapping": {},
        "synthesis": {"lod": arrays.pop("synthesis.lod")},
    }
    epilogue = {
        "apply_noise.weight": "Noise/weight",
        "bias": "bias",
        "style_mod.dense.linear.weight": "StyleMod/weight",
        "style_mod.dense.wscale.bias": "StyleMod/bias",
    }
    for key, value in arrays.items():
        parts = key.split(".")
        if "weight" in key and "dense" in key:  # the official converter's own rule, inverted
            value = value.T
        elif "weight" in key and "conv" in key:
            value = value.transpose(2, 3, 1, 0)
        if parts[0] == "mapping":  # mapping.dense{i}.linear.weight -> Dense{i}/weight
            variables["mapping"][f"Dense{parts[1][5:]}/{parts[3]}"] = value
        elif parts[1].startswith("output"):  # output{b} -> ToRGB_lod{log2 - 2 - b}
            variables["synthesis"][f"ToRGB_lod{log2 - 2 - int(parts[1][6:])}/{parts[-1]}"] = value
        elif parts[-1] == "noise":  # layer{i}'s noise map -> noise{i}
            variables["synthesis"][f"noise{parts[1][5:]}"] = value
        else:
            i = int(parts[1][5:])
            r = 2 ** (i // 2 + 2)
            scope = f"{r}x{r}/" + (("Const", "Conv")[i] if i < 2 else ("Conv0_up", "Conv1")[i % 2])
            rest = ".".join(parts[2:])
            names = {"first_layer": "const", "conv.weight": "weight", "weight": "weight"}
            name = names.get(rest) or epilogue[rest.removeprefix("epilogue.")]
            variables["synthesis"][f"{scope}/{name}"] = value
    return variables


def write_stylegan1(path: Path, variables: dict, static_kwargs: dict) -> Path:
    """(G, D, Gs) as StyleGAN's training loop pickles them: G and Gs built by G_style."""
    G, D, Gs = tensorflow_snapshot(
        variables, static_kwargs, "G_synthesis", D=Network("D", {}, static_kwargs, build_func_name="D_basic")
    )
    for network in (G, Gs):
        network.state["build_func_name"] = "G_style"
    path.write_bytes(dumps((G, D, Gs), protocol=3, old_numpy=True))
    return path


STYLEGAN1_KWARGS = {"num_channels": 3, "resolution": 16, "label_size": 0}  # what StyleGAN's training loop sets


@pytest.fixture(scope="module")
def stylegan1_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stylegan1")
    state = random_state(official_shapes(16), seed=3)
    torch.save(state, folder / "official.pth")
    write_stylegan1(folder / "karras2019stylegan-tiny.pkl", stylegan1_variables(state, 16), STYLEGAN1_KWARGS)
    return folder / "official.pth", folder / "karras2019stylegan-tiny.pkl"


def test_a_tensorflow_stylegan_pickle_draws_the_images_of_its_official_pth(stylegan1_files):
    """Every entry is the `.pth`'s, bit for bit (transposes only move numbers), so the images are equal."""
    generators = [
        build_generator({"name": "stylegan", "checkpoint": str(path), "resolution": 16}) for path in stylegan1_files
    ]
    pth, pkl = (G.state_dict() for G in generators)
    assert pth.keys() == pkl.keys() and all(torch.equal(pth[key], pkl[key]) for key in pth)
    torch.manual_seed(0)
    for codes, space in ((torch.randn(2, 512), "z"), (torch.randn(2, 6, 512), "wp")):
        with torch.no_grad():
            images = [G.synthesize(codes, space) for G in generators]
        assert torch.equal(*images) and images[0].abs().max() > 0


def test_the_fused_upsampling_layers_keep_the_tf_layout(tmp_path):
    """From 128x128 on the official `.pth` keeps TF's (3, 3, Cin, Cout) up-sampling weights: the
    whole 128x128 state dict comes back equal (names and layouts; no forward pass, it is slow here)."""
    state = random_state(official_shapes(128), seed=4)
    kwargs = STYLEGAN1_KWARGS | {"resolution": 128}
    path = write_stylegan1(tmp_path / "karras2019stylegan-128.pkl", stylegan1_variables(state, 128), kwargs)
    family, init_kwargs, converted = read_generator(path, stylegan1=StyleGAN)
    assert family == "stylegan" and init_kwargs == {"resolution": 128}
    assert converted.keys() == state.keys() and all(torch.equal(converted[key], state[key]) for key in state)
    assert converted["synthesis.layer10.weight"].shape == (3, 3, 256, 128)


def test_the_official_table_names():
    """A few rows of the official table at 1024 (ToRGB_lod shifted by 10 - log2 R elsewhere)."""
    rows = {
        "synthesis.output8.conv.weight": "synthesis/ToRGB_lod0/weight",
        "synthesis.output0.bias": "synthesis/ToRGB_lod8/bias",
        "synthesis.layer0.first_layer": "synthesis/4x4/Const/const",
        "synthesis.layer1.conv.weight": "synthesis/4x4/Conv/weight",
        "synthesis.layer16.weight": "synthesis/1024x1024/Conv0_up/weight",
        "synthesis.layer17.epilogue.apply_noise.noise": "synthesis/noise17",
        "synthesis.layer2.epilogue.style_mod.dense.wscale.bias": "synthesis/8x8/Conv0_up/StyleMod/bias",
        "synthesis.layer0.epilogue.apply_noise.weight": "synthesis/4x4/Const/Noise/weight",
        "mapping.dense7.linear.weight": "mapping/Dense7/weight",
        "truncation.w_avg": "dlatent_avg",
    }
    assert {key: stylegan1_source(key, 10)[0] for key in rows} == rows
    assert stylegan1_source("synthesis.output0.conv.weight", 4)[0] == "synthesis/ToRGB_lod2/weight"


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda v, k: v["synthesis"].update({"8x8/Conv1/Extra/weight": np.zeros(3, np.float32)}),
            r"variable synthesis/8x8/Conv1/Extra/weight is not mapped \(1 left over\)",
        ),
        (
            lambda v, k: v["mapping"].update({"LabelConcat/weight": np.zeros((2, 512), np.float32)}),
            r"variable mapping/LabelConcat/weight is not mapped \(1 left over\)",
        ),
        (lambda v, k: v["synthesis"].pop("noise5"), r"lacks variable synthesis/noise5 \(1 missing\)"),
        (lambda v, k: v[""].update(lod=np.float32(1)), r"its lod 1.0 and synthesis/lod 0.0 differ"),
        (lambda v, k: k.update(fused_scale=True), r"static kwarg fused_scale=True is not mapped \(only 'auto' is\)"),
        (
            lambda v, k: k.update(use_pixel_norm=True),
            r"static kwarg use_pixel_norm=True is not mapped \(only False is\)",
        ),
        (lambda v, k: k.update(spectral_norm=True), r"static kwarg spectral_norm=True is not mapped$"),
    ],
)
def test_what_of_a_stylegan1_pickle_does_not_map_is_named_in_one_line(stylegan1_files, tmp_path, change, message):
    variables = stylegan1_variables(torch.load(stylegan1_files[0]), 16)
    static_kwargs = dict(STYLEGAN1_KWARGS)
    change(variables, static_kwargs)
    path = write_stylegan1(tmp_path / "karras2019stylegan-tiny.pkl", variables, static_kwargs)
    pattern = r"TensorFlow-era pickle \(networks G, D, Gs\), which is not mapped: TensorFlow-era network Gs.*" + message
    with pytest.raises(CheckpointError, match=pattern) as err:
        build_generator({"name": "stylegan", "checkpoint": str(path), "resolution": 16})
    assert "\n" not in str(err.value)


def test_each_family_names_the_generator_that_loads_it(stylegan1_files, tmp_path):
    pkl = stylegan1_files[1]
    cases = [
        (
            {"name": "nvidia", "checkpoint": str(pkl)},
            rf"network pickle {pkl} is a StyleGAN \(v1\) network: load it with `generator: "
            rf"{{name: stylegan, checkpoint: {pkl}}}`, not name: nvidia$",
        ),
        ({"name": "stylegan", "checkpoint": str(pkl), "resolution": 32}, r"is 16x16, not the resolution 32 asked for$"),
        (
            {"name": "stylegan", "checkpoint": str(reference_pickle(tmp_path)), "resolution": 16},
            r"is a stylegan2_ada network, not StyleGAN \(v1\): use name: nvidia$",
        ),
    ]
    for config, message in cases:
        with pytest.raises(CheckpointError, match=message) as err:
            build_generator(config)
        assert "\n" not in str(err.value)

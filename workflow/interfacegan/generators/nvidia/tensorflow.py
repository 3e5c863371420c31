"""TensorFlow-era StyleGAN2 and StyleGAN generators (`dnnlib.tflib.network.Network` pickles) as ours.

A released TensorFlow pickle (`stylegan2-ffhq-config-f.pkl`) is the tuple (G, D, Gs); Gs, the
EMA generator, is built by `G_main` with two components, `mapping` (`G_mapping`) and `synthesis`
(`G_synthesis_stylegan2`, or `G_synthesis` in the TensorFlow StyleGAN2-ADA). Each network's
state holds its static kwargs and its own variables by TF name: `lod` and `dlatent_avg` in Gs,
`Dense{i}/weight` ([in, out]), `{r}x{r}/Conv0_up/weight` ([k, k, in, out]), `noise{i}` maps
and so on in the components. Those are the same numbers as NVIDIA's PyTorch layout: equalised-
learning-rate gains are applied at run time in both, so only axes change, plus:
- a style's bias starts at 1 in PyTorch but is added as `+ 1` after the bias in TF;
- TF's upsampling conv is a transposed conv whose kernel is flipped relative to PyTorch's;
- TF's channel count at stage s is fmap_base / 2^s, i.e. channel_base = 2 * fmap_base;
- TF StyleGAN2 never clamps (StyleGAN2-ADA's TF networks may set conv_clamp).
Every variable is consumed and every static kwarg is known, or the network is refused.

StyleGAN (v1: `karras2019stylegan-ffhq-1024x1024.pkl`) has a Gs built by `G_style`, with
components G_mapping and G_synthesis; it becomes our `stylegan` generator's official InterFaceGAN
`.pth` state dict by the official converter's table (genforce/interfacegan `StyleGANGenerator.
convert_tf_model`): dense weights transposed, conv and ToRGB weights [k, k, in, out] -> (out, in,
k, k), the fused up-sampling weights (128x128 on) kept in TF's layout, `ToRGB_lod{l}` ->
`output{log2(R) - 2 - l}`, `noise{i}` -> layer i; the blur kernels are fixed, not variables.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ...artifacts import CheckpointError
from .stylegan2_ada import Generator, resample_filter_taps

SYNTHESIS_FUNCS = ("G_synthesis_stylegan2", "G_synthesis")  # StyleGAN2's, TensorFlow StyleGAN2-ADA's
# static kwarg -> its TF default, for those mapped onto our init kwargs
MAPPED = {
    "latent_size": 512,
    "label_size": 0,
    "dlatent_size": 512,
    "resolution": 1024,
    "num_channels": 3,
    "mapping_layers": 8,
    "mapping_lrmul": 0.01,
    "fmap_base": 16384,
    "fmap_max": 512,
    "architecture": "skip",
    "resample_kernel": [1, 3, 3, 1],
    "use_noise": True,
    "conv_clamp": None,
    "num_fp16_res": 0,
}
# static kwargs our network has no switch for: accepted only at the value it implements
FIXED = {
    "mapping_nonlinearity": "lrelu",
    "nonlinearity": "lrelu",
    "fmap_decay": 1,
    "fmap_min": 1,
    "fmap_const": None,
    "normalize_latents": True,
}
# run-time or training switches of both TF-era generators (truncation and noise are our generator's own options)
SWITCHES = {
    "truncation_psi",
    "truncation_cutoff",
    "truncation_psi_val",
    "truncation_cutoff_val",
    "dlatent_avg_beta",
    "style_mixing_prob",
    "randomize_noise",
    "dtype",
    "structure",
}
# and StyleGAN2's: widths read from the variables' shapes and build functions from the components
# instead (TF's defaults for them differ between StyleGAN2 and StyleGAN2-ADA)
IGNORED = SWITCHES | {
    "fused_modconv",
    "mapping_fmaps",
    "label_fmaps",
    "mapping_func",
    "synthesis_func",
}


@dataclass
class TensorflowNetwork:
    """A TensorFlow-era `dnnlib.tflib.network.Network`: static kwargs and named variables."""

    state: dict = field(default_factory=dict, repr=False)

    def __setstate__(self, state: dict) -> None:
        self.state = dict(state, build_module_src=None)  # the build source is dropped unread

    @property
    def name(self) -> str:
        return str(self.state.get("name", "?"))


def from_tensorflow(network: TensorflowNetwork) -> tuple[str, dict, dict[str, torch.Tensor]]:
    """(family, init kwargs, state dict) of a TF Gs: "stylegan2_ada" for StyleGAN2's G_main (StyleGAN's
    G_style is `from_stylegan1`'s); CheckpointError naming what does not map (another build function,
    an unknown kwarg, a variable)."""
    state = network.state
    name = network.name
    check_build(state, name)
    kwargs = dict(state.get("static_kwargs") or {})
    variables = collect_variables(state)
    init_kwargs = generator_kwargs(kwargs, variables, name)
    with torch.device("meta"):
        template = Generator(**init_kwargs).state_dict()
    variables.pop("lod", None)  # G_main's progressive-growing level: only read while training
    taps = init_kwargs["synthesis_kwargs"]["resample_filter"]
    fixed = {key: resample_filter_taps(taps) for key in template if key.endswith("resample_filter")}
    return "stylegan2_ada", init_kwargs, convert(template, fixed, source, variables, name)


def check_build(state: dict, name: str, func: str = "G_main", mapped: dict | None = None) -> None:
    """The build function is `func` and the components are exactly `mapped` {key: build functions}."""
    mapped = mapped or {"mapping": ("G_mapping",), "synthesis": SYNTHESIS_FUNCS}
    found = state.get("build_func_name")
    if found != func:
        raise CheckpointError(
            f"TensorFlow-era network {name} (build function {found}) is not mapped: "
            "only StyleGAN2's G_main and StyleGAN's G_style are"
        )
    components = state.get("components") or {}
    funcs = {key: getattr(comp, "state", {}).get("build_func_name") for key, comp in components.items()}
    if funcs.keys() != mapped.keys() or any(funcs[key] not in mapped[key] for key in mapped):
        found = ", ".join(f"{key} ({func})" for key, func in funcs.items()) or "none"
        wanted = " and ".join(f"{key} ({' or '.join(options)})" for key, options in mapped.items())
        raise CheckpointError(f"TensorFlow-era network {name} has components {found}; only {wanted} are mapped")


def collect_variables(state: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """Own variables by local name, then each component's as `component/name`, as TF's `Network.vars`."""
    out = {prefix + str(var): np.asarray(value) for var, value in state.get("variables") or ()}
    for key, comp in (state.get("components") or {}).items():
        out |= collect_variables(comp.state, f"{prefix}{key}/")
    return out


def generator_kwargs(kwargs: dict, variables: dict[str, np.ndarray], name: str) -> dict:
    """Our Generator's init kwargs from the static kwargs (TF defaults where absent) and the mapping widths."""
    check_kwargs(kwargs, MAPPED, FIXED, IGNORED, name)

    def get(key: str):
        return kwargs[key] if key in kwargs else MAPPED[key]

    if get("resample_kernel") is None:
        raise CheckpointError(f"TensorFlow-era network {name}: resample_kernel None (no filtering) is not mapped")
    num_layers, c_dim = int(get("mapping_layers")), int(get("label_size"))
    mapping = {
        "num_layers": num_layers,  # fully connected layers
        "embed_features": width(variables, "mapping/LabelEmbed/weight") if c_dim else None,  # label embedding width
        "layer_features": width(variables, "mapping/Dense0/weight") if num_layers > 1 else None,  # hidden width
        "lr_multiplier": float(get("mapping_lrmul")),  # parameters are stored divided by it
    }
    synthesis = {
        "channel_base": 2 * int(get("fmap_base")),  # TF halves the channels one stage earlier
        "channel_max": int(get("fmap_max")),
        "num_fp16_res": int(get("num_fp16_res")),
        "architecture": str(get("architecture")),
        "conv_clamp": None if get("conv_clamp") is None else float(get("conv_clamp")),
        "resample_filter": [int(tap) if float(tap).is_integer() else float(tap) for tap in get("resample_kernel")],
        "use_noise": bool(get("use_noise")),
    }
    return {
        "z_dim": int(get("latent_size")),
        "c_dim": c_dim,
        "w_dim": int(get("dlatent_size")),
        "img_resolution": int(get("resolution")),
        "img_channels": int(get("num_channels")),
        "mapping_kwargs": mapping,
        "synthesis_kwargs": synthesis,
    }


def check_kwargs(kwargs: dict, mapped: dict, fixed: dict, ignored: set, name: str) -> None:
    """Each static kwarg is mapped, ignored, or at the one value our network implements."""
    unknown = sorted(set(kwargs) - set(mapped) - set(fixed) - ignored)
    if unknown:
        key = unknown[0]
        raise CheckpointError(f"TensorFlow-era network {name}: static kwarg {key}={kwargs[key]!r} is not mapped")
    for key, value in fixed.items():
        found = list(kwargs[key]) if isinstance(kwargs.get(key), tuple) else kwargs.get(key, value)
        if found != value:
            raise CheckpointError(
                f"TensorFlow-era network {name}: static kwarg {key}={kwargs[key]!r} is not mapped (only {value!r} is)"
            )


def width(variables: dict[str, np.ndarray], key: str) -> int | None:
    """Output width of a dense layer's [in, out] weight (None when absent: the key check names it)."""
    return int(variables[key].shape[1]) if key in variables and variables[key].ndim == 2 else None


# ---------------------------------------------------------------------------- variables


def dense(value: np.ndarray) -> np.ndarray:
    return value.T  # TF [in, out] -> PyTorch (out, in)


def conv(value: np.ndarray) -> np.ndarray:
    return value.transpose(3, 2, 0, 1)  # TF [kh, kw, in, out] -> PyTorch (out, in, kh, kw)


def up_conv(value: np.ndarray) -> np.ndarray:
    return conv(value[::-1, ::-1])


def style_bias(value: np.ndarray) -> np.ndarray:
    return value + 1


def layer_scope(block: str, layer: str) -> str:
    """The TF scope of synthesis layer `layer` (conv0, conv1, torgb, skip) of block `b{r}`."""
    r = int(block[1:])
    names = {"conv0": "Conv0_up", "conv1": "Conv" if r == 4 else "Conv1", "torgb": "ToRGB", "skip": "Skip"}
    return f"synthesis/{r}x{r}/{names[layer]}"


def noise_index(block: str, layer: str) -> int:
    """TF numbers the noise maps by conv layer: 4x4's conv is 0, then conv0 and conv1 of each block."""
    log2 = int(math.log2(int(block[1:])))
    return 0 if log2 == 2 else 2 * log2 - (5 if layer == "conv0" else 4)


def source(key: str) -> tuple[str, Callable[[np.ndarray], np.ndarray] | None]:
    """(TF variable name, transform to our layout) of one entry of our Generator's state dict."""
    parts = key.split(".")
    if key == "mapping.w_avg":
        return "dlatent_avg", None
    if parts[0] == "mapping":
        scope = "LabelEmbed" if parts[1] == "embed" else f"Dense{parts[1][2:]}"
        return f"mapping/{scope}/{parts[2]}", dense if parts[2] == "weight" else None
    block, rest = parts[1], parts[2:]
    if rest == ["const"]:
        return "synthesis/4x4/Const/const", lambda value: value[0]
    layer, param = rest[0], ".".join(rest[1:])
    if param == "noise_const":
        return f"synthesis/noise{noise_index(block, layer)}", lambda value: value[0, 0]
    scope = layer_scope(block, layer)
    if param == "weight":
        return f"{scope}/weight", up_conv if layer in ("conv0", "skip") else conv
    if param.startswith("affine."):
        return f"{scope}/mod_{param[7:]}", dense if param.endswith("weight") else style_bias
    return f"{scope}/{param}", None


def convert(
    template: dict, fixed: dict, source: Callable, variables: dict[str, np.ndarray], name: str
) -> dict[str, torch.Tensor]:
    """Our state dict: `fixed` entries as given, each other one from its TF variable by
    `source(key)` -> (TF name, transform); shapes are checked against `template`'s."""
    unused = dict(variables)
    state, missing = {}, []
    for key, expected in template.items():
        if key in fixed:
            state[key] = fixed[key]
            continue
        tf_name, transform = source(key)
        if tf_name not in unused:
            missing.append(tf_name)
            continue
        value = unused.pop(tf_name)
        value = np.array(transform(value) if transform else value, dtype=np.float32, order="C")
        if value.shape != tuple(expected.shape):
            raise CheckpointError(
                f"TensorFlow-era network {name}: variable {tf_name} gives {key} of shape "
                f"{value.shape}, not {tuple(expected.shape)}"
            )
        state[key] = torch.from_numpy(value)
    if unused:
        raise CheckpointError(
            f"TensorFlow-era network {name}: variable {next(iter(unused))} is not mapped ({len(unused)} left over)"
        )
    if missing:
        raise CheckpointError(f"TensorFlow-era network {name} lacks variable {missing[0]} ({len(missing)} missing)")
    return state


# ---------------------------------------------------------------------------- StyleGAN (v1)

# G_style's static kwargs (passed on to G_mapping and G_synthesis) -> the one value our network implements
STYLEGAN1_FIXED = {
    "latent_size": 512,
    "label_size": 0,
    "dlatent_size": 512,
    "num_channels": 3,
    "mapping_layers": 8,
    "mapping_fmaps": 512,
    "mapping_lrmul": 0.01,
    "mapping_nonlinearity": "lrelu",
    "normalize_latents": True,
    "use_wscale": True,
    "fmap_base": 8192,
    "fmap_decay": 1,
    "fmap_max": 512,
    "use_styles": True,
    "const_input_layer": True,
    "use_noise": True,
    "nonlinearity": "lrelu",
    "use_pixel_norm": False,
    "use_instance_norm": True,
    "fused_scale": "auto",
    "blur_filter": [1, 2, 1],
}
STYLEGAN1_COMPONENTS = {"mapping": ("G_mapping",), "synthesis": ("G_synthesis",)}


def is_stylegan1(network: TensorflowNetwork) -> bool:
    return network.state.get("build_func_name") == "G_style"


def from_stylegan1(
    network: TensorflowNetwork,
    stylegan1: type[torch.nn.Module],
) -> tuple[str, dict, dict[str, torch.Tensor]]:
    """("stylegan", {"resolution": R}, the official `.pth` state dict) of a TF StyleGAN Gs (G_style).
    `stylegan1` is our `stylegan` generator's class, passed in by it (it imports this package): built
    on the meta device at the pickle's resolution, its state dict is the template filled here."""
    state, name = network.state, network.name
    check_build(state, name, "G_style", STYLEGAN1_COMPONENTS)
    kwargs = dict(state.get("static_kwargs") or {})
    check_kwargs(kwargs, {"resolution": 1024}, STYLEGAN1_FIXED, SWITCHES, name)
    resolution = int(kwargs.get("resolution", 1024))
    try:
        with torch.device("meta"):
            template = stylegan1(resolution=resolution).state_dict()
    except ValueError as err:
        raise CheckpointError(f"TensorFlow-era network {name}: {err}") from err
    variables = collect_variables(state)
    check_lods(variables, name)
    blur = torch.outer(torch.tensor([1.0, 2.0, 1.0]), torch.tensor([1.0, 2.0, 1.0])) / 16
    fixed = {key: blur.expand(value.shape).clone() for key, value in template.items() if key.endswith("blur.kernel")}
    log2 = int(math.log2(resolution))
    return (
        "stylegan",
        {"resolution": resolution},
        convert(template, fixed, lambda key: stylegan1_source(key, log2), variables, name),
    )


def check_lods(variables: dict[str, np.ndarray], name: str) -> None:
    """G_style assigns its own `lod` to the synthesis's before each run; the official converter
    reads the synthesis's. Both are consumed here, and must agree."""
    own, synthesis = variables.pop("lod", None), variables.get("synthesis/lod")
    if own is not None and synthesis is not None and float(own) != float(synthesis):
        raise CheckpointError(
            f"TensorFlow-era network {name}: its lod {float(own)} and synthesis/lod {float(synthesis)} differ"
        )


def stylegan1_layer_scope(index: int) -> str:
    """The TF scope of synthesis layer `index`: two per resolution, the first one up-samples."""
    r = 2 ** (index // 2 + 2)
    name = ("Const", "Conv")[index] if index < 2 else ("Conv0_up", "Conv1")[index % 2]
    return f"synthesis/{r}x{r}/{name}"


STYLEGAN1_EPILOGUE = {
    "apply_noise.weight": ("Noise/weight", None),
    "bias": ("bias", None),
    "style_mod.dense.linear.weight": ("StyleMod/weight", dense),
    "style_mod.dense.wscale.bias": ("StyleMod/bias", None),
}


def stylegan1_source(key: str, log2: int) -> tuple[str, Callable[[np.ndarray], np.ndarray] | None]:
    """(TF variable name, transform) of one key of the official `.pth` at resolution 2^log2."""
    parts = key.split(".")
    if key == "truncation.w_avg":
        return "dlatent_avg", None
    if key == "synthesis.lod":
        return "synthesis/lod", None
    if parts[0] == "mapping":  # mapping.dense{i}.linear.weight / .wscale.bias
        return f"mapping/Dense{parts[1][5:]}/{parts[3]}", dense if parts[3] == "weight" else None
    block, rest = parts[1], ".".join(parts[2:])
    if block.startswith("output"):  # ToRGB, numbered by level of detail from the top resolution
        lod = log2 - 2 - int(block[6:])
        return f"synthesis/ToRGB_lod{lod}/{parts[-1]}", conv if rest == "conv.weight" else None
    index = int(block[5:])
    scope = stylegan1_layer_scope(index)
    if rest == "first_layer":
        return f"{scope}/const", None
    if rest == "conv.weight":
        return f"{scope}/weight", conv
    if rest == "weight":  # the fused up-sampling conv, kept in TF's layout
        return f"{scope}/weight", None
    if rest == "epilogue.apply_noise.noise":
        return f"synthesis/noise{index}", None
    tf_name, transform = STYLEGAN1_EPILOGUE[rest.removeprefix("epilogue.")]
    return f"{scope}/{tf_name}", transform

"""NVIDIA StyleGAN2-ADA and StyleGAN3 generators, read from network pickles as data.

`checkpoint` is a network pickle (`*.pkl`, or any name but `.pt`: a training snapshot or a
released network, read by `pickles.read_generator` without running anything) or the `STEM.pt` +
`STEM.json` pair that `interfacegan convert-pkl` writes from one (a `weights_only` state dict and the init
kwargs), which loads without the pickle. The networks are ours (`stylegan2_ada.py`,
`stylegan3.py`), with NVIDIA's state-dict layout.
"""

import functools
import importlib
from pathlib import Path

import torch

from ...checkpoints import CheckpointError, check_fits, load_state_dict, read_metadata, save_with_metadata
from ..base import Generator, registry
from .mapping import truncate
from .pickles import read_generator

FAMILIES = ("stylegan2_ada", "stylegan3")  # our modules, one per network family
NOISE_MODES = ("const", "random", "none")
METADATA_SCHEMA = {
    "type": "object",
    "required": ["family", "init_kwargs"],
    "properties": {"family": {"enum": list(FAMILIES)}, "init_kwargs": {"type": "object"}},
}


def build_network(family: str, init_kwargs: dict) -> torch.nn.Module:
    """Our network of `family` ("stylegan2_ada" or "stylegan3") built from a pickle's init kwargs."""
    return network_class(family)(**init_kwargs)


def network_class(family: str) -> type:
    """The Generator class of `family`'s module (imported here, never under the meta device: its
    module-level tensors must hold data)."""
    return importlib.import_module(f".{family}", __package__).Generator


def load_network(checkpoint: str | Path) -> tuple[str, dict, torch.nn.Module]:
    """(family, init kwargs, network with the checkpoint's weights) of a converted `.pt` (with its
    `.json`) or, under any other name, a network pickle."""
    path = Path(checkpoint)
    if path.suffix in (".pt", ".json"):
        path, _, meta = read_metadata(path, METADATA_SCHEMA, "converted NVIDIA generator")
        family, init_kwargs, state = meta["family"], meta["init_kwargs"], load_state_dict(path)
    else:
        family, init_kwargs, state = read_generator(path)
    build = functools.partial(network_class(family), **init_kwargs)  # its module imported before the meta device is on
    with torch.device("meta"):  # the file's kwargs cannot allocate more than its weights hold
        check_fits(state, build(), path)
    network = build()
    network.load_state_dict(state)
    return family, init_kwargs, network


def convert_pickle(pickle_path: str | Path, stem: str | Path) -> Path:
    """Write STEM.pt (G_ema's state dict, loadable with `weights_only`) and STEM.json (family and
    init kwargs) from a network pickle; later loads skip the pickle. Returns STEM.pt."""
    if Path(pickle_path).suffix in (".pt", ".json"):
        raise CheckpointError(f"{pickle_path} is a converted checkpoint already, not a network pickle")
    family, init_kwargs, network = load_network(pickle_path)
    meta = {"family": family, "init_kwargs": init_kwargs, "source": Path(pickle_path).name}
    return save_with_metadata(network, stem, meta)


@registry.register("nvidia")
class NvidiaGenerator(Generator):
    """G_ema of an NVIDIA StyleGAN2-ADA / StyleGAN3 pickle, with NVIDIA's truncation and W+."""

    spaces = ("z", "w", "wp")

    def __init__(
        self,
        checkpoint: str,  # network pickle (.pkl) or `convert-pkl` output (.pt with its .json)
        truncation_psi: float = 1.0,  # 1 = no truncation
        truncation_cutoff: int | None = None,  # truncate the first this many W+ layers (None: all)
        noise_mode: str = "const",  # StyleGAN2-ADA noise: "const" (stored maps), "random" or "none"
        class_index: int | None = None,  # the class of a conditional network (c_dim > 0)
    ):
        super().__init__()
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {', '.join(NOISE_MODES)}, not {noise_mode!r}")
        self.family, _, self.network = load_network(checkpoint)
        net = self.network
        self.latent_dim, self.resolution, self.num_ws = net.z_dim, net.img_resolution, net.num_ws
        if truncation_cutoff is not None and not 0 <= truncation_cutoff <= self.num_ws:
            raise ValueError(
                f"truncation_cutoff must be in 0..{self.num_ws} (the network's W+ layers), not {truncation_cutoff}"
            )
        self.truncation_psi, self.truncation_cutoff, self.noise_mode = truncation_psi, truncation_cutoff, noise_mode
        self.register_buffer("label", self.class_label(class_index, net.c_dim, checkpoint), persistent=False)

    @staticmethod
    def class_label(index: int | None, c_dim: int, checkpoint: str) -> torch.Tensor | None:
        """The one-hot class label of a conditional network (None for an unconditional one)."""
        if c_dim == 0:
            if index is not None:
                raise ValueError(f"class_index is {index}, but {checkpoint} is unconditional (c_dim 0)")
            return None
        if index is None or not 0 <= index < c_dim:
            raise ValueError(
                f"{checkpoint} is class-conditional (c_dim {c_dim}): set class_index to one of 0..{c_dim - 1}"
            )
        return torch.nn.functional.one_hot(torch.tensor([index]), c_dim).float()

    def map_codes(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        label = None if self.label is None else self.label.expand(len(z), -1)
        w = self.network.mapping(z, label)[:, 0]
        return {"w": w, "wp": self.w_to_wp(w)}

    def w_to_wp(self, w: torch.Tensor) -> torch.Tensor:
        wp = w.unsqueeze(1).repeat(1, self.num_ws, 1)
        return truncate(wp, self.network.mapping.w_avg, self.truncation_psi, self.truncation_cutoff)

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        wp = self.wp_codes(codes, space)
        images = self.network.synthesis(wp, noise_mode=self.noise_mode)
        return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images  # grayscale networks as RGB

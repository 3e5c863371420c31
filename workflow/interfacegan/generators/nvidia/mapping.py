"""The mapping network and the generator frame shared by StyleGAN2-ADA and StyleGAN3, in NVIDIA's
state-dict layout.

Written from the papers and the public key names: `fc{i}.weight` (out, in) and `fc{i}.bias`
are stored divided by the learning-rate multiplier and scaled back at run time; `embed.*`
maps a class label (c_dim > 0); `w_avg` is the running mean of W, the truncation centre.
"""

import inspect
import math

import torch
from torch import nn
from torch.nn import functional as F


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x divided by its root mean square over the feature axis."""
    return x * (x.square().mean(1, keepdim=True) + eps).rsqrt()


class FullyConnectedLayer(nn.Module):
    """y = act(x Wᵀ·lr/√in + b·lr); a leaky ReLU (slope 0.2) is scaled by √2 to keep the variance."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,  # add a bias before the activation
        activation: str = "linear",  # "linear" or "lrelu"
        lr_multiplier: float = 1.0,  # parameters are stored divided by it
        bias_init: float | list[float] = 0.0,  # initial bias: a scalar or one value per output
    ):
        super().__init__()
        if activation not in ("linear", "lrelu"):
            raise ValueError(f"unsupported activation {activation!r}")
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        init = torch.broadcast_to(torch.as_tensor(bias_init, dtype=torch.float32), (out_features,))
        self.bias = nn.Parameter(init / lr_multiplier) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = None if self.bias is None else self.bias * self.bias_gain
        x = F.linear(x, self.weight * self.weight_gain, bias)
        return F.leaky_relu(x, 0.2) * math.sqrt(2) if self.activation == "lrelu" else x


class MappingNetwork(nn.Module):
    """z (and a class label c) to `num_ws` copies of w, truncated toward `w_avg` on request."""

    def __init__(
        self,
        z_dim: int,  # Z dimensionality
        c_dim: int,  # class-label dimensionality, 0 = unconditional
        w_dim: int,  # W dimensionality
        num_ws: int,  # copies of w returned (one per synthesis input)
        num_layers: int = 8,  # fully connected layers
        embed_features: int | None = None,  # label embedding width, None = w_dim
        layer_features: int | None = None,  # hidden width, None = w_dim
        activation: str = "lrelu",
        lr_multiplier: float = 0.01,
        w_avg_beta: float = 0.995,  # training-time decay of w_avg (unused here)
    ):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws, self.num_layers = z_dim, c_dim, w_dim, num_ws, num_layers
        embed_features = (w_dim if embed_features is None else embed_features) if c_dim > 0 else 0
        layer_features = w_dim if layer_features is None else layer_features
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed_features)
        widths = [z_dim + embed_features] + [layer_features] * (num_layers - 1) + [w_dim]
        for i in range(num_layers):
            self.add_module(
                f"fc{i}",
                FullyConnectedLayer(widths[i], widths[i + 1], activation=activation, lr_multiplier=lr_multiplier),
            )
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
    ) -> torch.Tensor:
        """W codes (N, num_ws, w_dim); the first `truncation_cutoff` (None: all) pulled toward `w_avg`."""
        parts = [normalize_2nd_moment(z.float())] if self.z_dim > 0 else []
        if self.c_dim > 0:
            if c is None or c.shape[1:] != (self.c_dim,):
                raise ValueError(f"this generator needs class labels of shape (N, {self.c_dim})")
            parts.append(normalize_2nd_moment(self.embed(c.float())))
        x = torch.cat(parts, 1)
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        return truncate(x.unsqueeze(1).repeat(1, self.num_ws, 1), self.w_avg, truncation_psi, truncation_cutoff)


def truncate(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: int | None) -> torch.Tensor:
    """NVIDIA's truncation: lerp the first `cutoff` (None: all) of ws (N, L, d) toward `w_avg` by psi."""
    if psi == 1:
        return ws
    cutoff = ws.shape[1] if cutoff is None else cutoff
    return torch.cat([w_avg.lerp(ws[:, :cutoff], psi), ws[:, cutoff:]], 1)


class StyleGenerator(nn.Module):
    """z (and a class label c) -> mapping -> W+ -> synthesis -> image, in NVIDIA's `Generator` layout:
    `Family(**pickle_init_kwargs)` is the network whose state dict a pickle's G_ema loads into.
    A family sets `build_synthesis` and its mapping defaults."""

    mapping_defaults: dict = {}

    def __init__(
        self,
        z_dim: int,  # Z dimensionality
        c_dim: int,  # class-label dimensionality, 0 = unconditional
        w_dim: int,  # W dimensionality
        img_resolution: int,  # output width and height
        img_channels: int,  # output channels
        mapping_kwargs: dict | None = None,  # MappingNetwork options (num_layers, ...)
        **synthesis_kwargs,  # the family's synthesis options (unknown ones are refused)
    ):
        super().__init__()
        mapping_kwargs = self.mapping_defaults | dict(mapping_kwargs or {})
        unknown = sorted(set(mapping_kwargs) - set(inspect.signature(MappingNetwork).parameters))
        if unknown:
            raise ValueError(f"unknown mapping options {', '.join(f'mapping_kwargs.{k}' for k in unknown)}")
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = self.build_synthesis(w_dim, img_resolution, img_channels, synthesis_kwargs)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, c_dim, w_dim, self.num_ws, **mapping_kwargs)

    def build_synthesis(self, w_dim: int, img_resolution: int, img_channels: int, options: dict) -> nn.Module:
        raise NotImplementedError

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        truncation_psi: float = 1,
        truncation_cutoff: int | None = None,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must be (N, {self.z_dim}), not {tuple(z.shape)}")
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode)

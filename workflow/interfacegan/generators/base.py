"""The interface every generator implements."""

import torch

from ..registry import Registry


class Generator(torch.nn.Module):
    """Maps latent codes to RGB images in [-1, 1], shape (N, 3, H, W).

    Subclasses set `latent_dim`, `resolution` and `spaces` (the latent spaces they
    synthesize from; "z" first), and build themselves from the `generator:` section
    of the config with `from_options`.
    """

    name: str = "generator"
    latent_dim: int
    resolution: int
    spaces: tuple[str, ...] = ("z",)
    channels_last: bool = False  # plain convolutions, faster on NHWC tensors (see runtime.for_inference)

    @classmethod
    def from_options(cls, options: dict) -> "Generator":
        """Build the network from the config's `generator:` mapping (minus `name`)."""
        return cls(**options)

    def prepare_z(self, z: torch.Tensor) -> torch.Tensor:
        """Post-process raw N(0, I) draws into this generator's Z codes (default: as is)."""
        return z

    def map_codes(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """The codes of the spaces other than Z for prepared Z codes (default: none)."""
        return {}

    def w_to_wp(self, w: torch.Tensor) -> torch.Tensor:
        """The W+ codes (N, layers, d) of W codes: w per layer, truncated as synthesis from W does."""
        raise ValueError(f"{self.name} has no W+ space")

    def wp_codes(self, codes: torch.Tensor, space: str) -> torch.Tensor:
        """The W+ codes that codes of `space` (z, w or wp) synthesize from."""
        if space == "z":
            return self.map_codes(codes)["wp"]
        if space == "w":
            return self.w_to_wp(codes)
        if space == "wp":
            return codes
        raise ValueError(f"{self.name} synthesizes from z, w or wp, not {space!r}")

    def synthesize(self, codes: torch.Tensor, space: str = "z") -> torch.Tensor:
        raise NotImplementedError


registry = Registry("generator", Generator)  # the built-ins register with @registry.register(name)

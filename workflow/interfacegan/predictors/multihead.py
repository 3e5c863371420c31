"""A compact ResNet-style multi-attribute predictor (trained by `predictors.train`) and a
bring-your-own TorchScript predictor. Both read a JSON file beside the checkpoint:

    {"format": "interfacegan-predictor/1",
     "architecture": {"widths": [32, 64, 128, 256], "blocks": [2, 2, 2, 2]},  # multihead only
     "attributes": ["Smiling", "yaw"], "outputs": {"Smiling": "logit", "yaw": "regression"},
     "input_size": 64, "mean": [r, g, b], "std": [r, g, b],
     "framing": "centre"}  # optional: how training images were cut (centre or ffhq; absent = centre)

Images come in [-1, 1] and reach the network as ((x + 1) / 2 - mean) / std. Each output is
a logit (binary attribute) or a regression value (e.g. yaw); higher = more of the attribute.
"""

from pathlib import Path

import torch
from torch import nn

from ..checkpoints import CheckpointError, build_checked, read_sidecar, save_with_metadata
from ..config import ConfigError, schema_error
from ..layout import sidecar
from .base import Predictor, registry

FORMAT = "interfacegan-predictor/1"


def counts(largest: int) -> dict:
    """A schema: 1 to 8 whole numbers (one per stage), each in 1..largest."""
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": 8,
        "items": {"type": "integer", "minimum": 1, "maximum": largest},
    }


WIDTHS, BLOCKS = counts(4096), counts(64)  # channels of a stage, blocks of a stage (shared with the encoder)
RGB = {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "number", "minimum": -100, "maximum": 100}}
METADATA_SCHEMA = {
    "type": "object",
    "maxProperties": 64,
    "required": ["format", "attributes", "outputs", "input_size", "mean", "std"],
    "properties": {
        "format": {"const": FORMAT},
        "architecture": {
            "type": "object",
            "required": ["widths", "blocks"],
            "properties": {"widths": WIDTHS, "blocks": BLOCKS},
            "additionalProperties": False,
        },
        "attributes": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "uniqueItems": True,
            "items": {"type": "string", "maxLength": 200},
        },
        "outputs": {"type": "object", "maxProperties": 1000, "additionalProperties": {"enum": ["logit", "regression"]}},
        "input_size": {"type": "integer", "minimum": 1, "maximum": 4096},
        "mean": RGB,
        "std": {**RGB, "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}},
        "framing": {"enum": ["centre", "ffhq"]},
    },
}


def check_stages(command: str, widths: list[int], blocks: list[int] | None) -> None:
    """`command`'s --widths and --blocks within the bounds the checkpoint's loader holds its sidecar to."""
    if blocks and len(blocks) != len(widths):
        raise ConfigError(f"{command}: --blocks needs one count per --widths entry")
    for flag, values, schema in (("--widths", widths, WIDTHS), ("--blocks", blocks or [], BLOCKS)):
        error = schema_error(schema, values) if values else None
        if error is not None:
            raise ConfigError(f"{command}: {flag}: {error.message}")


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm and a (projected when the shape changes) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        out += self.shortcut(x)  # in place: two fewer activation-sized tensors to allocate and fill
        return out.relu_()


class MultiHeadNet(nn.Module):
    """Stem, one stage of `blocks[i]` BasicBlocks per width (each after the first halves the
    resolution), global average pool, one linear output per attribute. Any input size works."""

    def __init__(self, n_outputs: int, widths=(32, 64, 128, 256), blocks=(2, 2, 2, 2)):
        super().__init__()
        if len(widths) != len(blocks):
            raise ValueError(f"widths {list(widths)} and blocks {list(blocks)} differ in length")
        layers: list[nn.Module] = [
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        ]
        cin = widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks)):
            for index in range(count):
                layers.append(BasicBlock(cin, width, 2 if stage > 0 and index == 0 else 1))
                cin = width
        self.trunk = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(cin, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs (N, n_outputs) of normalised images."""
        return self.head(self.trunk(x))


class Normalise(nn.Module):
    """[-1, 1] images to ((x + 1) / 2 - mean) / std per channel."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return ((images + 1) / 2 - self.mean) / self.std


def read_predictor_metadata(checkpoint: str | Path, architecture: bool = True) -> dict:
    """The checkpoint's JSON (`checkpoints.read_sidecar`), validated (with `architecture` required when asked)."""
    path = sidecar(checkpoint)
    schema = {**METADATA_SCHEMA, "required": METADATA_SCHEMA["required"] + ["architecture"] * architecture}
    meta = read_sidecar(checkpoint, schema, "predictor")
    if set(meta["outputs"]) != set(meta["attributes"]):
        raise CheckpointError(
            f"predictor metadata {path}: outputs must name each attribute once ({', '.join(meta['attributes'])})"
        )
    if architecture and len(meta["architecture"]["widths"]) != len(meta["architecture"]["blocks"]):
        raise CheckpointError(f"predictor metadata {path}: architecture: widths and blocks must be equally long")
    return meta


def save_checkpoint(checkpoint: str | Path, net: MultiHeadNet, meta: dict) -> Path:
    """Write STEM.pt and STEM.json (`meta` and the format) of `checkpoint` STEM.pt (`checkpoints.save_with_metadata`)."""
    return save_with_metadata(net, checkpoint, {"format": FORMAT, **meta})


class JsonPredictor(Predictor):
    """Shared by both: attributes, input size and normalisation from the JSON metadata."""

    def __init__(self, meta: dict, net: nn.Module):
        super().__init__()
        self.attributes, self.input_size = tuple(meta["attributes"]), meta["input_size"]
        self.outputs = dict(meta["outputs"])
        self.framing = meta.get("framing", "centre")  # predictors written before framings were centre-cropped
        self.normalise = Normalise(meta["mean"], meta["std"])
        self.net = net

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalise(images))


@registry.register("multihead")
class MultiHeadPredictor(JsonPredictor):
    """A `MultiHeadNet` from `checkpoint` (a state dict `.pt`, its `.json` beside it)."""

    channels_last = True

    def __init__(self, checkpoint: str):
        meta = read_predictor_metadata(checkpoint)
        net = build_checked(lambda: MultiHeadNet(len(meta["attributes"]), **meta["architecture"]), Path(checkpoint))
        super().__init__(meta, net)


@registry.register("torchscript")
class TorchScriptPredictor(JsonPredictor):
    """Any TorchScript module mapping normalised images (N, 3, S, S) to (N, len(attributes))."""

    def __init__(self, checkpoint: str):
        meta = read_predictor_metadata(checkpoint, architecture=False)
        try:
            net = torch.jit.load(checkpoint, map_location="cpu")
        except Exception as err:  # torch raises RuntimeError and others for foreign files
            raise CheckpointError(
                f"checkpoint {checkpoint} cannot be read as TorchScript ({type(err).__name__}: {err})"
            ) from err
        super().__init__(meta, net)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        scores = super().forward(images)
        if scores.shape != (len(images), len(self.attributes)):
            raise CheckpointError(
                f"TorchScript predictor returned shape {tuple(scores.shape)}; expected ({len(images)}, {len(self.attributes)})"
            )
        return scores

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from interfacegan.checkpoints import CheckpointError
from interfacegan.generators import build_generator

DATA = Path(__file__).parent / "data"


def to_uint8(images: torch.Tensor) -> np.ndarray:
    return torch.clamp(torch.round((images + 1) * 127.5), 0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def test_the_packaged_weights_reproduce_the_labelled_faces():
    generator = build_generator({"name": "dcgan"})
    z = torch.from_numpy(np.load(DATA / "dcgan_latents_first16.npy"))
    with torch.inference_mode():
        faces = to_uint8(generator.synthesize(z))
    grid = faces.reshape(4, 4, 64, 64, 3).transpose(0, 2, 1, 3, 4).reshape(256, 256, 3).astype(int)
    reference = np.asarray(Image.open(DATA / "dcgan_reference_first16.png").convert("RGB")).astype(int)
    assert np.abs(grid - reference).max() <= 1  # float rounding only
    assert np.mean(grid != reference) < 1e-3


def test_a_wrong_checkpoint_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        build_generator({"name": "dcgan", "checkpoint": str(tmp_path / "none.tar")})
    (tmp_path / "bad.tar").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        build_generator({"name": "dcgan", "checkpoint": str(tmp_path / "bad.tar")})
    torch.save({"netG_state_dict": {"main.0.weight": torch.zeros(100, 256, 4, 4)}}, tmp_path / "small.tar")
    with pytest.raises(CheckpointError, match=r"wrong shape: main.0.weight \(100, 256, 4, 4\)"):
        build_generator({"name": "dcgan", "checkpoint": str(tmp_path / "small.tar")})

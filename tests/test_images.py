"""One face-image reader for training a predictor and for scoring real faces."""

import re

import numpy as np
import pytest
import torch
from PIL import Image

from interfacegan import models, pipeline
from interfacegan.artifacts import ArtifactError
from interfacegan.images import load_face
from interfacegan.layout import Layout
from interfacegan.predictors.celeba import CelebADataset
from interfacegan.stages import scored_photos


def real_view(config: dict, folder) -> dict:
    return pipeline.view(config | {"scored_photos": {"images": str(folder), "limit": None}}, "real_scores")


def test_faces_are_centre_cropped(tmp_path):
    image = np.zeros((24, 16, 3), np.uint8)
    image[4:20] = 255  # the centre 16 x 16 is white, the top and bottom 4 rows black
    path = tmp_path / "tall.png"
    Image.fromarray(image).save(path)
    face = load_face(path, 16)
    assert face.shape == (3, 16, 16) and torch.all(face == 1)


def test_real_scoring_reads_the_training_tensors(planted_config, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    paths = [tmp_path / "a.png", tmp_path / "b.jpg"]
    Image.fromarray(rng.integers(0, 256, (37, 29, 3), np.uint8)).save(paths[0])
    Image.fromarray(rng.integers(0, 256, (20, 45), np.uint8)).save(paths[1])  # greyscale, wide
    seen = []
    build_predictor = models.build_predictor  # the scorer's

    def recording_predictor(section, device):
        predictor = build_predictor(section, device)
        predictor.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
        return predictor

    monkeypatch.setattr(models, "build_predictor", recording_predictor)
    scored_photos.run(real_view(planted_config, tmp_path), Layout(planted_config["run"], tmp_path / "results"))
    size = seen[0].shape[-1]
    training = CelebADataset(paths, np.zeros((2, 1), np.float32), size)
    assert torch.equal(torch.cat(seen), torch.stack([training[i][0] for i in range(2)]))


def test_an_unreadable_image_names_its_file(planted_config, tmp_path):
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "good.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(ArtifactError, match=re.escape(f"image {broken} cannot be read")) as scoring:
        scored_photos.run(real_view(planted_config, tmp_path), Layout(planted_config["run"], tmp_path / "results"))
    with pytest.raises(ArtifactError, match=re.escape(f"image {broken} cannot be read")) as training:
        CelebADataset([broken], np.zeros((1, 1), np.float32), 16)[0]
    assert str(scoring.value) == str(training.value) and "\n" not in str(scoring.value)

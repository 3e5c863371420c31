"""Editing real faces: align the photos, invert them into the generator's latent space,
then measure the reconstructions and the edits of the inverted codes.

Photo i of the run (sorted by file name) is row i of every artifact here; inversion jobs
take `real_images.shard_size` photos each, and a random z start is row i of the run's
N(0, I) sequence, so a code depends on its photo and the seed, not on the sharding.
"""

import numpy as np
import pandas as pd
import torch

from .. import figures
from ..alignment import align_faces, photo_faces
from ..artifacts import ArtifactError, open_artifact, provenance, read_artifact, write_csv, write_h5
from ..config import boundary_names, boundary_space, photos
from ..images import from_uint8, psnr_uint8
from ..inversion import invert
from ..latents import standard_normal
from ..layout import Layout, shard_count, shard_rows
from ..manipulation import interpolate
from ..metrics.identity import THRESHOLD, Identity
from ..metrics.lpips import LPIPS, paired_distances, weighted_lpips
from ..models import Models
from .analysis import matrix_frame
from .boundary import read_boundary
from .score import score_spread


def align(view: dict, layout: Layout) -> None:
    """The photos' faces as uint8 crops of the generator's size: aligned on their landmarks
    (`real_images.align`), or taken as aligned crops (centre square, resized)."""
    paths = photos(view["real_images"], "real_images")
    generator = Models(view, with_predictor=False).generator
    datasets = {"names": [p.name for p in paths]}
    if view["real_images"]["align"]:
        aligned = align_faces(paths, generator)
        datasets |= {
            "images": aligned.images,
            "landmarks": aligned.landmarks,
            "transforms": aligned.transforms,
            "face_sides": aligned.face_sides,
            "template": aligned.template,
        }
    else:
        datasets["images"] = photo_faces(paths, generator, align=False)
    for path, face in zip(paths, datasets["images"]):
        figures.save_png(face, layout.aligned_face(path.name))
    write_h5(layout.aligned, datasets, provenance(view, "align_real") | {"count": len(paths)})


def read_aligned(view: dict, layout: Layout, start: int = 0, stop: int | None = None) -> tuple[list[str], np.ndarray]:
    """(names, uint8 faces) of photos start..stop-1, checked to belong to the run."""
    count = len(photos(view["real_images"], "real_images"))
    with open_artifact(layout.aligned, view, stage="align_real", count=count) as f:
        if len(f["images"]) != count:
            raise ArtifactError(
                f"{layout.aligned} is incomplete: {len(f['images'])} faces for {count} photos; delete it and re-run"
            )
        return [n.decode() for n in f["names"][start:stop]], f["images"][start:stop]


def invert_shard(view: dict, photo_shard: int, layout: Layout) -> None:
    """Codes of one shard of photos: Adam from the encoder's codes, or from random z (row i of
    the run's N(0, I) draws) or the mean w, for `real_images.steps` steps."""
    options = view["real_images"]
    start, stop = photo_rows(view, photo_shard)
    _, faces = read_aligned(view, layout, start, stop)
    models = Models(view, with_predictor=False)
    images = from_uint8(faces)
    init = initial_codes(view, models, images, start, stop)
    result = invert(
        models.generator,
        images,
        options["space"],
        options["steps"],
        options["lr"],
        perceptual=weighted_lpips(options["perceptual"], models.device),
        prior_weight=options["prior_weight"],
        init=init,
        batch_size=view["batch_size"],
    )
    datasets = {"codes": result.codes, "psnr": result.psnr, "loss": result.loss}
    write_h5(
        layout.real_codes(photo_shard),
        datasets,
        provenance(view, "invert_real") | {"start": start, "stop": stop, "space": options["space"]},
    )


def photo_rows(view: dict, shard: int) -> tuple[int, int]:
    count = len(photos(view["real_images"], "real_images"))
    return shard_rows(count, view["real_images"]["shard_size"], shard)


def initial_codes(view: dict, models: Models, images: torch.Tensor, start: int, stop: int):
    """The encoder's codes of the images, else random z (rows start..stop of the run's
    draws), else None (invert starts W and W+ codes at the mean w)."""
    options = view["real_images"]
    if options["encoder"]:
        from ..encoder import encode, load_encoder

        return encode(load_encoder(options["encoder"], models.generator, options["space"]), images, view["batch_size"])
    if options["space"] == "z":
        return standard_normal(view["seed"], start, stop, models.generator.latent_dim)
    return None


def read_codes(view: dict, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(codes, optimiser's PSNR) of every photo, shard by shard, each checked to belong."""
    count = len(photos(view["real_images"], "real_images"))
    parts = []
    for shard in range(shard_count(count, view["real_images"]["shard_size"])):
        start, stop = photo_rows(view, shard)
        parts.append(
            read_artifact(layout.real_codes(shard), view, "codes", "psnr", stage="invert_real", start=start, stop=stop)
        )
    return np.concatenate([p["codes"] for p in parts]), np.concatenate([p["psnr"] for p in parts])


def reconstruction(view: dict, layout: Layout) -> None:
    """Per photo: PSNR of the reconstruction (uint8, as seen), LPIPS (VGG16) and dlib's identity
    distance between the aligned photo and its reconstruction."""
    names, faces = read_aligned(view, layout)
    codes, optimiser_psnr = read_codes(view, layout)
    models = Models(view, with_predictor=False)
    rebuilt = models.images(codes, view["real_images"]["space"])
    perceptual_distance = paired_distances(
        LPIPS().to(models.device), from_uint8(faces), from_uint8(rebuilt), view["batch_size"]
    )
    identity = Identity().distance(faces, rebuilt)
    frame = pd.DataFrame(
        {
            "image": names,
            "psnr": psnr_uint8(faces, rebuilt),
            "optimiser_psnr": optimiser_psnr,
            "lpips": perceptual_distance,
            "identity_distance": identity,
            "same_person": identity < THRESHOLD,
        }
    )
    write_csv(layout.table("real_reconstruction"), frame)


def edits(view: dict, layout: Layout) -> None:
    """Every photo's code moved along every boundary (`edit` start..end in steps): one grid per
    boundary (the aligned photo framed, its reconstruction, the edit steps); dlib's identity
    distance of each step to the photo; and the re-scoring matrix: the mean change of every
    attribute's score per unit of edit, in SDs of the run's synthesized scores."""
    names, faces = read_aligned(view, layout)
    codes, _ = read_codes(view, layout)
    models = Models(view)
    space, options = view["real_images"]["space"], view["edit"]
    amounts = np.linspace(options["start"], options["end"], options["steps"])
    spread = score_spread(view, layout)
    identity, rows, matrix = Identity(), [], []
    # once, not per boundary
    photo_descriptors, rebuilt = identity(faces)[:, None], models.images(codes, space)[:, None]
    for name in boundary_names(view):
        normal = read_boundary(view, layout, name, boundary_space(space), "normal")["normal"]
        edited = interpolate(codes, normal, options["start"], options["end"], options["steps"], options["mode"])
        flat = edited.reshape(-1, *codes.shape[1:])
        images = models.images(flat, space).reshape(*edited.shape[:2], *faces.shape[1:])
        grid = np.concatenate([faces[:, None], rebuilt, images], axis=1)
        figures.image_grid(grid, layout.real_edit_grid(name), marked_column=0)
        distance = np.linalg.norm(
            identity(images.reshape(-1, *faces.shape[1:])).reshape(*edited.shape[:2], -1) - photo_descriptors, axis=-1
        ).ravel()
        rows.append(
            pd.DataFrame(
                {
                    "boundary": name,
                    "image": np.repeat(names, len(amounts)),
                    "step": np.tile(amounts, len(names)),
                    "identity_distance": distance,
                    "same_person": distance < THRESHOLD,
                }
            )
        )
        scores = models.score(flat, space, f"rescore {name}").reshape(*edited.shape[:2], -1)
        slope = np.polyfit(amounts, np.nanmean(scores, axis=0), 1)[0]
        matrix.append(slope / spread)
    write_csv(layout.table("real_identity"), pd.concat(rows, ignore_index=True))
    frame = matrix_frame(np.array(matrix), boundary_names(view), view["attributes"], "boundary")
    write_csv(layout.table("real_rescoring"), pd.concat({space: frame}, names=["space"]))

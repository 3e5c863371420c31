"""The editor behind the studio page: a finished run's generator, predictor, boundaries and
score scale, and the faces a visitor edits. The page calls nothing else, and every edit goes
through the code paths of `interfacegan edit` (`manipulation.interpolate` in offset mode,
rendered beside its original), so an exported edit replays to the same pixels."""

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

from .. import latents, pipeline
from ..alignment import photo_faces
from ..artifacts import ArtifactError
from ..codes import code_shape
from ..config import ConfigError, boundary_names, boundary_space, check_strength, load
from ..editing import parse_layers
from ..figures import png_bytes
from ..images import from_uint8, read_image, to_uint8
from ..inversion import invert
from ..layout import Layout
from ..manipulation import interpolate
from ..metrics.identity import Identity
from ..stages.edits import Editor, layer_list
from ..stages.layerwise import chosen_layers
from ..stages.real_images import read_aligned, read_codes
from ..stages.score import read_merged
from ..translator import load_pair, translate_with

GREYSCALE = ("1", "L", "LA", "I", "I;16", "F")  # PIL modes without colour

STUDIO_STAGE = "summary"  # the studio reads what the summary page reads: the whole run


@dataclass
class Face:
    """A face to edit: its codes (each (1, *shape)) in the spaces the sliders move, and its origin."""

    codes: dict[str, np.ndarray]
    origin: str
    photo: np.ndarray | None = None  # the aligned photo of an uploaded face (uint8 HWC)
    descriptor: np.ndarray | None = field(default=None, repr=False)  # dlib's, of the photo or else the unedited face


@dataclass
class Rendered:
    image: np.ndarray  # uint8 (H, W, 3)
    scores: np.ndarray  # (m,) in SDs of the run's scores, from their mean


class Studio:
    """One finished run, ready to edit faces. `results` is the root of the runs."""

    def __init__(self, config_path: str | Path, results: str | Path = "results", steps: int = 50):
        self.config_path = Path(config_path).resolve()
        self.config = config = load(config_path)
        self.steps = steps  # optimisation steps after the encoder, for an uploaded photo
        self.view = pipeline.view(config, STUDIO_STAGE)
        self.layout = Layout(config["run"], results)
        try:
            scores = read_merged(self.view, self.layout)["scores"]
            self.editor = Editor(self.view, self.layout)
            self.normals = {
                (name, space): self.editor.normal(name, space)
                for space in config["spaces"]
                for name in boundary_names(config)
            }
        except ArtifactError as err:
            raise ArtifactError(f"the run {self.layout.dir} is not finished ({err}); run it first (make run)") from err
        self.mean, self.spread = np.nanmean(scores, axis=0), np.nanstd(scores, axis=0)
        self.identity = Identity()
        self.pairs = {}  # the translators loaded so far, by boundary
        self.auto_layers = self.layerwise_choice()  # read once: not on every slider move

    @property
    def generator(self):
        return self.editor.generator

    def boundaries(self) -> dict[str, list[str]]:
        """The boundary names per space (plain, then conditional)."""
        return {space: boundary_names(self.config) for space in self.config["spaces"]}

    def sample(self, index: int) -> Face:
        """The run's sample `index` (0-based) in every space it was sampled in."""
        if not 0 <= index < self.config["n_samples"]:
            raise ConfigError(f"sample {index} is not one of the run's (0..{self.config['n_samples'] - 1})")
        codes = {
            space: latents.gather(self.view, self.layout, np.array([index]), space) for space in self.config["spaces"]
        }
        return self.face(self.with_wp(codes), f"sample {index}")

    def translators(self) -> list[str]:
        """The boundaries with a trained translator in the run."""
        return [name for name in pipeline.translator_boundaries(self.config) if self.layout.translator(name).is_file()]

    def translated(self, face: Face, boundary: str, strength: float) -> Rendered:
        """The face's start (its photo, or its unedited code's image) through the boundary's translator
        at `strength` (0: the identity model, 1: the boundary model), with the predictor's scores."""
        if boundary not in self.translators():
            raise ConfigError(f"the run has no translator for {boundary!r}")
        check_strength(self.config, strength, "strength")
        if boundary not in self.pairs:
            self.pairs[boundary] = load_pair(self.layout.translator(boundary), self.generator)
        images = translate_with(self.pairs[boundary], from_uint8(self.start_image(face)), strength, 1)
        with torch.inference_mode():
            scores = self.editor.scorer.predict(images)[0]
        return Rendered(to_uint8(images)[0], (scores - self.mean) / self.spread)

    def photos(self) -> list[str]:
        """The names of the run's inverted photos (`real_images`), in their order."""
        return read_aligned(self.view, self.layout)[0] if self.config["real_images"] else []

    def real(self, index: int) -> Face:
        """The run's inverted photo `index`: its code from `invert_real`, its aligned photo the start of identity."""
        names = self.photos()
        if not 0 <= index < len(names):
            raise ConfigError(f"photo {index} is not one of the run's ({len(names)} photos)")
        _, faces = read_aligned(self.view, self.layout, index, index + 1)
        codes, _ = read_codes(self.view, self.layout)
        return self.inverted(codes[index], self.config["real_images"]["space"], names[index], faces[0])

    def fresh(self, seed: int) -> Face:
        """A new face: z of N(0, I) drawn with `seed` (the run's own draws use its seed), and its w."""
        raw = torch.from_numpy(latents.standard_normal(seed, 0, 1, self.generator.latent_dim)).to(self.editor.device)
        with torch.inference_mode():
            z = self.generator.prepare_z(raw)
            mapped = self.generator.map_codes(z)
        codes = {"z": z.cpu().numpy()} | {s: mapped[s].float().cpu().numpy() for s in self.config["spaces"] if s != "z"}
        return self.face(self.with_wp(codes), f"seed {seed}")

    def with_wp(self, codes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Codes with their W+ codes (the truncated w of each layer) where the run has w boundaries."""
        return codes | ({"wp": self.editor.to_wp(codes["w"])} if "w" in codes and "wp" in self.generator.spaces else {})

    def layerwise_choice(self) -> dict[str, list[int]]:
        """Per boundary the W+ layers that carry its attribute (the layer-wise re-scoring's choice), if the run made it."""
        if "w" not in self.config["spaces"] or not self.layout.layerwise.is_file():
            return {}
        return chosen_layers(pipeline.view(self.config, "layerwise_edit_grids"), self.layout)

    def layers(self, boundary: str | None, choice: str | None) -> list[int] | None:
        """The W+ layers of a choice: all (None), auto (the boundary's own) or a list such as 0-3,6."""
        if choice in (None, "", "all"):
            return None
        if choice == "auto":
            if boundary not in self.auto_layers:
                raise ConfigError("this run has no layer-wise re-scoring (w in spaces) to choose layers from")
            return self.auto_layers[boundary]
        return parse_layers(choice, code_shape(self.generator, "wp")[0])

    def slider_range(self) -> list[float]:
        """The sliders' ends: the run's edit.start and edit.end, lower first."""
        return sorted([self.config["edit"]["start"], self.config["edit"]["end"]])

    def photo(self, path: Path, progress: dict) -> tuple[Face, list[str]]:
        """A photo's face: aligned like the run's photos (`real_images.align`, default on), its code from
        the encoder of `real_images` (if any) refined by `steps` steps in `real_images.space`; notes for the page."""
        options = self.config["real_images"] or {"align": True, "space": "z", "encoder": None, "lr": 0.1}
        read_image(path)  # one line for a file that is no image, or too large
        with Image.open(path) as image:
            notes = ["a greyscale photo: its face is inverted in colour"] if image.mode in GREYSCALE else []
        face = photo_faces([path], self.generator, options["align"])[0]
        images = from_uint8(face[None])
        init = None
        if options["encoder"]:
            from ..encoder import encode, load_encoder

            init = encode(load_encoder(options["encoder"], self.generator, options["space"]), images, 1)
        progress.update(done=0, total=self.steps, message="inverting")
        result = invert(
            self.generator,
            images,
            options["space"],
            self.steps,
            options["lr"],
            self.config["seed"],
            init=init,
            batch_size=1,
            on_step=lambda step: progress.update(done=step + 1),
        )
        progress.update(message="done")
        return self.inverted(result.codes, options["space"], path.name, face), notes

    def export(self, face: Face, shown: Rendered, settings: dict) -> dict[str, bytes]:
        """face.png (what the page shows), code.npy (the unedited code) and edit.yaml, which
        `interfacegan edit --replay edit.yaml --out DIR` renders to DIR/000_000.png, pixel for pixel."""
        buffer = io.BytesIO()
        np.save(buffer, face.codes[settings["space"]])
        boundary = settings["boundary"] or boundary_names(self.config)[0]  # no edit: any boundary, moved by 0
        replay = {
            "config": str(self.config_path),
            "latents": "code.npy",
            "space": settings["space"],
            "boundary": str(self.layout.boundary(boundary, boundary_space(settings["space"])).resolve()),
            "start": settings["amount"],
            "end": settings["amount"],
            "steps": 1,
            "mode": "offset",
            "layers": layer_list(settings["layers"]) if settings["layers"] else None,
        }
        text = "# interfacegan edit --replay edit.yaml --out DIR: this edit, as DIR/000_000.png\n" + yaml.safe_dump(
            replay, sort_keys=False
        )
        return {"face.png": png_bytes(shown.image), "code.npy": buffer.getvalue(), "edit.yaml": text.encode()}

    def inverted(self, code: np.ndarray, space: str, origin: str, photo: np.ndarray | None = None) -> Face:
        """A face from an inverted code of `space` (z, w or wp): its sliders are that space's boundaries."""
        return self.face(
            {space: np.asarray(code, np.float32).reshape(1, *np.shape(code)[-(2 if space == "wp" else 1) :])},
            origin,
            photo,
        )

    def face(self, codes: dict[str, np.ndarray], origin: str, photo: np.ndarray | None = None) -> Face:
        face = Face(codes, origin, photo)
        face.descriptor = self.identity(self.start_image(face))[0]
        return face

    def start_image(self, face: Face) -> np.ndarray:
        """(1, H, W, 3) uint8: the face's photo, or the image of its unedited (first) code."""
        if face.photo is not None:
            return face.photo[None]
        space, code = next(iter(face.codes.items()))
        return self.editor.images(code, space)

    def render(
        self,
        face: Face,
        boundary: str | None = None,
        space: str | None = None,
        amount: float = 0.0,
        layers: list[int] | None = None,
    ) -> Rendered:
        """The face moved by `amount` along `boundary` (one of `space`'s; a w boundary moves wp codes
        on `layers`, all where None), with the predictor's scores."""
        space = space or next(iter(face.codes))
        if space not in face.codes:
            raise ConfigError(f"this face has no {space} code (it has {', '.join(face.codes)})")
        code = face.codes[space]
        if boundary is not None:
            if (boundary, boundary_space(space)) not in self.normals:
                raise ConfigError(f"the run has no {boundary_space(space)} boundary {boundary!r}")
            code = interpolate(
                code, self.normals[boundary, boundary_space(space)], amount, amount, 1, "offset", layers
            )[:, 0]
        with torch.inference_mode():
            # as `edit` renders
            images = self.editor.synthesize(torch.from_numpy(np.concatenate([face.codes[space], code])), space)
            scores = self.editor.scorer.predict(images[1:])[0]
        return Rendered(to_uint8(images[1:])[0], (scores - self.mean) / self.spread)

    def identity_distance(self, face: Face, image: np.ndarray) -> float:
        """dlib's distance of an image to the face's start (the photo, or the unedited code's image): ~90 ms
        at 64x64 on 2 cores, ten times a render, so the page asks for it when a slider rests."""
        return float(np.linalg.norm(self.identity(image[None])[0] - face.descriptor))

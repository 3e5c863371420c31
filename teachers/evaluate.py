"""AUC of teacher scores (label_faces.py's CSV) against the human labels of the labelled faces.

Binary classes: eyeglasses 1 vs 0, smile 1 vs 0, gender m vs f, age o vs y, pose r vs l.
AUC over the faces the teacher found, with a 95 % bootstrap interval; coverage = the share of
the labelled faces of those two classes that the teacher found; acc(>0): the share of them on
the right side of 0, meaningful for scores whose decision is at 0 (the predictor's logits and yaw).
"""
import argparse
import csv
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from heldout import heldout_mask

LABELS = Path(__file__).resolve().parents[1] / "data" / "dcgan_faces" / "labels.csv"
CLASSES = {"eyeglasses": ("1", "0"), "smile": ("1", "0"), "gender": ("m", "f"), "age": ("o", "y"), "pose": ("r", "l")}


def auc_table(scores, labels, columns, boot=1000, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for column in columns:
        attribute = column.split("_")[0]
        positive, negative = CLASSES[attribute]
        y = np.array(labels[attribute])
        s = np.asarray(scores[column], float)
        labelled = (y == positive) | (y == negative)
        keep = labelled & np.isfinite(s)
        t, v = y[keep] == positive, s[keep]
        draws = [rng.integers(0, len(t), len(t)) for _ in range(boot)]
        bs = [roc_auc_score(t[d], v[d]) for d in draws if 0 < t[d].sum() < len(d)]
        rows.append((column, roc_auc_score(t, v), *np.percentile(bs, [2.5, 97.5]), keep.sum() / labelled.sum(),
                     int(t.sum()), int((~t).sum()), np.mean((v > 0) == t)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scores", type=Path, help="CSV from label_faces.py on the labelled latents")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--extra", type=Path, nargs="*", default=[],
                        help="more CSVs with an index column and score columns named ATTRIBUTE[_suffix]")
    parser.add_argument("--heldout", action="store_true", help="only the held-out faces (heldout.py)")
    args = parser.parse_args(argv)

    def read(path):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        return {k: [r[k] for r in rows] for k in rows[0]}

    labels = read(args.labels)
    n = len(labels["index"])
    if args.heldout:  # the other faces lose their labels
        labels = {k: np.where(heldout_mask(n), v, "") for k, v in labels.items()}
    scores = read(args.scores)
    if "index" not in scores:  # `interfacegan score` output: one row per labelled face
        scores["index"] = list(range(n))
    columns = [c for c in scores if c.split("_")[0] in CLASSES]
    for path in args.extra:
        extra = read(path)
        for c in extra:
            if c != "index":
                full = np.full(n, np.nan)
                full[np.array(extra["index"], int)] = np.array(extra[c], float)
                scores[c] = full
                columns.append(c)
    print(f"{'score':16s} {'AUC':>6s} {'95% CI':>13s} {'coverage':>8s} {'n+':>5s} {'n-':>5s} {'acc(>0)':>7s}")
    for column, auc, lo, hi, cover, npos, nneg, accuracy in auc_table(scores, labels, columns):
        print(f"{column:16s} {auc:6.3f} {lo:6.3f}-{hi:5.3f} {cover:8.1%} {npos:5d} {nneg:5d} {accuracy:7.1%}")


if __name__ == "__main__":
    main()

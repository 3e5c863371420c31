"""Stage 4: per attribute and latent space, fit the linear boundary on the selection."""

import numpy as np

from .. import latents, solvers
from ..artifacts import provenance, read_h5, write_h5
from ..layout import Layout, shard_bounds


def run(view: dict, attribute: str, space: str, layout: Layout) -> None:
    selection = read_h5(layout.selection(attribute))
    shards = [layout.latents(k) for k in range(len(shard_bounds(view["n_samples"], view["shard_size"])))]
    x_train, x_val = (latents.gather(shards, view["shard_size"], selection[key], space) for key in ("train_index", "val_index"))
    options = view["boundary"]
    plane = solvers.fit(options["solver"], x_train, selection["train_label"], options)
    metrics = {
        "attribute": attribute,
        "space": space,
        "solver": options["solver"],
        "fit_seconds": plane.seconds,
        "n_train": len(x_train),
        "n_val": len(x_val),
        "n_remaining": len(selection["remaining_index"]),
        "train_accuracy": plane.accuracy(x_train, selection["train_label"]),
        "val_accuracy": plane.accuracy(x_val, selection["val_label"]),
        "remaining_accuracy": remaining_accuracy(plane, shards, space, selection),
    }
    if options["compare_svc"]:
        svc = solvers.fit_svc(x_train, selection["train_label"], options["svc_c"])
        metrics |= {
            "svc_cosine": float(svc.normal @ plane.normal),
            "svc_val_accuracy": svc.accuracy(x_val, selection["val_label"]),
            "svc_fit_seconds": svc.seconds,
        }
    datasets = {"normal": plane.normal, "intercept": np.float32(plane.intercept)}
    write_h5(layout.boundary(attribute, space), datasets, provenance(view, "boundary") | metrics)


def remaining_accuracy(plane: solvers.Hyperplane, shards: list, space: str, selection: dict) -> float:
    """Accuracy on the unselected middle, streaming the shards (never all latents at once)."""
    index, labels = selection["remaining_index"], selection["remaining_label"]
    if not len(index):
        return float("nan")
    correct = 0
    for start, codes in latents.iterate(shards, space):
        lo, hi = np.searchsorted(index, [start, start + len(codes)])
        correct += int(np.sum(plane.decide(codes[index[lo:hi] - start]) == labels[lo:hi]))
    return correct / len(index)

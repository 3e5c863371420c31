"""Stage 4: per attribute and latent space, fit the linear boundary on the selection."""

import numpy as np

from .. import latents, solvers
from ..artifacts import provenance, read_artifact, write_h5
from ..layout import Layout


def run(view: dict, attribute: str, space: str, layout: Layout) -> None:
    selection = read_artifact(layout.selection(attribute), view, stage="select", attribute=attribute)
    x_train, x_val = (latents.gather(view, layout, selection[key], space) for key in ("train_index", "val_index"))
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
    }
    if plane.ridge is not None:  # lda's, chosen by leave-one-out unless configured
        metrics["ridge"] = plane.ridge
    distance, correct = remaining_predictions(plane, latents.iterate(view, layout, space), selection)
    metrics["remaining_accuracy"] = float(correct.mean()) if len(correct) else float("nan")
    if options["compare_svc"]:
        svc = solvers.fit_svc(x_train, selection["train_label"], options["svc_c"])
        metrics |= {
            "svc_cosine": float(svc.normal @ plane.normal),
            "svc_val_accuracy": svc.accuracy(x_val, selection["val_label"]),
            "svc_fit_seconds": svc.seconds,
        }
    datasets = {"normal": plane.normal, "intercept": np.float32(plane.intercept)}
    datasets |= accuracy_by_distance(distance, correct, view["analysis"]["distance_bins"])
    write_h5(
        layout.boundary(attribute, space),
        datasets,
        provenance(view, "boundary") | metrics | {"boundary": attribute, "space": space},
    )


def read_boundary(view: dict, layout: Layout, name: str, space: str, *names: str) -> dict:
    """A plain or conditional boundary of the run (datasets `names`, all when none given)."""
    return read_artifact(layout.boundary(name, space), view, *names, boundary=name, space=space)


def remaining_predictions(plane: solvers.Hyperplane, shards, selection: dict):
    """Signed distance to the hyperplane and correctness of every unselected sample,
    from the (start, codes) of each shard in turn (never all latents at once)."""
    index, labels = selection["remaining_index"], selection["remaining_label"]
    distance = np.empty(len(index), dtype=np.float32)
    for start, codes in shards:
        lo, hi = np.searchsorted(index, [start, start + len(codes)])
        distance[lo:hi] = codes[index[lo:hi] - start] @ plane.normal + plane.intercept
    return distance, (distance > 0) == labels.astype(bool)


def accuracy_by_distance(distance: np.ndarray, correct: np.ndarray, bins: int) -> dict:
    """Accuracy in equal-count bins of |distance| to the boundary: near it, labels blur."""
    if not len(distance):
        return {}
    edges = np.quantile(np.abs(distance), np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, np.abs(distance), side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    hits = np.bincount(which, weights=correct, minlength=bins)
    return {
        "distance_edges": edges.astype(np.float32),
        "distance_count": count,
        "distance_accuracy": hits / np.maximum(count, 1),
    }

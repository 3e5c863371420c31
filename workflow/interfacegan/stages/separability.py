"""Stage 5: the separability tables, one row per attribute and latent space
(and per distance bin, for accuracy as a function of distance to the boundary)."""

import pandas as pd

from .. import figures
from ..artifacts import write_csv
from ..layout import Layout
from .boundary import read_boundary

COLUMNS = ("attribute", "space", "solver", "n_train", "n_val", "val_accuracy", "remaining_accuracy")
DISTANCE_COLUMNS = ("attribute", "space", "distance_low", "distance_high", "distance_mid", "n", "accuracy")
SVC_COLUMNS = ("svc_val_accuracy", "svc_cosine")


def run(view: dict, layout: Layout) -> None:
    rows, by_distance, series = [], [], {}
    for space in view["spaces"]:
        for attribute in view["attributes"]:
            boundary = read_boundary(view, layout, attribute, space)
            attrs = boundary["attrs"]
            columns = COLUMNS + (SVC_COLUMNS if "svc_cosine" in attrs else ())
            rows.append({key: attrs[key] for key in columns})
            if "distance_edges" in boundary:
                bins = distance_bins(attribute, space, boundary)
                by_distance.append(bins)
                series[f"{attribute} ({space})"] = (bins["distance_mid"], bins["accuracy"])
    write_csv(layout.table("separability"), pd.DataFrame(rows))
    # no bins without remaining samples: the table is its header
    write_csv(
        layout.table("separability_by_distance"),
        pd.concat(by_distance, ignore_index=True) if by_distance else pd.DataFrame(columns=DISTANCE_COLUMNS),
    )
    figures.curves(
        series,
        "|distance to the boundary| (bin middle)",
        "accuracy on remaining samples",
        "Accuracy by distance",
        layout.figure("separability_by_distance"),
    )


def distance_bins(attribute: str, space: str, boundary: dict) -> pd.DataFrame:
    edges = boundary["distance_edges"]
    return pd.DataFrame(
        {
            "attribute": attribute,
            "space": space,
            "distance_low": edges[:-1],
            "distance_high": edges[1:],
            "distance_mid": (edges[:-1] + edges[1:]) / 2,
            "n": boundary["distance_count"].astype(int),
            "accuracy": boundary["distance_accuracy"],
        }
    )

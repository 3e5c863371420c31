"""Stage 5: the separability tables, one row per attribute and latent space
(and per distance bin, for accuracy as a function of distance to the boundary)."""

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
            rows.append({key: plain(attrs[key]) for key in columns})
            if "distance_edges" in boundary:
                bins = distance_rows(attribute, space, boundary)
                by_distance += bins
                series[f"{attribute} ({space})"] = ([r["distance_mid"] for r in bins], [r["accuracy"] for r in bins])
    write_csv(layout.table("separability"), rows)
    write_csv(layout.table("separability_by_distance"), by_distance, DISTANCE_COLUMNS)  # none without remaining samples
    figures.curves(series, "|distance to the boundary| (bin middle)", "accuracy on remaining samples", "Accuracy by distance", layout.figure("separability_by_distance"))


def distance_rows(attribute: str, space: str, boundary: dict) -> list[dict]:
    edges, count, accuracy = boundary["distance_edges"], boundary["distance_count"], boundary["distance_accuracy"]
    return [
        {
            "attribute": attribute,
            "space": space,
            "distance_low": plain(edges[i]),
            "distance_high": plain(edges[i + 1]),
            "distance_mid": plain((edges[i] + edges[i + 1]) / 2),
            "n": int(count[i]),
            "accuracy": plain(accuracy[i]),
        }
        for i in range(len(count))
    ]


def plain(value):
    """numpy scalars as Python values, floats rounded for the table."""
    value = value.item() if hasattr(value, "item") else value
    return round(value, 6) if isinstance(value, float) else value

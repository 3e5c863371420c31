"""Stage 5: the separability table, one row per attribute and latent space."""

from ..artifacts import read_h5, write_csv
from ..layout import Layout

COLUMNS = ("attribute", "space", "solver", "n_train", "n_val", "val_accuracy", "remaining_accuracy")
SVC_COLUMNS = ("svc_val_accuracy", "svc_cosine")


def run(view: dict, layout: Layout) -> None:
    rows = []
    for space in view["spaces"]:
        for attribute in view["attributes"]:
            attrs = read_h5(layout.boundary(attribute, space), "normal")["attrs"]
            columns = COLUMNS + (SVC_COLUMNS if "svc_cosine" in attrs else ())
            rows.append({key: plain(attrs[key]) for key in columns})
    write_csv(layout.table("separability"), rows)


def plain(value):
    """numpy scalars as Python values, floats rounded for the table."""
    value = value.item() if hasattr(value, "item") else value
    return round(value, 6) if isinstance(value, float) else value

"""Image metrics. `LPIPS` (VGG16) lives in `interfacegan.metrics.lpips`, `Identity` (dlib's face
descriptors) in `interfacegan.metrics.identity`; importing this package imports neither torch nor
any weights (the weights load on the first `LPIPS()` / `Identity()`, once per process)."""

__all__ = ["LPIPS"]


def __getattr__(name: str):
    if name == "LPIPS":
        from .lpips import LPIPS

        return LPIPS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

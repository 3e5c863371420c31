"""Where each artifact of a run lives: one place for the rules and the CLI alike."""

from pathlib import Path


class Layout:
    def __init__(self, run: str, root: str | Path = "results"):
        self.dir = Path(root) / run

    def latents(self, shard: int | str) -> Path:
        return self.dir / "latents" / f"{shard_name(shard)}.h5"

    def scores(self, shard: int | str) -> Path:
        return self.dir / "scores" / f"{shard_name(shard)}.h5"

    @property
    def real_scores(self) -> Path:
        return self.dir / "real_scores.h5"

    @property
    def merged_scores(self) -> Path:
        return self.dir / "scores.h5"

    def selection(self, attribute: str) -> Path:
        return self.dir / "selection" / f"{attribute}.h5"

    def boundary(self, name: str, space: str) -> Path:
        """A plain boundary (name = attribute) or a conditional one (age_c_gender)."""
        return self.dir / "boundaries" / space / f"{name}.h5"

    def table(self, name: str) -> Path:
        return self.dir / "tables" / f"{name}.csv"

    def figure(self, name: str) -> Path:
        return self.dir / "figures" / f"{name}.png"

    @property
    def layerwise(self) -> Path:
        """The layer-wise re-scoring of the w boundaries, with the layers `edit.wp_layers: auto` edits."""
        return self.dir / "layerwise.h5"

    def edit_grid(self, boundary: str, space: str) -> Path:
        return self.dir / "edits" / space / f"{boundary}.png"

    @property
    def aligned(self) -> Path:
        """The real photos' faces, aligned and cropped like the generator's."""
        return self.dir / "real" / "aligned.h5"

    def aligned_face(self, photo: str) -> Path:
        """One aligned crop as a PNG, named as its photo (photo.jpg -> photo.png)."""
        return self.dir / "real" / "aligned" / f"{Path(photo).stem}.png"

    def real_codes(self, shard: int | str) -> Path:
        return self.dir / "real" / "codes" / f"{shard_name(shard)}.h5"

    def real_edit_grid(self, boundary: str) -> Path:
        return self.dir / "real" / "edits" / f"{boundary}.png"

    def translator(self, name: str) -> Path:
        """A translator checkpoint STEM.pt (its STEM.json beside it): identity, or a boundary's."""
        return self.dir / "translators" / f"{name}.pt"

    def translation_grid(self, boundary: str) -> Path:
        return self.dir / "translations" / f"{boundary}.png"

    @property
    def summary(self) -> Path:
        return self.dir / "summary.html"

    @property
    def planted_truth(self) -> Path:
        return self.dir / "planted_truth.h5"

    def log(self, stage: str, key: str) -> Path:
        return self.dir / "logs" / stage / f"{key}.log"

    def benchmark(self, stage: str, key: str) -> Path:
        return self.dir / "benchmarks" / stage / f"{key}.tsv"


def sidecar(checkpoint: str | Path) -> Path:
    """The JSON beside a checkpoint file: NAME.pt (or NAME.ts, ...) -> NAME.json."""
    return Path(checkpoint).with_suffix(".json")


def shard_count(n_samples: int, shard_size: int) -> int:
    return -(-n_samples // shard_size)


def shard_rows(n_samples: int, shard_size: int, shard: int) -> tuple[int, int]:
    """[start, stop) of one shard's global rows."""
    start = shard * shard_size
    return start, min(start + shard_size, n_samples)


def shard_name(shard: int | str) -> str:
    """shard_00042 for shard 42; a string (such as a wildcard "{shard}") goes in as is."""
    return f"shard_{shard:05d}" if isinstance(shard, int) else f"shard_{shard}"

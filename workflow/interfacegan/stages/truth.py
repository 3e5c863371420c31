"""The planted world's true normals, for checking what the pipeline recovers."""

from ..artifacts import provenance, write_h5
from ..config import ConfigError
from ..generators import build_generator
from ..layout import Layout


def run(view: dict, layout: Layout) -> None:
    generator = build_generator(view["generator"])
    if not hasattr(generator, "normals"):
        raise ConfigError(f"config: generator: '{generator.name}' has no planted truth")
    datasets = {"normals": generator.normals.numpy(), "attributes": generator.attributes}
    write_h5(layout.planted_truth, datasets, provenance(view, "planted_truth") | {"noise": generator.noise})

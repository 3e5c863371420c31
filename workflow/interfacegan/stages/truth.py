"""The planted world's true normals (in z, and in w with the layers each attribute reads
where the world has layers), for checking what the pipeline recovers."""

from ..artifacts import provenance, write_h5
from ..config import ConfigError
from ..generators import build_generator
from ..layout import Layout


def run(view: dict, layout: Layout) -> None:
    generator = build_generator(view["generator"])
    if not hasattr(generator, "normals"):
        raise ConfigError(f"config: generator: '{generator.name}' has no planted truth")
    datasets = {"normals": generator.normals.numpy(), "attributes": generator.attributes}
    if generator.num_layers is not None:
        datasets |= {"w_normals": generator.w_normals.numpy(), "layer_weights": generator.layer_weights.numpy()}
    write_h5(layout.planted_truth, datasets, provenance(view, "planted_truth") | {"noise": generator.noise})

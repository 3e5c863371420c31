# InterFaceGAN: sample -> score -> select -> boundary -> tables, edits, report, from config.yaml.
# Rules only wire paths; every stage is `interfacegan stage <name>` (workflow/interfacegan/stages/).

import json
import os
import sys

from interfacegan import config as configuration
from interfacegan.layout import Layout, shard_bounds

# The embedded default, unless the command line names config files: Snakemake would
# otherwise merge the default's keys (such as a generator's options) into the user's.
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config.yaml")


try:
    config.update(configuration.validate(config))
except configuration.ConfigError as err:
    sys.exit(f"interfacegan: {err}")

# Jobs find the `interfacegan` command of the Python that runs Snakemake.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]

LAYOUT = Layout(config["run"])
SHARDS = range(len(shard_bounds(config["n_samples"], config["shard_size"])))
PLANTED = config["generator"]["name"] == "planted"
BOUNDARIES = configuration.boundary_names(config)
CONDITIONS = {
    configuration.conditional_name(c["primal"], c["conditions"]): [c["primal"], *c["conditions"]]
    for c in config["conditions"]
}

# Cluster resources (read by workflow/profiles/slurm; locally they limit nothing). Jobs that
# generate or score images ask for a GPU when the device is CUDA (SLURM: --gpus=1) and go
# to `slurm.gpu_partition` if set; every job goes to `slurm.partition` if set.
PARTITION = {"slurm_partition": config["slurm"]["partition"]} if config["slurm"]["partition"] else {}
GPU = int(config["device"].startswith("cuda"))
IMAGE_JOB = {"gpu": GPU, **PARTITION}
if GPU and config["slurm"]["gpu_partition"]:
    IMAGE_JOB["slurm_partition"] = config["slurm"]["gpu_partition"]


def view(stage):
    """The config keys a stage reads, as JSON: a change to them re-runs the stage."""
    return json.dumps(configuration.stage_view(config, stage), sort_keys=True)


wildcard_constraints:
    shard=r"\d{5}",
    attribute="|".join(config["attributes"]),
    space="|".join(config["spaces"]),
    name="|".join(CONDITIONS) or "(?!)",


rule all:
    input:
        LAYOUT.summary,
        [LAYOUT.planted_truth] if PLANTED else [],


include: "rules/sample.smk"
include: "rules/score.smk"
include: "rules/select.smk"
include: "rules/boundary.smk"
include: "rules/table.smk"
include: "rules/analysis.smk"
include: "rules/edit.smk"
include: "rules/report.smk"

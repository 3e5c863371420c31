# InterFaceGAN: sample -> score -> select -> boundary -> tables, edits, report, from config.yaml.
# Rules only wire paths and resources; what each stage is (its function, config keys, inputs
# and outputs) is stated once in workflow/interfacegan/pipeline.py, and every rule runs
# `interfacegan stage <rule name>`.

import os
import sys

from interfacegan import config as configuration
from interfacegan import pipeline
from interfacegan.layout import Layout

# The embedded default, unless the command line names config files: Snakemake would
# otherwise merge the default's keys (such as a generator's options) into the user's.
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config.yaml")


try:
    config.update(configuration.validate(config))
except configuration.ConfigError as err:
    sys.exit(f"interfacegan: {err}")

LAYOUT = Layout(config["run"])


envvars:
    "PATH",


# The jobs run `interfacegan`: the one beside the Python that runs Snakemake, found even when
# its venv is not activated (`.venv/bin/snakemake`). A conda or container job puts its own first.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])


report: "workflow/report/workflow.rst"


container: config["container"]


# Cluster resources (read by workflow/profiles/slurm; locally they limit nothing). Jobs that
# generate or score images ask for a GPU when the device is CUDA (SLURM: --gpus=1) and go
# to `slurm.gpu_partition` if set; every job goes to `slurm.partition` if set.
PARTITION = {"slurm_partition": config["slurm"]["partition"]} if config["slurm"]["partition"] else {}
GPU = int(config["device"].startswith("cuda"))
IMAGE_JOB = {"gpu": GPU, **PARTITION}
if GPU and config["slurm"]["gpu_partition"]:
    IMAGE_JOB["slurm_partition"] = config["slurm"]["gpu_partition"]


wildcard_constraints:
    shard=r"\d{5}",
    attribute="|".join(config["attributes"]),
    space="|".join(config["spaces"]),
    boundary="|".join(pipeline.wildcard_values(config, "boundary")) or "(?!)",
    photo_shard=r"\d{5}",
    translator_boundary="|".join(pipeline.wildcard_values(config, "translator_boundary")) or "(?!)",


rule all:
    input:
        pipeline.targets(config, LAYOUT),


include: "rules/sample.smk"
include: "rules/score.smk"
include: "rules/select.smk"
include: "rules/boundary.smk"
include: "rules/table.smk"
include: "rules/analysis.smk"
include: "rules/edit.smk"
include: "rules/report.smk"


if pipeline.has_layers(config):

    include: "rules/layerwise.smk"


if pipeline.STAGES["layerwise_edit_grids"].when(config):

    include: "rules/layerwise_edit.smk"


if config["real_images"]:

    include: "rules/real.smk"


if config["translator"]:

    include: "rules/translator.smk"

# InterFaceGAN: sample -> score -> select -> boundary -> tables, edits, report, from config.yaml.
# What each stage is (its function, config keys, inputs, outputs, wildcards and resources) is
# stated once, in the table of workflow/interfacegan/pipeline.py; rules/stages.smk makes a rule
# of each, and every rule runs `interfacegan stage <rule name>`.

import os
import sys

from snakemake.utils import min_version

min_version("9.0")

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


rule all:
    input:
        pipeline.targets(config, LAYOUT),


include: "rules/stages.smk"

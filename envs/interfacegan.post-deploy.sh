#!/usr/bin/env bash
# Snakemake runs this in the environment of interfacegan.yaml once it is created, from the
# folder Snakemake runs in. It installs the workflow package editable (it reads
# workflow/schemas/ beside it, and jobs see edits to it) and the packages of no-deps.txt
# (the DCGAN and LPIPS weights, dlib and its models), with --no-deps, which an env file's
# pip section cannot say.
set -euo pipefail
if [[ ! -f workflow/interfacegan/pipeline.py ]]; then
    echo "interfacegan: create the conda environment from the repository root ($PWD is not)" >&2
    exit 1
fi
python -m pip install --no-deps -e . -r envs/no-deps.txt

# `make run`: the default job (config.yaml); `make test`: the test suite.
# Both create .venv on first use (CPU torch first, so pip does not pull a CUDA build).
VENV ?= .venv
CORES ?= all
STAMP := $(VENV)/.installed
# `make run PHOTOS=DIR`: also align, invert and edit the face photos in DIR (real_images.images);
# the folder reaches Snakemake through the environment as JSON, so any name works (spaces, commas, quotes)
export PHOTOS
PHOTO_CONFIG = $(if $(PHOTOS),--config "real_images=$$($(VENV)/bin/python -c 'import json, os; print(json.dumps({"images": os.path.abspath(os.environ["PHOTOS"])}))')")

.PHONY: run test dry-run translators studio

# The jobs run the venv's `interfacegan`.
export PATH := $(abspath $(VENV))/bin:$(PATH)

run: $(STAMP)
	snakemake --cores $(CORES) --workflow-profile workflow/profiles/default $(PHOTO_CONFIG)

dry-run: $(STAMP)
	snakemake -n --workflow-profile workflow/profiles/default $(PHOTO_CONFIG)

# `make translators`: the default run plus configs/translator.yaml's translators (about 80 min
# on 2 CPU cores), copied to models/dcgan_faces/translators/ (2 threads per job, as shipped)
translators: $(STAMP)
	snakemake --cores $(CORES) --workflow-profile workflow/profiles/default --configfile configs/translator.yaml --config threads=2
	cp results/dcgan_faces/translators/*.pt results/dcgan_faces/translators/*.json models/dcgan_faces/translators/

# `make studio`: the editor of the default run (after `make run`) at http://127.0.0.1:7860/
studio: $(STAMP)
	interfacegan studio --config config.yaml

test: $(STAMP)
	$(VENV)/bin/pytest

$(STAMP): pyproject.toml Makefile envs/no-deps.txt
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test]'
	$(VENV)/bin/pip install --quiet --no-deps -r envs/no-deps.txt
	touch $@

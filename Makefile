# Two entry points (see README):
#   make demo   install gml into .venv, then run the SPOS pipeline on the embedded digits
#   make test   install gml into .venv, then run the whole test suite
PY := .venv/bin/python
export OMP_NUM_THREADS ?= 2
# the venv's console scripts (search-init/-run/-ctl) and python come first
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: install demo test

install:
	bash tools/install.sh

demo: install
	$(PY) demo/spos/run_spos_pipeline.py --work-dir work_dirs/spos_demo

test: install
	$(PY) -m pytest tests

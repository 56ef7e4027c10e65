# Two entry points (see README):
#   make demo   install gml's core into .venv, then run the SPOS pipeline on the embedded digits
#   make test   install gml with detection (builds full mmcv once) into .venv, then run the whole test suite
# make install-detection adds mmdet and full mmcv to an existing core install.
PY := .venv/bin/python
export OMP_NUM_THREADS ?= 2
# the venv's console scripts (search-init/-run/-ctl) and python come first
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: install install-detection demo test

install:
	bash tools/install.sh

install-detection:
	bash tools/install.sh --detection

demo: install
	$(PY) demo/spos/run_spos_pipeline.py --work-dir work_dirs/spos_demo

test: install-detection
	$(PY) -m pytest tests

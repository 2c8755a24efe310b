PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Real MNIST / Fashion-MNIST for machines without internet: the demo reads them from there when present
# (tests locate that folder themselves and pass it as the data root).
SHARED_DATA := $(wildcard $(abspath ../shared/data))

.PHONY: test demo bench docs install clean

$(VENV)/.installed: setup.cfg pyproject.toml $(wildcard */__init__.py)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

test: install
	OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} $(PY) -m pytest

demo: install
	$(if $(SHARED_DATA),TINYGRAD_LR_DATA=$${TINYGRAD_LR_DATA:-$(SHARED_DATA)}) $(PY) -m tinygrad_lr.examples.demo

# PyTorch (the `bench` extra) only for the benchmark's side-by-side columns; `make bench BENCH_TORCH=0` runs without it.
# Options go through BENCH_ARGS, e.g. make bench BENCH_ARGS="--quick" or BENCH_ARGS="--models mlp lenet --json b.json"
BENCH_TORCH ?= 1
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[bench]"
	touch $@

bench: $(if $(filter 1,$(BENCH_TORCH)),$(VENV)/.bench-installed,install)
	$(PY) -m benchmarks $(if $(filter 1,$(BENCH_TORCH)),,--no-torch) $(BENCH_ARGS)

# The API reference, from the docstrings (pdoc, in the dev extra): one HTML page per module in docs/api/ (not
# committed); open docs/api/index.html. Any pdoc warning (an import or a docstring it cannot read) fails it.
docs: install
	$(PY) docs/build_api.py docs/api

clean:
	rm -rf $(VENV) build *.egg-info docs/api

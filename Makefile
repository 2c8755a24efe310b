PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Real MNIST / Fashion-MNIST for machines without internet: the demo reads them from there when present
# (tests locate that folder themselves and pass it as the data root).
SHARED_DATA := $(wildcard $(abspath ../shared/data))

.PHONY: test demo bench install clean

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

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info

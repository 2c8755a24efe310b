PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Real MNIST / Fashion-MNIST for machines without internet (used when present).
export TINYGRAD_LR_DATA ?= $(abspath ../shared/data)

.PHONY: test demo bench install clean

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest

demo: install
	$(PY) -m examples.demo

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info

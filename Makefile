# `make demo`, `make test` and `make bench` each create .venv when it is missing and
# install the package into it; a stamp file per extra skips the install until
# pyproject.toml changes.
VENV := .venv
PYTHON := $(VENV)/bin/python
# Test processes; each gets one BLAS/OpenMP thread so that they do not fight over cores.
TEST_WORKERS ?= 2

.PHONY: demo test bench

$(PYTHON):
	python3 -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet -e '.[$*]'
	touch $@

demo: $(VENV)/.installed-demo
	$(PYTHON) examples/demo.py

test: $(VENV)/.installed-dev
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(PYTHON) -m pytest -n $(TEST_WORKERS)

bench: $(VENV)/.installed-dev
	$(PYTHON) -m benchmarks.run

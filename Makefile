# Set-up and everyday commands. Everything runs in .venv/ (created on first use).
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
DEMO_OUT ?= demo
BENCH_ARGS ?=
MIN_PYTHON := $(shell sed -n 's/^requires-python = ">=\([0-9.]*\)"/\1/p' pyproject.toml)

.PHONY: install test lint fmt demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first: a bare `torch` requirement with no torch installed would pull GBs of CUDA wheels.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[dev,demo,cluster,studio]"
	touch $@

install: $(VENV)/.installed

# vermin: every module must run on the lowest Python that pyproject.toml's requires-python claims
lint: install
	$(BIN)/ruff check .
	$(BIN)/vermin --quiet --violations --eval-annotations --no-tips --target=$(MIN_PYTHON)- singan_cli models applications benchmarks tests

fmt: install
	$(BIN)/ruff check --fix .

test: install lint
	$(BIN)/python -m pytest -q

# Train the default preset on a real photo shipped inside scikit-image, then draw samples.
demo: install
	$(BIN)/python -m singan_cli train "$$($(BIN)/python -c 'import skimage, os; print(os.path.join(os.path.dirname(skimage.__file__), "data", "rocket.jpg"))')" --out $(DEMO_OUT)/model --seed 0 --force
	$(BIN)/python -m singan_cli sample $(DEMO_OUT)/model -n 8 --seed 0 --out $(DEMO_OUT)/samples
	@echo "demo: model in $(DEMO_OUT)/model, samples in $(DEMO_OUT)/samples, per-scale previews in $(DEMO_OUT)/model/previews"

bench: install
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .ruff_cache

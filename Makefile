# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# `make demo` installs what every example of docs/cli.md needs (scikit-learn's data sets,
# sweeps, the playground) except ONNX export: pip install 'layerwise[onnx]'.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
PORT ?= 8765

.PHONY: demo playground test lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# --no-compile: Python compiles what it imports on first use; compiling all of scipy and
# scikit-learn up front would take most of make demo's minute
$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -e '.[sklearn,sweep,playground]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/layerwise demo --out runs/demo
	@echo "next: . $(BIN)/activate, then layerwise train iris (or call $(BIN)/layerwise)"

# serves on 127.0.0.1:$(PORT); opens no browser: open the address it prints
playground: $(STAMP_RUN)
	$(BIN)/layerwise playground --port $(PORT)

# the linters and the type check first (make lint alone runs only them), then the suite
test: lint
	$(BIN)/python -m pytest -n 2 tests

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# the site, into site/: the reference from the docstrings, the tutorials executed;
# --strict: a broken link or reference fails the build
docs: $(STAMP_TEST)
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(STAMP_TEST)
	$(BIN)/python benchmarks/run.py --out benchmarks/RESULTS.md

clean:
	rm -rf $(VENV) runs site build dist *.egg-info src/*.egg-info

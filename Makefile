# Two commands matter: `make run` and `make test`. Both build .venv from pyproject.toml first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench-codec clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "zkcompat needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zkcompat serve

lint: $(STAMP)
	$(BIN)/ruff check jute zkcompat tests
	$(BIN)/ruff format --check jute zkcompat tests

test: lint
	$(BIN)/python -m pytest -q

bench-codec: $(STAMP)
	$(BIN)/python -m zkcompat.bench.codec

clean:
	rm -rf $(VENV) build *.egg-info

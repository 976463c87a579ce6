# Two commands matter: `make run` and `make test`. Both build .venv from pyproject.toml first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint zookeeper conformance golden bench bench-codec clean

$(STAMP): pyproject.toml jute/_accel.c zkcompat/storage/_snapscan.c
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "zkcompat needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zkcompat serve

lint: $(STAMP)
	$(BIN)/ruff check jute zkcompat conformance tests
	$(BIN)/ruff format --check jute zkcompat conformance tests

test: lint zookeeper
	$(BIN)/python -m pytest -q

# Debian's Apache ZooKeeper 3.8: the oracle, and the zkCli.sh and cli_mt clients the suite drives.
zookeeper:
	@{ command -v java >/dev/null && test -f /usr/share/java/zookeeper.jar && \
		test -x /usr/share/zookeeper/bin/zkCli.sh && test -x /usr/lib/zookeeper/bin/cli_mt; } || { \
		echo "installing Debian's Apache ZooKeeper"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper zookeeper-bin; }

# Prove the conformance suite against Apache ZooKeeper 3.8 itself (Debian's package, installed
# here when missing) and check that it still gives the golden traces; run zkcompat
# differentially against it; then check that ZooKeeper and zkcompat read each other's data
# directories. `make test` runs the suite against zkcompat with the golden traces.
conformance: $(STAMP) zookeeper
	mkdir -p build
	$(BIN)/python -m conformance oracle-run --golden \
		--junit build/conformance-zookeeper.xml --report build/conformance-zookeeper.md
	$(BIN)/python -m conformance oracle-run --zkcompat \
		--junit build/conformance-zkcompat.xml --report build/conformance-zkcompat.md
	$(BIN)/python -m conformance.interop

# Re-record the golden traces (conformance/golden/*.json) from Apache ZooKeeper 3.8.
golden: $(STAMP) zookeeper
	$(BIN)/python -m conformance golden

# zkcompat and Apache ZooKeeper (Debian's, installed here when missing) under the same loads in
# one run, alternated; a table of medians and ratios, and build/bench/<time>.json. About a
# quarter of an hour; `make bench BENCH_ARGS=--quick` tries it out in a few minutes.
bench: $(STAMP) zookeeper
	$(BIN)/python -m zkcompat.bench $(BENCH_ARGS)

bench-codec: $(STAMP)
	$(BIN)/python -m zkcompat.bench.codec

clean:
	rm -rf $(VENV) build *.egg-info

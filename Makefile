# Two commands do all set-up on a fresh machine:
#   make run    start one node (one shard, data under ./data, RESP 127.0.0.1:7878, metrics :8878)
#   make test   run the whole test suite
#   make jepsen the chaos and linearizability matrix (every workload x every nemesis; JEPSEN_TIME=30 for short runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench proto system-deps jepsen clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/spinelraft-server --config config/spinelraft.toml

# Regenerate the checked-in gRPC code (spinelraft/grpc_api/generated/) from proto/.
proto: $(STAMP)
	$(BIN)/python -m spinelraft.grpc_api.codegen

# redis-server / redis-tools are needed by the differential tests, redis-cli and benchmarks;
# iptables by the jepsen partition nemesis (without it, partitions are skipped and said so).
system-deps:
	@if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null; fi; \
	fi
	@if ! command -v iptables >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null || true; \
		else sudo -n true 2>/dev/null && sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null || true; fi; \
	fi

# The jepsen matrix: every workload under every nemesis, JEPSEN_TIME seconds each (default 120).
# JEPSEN_SHARDS=2 runs it on 2 shards (replication factor 3); the table is rewritten after every run.
JEPSEN_TIME ?= 120
JEPSEN_NODES ?= 5
JEPSEN_SHARDS ?= 1
jepsen: $(STAMP) system-deps
	$(BIN)/python -m jepsen matrix --time $(JEPSEN_TIME) --nodes $(JEPSEN_NODES) --shards $(JEPSEN_SHARDS) --store store --table store/matrix$(if $(filter-out 1,$(JEPSEN_SHARDS)),-shards$(JEPSEN_SHARDS)).md

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

bench: $(STAMP) system-deps
	$(BIN)/python bench/redis_benchmark.py

clean:
	rm -rf $(VENV) data

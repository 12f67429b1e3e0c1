# crossbook — every target sets up what it needs itself (idempotent).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := 0.8.30

# Tools from the project's own installs: Anvil/forge/cast from npm, solc from npm (solc-js).
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solc
export FOUNDRY_DISABLE_NIGHTLY_WARNING := 1

.PHONY: help setup build web demo test test-py test-forge test-deep lint bench bench-update audit clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: $(VENV)/.installed node_modules/.installed .solc/solc-v$(SOLC_VERSION)  ## install the toolchain (idempotent)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.solc/solc-v$(SOLC_VERSION): tools/solc/solcjs-cli.js node_modules/.installed
	mkdir -p .solc
	ln -sf ../tools/solc/solcjs-cli.js $@
	test "$$($@ --version | sed -n 's/^Version: \([0-9.]*\).*/\1/p')" = "$(SOLC_VERSION)"

build: setup web  ## compile contracts with ape (offline solc-js) and forge; write the SDK's shipped ABIs and known deployments; bundle the page
	$(BIN)/ape compile
	$(BIN)/python -c 'from crossbook.chain.abi import write_shipped_abis as w; [print("wrote", p) for p in w()]'
	$(BIN)/python -c 'from crossbook.manifest import write_shipped_manifests as w; [print("wrote", p) for p in w()]'
	forge build

# The page bundles the committed ABIs of src/crossbook/chain/abis (a test holds them to the build).
web: node_modules/.installed  ## bundle the trading page (web/, TypeScript) into src/crossbook/web/static
	mkdir -p src/crossbook/web/static
	esbuild web/src/main.ts web/src/app.css --bundle --minify --target=es2022 \
		--format=esm --outdir=src/crossbook/web/static --log-level=warning
	cp web/index.html src/crossbook/web/static/index.html

demo: build  ## the main job: devnet + deployment + relayer + trading wallets; keep it trading with `crossbook demo --serve`
	$(BIN)/crossbook demo

test: build  ## every suite: pytest through ape on Anvil, forge tests, gas snapshot check
	$(BIN)/ape test tests -p no:cacheprovider
	forge test

test-deep: build  ## forge deep profile; relayer kill -9 at full scale (10 trials x 1,000 orders) and 10,000-case API fuzz
	FOUNDRY_PROFILE=deep forge test
	CROSSBOOK_RESTART_TRIALS=10 CROSSBOOK_RESTART_PAIRS=500 CROSSBOOK_FUZZ_EXAMPLES=10000 \
		$(BIN)/ape test tests/relayer/test_e2e.py tests/relayer/test_fuzz.py -p no:cacheprovider

lint: build  ## ruff, mypy, forge fmt, slither (fails on High/Medium findings)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	tsc --noEmit -p web
	forge fmt --check
	FOUNDRY_OUT=.forge/slither-out FOUNDRY_CACHE_PATH=.forge/slither-cache $(BIN)/slither . --compile-force-framework foundry --fail-medium --exclude-informational --exclude-low --filter-paths 'node_modules|tests/foundry|contracts/test'

# Gas is measured on a full, fresh compile: with via-IR, the bytecode of a contract depends on
# the whole compilation unit, so an incremental compile can differ from CI's clean one.
# Each command records its figures in its own section of docs/benchmarks.md.
bench: build  ## gas table against snapshots/gas.json, the relayer's ingest, matching and end-to-end figures, the trading page's; all into docs/benchmarks.md
	$(BIN)/ape compile --force
	$(BIN)/crossbook bench gas --write-page docs/benchmarks.md
	$(BIN)/crossbook relayer bench --orders 5000 --rate-orders 3000 --write-page docs/benchmarks.md
	$(BIN)/crossbook relayer bench --e2e --seconds 15 --write-page docs/benchmarks.md
	$(BIN)/crossbook bench page --write-page docs/benchmarks.md

# Not part of `make test` (CI does not run it): see docs/security.md and crossbook.audit.
# AUDIT_FLAGS passes options to `crossbook bench audit` (e.g. `--step halmos`, `--mutants 2`).
HALMOS_VERSION := 0.3.3
AUDIT_FLAGS ?=
audit: build  ## coverage, mutants, halmos, deep fuzz, slither (every level), gas: one summary, into docs/benchmarks.md
	$(BIN)/pip install --quiet -e '.[dev,audit]'
	test -x .venv-halmos/bin/python || $(PYTHON) -m venv .venv-halmos
	.venv-halmos/bin/pip install --quiet 'halmos==$(HALMOS_VERSION)'
	$(BIN)/ape compile --force
	$(BIN)/crossbook bench audit --write-page docs/benchmarks.md $(AUDIT_FLAGS)

bench-update: build  ## re-measure (fresh full compile) and write snapshots/gas.json
	$(BIN)/ape compile --force
	$(BIN)/crossbook bench gas --update

clean:  ## remove build outputs (not the toolchain)
	rm -rf .build .forge crytic-export .pytest_cache

# Development tasks. Every target bootstraps the virtualenv in .venv first, so on a fresh machine
# with Python 3.11+ `make run` and `make test` are all it takes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pip runs again only when the pins change.
STAMP := $(VENV)/.stapel-installed

RUN_ARGS ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv run test fuzz lint format typecheck openapi check deploy-check bench bench-smoke

help:
	@echo "make run        the service with demo data on an embedded Postgres (http://127.0.0.1:8000)"
	@echo "make test       the whole test suite on a real Postgres (STAPEL_TEST_DATABASE_URL to pick one)"
	@echo "                 (installs chromium and axe-core for the browser tests when it can)"
	@echo "make fuzz       schemathesis and hypothesis-graphql against the served app (~5 min)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     format and fix what ruff can"
	@echo "make typecheck  mypy (strict)"
	@echo "make openapi    regenerate openapi/openapi.json and schema.graphql"
	@echo "make check      lint, typecheck and test"
	@echo "make bench      the benchmark on the local Postgres (~12 min): bench/results/<time>.md"
	@echo "make bench-smoke  the same in under a minute, as CI runs it"
	@echo "make deploy-check  lint the Dockerfile; render and validate the Helm chart (own venv)"
	@echo "make venv       create or update .venv (done by every target that needs it)"

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "error: '$(PYTHON)' not found; install Python 3.11+ or set PYTHON=/path/to/python3" >&2; \
		exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: Stapel needs Python 3.11 or newer, '$(PYTHON)' is $$($(PYTHON) -V 2>&1);" \
			"set PYTHON, e.g. make PYTHON=python3.12 ..." >&2; \
		exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/stapel dev $(RUN_ARGS)

# The browser tests need Chromium and axe-core, the wallet test an OpenID4VCI wallet library
# from npm, the EUDI format tests and the conformance test (JavaScript VC-JWT verifiers) their
# npm libraries; the scripts install them when they can.
test: $(STAMP)
	tests/browser/prepare
	tests/wallet/prepare
	tests/eudi/prepare
	tests/conformance/prepare
	$(BIN)/pytest $(PYTEST_ARGS)

# Not part of `make test`: a time budget of its own (STAPEL_FUZZ_SECONDS, see tests/fuzz).
fuzz: $(STAMP)
	$(BIN)/pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

openapi: $(STAMP)
	$(BIN)/stapel openapi --output openapi/openapi.json
	$(BIN)/stapel graphql-schema --output schema.graphql

check: lint typecheck test

deploy-check:
	deploy/check

BENCH_ARGS ?=

bench: $(STAMP)
	$(BIN)/python -m bench run $(BENCH_ARGS)

bench-smoke: $(STAMP)
	$(BIN)/python -m bench run --smoke $(BENCH_ARGS)

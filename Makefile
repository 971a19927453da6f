# Govrate developer commands. Every target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export UV_SYSTEM_CERTS := 1

UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

# Where the shell sets PYTHONDONTWRITEBYTECODE, every process (each test worker, each local stack and
# pytest's rewriting of each test module) would compile the project's sources again: let them be
# written once into the (git-ignored) __pycache__ folders, which the CDK assets leave out.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install lint test unit integration infra e2e openapi fuzz synth dev smoke bench load soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --quiet --target .tools/lib uv==0.13.9
	mkdir -p .tools/bin && ln -sf ../lib/bin/uv .tools/bin/uv

# Bytecode compiled once here: every test worker and subprocess then loads it instead of compiling the
# packages from source (which it does every time where PYTHONDONTWRITEBYTECODE is set).
.venv/.synced: $(UV) Makefile pyproject.toml uv.lock
	$(UV) sync --all-extras --frozen --compile-bytecode
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: .venv/.synced node_modules/.installed ## install Python and npm dependencies from the lock files

lint: install ## ruff, mypy and the import contracts (import-linter)
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run lint-imports

test: install lint ## everything CI runs: lint, unit, integration, infra and e2e tests (one worker per core)
	$(UV) run pytest -n auto --dist loadgroup --durations=25 --ignore=tests/e2e
	# The e2e tests run in their own processes: some point boto3 at a moto server of their own. Their
	# two workers share the local stacks (tests/e2e/shared_stacks.py).
	$(UV) run pytest tests/e2e -n 2 --durations=10

unit: install ## unit tests (no network, no moto)
	$(UV) run pytest tests/unit -q

integration: install ## integration tests on moto
	$(UV) run pytest tests/integration -q

infra: install ## CDK assertions, cdk-nag and cfn-lint
	$(UV) run pytest tests/infra -q

e2e: install ## the local stack over HTTP, and the browser tests
	$(UV) run pytest tests/e2e -q -n 2

openapi: install ## regenerate the committed OpenAPI document from the routes
	$(UV) run python -m infra.openapi

fuzz: install ## a longer schemathesis run over the OpenAPI document (FUZZ_EXAMPLES per operation, default 200)
	GOVRATE_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),200) $(UV) run pytest tests/integration/test_schemathesis.py -q

synth: install ## synthesize the CDK app into cdk.out/
	npx cdk synth --quiet

dev: install ## start the whole system locally on moto, with demo data
	$(UV) run python -m local.devstack

smoke: install ## smoke-test a running stack: make smoke API=http://127.0.0.1:8000 (or a deployed stage's URL)
	@test -n "$(API)" || { echo "usage: make smoke API=<the API's base URL>"; exit 2; }
	$(UV) run python -m infra.smoke $(API) $(if $(ITEM),--item $(ITEM))

bench: install ## run the benchmarks under bench/
	PYTHONPATH=functions/intake $(UV) run python -m bench

load: install ## 60 s of mixed traffic at 20 requests/s on the local stack, then the checks (docs/reliability.md)
	$(UV) run python -m load --duration $(or $(LOAD_SECONDS),60) --rate $(or $(LOAD_RATE),20) --name load

soak: install ## 10 minutes at 20 requests/s on the local stack: memory under 1 GB, flat latency, then the checks
	$(UV) run python -m load --duration 600 --rate 20 --memory-limit-mb 1024 --name soak

clean: ## remove build output and local state
	rm -rf cdk.out .build .local test-artifacts

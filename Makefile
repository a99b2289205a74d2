# Skill Passport — the commands a person types. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

# `make run` is for a developer's machine: development mode unless told otherwise.
run: export PASSPORT_ENV ?= development
# gunicorn listens on PORT, read by Settings like every other setting (default 8000 here).
serve: export PORT ?= 8000

.PHONY: install interop-install catalogs translations run serve worker test lint bench clean

# The compiled gettext catalogs (.mo) are built from the committed .po files, never committed.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard passport/translations/*/LC_MESSAGES/messages.po))

# The JavaScript reference stack for interop tests and the DI benchmark (pinned by the lockfile),
# and DCC verifier-core in a tree of its own (it pins its own forks of vc and jsonld).
INTEROP := tests/interop/node_modules/.package-lock.json
INTEROP_DCC := tests/interop/dcc/node_modules/.package-lock.json
# axe-core for the browser accessibility crawl (tests/browser/test_every_page.py), bundled: no CDN.
BROWSER_AXE := tests/browser/node_modules/.package-lock.json
# A real OpenID provider (panva's oidc-provider) for the single sign-on tests (tests/oidc/).
OIDC_PROVIDER := tests/oidc/node_modules/.package-lock.json
# An independent OpenID4VCI wallet library (@openid4vc/openid4vci) for the wallet tests.
OID4VCI_CLIENT := tests/oid4vci/node_modules/.package-lock.json

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) catalogs

passport/translations/%/LC_MESSAGES/messages.mo: passport/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics --locale $* --input-file $< --output-file $@

catalogs: $(CATALOGS)

# Extract marked sentences, update the catalogs, fill German from JSON files, compile:
# `make translations JSON="translations/de-*.json"` (scripts/i18n_fill.py says more).
translations: $(STAMP)
	$(BIN)/python scripts/i18n_fill.py $(JSON)

$(INTEROP): tests/interop/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the JavaScript interop tests will be skipped"; \
	fi

$(INTEROP_DCC): tests/interop/dcc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/interop/dcc --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the JavaScript interop tests will be skipped"; \
	fi

$(BROWSER_AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the browser accessibility crawl will be skipped"; \
	fi

$(OIDC_PROVIDER): tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the single sign-on tests will be skipped"; \
	fi

$(OID4VCI_CLIENT): tests/oid4vci/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/oid4vci --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: the OpenID4VCI wallet client tests will be skipped"; \
	fi

interop-install: $(INTEROP) $(INTEROP_DCC) $(BROWSER_AXE) $(OIDC_PROVIDER) $(OID4VCI_CLIENT)

run: $(STAMP) catalogs
	$(BIN)/passport init
	$(BIN)/passport demo
	$(BIN)/passport serve --host 127.0.0.1

# `make serve`: gunicorn with ${PASSPORT_WORKERS:-2} workers on 127.0.0.1:${PORT:-8000}
# (gunicorn.conf.py; production settings from the environment, docs/deployment.md).
# gunicorn runs no jobs: run job workers beside it, with the same environment — `make worker`
# in another terminal or service, one per core you give to bulk issuance, on this host or
# others sharing the PostgreSQL and Redis (PASSPORT_REDIS_URL; without it the queue is a SQLite
# file in the instance folder, which only processes on this host can share).
serve: $(STAMP) catalogs
	$(BIN)/passport init
	exec $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# `make worker`: one `passport worker` (bulk issuance parts, e-mail, schedules) until SIGTERM,
# which lets the task under way finish. Start as many as you like; `make serve` runs the
# migrations they need first.
worker: $(STAMP) catalogs
	exec $(BIN)/passport worker

test: $(STAMP) catalogs interop-install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# didkit is a reference column only: without it the bench runs and says n/a.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]' || echo "didkit not installed: its bench column will read n/a"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) interop-install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/interop/node_modules \
		tests/interop/dcc/node_modules tests/browser/node_modules tests/oidc/node_modules \
		tests/oid4vci/node_modules

# `make run` and `make test` do all set-up on a fresh clone. Installs come from uv.lock only.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13: PYTHON from the environment, else python3.13 on PATH, else pyenv's 3.13.
PYTHON ?= $(shell command -v python3.13 2>/dev/null || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -n 1)
VENV := .venv
TOOLS := .venv-tools
UV_VERSION := 0.13.9
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
# Runs a command on DATABASE_URL's server, else on an embedded PostgreSQL under var/postgres.
DEVDB := $(PY) -m ordinavo.devdb
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help python install install-browser run worker test lint check-migrations bench bench-matching bench-persons bench-review bench-webhooks bench-health bench-async messages clean

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT) with one worker (embedded PostgreSQL unless DATABASE_URL)"
	@echo "make worker - a background worker alone (webhook deliveries, periodic purges)"
	@echo "make test   - install and run every check and test (embedded PostgreSQL unless DATABASE_URL)"
	@echo "make bench  - import throughput benchmark on PostgreSQL under gunicorn"
	@echo "make bench-matching - matching quality on generated data; candidate lookup at 1M customers"
	@echo "make bench-persons - person (household) matching quality; name-and-address vs external-ID speed at 100,000 customers"
	@echo "make bench-review - review queue list latency with 100,000 open items"
	@echo "make bench-health - mapping health page latency over 30 days x 100,000 items a day"
	@echo "make messages - refresh the German catalogue of the dispatcher pages (needs gettext's msgfmt)"
	@echo "make bench-webhooks - webhook delivery rate, latency, 10,000 events to a failing receiver"
	@echo "make bench-async - 100,000 items as one asynchronous import vs 500-item batches; memory"

python:
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then \
		echo "error: Python 3.13 is required; install it (e.g. 'pyenv install 3.13') or set PYTHON=/path/to/python3.13" >&2; \
		exit 1; \
	fi

$(UV): | python
	"$(PYTHON)" -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: uv.lock pyproject.toml $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python "$(PYTHON)" --quiet
	touch $@

install: $(VENV)/.installed

# Browser tests drive Debian's Chromium (Playwright's own browser download is not reachable).
install-browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

# The web server and one worker under honcho (Procfile.dev), on one database: devdb starts it
# (or takes DATABASE_URL) and both inherit it. Ctrl-C stops both, then the database.
run: install
	mkdir -p var/staticfiles
	$(DEVDB) sh -c '$(PY) manage.py migrate --noinput && $(PY) manage.py seed_demo --webhook-url http://127.0.0.1:$(PORT)/dev/webhook-inbox/ && HOST=$(HOST) exec $(VENV)/bin/honcho -f Procfile.dev start --port $(PORT)'

worker: install
	$(DEVDB) $(PY) manage.py procrastinate worker

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check-migrations: install
	mkdir -p var/staticfiles
	DJANGO_SETTINGS_MODULE=ordinavo.settings.test $(DEVDB) $(PY) manage.py makemigrations --check --dry-run

test: lint check-migrations
	mkdir -p var/staticfiles
	$(DEVDB) $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m bench.import_throughput

bench-persons: install
	$(PY) -m bench.person_matching
	$(PY) -m bench.matching_speed

bench-review: install
	$(PY) -m bench.review_queue

bench-health: install
	$(PY) -m bench.mapping_health

# The German .po is filled from locale/de_translations.py; the compiled .mo is committed, so a
# fresh clone needs no gettext. Run after changing a translatable text (apt-get install gettext).
MESSAGE_IGNORES := --ignore='.venv*' --ignore=var --ignore=tests --ignore=bench --ignore=customers \
	--ignore=mapping --ignore=inbound --ignore=webhooks --ignore=fieldwork --ignore=demo \
	--ignore=tenants --ignore=ordinavo --ignore=templates/admin --ignore=templates/demo --ignore=docs
# makemessages and compilemessages read no database: any DATABASE_URL satisfies the settings.
messages: export DATABASE_URL ?= postgres://localhost/unused
messages: install
	DJANGO_SETTINGS_MODULE=ordinavo.settings.test $(PY) manage.py makemessages -l de --no-location --no-wrap $(MESSAGE_IGNORES)
	$(PY) locale/de_translations.py
	DJANGO_SETTINGS_MODULE=ordinavo.settings.test $(PY) manage.py compilemessages -l de --ignore='.venv*'

bench-webhooks: install
	$(PY) -m bench.webhooks
	$(PY) -m bench.import_throughput --webhooks compare

bench-async: install
	$(PY) -m bench.async_import

bench-matching: install
	$(PY) -m bench.matching_quality
	$(PY) -m bench.candidate_lookup

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache .import_linter_cache

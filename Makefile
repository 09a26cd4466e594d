# The two commands of the README: `make run` and `make test`.
# Everything else here is what they need, done once and skipped when done.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STRIPE_VENV := .venv-stripe
PY := $(VENV)/bin/python
LOCALSTRIPE_VERSION := 1.15.10
STRIPE_PORT ?= 8420
HOST ?= 127.0.0.1
PORT ?= 8000
SYSTEM_PACKAGES := chromium poppler-utils

.PHONY: run test setup system-deps migrate demo lint format messages clean

## make run: set up, migrate, load the demo and serve http://127.0.0.1:8000
run: setup migrate demo
	@echo "Stripe emulator on http://127.0.0.1:$(STRIPE_PORT), site on http://$(HOST):$(PORT)"
	@trap 'kill $$stripe_pid 2>/dev/null' EXIT INT TERM; \
	$(STRIPE_VENV)/bin/python bin/localstripe_loopback.py --port $(STRIPE_PORT) & stripe_pid=$$!; \
	STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) $(PY) manage.py runserver $(HOST):$(PORT)

## make test: the same setup, then the whole suite
test: setup system-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed $(STRIPE_VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# localstripe pins old aiohttp/dateutil ranges: it lives in its own venv.
$(STRIPE_VENV)/.installed: Makefile
	@test -x $(STRIPE_VENV)/bin/python || $(PYTHON) -m venv $(STRIPE_VENV)
	$(STRIPE_VENV)/bin/python -m pip install --quiet 'localstripe==$(LOCALSTRIPE_VERSION)'
	@touch $@

## Debian packages the tests need (a browser for e2e, pdftoppm to read PDFs)
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "The tests need the Debian packages:$$missing"; \
	    echo "Install them as root: apt-get update && apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

migrate: setup
	$(PY) manage.py migrate --no-input -v0

demo: migrate
	$(PY) manage.py seed_demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Regenerate and compile the catalogues (needs Debian's gettext; the .mo files are committed)
messages: setup
	$(PY) manage.py makemessages -l it -l en --ignore '.venv*' --ignore var --ignore bench
	$(PY) manage.py compilemessages --ignore '.venv*'

clean:
	rm -rf var/ .pytest_cache

# The two commands of the README: `make run` and `make test`.
# Everything else here is what they need, done once and skipped when done.

SHELL := /bin/bash
# Debian's own Python 3.11 when there is one (with its venv module): the one
# deploy/install.sh runs in production, and a quarter faster than a Python
# built without profile-guided optimisation, such as pyenv's (bench/README.md,
# "The interpreter production runs"). Otherwise the first python3.11 on PATH.
SYSTEM_PYTHON := /usr/bin/python3.11
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import ensurepip, venv' 2>/dev/null && echo $(SYSTEM_PYTHON) || command -v python3.11 || command -v python3)
VENV := .venv
STRIPE_VENV := .venv-stripe
PY := $(VENV)/bin/python
LOCALSTRIPE_VERSION := 1.15.10
STRIPE_PORT ?= 8420
HOST ?= 127.0.0.1
PORT ?= 8000
SYSTEM_PACKAGES := chromium poppler-utils nginx-light fonts-liberation

.PHONY: run test setup system-deps bench-deps migrate demo lint format messages clean

STRIPE_URL := http://127.0.0.1:$(STRIPE_PORT)
# Starts the Stripe emulator for the rest of the recipe's shell (killed when
# that shell exits) and waits up to 10 s for its port. Its data live in memory:
# the cards the demo saved are gone once it stops.
START_STRIPE = trap 'kill $$stripe_pid 2>/dev/null' EXIT INT TERM; \
	$(STRIPE_VENV)/bin/python bin/localstripe_loopback.py --port $(STRIPE_PORT) & stripe_pid=$$!; \
	for _ in $$(seq 50); do \
	  (exec 3<>/dev/tcp/127.0.0.1/$(STRIPE_PORT)) 2>/dev/null && break; sleep 0.2; \
	done; \
	export STRIPE_API_BASE=$(STRIPE_URL)

## make run: set up, migrate, load the demo and serve http://127.0.0.1:8000
# One emulator for both: the demo's card pledges are saved in it, then the site
# uses it.
run: setup migrate
	@$(START_STRIPE); \
	$(PY) manage.py seed_demo && \
	echo "Stripe emulator on $(STRIPE_URL), site on http://$(HOST):$(PORT)" && \
	$(PY) manage.py runserver $(HOST):$(PORT)

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

## Debian packages the tests need (a browser for e2e, pdftoppm to read PDFs,
## nginx to test the front page cache of deploy/nginx, the receipts' font)
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	test -x /usr/sbin/nginx || command -v nginx >/dev/null || missing="$$missing nginx-light"; \
	test -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf || missing="$$missing fonts-liberation"; \
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

## Debian packages the benchmarks need (wrk, the HTTP load generator)
bench-deps:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else echo "The benchmarks need Debian's wrk: apt-get install -y wrk"; exit 1; fi; }

migrate: setup
	$(PY) manage.py migrate --no-input -v0

# The demo's card pledges need the emulator; without it the seed says so and
# records offline pledges only.
demo: migrate
	@$(START_STRIPE); \
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

# Two commands do all set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# What is installed and tested: locks made by `make lock` (uv) from requirements*.txt, with hashes.
LOCK := .ci/requirements.lock
DEV_LOCK := .ci/requirements-dev.lock
# The stamp changes when the lock (or the package's own settings) changes: the venv is then re-installed.
STAMP := $(VENV)/.installed-$(shell cat $(DEV_LOCK) pyproject.toml | md5sum | cut -c1-12)
UV := $(VENV)/bin/uv
# The one platform the locks are for: CPython 3.11 on Linux x86_64 (this machine, CI, the Dockerfile).
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28
LOWEST_VENV := .venv-lowest
CHROMIUM := /usr/bin/chromium
PORT ?= 8501
PYTEST_ARGS ?=
# The fast tests, run again on the lowest allowed versions: no browser, nothing marked slow.
FAST_TESTS ?= -m "not browser and not slow"

.PHONY: run test lint venv browser postgres audit lock lock-check test-lowest bench evaluate fuzz load clean

venv: $(STAMP)

$(STAMP): $(DEV_LOCK) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# Exactly the pinned, hashed versions of the lock; nothing resolved here.
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	# The library itself, editable: the `tastemap` command (= python -m recommender).
	$(PY) -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

# Re-resolve the locks from requirements.txt / requirements-dev.txt (+ .ci/tools.in: uv itself).
# Versions already in a lock are kept when they still fit; `make lock UPGRADE=1` takes the newest.
# The dev lock is constrained by the run-time lock, so the two agree on every shared package.
lock:
	@test -x $(UV) || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet -r .ci/tools.in; }
	$(UV) pip compile --quiet --generate-hashes $(LOCK_TARGET) $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" requirements.txt -o $(LOCK)
	$(UV) pip compile --quiet --generate-hashes $(LOCK_TARGET) $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" requirements-dev.txt .ci/tools.in -c $(LOCK) -o $(DEV_LOCK)

# The locks still satisfy requirements*.txt (someone edited those without `make lock`?).
lock-check: venv
	$(PY) .ci/lock_check.py

# Debian's chromium for the browser tests (never a browser download).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	@$(CHROMIUM) --version

# Debian's PostgreSQL server binaries: the label-store tests start their own throw-away server.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi
	@ls /usr/lib/postgresql/*/bin/initdb

# Debian's HAProxy: the proxy in front of several app processes (`make serve`, tests/robustness/test_serve.py).
haproxy:
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq haproxy >/dev/null; \
	fi
	@PATH="$$PATH:/usr/sbin" haproxy -v | head -1

# A group: N app processes (default 2) behind HAProxy on one port, labels in PostgreSQL (a local
# server in .tastemap/postgres unless TASTEMAP_DATABASE_URL is set), fit cache warmed once.
# 127.0.0.1 only; HOST=0.0.0.0 serves others. Ctrl-C stops all of it. docs/reliability.md.
.PHONY: serve haproxy
N ?= 2
HOST ?= 127.0.0.1
serve: venv haproxy postgres
	PATH="$$PATH:/usr/sbin" $(PY) -m recommender serve -n $(N) --bind $(HOST):$(PORT)

# Listens on this machine only (127.0.0.1): serving others is a choice to make explicitly.
run: venv
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address 127.0.0.1

test: venv lock-check browser postgres haproxy audit lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The lowest versions requirements*.txt allow (uv's lowest-direct resolution: every direct
# requirement at its minimum), in a fresh venv of their own, then the fast tests: a false
# minimum fails here. CI (.ci/run) runs it after `make test`.
test-lowest: venv postgres
	rm -rf $(LOWEST_VENV)
	$(UV) venv --quiet --python $(PYTHON) $(LOWEST_VENV)
	$(UV) pip install --quiet --python $(LOWEST_VENV)/bin/python --resolution lowest-direct --only-binary :all: \
		-r requirements-dev.txt
	$(UV) pip install --quiet --python $(LOWEST_VENV)/bin/python --no-deps -e .
	$(UV) pip list --python $(LOWEST_VENV)/bin/python > $(LOWEST_VENV)/versions.txt
	# A cache of its own: fits pickled by older pandas/scikit-learn stay out of .venv's.
	TASTEMAP_CACHE_DIR=$(LOWEST_VENV)/cache $(LOWEST_VENV)/bin/python -m pytest -p no:cacheprovider $(FAST_TESTS) $(PYTEST_ARGS)

# ruff with the rules in pyproject.toml (errors, likely bugs, import order, modern syntax).
lint: venv
	$(VENV)/bin/ruff check .

# pip-audit over the dev lock (a superset of the run-time lock) when the advisory database is
# reachable; a notice when it is not.
audit: venv
	$(PY) .ci/audit.py

bench: venv
	$(PY) -m bench

evaluate: venv
	$(PY) -m recommender evaluate

clean:
	rm -rf $(VENV) $(LOWEST_VENV) .pytest_cache .hypothesis tests/artifacts

# Every fuzz target with the long hypothesis profile (>= 10,000 examples each, 10 min cap each).
fuzz: venv
	$(PY) -m bench.fuzz_long

# Many users at once against one `streamlit run` server: 20 sessions for 2 minutes spoken over
# Streamlit's websocket protocol from one process (no browser), then 4 Chromium sessions doing 2
# rounds each (Recommend, then Taste). Not in `make test`: four browsers on a small busy machine
# are a benchmark, not a test (tests/test_load.py keeps the websocket run, counted in rounds).
load: venv browser
	$(PY) -m bench.load_test --client ws --sessions 20 --duration 120
	$(PY) -m bench.load_test --client browser --sessions 4 --rounds 2 --duration 0

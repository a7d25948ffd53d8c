# Two commands do all set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | md5sum | cut -c1-12)
CHROMIUM := /usr/bin/chromium
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test lint venv browser postgres audit bench evaluate fuzz load clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# The library itself, editable: the `tastemap` command (= python -m recommender).
	$(PY) -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

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
	PATH="$$PATH:/usr/sbin" $(PY) -m recommender.cli.serve -n $(N) --bind $(HOST):$(PORT)

# Listens on this machine only (127.0.0.1): serving others is a choice to make explicitly.
run: venv
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address 127.0.0.1

test: venv browser postgres audit lint
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff with the rules in pyproject.toml (errors, likely bugs, import order, modern syntax).
lint: venv
	$(VENV)/bin/ruff check .

# pip-audit when the advisory database is reachable; a notice when it is not.
audit: venv
	$(PY) .ci/audit.py

bench: venv
	$(PY) -m bench

evaluate: venv
	$(PY) -m recommender evaluate

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis tests/artifacts

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

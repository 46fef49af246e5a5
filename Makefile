# The PyTorch course book. `make help` lists the targets; `make lab` and `make test` do everything.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The stamp names a hash of the dependency list, so editing other parts of pyproject.toml (tool
# settings) does not reinstall, while changing a pin does.
DEPS_HASH := $(shell $(PYTHON) -c 'import tomllib, hashlib, json; \
  p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
  print(hashlib.sha1(json.dumps([p["requires-python"], p["dependencies"], \
  p["optional-dependencies"]]).encode()).hexdigest()[:12])' 2>/dev/null)
STAMP := $(VENV)/.installed-$(DEPS_HASH)
KERNEL := pytorch-course
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.py))
CHAPTER ?=

# The read-only dataset mirror, when it sits beside the repository (as in CI).
COURSE_DATA_MIRROR ?= $(abspath $(wildcard ../shared/data))
export COURSE_DATA_MIRROR

.PHONY: help env lab test unit notebooks lint sync book clean

help: ## list the targets
	@grep -hE '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The environment is (re)built when its stamp is missing: first use, or a changed dependency list.
$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else \
	  "The book needs Python 3.11; set PYTHON=/path/to/python3.11 (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the book's pinned packages into $(VENV) (first time: a few minutes)..."
	$(BIN)/python -m pip install -q -e '.[lab,dev]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) \
	  --display-name "PyTorch course (.venv)" > /dev/null
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

env: $(STAMP) ## create the environment (.venv) if it is missing or out of date

lab: env ## open JupyterLab on the book (headless machines: open the printed URL)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 \
	  --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  $(if $(or $(DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser)

test: env ## run every test: unit tests, pair sync, lint, every notebook (fast profile)
	$(MAKE) --no-print-directory lint
	COURSE_PROFILE=fast COURSE_PROGRESS=0 $(BIN)/pytest tests notebooks

unit: env ## unit and structure tests only (no notebook execution)
	$(BIN)/pytest tests

notebooks: env ## execute every notebook under nbval (fast profile); CHAPTER=07 for one
	COURSE_PROFILE=fast COURSE_PROGRESS=0 $(BIN)/pytest notebooks/$(CHAPTER)*.ipynb

lint: env ## ruff over the package, the tests and the notebooks' .py sources
	$(BIN)/ruff check conftest.py course_utils tests notebooks/*.py
	$(BIN)/ruff format --check conftest.py course_utils tests

SELECTED = $(filter notebooks/$(CHAPTER)%,$(NOTEBOOKS))

sync: env ## write each notebooks/NN_name.py into its .ipynb, outputs kept (CHAPTER=07 for one)
	@for py in $(SELECTED); do $(BIN)/jupytext --quiet --update --to ipynb "$$py"; done

book: sync ## re-execute every notebook in place in the full profile (CHAPTER=07 for one)
	@for py in $(SELECTED); do \
	  echo "== $$py"; start=$$(date +%s); \
	  COURSE_PROFILE=full COURSE_PROGRESS=0 $(BIN)/jupyter nbconvert --to notebook --execute \
	    --inplace --log-level=WARN --ExecutePreprocessor.timeout=-1 \
	    --ExecutePreprocessor.kernel_name=$(KERNEL) --NotebookClient.record_timing=False \
	    "$${py%.py}.ipynb"; \
	  echo "   $$(( $$(date +%s) - start )) s"; \
	done

clean: ## remove the environment, caches and build outputs (keeps data/)
	rm -rf $(VENV) build .pytest_cache .ruff_cache course_utils.egg-info course_utils/__pycache__ tests/__pycache__

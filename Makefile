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

.PHONY: help env lab test unit notebooks lint sync book slides browser reproduce bench clean

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
	@# jupyterlab-rise pulls in jupyterlab-mathjax3, a JupyterLab 3 extension that JupyterLab 4
	@# (MathJax 3 built in) flags as incompatible: switch it off. RISE's default theme loads Google
	@# fonts; the white theme's fonts are bundled, so live slides work offline too.
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyterlab/mathjax3-extension > /dev/null 2>&1
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@echo '{"jupyterlab-rise:plugin": {"theme": "white"}}' > $(VENV)/share/jupyter/lab/settings/overrides.json
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

env: $(STAMP) ## create the environment (.venv) if it is missing or out of date

lab: env ## open JupyterLab on the book (headless machines: open the printed URL)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 \
	  --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  $(if $(or $(DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

test: env browser ## run every test: unit tests, pair sync, lint, every notebook (fast profile)
	$(MAKE) --no-print-directory lint
	COURSE_PROFILE=fast COURSE_PROGRESS=0 $(BIN)/pytest tests notebooks

unit: env ## unit and structure tests only (no notebook execution)
	$(BIN)/pytest tests

notebooks: env ## execute every notebook under nbval (fast profile); CHAPTER=07 for one
	COURSE_PROFILE=fast COURSE_PROGRESS=0 $(BIN)/pytest notebooks/$(CHAPTER)*.ipynb

lint: env ## ruff over the package, the tests and the notebooks' .py sources
	$(BIN)/ruff check conftest.py course_utils tests scripts notebooks/*.py
	$(BIN)/ruff format --check conftest.py course_utils tests scripts

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

# Slides: reveal.js decks of the committed outputs (no re-execution), fully offline. reveal.js,
# require.js, jQuery and MathJax come from npm (package.json, package-lock.json) and are copied
# beside the decks, which name them by relative paths: open a deck as a file or serve the folder.
SLIDES_DIR := build/slides
DECK_LIB := $(SLIDES_DIR)/lib
MATHJAX_PARTS := MathJax.js config/TeX-AMS_CHTML-full.js config/Safe.js extensions jax/element jax/input/TeX \
  jax/output/CommonHTML fonts/HTML-CSS/TeX/woff
# The browser tests (tests/browser) drive this Chromium; they skip, saying so, when it is missing.
COURSE_CHROMIUM ?= /usr/bin/chromium
export COURSE_CHROMIUM

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm > /dev/null || { echo "make slides needs npm (Node.js)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error

$(DECK_LIB)/.copied: node_modules/.package-lock.json
	@rm -rf $(DECK_LIB) && mkdir -p $(DECK_LIB)/reveal.js/plugin $(DECK_LIB)/mathjax
	@cp -R node_modules/reveal.js/dist $(DECK_LIB)/reveal.js/
	@cp -R node_modules/reveal.js/plugin/notes $(DECK_LIB)/reveal.js/plugin/
	@cp node_modules/requirejs/require.js node_modules/jquery/dist/jquery.min.js $(DECK_LIB)/
	@tar -C node_modules/mathjax -cf - $(MATHJAX_PARTS) | tar -C $(DECK_LIB)/mathjax -xf -
	@touch $@

slides: env $(DECK_LIB)/.copied ## render reveal.js decks into build/slides, offline (CHAPTER=07 for one)
	$(if $(SELECTED),,$(error no notebook matches CHAPTER=$(CHAPTER)))
	$(BIN)/jupyter nbconvert --to slides --log-level=WARN --output-dir=$(SLIDES_DIR) \
	  --TemplateExporter.extra_template_basedirs=templates --template=course-slides \
	  --no-prompt --SlidesExporter.reveal_theme=white \
	  --SlidesExporter.reveal_width=1280 --SlidesExporter.reveal_height=800 \
	  --SlidesExporter.reveal_url_prefix=lib/reveal.js \
	  --SlidesExporter.require_js_url=lib/require.js \
	  --SlidesExporter.jquery_url=lib/jquery.min.js \
	  --SlidesExporter.mathjax_url='lib/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe' \
	  $(SELECTED:.py=.ipynb)
	@echo "Decks in $(SLIDES_DIR)/ (open one in a browser; S opens the speaker notes)"

browser: ## install Chromium for the browser tests when missing (Debian's package, as root)
	@if [ -x "$(COURSE_CHROMIUM)" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
	else \
	  echo "No Chromium at $(COURSE_CHROMIUM) (and no apt-get as root): browser tests will skip."; \
	fi

reproduce: env ## train the seeds' CIFAR-10 and MNIST recipes on the real data; writes results/RESULTS.md
	COURSE_PROGRESS=0 $(BIN)/python scripts/reproduce.py

bench: env ## time an epoch of both seed nets: pure compute vs PIL DataLoader vs the fast path
	COURSE_PROGRESS=0 $(BIN)/python scripts/bench.py

clean: ## remove the environment, caches and build outputs (keeps data/)
	rm -rf $(VENV) build node_modules .pytest_cache .ruff_cache course_utils.egg-info course_utils/__pycache__ tests/__pycache__

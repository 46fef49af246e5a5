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
# Each chapter is a jupytext pair: notebooks/src/NN_name.py, the percent-format source authors edit,
# and notebooks/NN_name.ipynb, with outputs, what students open (formats "ipynb,src//py:percent").
# The sources sit in src/ so that `make lab`'s file browser lists every chapter once.
NOTEBOOKS := $(sort $(wildcard notebooks/src/[0-9][0-9]_*.py))
# A source's notebook: notebooks/src/NN_name.py -> notebooks/NN_name.ipynb.
ipynb_of = $(patsubst notebooks/src/%.py,notebooks/%.ipynb,$(1))
CHAPTER ?=

# The read-only dataset mirror: this is the one place that names its default, ../shared/data
# beside the repository (as in CI), used when it exists. COURSE_DATA_MIRROR in the environment
# wins; set to nothing, it means no mirror. `make -s print-mirror` prints the result (.ci/run
# asks it whether to run `make reproduce`).
COURSE_DATA_MIRROR ?= $(abspath $(wildcard ../shared/data))
export COURSE_DATA_MIRROR

# `make unit`: everything under tests/ that needs no network, no browser and no Jupyter kernel.
# The browser tests (npm, JupyterLab, Chromium) and the slow ones of tests/test_harness.py
# (pytest, mostly nbval kernels, in subprocesses: about a minute and a half) are left to `make test`.
UNIT_MARKERS := not browser and not slow

.PHONY: help env lab test unit notebooks lint sync book slides html browser reproduce bench \
  clean print-mirror

help: ## list the targets and what each runs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# The environment is (re)built when its stamp is missing: first use, or a changed dependency list.
$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else \
	  "The book needs Python 3.11; set PYTHON=/path/to/python3.11 (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the book's pinned packages into $(VENV) (first time: a few minutes)..."
	$(BIN)/python -m pip install -q -e '.[lab,dev,site]' 2>&1 | { grep -v '^WARNING: Location' || true; }
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

lab: env ## jupyter lab on notebooks/, the book's kernel the default (headless: open the printed URL)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 \
	  --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  $(if $(or $(DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser) \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

test: env browser ## everything (CI): make lint, then pytest tests notebooks (all tests, every notebook by nbval)
	$(MAKE) --no-print-directory lint
	COURSE_PROFILE=fast COURSE_PROGRESS=0 $(BIN)/pytest tests notebooks

unit: env ## the quick run: pytest tests -m "not browser and not slow" (no kernel, browser, network)
	$(BIN)/pytest tests -m "$(UNIT_MARKERS)"

notebooks: env ## pytest notebooks/*.ipynb: nbval, fast profile (CHAPTER=07 for one)
	COURSE_PROFILE=fast COURSE_PROGRESS=0 $(BIN)/pytest $(call ipynb_of,$(SELECTED))

lint: env ## ruff check (and format --check) of conftest.py, course_utils, tests, scripts, site, notebooks/src/*.py
	$(BIN)/ruff check conftest.py course_utils tests scripts site notebooks/src/*.py
	$(BIN)/ruff format --check conftest.py course_utils tests scripts site

SELECTED = $(filter notebooks/src/$(CHAPTER)%,$(NOTEBOOKS))
# A CHAPTER that names no notebook stops these targets at once, before anything is built or run.
ifneq ($(filter sync book notebooks slides,$(MAKECMDGOALS)),)
ifeq ($(SELECTED),)
$(error no notebook matches CHAPTER=$(CHAPTER) (notebooks/src/$(CHAPTER)*.py); the chapters are \
  $(foreach py,$(NOTEBOOKS),$(firstword $(subst _, ,$(notdir $(py))))))
endif
endif

# `jupytext --to ipynb` would write notebooks/src/NN_name.ipynb, beside the source (it does not
# follow the src// prefix of the formats): --output names the notebook the source is paired with.
sync: env ## jupytext --update --output: each src/NN_name.py into its NN_name.ipynb, outputs kept (CHAPTER=07)
	@$(foreach py,$(SELECTED),$(BIN)/jupytext --quiet --update --output $(call ipynb_of,$(py)) $(py);)

# Each chapter's wall time is printed after it, and the total at the end (the README's chapter
# table gives the figures of a quiet 2-core machine).
book: sync ## make sync, then nbconvert --execute --inplace, full profile: the committed outputs, timed (CHAPTER=07)
	@book_start=$$(date +%s); for nb in $(call ipynb_of,$(SELECTED)); do \
	  echo "== $$nb"; start=$$(date +%s); \
	  COURSE_PROFILE=full COURSE_PROGRESS=0 $(BIN)/jupyter nbconvert --to notebook --execute \
	    --inplace --log-level=WARN --ExecutePreprocessor.timeout=-1 \
	    --ExecutePreprocessor.kernel_name=$(KERNEL) --NotebookClient.record_timing=False \
	    "$$nb"; \
	  echo "   $$(( $$(date +%s) - start )) s"; \
	done; \
	total=$$(( $$(date +%s) - book_start )); \
	echo "book: $(words $(SELECTED)) chapter(s), full profile, $$total s ($$(( total / 60 )) min $$(( total % 60 )) s)"

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

slides: env $(DECK_LIB)/.copied ## nbconvert --to slides: offline reveal.js decks of the committed outputs, build/slides (CHAPTER=07)
	$(BIN)/jupyter nbconvert --to slides --log-level=WARN --output-dir=$(SLIDES_DIR) \
	  --TemplateExporter.extra_template_basedirs=templates --template=course-slides \
	  --no-prompt --SlidesExporter.reveal_theme=white \
	  --SlidesExporter.reveal_width=1280 --SlidesExporter.reveal_height=800 \
	  --SlidesExporter.reveal_url_prefix=lib/reveal.js \
	  --SlidesExporter.require_js_url=lib/require.js \
	  --SlidesExporter.jquery_url=lib/jquery.min.js \
	  --SlidesExporter.mathjax_url='lib/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe' \
	  $(call ipynb_of,$(SELECTED))
	@echo "Decks in $(SLIDES_DIR)/ (open one in a browser; S opens the speaker notes)"

# The book as a static site: Sphinx with myst-nb renders every chapter from its committed outputs
# (nothing is executed), with the glossary, the results and the map of open questions
# (site/course_site.py, site/conf.py). The decks of `make slides` (all of them) and MathJax are
# copied in, so build/html works on its own: served, or opened as files, with no network.
HTML_DIR := build/html

html: env $(DECK_LIB)/.copied ## the book as an offline static site, build/html (decks included), from the committed outputs
	@$(MAKE) --no-print-directory slides CHAPTER=
	$(BIN)/python site/course_site.py --out $(HTML_DIR) --slides $(SLIDES_DIR)
	@echo "Site in $(HTML_DIR)/ (open $(HTML_DIR)/index.html, or python3 -m http.server -d $(HTML_DIR))"

browser: ## apt-get install chromium (Debian, as root) for the browser tests, when it is missing
	@if [ -x "$(COURSE_CHROMIUM)" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
	else \
	  echo "No Chromium at $(COURSE_CHROMIUM) (and no apt-get as root): browser tests will skip."; \
	fi

reproduce: env ## scripts/reproduce.py: the headline results of chapters 07-15 on the real data -> results/RESULTS.md
	COURSE_PROGRESS=0 $(BIN)/python scripts/reproduce.py

bench: env ## scripts/bench.py: an epoch of both seed nets, pure compute vs PIL DataLoader vs the fast path
	COURSE_PROGRESS=0 $(BIN)/python scripts/bench.py

print-mirror: ## print the dataset mirror the targets use (COURSE_DATA_MIRROR; empty: none)
	@echo '$(COURSE_DATA_MIRROR)'

clean: ## rm -rf .venv, node_modules, build/, every cache and .ipynb_checkpoints (keeps data/)
	rm -rf $(VENV) build node_modules .pytest_cache .ruff_cache *.egg-info
	find . \( -path ./data -o -path ./.git \) -prune -o -type d \( -name __pycache__ \
	  -o -name .ipynb_checkpoints -o -name .pytest_cache -o -name .ruff_cache \) -prune -exec rm -rf {} +

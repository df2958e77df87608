# fieldkit developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
BIN := $(VENV)/bin
STAMP := $(VENV)/.fieldkit-installed

.PHONY: help run test lint bench screenshots translations clean system-deps-run system-deps-test \
	system-deps-package package package-test package-lock

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "fieldkit needs Python 3.11 or newer; install it (Debian/Ubuntu: sudo apt-get install python3 python3-venv) and run make again." >&2; exit 1; fi
	@test -x $(BIN)/pip || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create a virtual environment with $(PYTHON); on Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create or update the virtual environment in .venv

system-deps-run:
	@scripts/system-deps run $(PYTHON)

system-deps-test:
	@scripts/system-deps test $(PYTHON)

system-deps-package:
	@scripts/system-deps package $(PYTHON)

run: system-deps-run $(STAMP) ## Set everything up and start the desktop app on the default local vault
	$(BIN)/fieldkit

# The suite runs on every CPU this machine lets it use (pytest-xdist, one worker per CPU;
# PYTEST_XDIST_AUTO_NUM_WORKERS=N sets another number). A test file stays on one worker, so the
# servers and HQ folders its module fixtures make are made once. PYTEST_ARGS comes last and wins:
# `make test PYTEST_ARGS="-n 0"` runs the suite in this process, one test after another.
TEST_PARALLEL ?= -n logical --dist loadfile

test: system-deps-test $(STAMP) ## Set everything up and run the whole test suite
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(TEST_PARALLEL) $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy on src/, and the layer contract
	$(BIN)/ruff check src tests benchmarks scripts packaging
	$(BIN)/ruff format --check src tests benchmarks scripts packaging
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: system-deps-test $(STAMP) ## Run the benchmarks (figures go into docs/performance.md)
	$(BIN)/python -m benchmarks

screenshots: system-deps-test $(STAMP) ## Render the main screens and the web workspace's pages to docs/images/
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/render_screens.py docs/images
	$(BIN)/python scripts/render_web_screens.py docs/images

translations: $(STAMP) ## Extract strings and compile the catalogues
	$(BIN)/python scripts/translations.py

package: system-deps-package ## Build the installer for this machine into dist/ (docs/packaging.md)
	@if [ -z "$(PYTHON)" ]; then echo "fieldkit needs Python 3.11 or newer to build its installers." >&2; exit 1; fi
	$(PYTHON) packaging/build.py

package-test: system-deps-package ## Build the Linux installers in a clean folder and drive the packaged app
	@if [ -z "$(PYTHON)" ]; then echo "fieldkit needs Python 3.11 or newer to build its installers." >&2; exit 1; fi
	$(PYTHON) packaging/package_test.py

package-lock: $(STAMP) ## Pin the build dependencies with their hashes (packaging/requirements-build.txt)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile pyproject.toml packaging/requirements-build.in --extra gui --extra hq \
		--universal --python-version 3.11 --generate-hashes --no-header --quiet \
		-o packaging/requirements-build.txt

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

# The two commands of the README. Each installs what it needs first (tools/install.sh is a no-op
# when the environment is already up to date).
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
export SEED_VENV := $(VENV)

.PHONY: install test unit-test recipe-test demo bench clean-demo

install:
	tools/install.sh

## make test: install, run the package tests, then the CI-size LibriSpeech recipe end to end (stages 0-6)
test: install unit-test recipe-test

unit-test: install
	$(PYTHON) -m pytest -q tests

recipe-test: install
	tests/recipe/run_ci_recipe.sh

## make demo: install, then run the embedded default recipe (synthetic corpus) and print its results
demo: install
	cd egs/mini/seed1 && ./run.sh

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PYTHON) $$b || exit 1; done

# The two commands a newcomer needs: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13, as .python-version says: pyenv's if present, else python3.13 on PATH.
PYTHON313 ?= $(shell (pyenv which python3.13 2>/dev/null) || command -v python3.13 || echo python3.13)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help venv run test test-unit test-integration test-deploy checkov image lint reset lock clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.txt requirements/base.txt
	@$(PYTHON313) -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' || \
	  { echo "Python 3.13 is needed (pyenv install 3.13, or put python3.13 on PATH)."; exit 1; }
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	@echo "Installing the pinned lock (requirements/dev.txt) into $(VENV): wheels only, nothing is compiled…"
	$(PY) -m pip install --disable-pip-version-check --progress-bar on "$$(grep -E '^uv==' requirements/dev.txt)"
	$(VENV)/bin/uv pip sync --python $(PY) --only-binary :all: requirements/dev.txt
	touch $(STAMP)
	@echo "$(VENV) is ready."

venv: $(STAMP) ## Create .venv with Python 3.13 and install the lock

run: $(STAMP) ## Start everything locally (moto, api, web, admin, worker, beat) with demo data; Ctrl-C stops
	$(PY) scripts/local_stack.py

test: $(STAMP) ## The whole suite: lint, unit tier, deployment checks, integration tier
	scripts/test_prerequisites.sh
	$(MAKE) lint
	$(MAKE) test-unit
	$(MAKE) test-integration

test-unit: $(STAMP) ## Fast tier on in-process moto
	$(PY) -m pytest -m "not integration" -n 2 --dist loadfile -q

test-integration: $(STAMP) ## Real moto server over HTTP, real Celery worker on SQS, gunicorn, Chromium
	scripts/test_prerequisites.sh
	$(PY) -m pytest -m integration -q -p no:xdist

test-deploy: $(STAMP) ## Deployment checks only: Terraform properties (python-hcl2), entrypoint, scripts, hadolint, checkov
	$(PY) -m pytest tests/deploy -q -p no:xdist

checkov: ## checkov over deploy/ and docker/ from its own venv (.venv-checkov), offline
	deploy/scripts/checkov.sh

image: ## Build the container image (needs a Docker engine)
	docker build -f docker/Dockerfile -t cdd:dev .

lint: $(STAMP) ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy cdd apps

reset: ## Wipe local data (.local/: identity database, saved DynamoDB/S3 state, logs)
	rm -rf .local

lock: ## Recompile requirements/*.txt from requirements/*.in (needs network to PyPI)
	$(VENV)/bin/uv pip compile --python-version 3.13 --override requirements/overrides.txt requirements/base.in -o requirements/base.txt
	$(VENV)/bin/uv pip compile --python-version 3.13 --override requirements/overrides.txt requirements/dev.in -o requirements/dev.txt

clean: ## Remove caches and collected static files (keeps .local and .venv)
	rm -rf staticfiles .pytest_cache .mypy_cache .ruff_cache

# VShop: two commands do everything.
#   make run   install into .venv, migrate, load the demo on first run, serve on http://127.0.0.1:8000
#   make test  install into .venv and run the whole suite
PYTHON ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/vshop serve

test: install
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: install
	$(VENV)/bin/python bench/storefront.py
	$(VENV)/bin/python bench/checkout.py
	$(VENV)/bin/python bench/ledger.py
	$(VENV)/bin/python bench/fans.py
	$(VENV)/bin/python bench/send_time.py
	$(VENV)/bin/python bench/circle.py

clean:
	rm -rf $(VENV) var .pytest_cache

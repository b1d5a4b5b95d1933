# The two commands: `make run` (the product, locally) and `make test` (every check CI runs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
MOTO_VERSION ?= 5.2.5
CARGO ?= cargo

.PHONY: help run test fmt-check lint unit venv clean

help:
	@echo "make run   - start the local all-in-one server (embedded store, Avito sandbox)"
	@echo "make test  - fmt check, clippy -D warnings, every test (moto started and stopped for AWS tests)"

## The product on this machine: the local server on the embedded store.
run:
	$(CARGO) run -p local-server --bin avito-cc-local

## Everything CI checks.
test: fmt-check lint venv
	tests/scripts/with-moto.sh $(VENV) $(CARGO) test --workspace --all-targets

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## A Python venv with moto's server (the local DynamoDB/SQS/Scheduler endpoint), made once.
venv: $(VENV)/bin/moto_server

$(VENV)/bin/moto_server:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'

clean:
	$(CARGO) clean
	rm -rf $(VENV) .local-data

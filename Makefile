# The two commands: `make run` (the product, locally) and `make test` (every check CI runs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
MOTO_VERSION ?= 5.2.5
SAM_VERSION ?= 1.170.0
CFN_LINT_VERSION ?= 1.58.0
CARGO_LAMBDA_VERSION ?= 1.9.2
SCHEMATHESIS_VERSION ?= 4.32.5
# The functions, as the SAM template names their code directories.
FUNCTIONS := admin-api operator-api avito-webhook oauth-callback router autoreply auto-close live-push live-socket web-interface sign-in-audit
LAMBDA_DIR := target/lambda
WATCH_PORT ?= 9000
CARGO ?= cargo

.PHONY: help run test api-test browser-test fmt-check lint domain-purity lint-infra venv build watch lambda-watch deploy tenant bench clean

help:
	@echo "make run   - start the local all-in-one server (embedded store, Avito sandbox)"
	@echo "make test  - fmt check, clippy -D warnings, every test (moto started and stopped for AWS tests), schemathesis, browser tests"
	@echo "make api-test - schemathesis against the local server, as an administrator and an operator (part of make test)"
	@echo "make build - every Lambda function, release, arm64 (cargo-lambda), with its size"
	@echo "make watch - the product on its AWS wiring: infra/template.yaml played on moto (HTTP API, Cognito sign-in, SQS, Scheduler) with every function"
	@echo "make lambda-watch - every Lambda function under cargo lambda watch, invoked by hand, on moto and the Avito sandbox"
	@echo "make deploy - build, then sam deploy (guided the first time)"
	@echo "make tenant TENANT=<id> EMAIL=<e-mail> NAME=\"<name>\" [STACK=<stack>] - a tenant and its first administrator on the deployed stack (Cognito e-mails them)"
	@echo "make bench - measure (webhook ack, end to end, cost per message on AWS against moto, cold start, domain hot paths) into BENCHMARKS.md"

## The product on this machine: the local server on the embedded store.
run:
	$(CARGO) run -p local-server --bin avito-cc-local

## Everything CI checks.
test: fmt-check lint domain-purity lint-infra venv $(VENV)/bin/cargo-lambda
	tests/scripts/with-moto.sh $(VENV) $(CARGO) test --workspace --all-targets
	$(MAKE) api-test
	$(MAKE) browser-test

TARGET_DIR = $(if $(CARGO_TARGET_DIR),$(abspath $(CARGO_TARGET_DIR)),$(CURDIR)/target)

## Schemathesis against the local server (fresh data, its own tokens, a free port), every check, as
## an administrator and as an operator; tests/schemathesis.toml says the exceptions and why. The
## seed varies and is printed: ST_SEED=<seed> repeats a run; ST_MAX_TIME bounds each role (seconds).
api-test: $(VENV)/bin/st
	$(CARGO) build -q -p local-server --bin avito-cc-local
	tests/scripts/api-test.sh $(VENV) "$(TARGET_DIR)/debug/avito-cc-local"

## The web interface in Debian's chromium, driven by playwright-core (both installed when missing);
## screenshots of the main screens land in tests/browser/screenshots/. Then the same interface
## against the template played on moto (what `make watch` runs), signing in on the hosted page.
browser-test: venv
	$(CARGO) build -q -p local-server --bin avito-cc-local
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }
	cd tests/browser && npm ci --no-audit --no-fund --silent
	cd tests/browser && AVITO_CC_LOCAL="$(TARGET_DIR)/debug/avito-cc-local" CHROMIUM="$$(command -v chromium)" npm test
	tests/scripts/with-moto.sh $(VENV) env VENV=$(VENV) CHROMIUM="$$(command -v chromium)" npm --prefix tests/browser run test-watch

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## The domain crate stays pure: no runtime, HTTP, AWS or database crate among its dependencies.
domain-purity:
	@deps=$$($(CARGO) tree -p domain -e normal --prefix none --format '{p}'); \
	if grep -E '^(tokio|reqwest|hyper|axum|lambda_|aws-|rusqlite)' <<<"$$deps"; then \
		echo "the domain crate must not depend on the crates above"; exit 1; \
	else echo "domain crate is pure: $$(wc -l <<<"$$deps") crates, none of tokio/reqwest/hyper/axum/lambda/aws/rusqlite"; fi

## The SAM template: cfn-lint and `sam validate --lint`, offline; any error fails.
lint-infra: $(VENV)/bin/sam
	$(VENV)/bin/cfn-lint infra/template.yaml
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --template-file infra/template.yaml --region us-east-1

## A Python venv with moto's server (the local DynamoDB/SQS/Scheduler endpoint), made once.
venv: $(VENV)/bin/moto_server

$(VENV)/bin/moto_server:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'

## Schemathesis (the OpenAPI fuzzer of make api-test) from PyPI, into the venv.
$(VENV)/bin/st: $(VENV)/bin/moto_server
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'schemathesis==$(SCHEMATHESIS_VERSION)'

## cargo-lambda and zig (its cross-linker) from PyPI, into the venv.
$(VENV)/bin/cargo-lambda: $(VENV)/bin/moto_server
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==$(CARGO_LAMBDA_VERSION)'

## One arm64 `bootstrap` per function in target/lambda/<function>/, built in one cargo invocation
## (dependencies compiled once for all); then each binary's size. `-p` selects the function packages
## only, so their features alone decide the adapters' (AWS, no SQLite): without it every workspace
## member is selected and the local server's `embedded` comes along.
build: $(VENV)/bin/cargo-lambda
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --profile functions --arm64 --lambda-dir $(LAMBDA_DIR) $(addprefix -p ,$(FUNCTIONS)) $(addprefix --bin ,$(FUNCTIONS))
	@for f in $(FUNCTIONS); do printf '%-16s %s bytes\n' "$$f" "$$(stat -c %s $(LAMBDA_DIR)/$$f/bootstrap)"; done

## The product on its AWS wiring: the template played on moto with every function (see the README).
watch: venv
	tests/scripts/with-moto.sh $(VENV) tests/scripts/aws-local.sh $(VENV) $(WATCH_PORT)

## The functions under `cargo lambda watch` on moto and the sandbox, each invoked by hand.
lambda-watch: venv $(VENV)/bin/cargo-lambda
	tests/scripts/with-moto.sh $(VENV) tests/scripts/lambda-watch.sh $(VENV) $(WATCH_PORT)

## The benchmarks, written to BENCHMARKS.md (release build; moto started and stopped).
bench: venv
	$(CARGO) build --release -q --bin avito-cc-local --bin bench
	$(CARGO) build --profile functions -q $(addprefix -p ,$(FUNCTIONS)) $(addprefix --bin ,$(FUNCTIONS))
	$(CARGO) bench -q -p domain --bench hot_paths
	tests/scripts/with-moto.sh $(VENV) $(CARGO) run --release -q -p benchmarks --bin bench -- \
		BENCHMARKS.md "$${CARGO_TARGET_DIR:-target}/release" $(LAMBDA_DIR) "$${CARGO_TARGET_DIR:-target}/criterion" \
		"$${CARGO_TARGET_DIR:-target}/functions"

## Build, then deploy with SAM: guided the first time (it writes samconfig.toml), as saved after.
deploy: build $(VENV)/bin/sam
	@if [ -f samconfig.toml ]; then \
		$(VENV)/bin/sam deploy --template-file infra/template.yaml; \
	else \
		$(VENV)/bin/sam deploy --guided --template-file infra/template.yaml; \
	fi

## A tenant and its first administrator on the deployed stack: the employee record in its table and
## the Cognito account (Cognito e-mails the temporary password). Uses the AWS credentials `sam deploy`
## uses; STACK defaults to the stack name samconfig.toml saved.
tenant: venv
	@if [ -z "$(TENANT)" ] || [ -z "$(EMAIL)" ] || [ -z "$(NAME)" ]; then \
		echo 'usage: make tenant TENANT=<id> EMAIL=<e-mail> NAME="<name>" [STACK=<stack name>]' >&2; exit 2; fi
	$(CARGO) build -q -p aws-stack --bin avito-cc-tenant
	$(VENV)/bin/python infra/scripts/with_stack.py "$(STACK)" -- "$(TARGET_DIR)/debug/avito-cc-tenant" "$(TENANT)" "$(EMAIL)" "$(NAME)"

$(VENV)/bin/sam: $(VENV)/bin/moto_server
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'aws-sam-cli==$(SAM_VERSION)' 'cfn-lint==$(CFN_LINT_VERSION)'

clean:
	$(CARGO) clean
	rm -rf $(VENV) .local-data

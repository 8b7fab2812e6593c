# The two commands of the Quick start are `make up` and `make test`.
# Everything here goes through tools/: toolchain/ (bootstrap: engine, plugin, venv, Kafka jars),
# cluster/ (the local Kafka broker, and the three-node TLS cluster), ops/ (live check, adoption), preview/ (the PR report)
# and the tools/pulumi wrapper (the project's environment).

PY      := .venv/bin/python
PULUMI  := tools/pulumi
STACK   ?= dev

.PHONY: up verify drift preview down test unit layers bench bench-bridge adopt bootstrap broker

# STACK=local-secure: the staging shape on a local three-node TLS cluster instead of the dev broker.
SECURE  := $(filter local-secure,$(STACK))

## up: bootstrap what is missing, start the local broker, `pulumi up` the dev stack, check it live, verify each role
##     (STACK=local-secure: start the three-node TLS cluster, set the stack's secrets from it, the same steps)
up: bootstrap broker
	$(PULUMI) stack select --create $(STACK)
	$(if $(SECURE),$(PY) -m tools.ops.local_secure --stack $(STACK))
	$(PULUMI) up --stack $(STACK) --yes
	$(PULUMI) stack output --stack $(STACK)
	$(PY) -m tools.ops.livecheck --stack $(STACK)
	$(PY) -m tools.ops.verify --stack $(STACK) $(if $(CERTS),--certs $(CERTS))

## verify: log in as each role of the stack with its own settings and secrets; one allowed and one denied
##         operation per grant, as a table; fails on any unexpected result (CERTS=dir of <cn>.pem for mTLS roles)
verify: bootstrap
	$(PY) -m tools.ops.verify --stack $(STACK) $(if $(CERTS),--certs $(CERTS))

## drift: every difference between the stack and its cluster (missing, changed, unmanaged), one line each;
##        exit 1 if any, nothing changed (STACK=staging make drift; .github/workflows/drift.yml runs it daily)
drift: bootstrap
	$(PY) -m tools.ops.drift --stack $(STACK)

## preview: what `pulumi up` would change on the dev stack, then the same report pull requests get
preview: bootstrap broker
	$(PULUMI) stack select --create $(STACK)
	$(PULUMI) preview --stack $(STACK) --diff --policy-pack policy
	$(PY) -m tools.preview.report --stack $(STACK) --pulumi $(PULUMI) --policy-pack policy

## down: stop what `make up` started: the local broker and the secure cluster (their data stays in .local/)
down:
	@if [ -x $(PY) ]; then $(PY) -m tools.cluster.broker stop && $(PY) -m tools.cluster.secure_cluster stop; \
	else echo "nothing to stop"; fi

## test: the whole suite (the layer contract first); it bootstraps, and starts and stops its own brokers
test: bootstrap layers
	$(PY) -m pytest

## unit: the fast tests only (Pulumi mocks, the preview renderer, the layer contract; no engine, no broker)
unit: bootstrap layers
	$(PY) -m pytest tests/unit tests/preview/test_preview_units.py tests/preview/test_preview_golden.py

## layers: the program's imports point only down its pipeline (import-linter, pyproject.toml)
layers: bootstrap
	.venv/bin/lint-imports

bootstrap:
	@python3 -m tools.toolchain.bootstrap

broker: bootstrap
	$(if $(SECURE),$(PY) -m tools.cluster.secure_cluster start,$(PY) -m tools.cluster.broker start --mode plain)

## bench: the program against the seed's procedure and against OpenTofu with the same kafka provider (built on first use),
##        at 10/100/500 consumers (~18 min, own brokers; not part of test)
bench: bootstrap
	$(PY) -m bench.run --out bench/results

## bench-bridge: the bridge shape at scale (10, 100, 300 databases: up, no-op preview, one added, destroy)
bench-bridge: bootstrap
	$(PY) -m bench.bridge --out bench/results

## adopt: write a `pulumi import --file` document for what the cluster already has (STACK=staging make adopt)
adopt: bootstrap
	$(PY) -m tools.ops.adopt --stack $(STACK)

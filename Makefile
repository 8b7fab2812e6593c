# The two commands of the Quick start are `make up` and `make test`.
# Everything here goes through tools/: bootstrap (engine, plugin, venv, Kafka jars),
# broker.py (the local Kafka broker) and the tools/pulumi wrapper (project environment).

PY      := .venv/bin/python
PULUMI  := tools/pulumi
STACK   ?= dev

.PHONY: up preview down test bench adopt bootstrap broker livecheck

## up: bootstrap what is missing, start the local broker, `pulumi up` the dev stack, check it live
up: bootstrap broker
	$(PULUMI) stack select --create $(STACK)
	$(PULUMI) up --stack $(STACK) --yes
	$(PULUMI) stack output --stack $(STACK)
	$(PY) tools/livecheck.py --stack $(STACK)

## preview: what `pulumi up` would change on the dev stack, then the same report pull requests get
preview: bootstrap broker
	$(PULUMI) stack select --create $(STACK)
	$(PULUMI) preview --stack $(STACK) --diff --policy-pack policy
	$(PY) tools/preview_report.py --stack $(STACK) --pulumi $(PULUMI) --policy-pack policy

## down: stop the local broker (its data stays in .local/broker)
down:
	@if [ -x $(PY) ]; then $(PY) tools/broker.py stop; else echo "nothing to stop"; fi

## test: the whole suite; it bootstraps, and starts and stops its own brokers
test: bootstrap
	$(PY) -m pytest

bootstrap:
	@python3 tools/bootstrap.py

broker: bootstrap
	$(PY) tools/broker.py start --mode plain

## bench: the program against the seed's procedure, at 10/100/500 consumers (~25 min, own brokers; not part of test)
bench: bootstrap
	$(PY) bench/run.py --out bench/results

## adopt: write a `pulumi import --file` document for what the cluster already has (STACK=staging make adopt)
adopt: bootstrap
	$(PY) tools/adopt.py --stack $(STACK)

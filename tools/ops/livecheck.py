#!/usr/bin/env python3
"""One-line live check: the stack's topics exist on the broker with the configured partitions.

Reads the stack outputs through the engine, then asks the broker itself with a real
Kafka client (not Pulumi), logged in as the stack's own login (its TLS and SASL settings). Exit status 1 if any topic is missing or differs.
Usage: .venv/bin/python -m tools.ops.livecheck --stack dev
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from components.kafka import admin as adapter

from components.model import names as keys
from tools.ops import adopt
from tools.toolchain.projectenv import PROJECT, engine_env


def live_partitions(bootstrap: str, names: list[str], client_config: dict | None = None) -> dict[str, int | None]:
    """Partition count of each named topic on the broker; None where the topic does not exist."""
    admin = adapter.client({"bootstrap.servers": bootstrap, **(client_config or {})}, 15, shared=False)
    topics = admin.raw.list_topics(timeout=15).topics
    return {n: len(topics[n].partitions) if n in topics and topics[n].error is None else None for n in names}


def stack_login(stack: str) -> dict:
    """librdkafka settings that log in as the stack's own Pulumi login does (TLS, SASL), from its config."""
    try:
        return adopt.stack_settings(stack, PROJECT, engine_env()).connection.librdkafka()
    except adopt.AdoptError as exc:
        sys.exit(f"live check: {exc}")


def _pulumi(args: list[str]) -> str:
    out = subprocess.run(["pulumi", *args], cwd=PROJECT, env=engine_env(), text=True, capture_output=True)
    if out.returncode != 0:
        sys.exit(f"live check: `pulumi {' '.join(args)}` failed: {out.stderr.strip()}")
    return out.stdout


def check(outputs: dict, client_config: dict | None = None) -> tuple[bool, str]:
    names: dict[str, str] = outputs[keys.TOPIC_NAMES]
    wanted: dict[str, int | None] = dict(outputs[keys.TOPIC_PARTITIONS])
    for database, name in (outputs.get(keys.BRIDGE_TOPICS) or {}).items():  # the bridge shape: each must exist
        names, wanted = {**names, f"db:{database}": name}, {**wanted, f"db:{database}": None}
    live = live_partitions(outputs[keys.KAFKA_BROKERS], list(names.values()), client_config)
    parts, ok = [], True
    for key, name in names.items():
        got = live[name]
        if got is not None and (got == wanted[key] or wanted[key] is None):
            parts.append(f"{name}={got}")
        else:
            ok = False
            parts.append(f"{name}: {'MISSING' if got is None else f'{got} partitions, expected {wanted[key]}'}")
    verdict = "OK" if ok else "FAILED"
    return ok, f"live check {verdict} on {outputs[keys.KAFKA_BROKERS]}: {len(names)} topics: " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args()
    outputs = json.loads(_pulumi(["stack", "output", "--json", "--stack", args.stack]))
    ok, line = check(outputs, stack_login(args.stack))
    print(line)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Log in as each role and prove its access, with real Kafka clients: one allowed and one denied operation per grant.

For every principal of every role, with the stack's own client settings (its clientProperties
output: brokers, TLS, SASL mechanism) and the role's own secret (its password from the stack's
secret principalPasswords, or its TLS certificate `<cn>.pem` from --certs), it checks:
- produce: one marker record (key `evidentsource-verify`) to each topic the role writes (allowed), and
  to a topic it may not write (denied, nothing written);
- consume: each topic it reads, in a group under its prefix (allowed), and in a group outside it
  (denied), or a topic it may not read (denied);
- describe: a topic it has a grant on (allowed), one it has none on (denied).
A grant on a prefix (the bridge shape's) is checked on each of the stack's topics under it: every database's.
It prints a table (role, principal, operation, target, expected, got) and exits 1 on any unexpected
result. What it cannot check is said in the table, never passed silently: IAM roles (this project
ships no IAM signer), a principal whose password is not in the stack, a certificate not found.
`VERIFY_WRITES=0` skips the produce checks (no record is written); the table says so.
Usage: .venv/bin/python -m tools.ops.verify --stack local-secure [--certs DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicCollection
from components.kafka import admin as adapter

from components.config.connection import KEYSTORE_ENV, NoClient
from components.config.stack_config import StackConfig
from components.model import bridge
from components.model import names as keys
from components.model.access_model import RoleAccess
from components.safety import live_cluster
from tools.ops import adopt
from tools.toolchain.projectenv import PROJECT, engine_env

DENIED = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
          KafkaError.CLUSTER_AUTHORIZATION_FAILED, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED}
MARKER = b"evidentsource-verify"
TIMEOUT = 20.0


@dataclass(frozen=True)
class Row:
    role: str
    principal: str
    operation: str
    target: str
    expected: str  # "allowed", "denied" or "-" (not checked)
    got: str  # "allowed", "denied", or what happened instead

    @property
    def verdict(self) -> str:
        if self.expected == "-":
            return "NOT CHECKED"
        return "expected" if self.got == self.expected else "UNEXPECTED"


def outcome(error: KafkaError | None) -> str:
    if error is None:
        return "allowed"
    return "denied" if error.code() in DENIED else f"error: {error.str()}"


def produce(settings: dict, topic: str) -> str:
    results: list = []
    producer = Producer({**settings, "message.timeout.ms": int(TIMEOUT * 1000)})
    producer.produce(topic, key=MARKER, value=b"{}", headers=[("evidentsource-verify", b"1")],
                     on_delivery=lambda err, msg: results.append(err))
    producer.flush(TIMEOUT + 5)
    return outcome(results[0]) if results else "error: no delivery report"


def consume(settings: dict, topic: str, group: str) -> str:
    """Join `group` on `topic` (from the end: nothing is read); allowed once partitions are assigned."""
    assigned: list = []
    consumer = Consumer({**settings, "group.id": group, "auto.offset.reset": "latest", "enable.auto.commit": False})
    consumer.subscribe([topic], on_assign=lambda c, partitions: assigned.append(partitions))
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() and msg.error().code() != KafkaError._PARTITION_EOF:
                return outcome(msg.error())
            if assigned:
                msg = consumer.poll(1.0)  # a denied fetch shows up on the next poll
                return outcome(msg.error() if msg is not None and msg.error() and
                               msg.error().code() != KafkaError._PARTITION_EOF else None)
        return f"error: no partition assigned within {TIMEOUT:g} s"
    except KafkaException as exc:
        return outcome(exc.args[0])
    finally:
        consumer.close()


def describe(settings: dict, topic: str) -> str:
    admin = adapter.client(settings, TIMEOUT, shared=False)
    try:
        admin.raw.describe_topics(TopicCollection([topic]), request_timeout=TIMEOUT)[topic].result(TIMEOUT + 5)
        return "allowed"
    except KafkaException as exc:
        return outcome(exc.args[0])


def login(config: StackConfig, properties: str, principal: str, certs: Path | None) -> tuple[dict | None, str]:
    """librdkafka settings that log in as `principal` from the role's clientProperties, or why it cannot."""
    props = dict(line.split("=", 1) for line in properties.splitlines() if line and not line.startswith("#"))
    settings = {"log_level": 0, **{k: props[k] for k in ("bootstrap.servers", "security.protocol") if k in props}}
    if "ssl.truststore.location" in props:
        settings["ssl.ca.location"] = props["ssl.truststore.location"]
    mechanism = props.get("sasl.mechanism")
    name = principal.removeprefix("User:")
    if mechanism == "AWS_MSK_IAM":
        return None, "an IAM role: this project ships no IAM token signer, so it cannot log in as one"
    if mechanism:
        password = (config.principal_passwords or {}).get(name)
        if password is None:
            return None, f"no password for {name!r} in the stack's principalPasswords"
        return {**settings, "sasl.mechanism": mechanism, "sasl.username": name, "sasl.password": password.reveal()}, ""
    if props.get("ssl.keystore.location") == f"${{env:{KEYSTORE_ENV}}}":
        pem = (certs or Path(".")) / f"{name}.pem"
        if certs is None or not pem.is_file():
            return None, f"no certificate {pem} (pass --certs DIR holding <cn>.pem)"
        return {**settings, "ssl.certificate.location": str(pem), "ssl.key.location": str(pem)}, ""
    return None, f"security.protocol {props.get('security.protocol')}: no login tells one principal from another"


def checks(access: RoleAccess, principal: str, settings: dict, topics: dict[str, str], writes: bool) -> list[Row]:
    role = access.role.key
    rows: list[Row] = []

    def row(operation: str, target: str, expected: str, got: str) -> None:
        rows.append(Row(role, principal, operation, target, expected, got))

    def reached(grants) -> set[str]:  # a prefix (the bridge's) reaches each of the stack's topics under it
        return {t for g in grants for t in ([t for t in topics.values() if t.startswith(g.name)] if g.prefixed
                                            else [g.name])}

    reads = sorted(reached(access.topics("consume")))
    written = sorted(reached(access.topics("produce")))
    granted = reached([g for g in access.grants if g.resource_type == "topic"])
    # A name no grant reaches, not even a prefix (nothing is created: reading and writing it are denied first).
    prefixes = [g.name for g in access.grants if g.resource_type == "topic" and g.prefixed]
    outside = next(name for name in (f"{start}verify-outside-{uuid.uuid4().hex[:8]}" for start in (
        "evidentsource-", "evidentsource-kafka-", "x-", "y-")) if not any(name.startswith(p) for p in prefixes))
    groups = [g for g in access.grants if g.resource_type == "group"]
    own_group = next((f"{g.name}verify-{uuid.uuid4().hex[:6]}" for g in groups if g.prefixed),
                     f"evidentsource-verify-{uuid.uuid4().hex[:6]}" if groups else None)
    skipped = "skipped: VERIFY_WRITES=0"
    for topic in written:
        row("produce", topic, "allowed" if writes else "-", produce(settings, topic) if writes else skipped)
    not_written = (sorted(set(topics.values()) - set(written)) or [outside])[0]
    row("produce", not_written, "denied" if writes else "-", produce(settings, not_written) if writes else skipped)
    for topic in reads:
        if own_group is None:
            row("consume", topic, "-", "no group grant: the role reads without a consumer group")
        else:
            row("consume", f"{topic} (group {own_group})", "allowed", consume(settings, topic, own_group))
    if reads and groups and all(g.prefixed for g in groups):
        other = f"not-{role}-verify-{uuid.uuid4().hex[:6]}"
        row("consume", f"{reads[0]} (group {other})", "denied", consume(settings, reads[0], other))
    group = own_group or f"evidentsource-verify-{uuid.uuid4().hex[:6]}"
    not_read = (sorted(set(topics.values()) - set(reads)) or [outside])[0]
    row("consume", f"{not_read} (group {group})", "denied", consume(settings, not_read, group))
    for topic in sorted(granted)[:1]:
        row("describe", topic, "allowed", describe(settings, topic))
    not_granted = (sorted(set(topics.values()) - granted) or [outside])[0]
    row("describe", not_granted, "denied", describe(settings, not_granted))
    return rows


def unreachable(config: StackConfig, timeout: float = 10) -> str | None:
    """Why no broker answers the stack's own login (a stopped cluster would make every check wait out its
    timeout, minutes in all), or None when one does, or when the login is not a Kafka client's (IAM)."""
    try:
        settings = live_cluster.client_settings(config, timeout)
    except NoClient:
        return None  # the table says, per role, why it cannot log in
    admin = adapter.client(settings, timeout, shared=False)
    try:
        admin.raw.list_topics(timeout=timeout)
        return None
    except KafkaException as exc:
        return admin.login_refused() or exc.args[0].str()


def verify(config: StackConfig, outputs: dict, certs: Path | None, writes: bool = True) -> list[Row]:
    # Topic key -> name: the four topics', and each database's (the bridge shape), as the stack deployed them.
    topics: dict[str, str] = {**outputs.get(keys.TOPIC_NAMES, {}), **{
        bridge.topic_key(db): name for db, name in (outputs.get(keys.BRIDGE_TOPICS) or {}).items()}}
    model = config.access_model(topics)
    rows: list[Row] = []
    if model.enforcer == "none":
        return [Row("-", "-", "-", "-", "-", "PLAINTEXT authenticates no one: every client is User:ANONYMOUS")]
    for access in model.roles:
        for principal in access.principals:
            settings, why = login(config, outputs[keys.CLIENT_PROPERTIES][access.role.key], principal, certs)
            if settings is None:
                rows.append(Row(access.role.key, principal, "log in", "-", "-", why))
                continue
            rows += checks(access, principal, settings, topics, writes)
    return rows


def table(rows: list[Row]) -> str:
    head = ("role", "principal", "operation", "target", "expected", "got", "verdict")
    body = [(r.role, r.principal, r.operation, r.target, r.expected, r.got, r.verdict) for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(head, *body)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip() for line in (head, *body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--project-dir", type=Path, default=PROJECT)
    parser.add_argument("--certs", type=Path, help="a directory of <cn>.pem files (key and certificate) for mTLS roles")
    args = parser.parse_args()
    env = engine_env()
    run = subprocess.run(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", args.stack],
                         cwd=args.project_dir, env=env, text=True, capture_output=True)
    if run.returncode != 0:
        sys.exit(f"verify: `pulumi stack output` failed: {run.stderr.strip()}")
    try:
        config = adopt.stack_settings(args.stack, args.project_dir, env)
    except adopt.AdoptError as exc:
        sys.exit(f"verify: {exc}")
    if config.enforcer != "none" and (why := unreachable(config)) is not None:
        sys.exit(f"verify FAILED on stack {args.stack}: no broker answered the stack's own login at "
                 f"{config.connection.bootstrap}: {why}")
    rows = verify(config, json.loads(run.stdout), args.certs, os.environ.get("VERIFY_WRITES", "1") != "0")
    print(table(rows))
    unexpected = [r for r in rows if r.verdict == "UNEXPECTED"]
    unchecked = [r for r in rows if r.verdict == "NOT CHECKED"]
    print(f"verify {'FAILED' if unexpected else 'OK'} on stack {args.stack}: {len(rows) - len(unchecked)} checked, "
          f"{len(unexpected)} unexpected, {len(unchecked)} not checked")
    sys.exit(1 if unexpected else 0)


if __name__ == "__main__":
    main()

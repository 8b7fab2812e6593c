"""Support for the data-safety, adoption and fault tests (no tests here).

- Known keyed messages per topic, keyed as the seed says (database names for proposals and
  events, correlation ids for commands and responses), values random bytes of varied length.
- Reading every message of a topic back, from the first offset, as (partition, offset, key, value):
  "byte for byte" means these lists are equal before and after.
- Topic facts from the broker itself (ids, partitions, configs): a recreated topic has a new id.
- Stack chores: lifting protection before a test's destroy, collecting the engine's events.
- A ledger of every fault and bad input tried, with the message counts before and after, for the
  closing report (printed, and appended to .local/test-reports/data-safety.jsonl).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from pulumi import automation as auto

PROJECT = Path(__file__).resolve().parents[2]
LEDGER = PROJECT / ".local" / "test-reports" / "data-safety.jsonl"
KEYED_BY = {"transactionProposals": "db", "databaseEvents": "db", "asyncCommands": "corr", "asyncResponses": "corr"}

Message = tuple[bytes, bytes]


def known_messages(topic_key: str, count: int = 30) -> list[Message]:
    """The same messages every time for a topic key: keys from a few databases / correlation ids."""
    rng = random.Random(topic_key)
    kind = KEYED_BY[topic_key]
    messages = []
    for i in range(count):
        key = (f"database-{rng.randrange(5)}" if kind == "db" else f"correlation-{uuid.UUID(int=rng.getrandbits(128))}")
        value = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300))) + f"#{i}".encode()
        messages.append((key.encode(), value))
    return messages


def produce(client: dict, topic: str, messages: list[Message]) -> None:
    errors: list = []
    producer = Producer({**client, "acks": "all", "enable.idempotence": True, "linger.ms": 5, "log_level": 0,
                         "message.timeout.ms": 30000})
    for key, value in messages:
        producer.produce(topic, key=key, value=value, on_delivery=lambda err, msg: err and errors.append(err))
    assert producer.flush(60) == 0, f"{topic}: messages still in flight"
    assert not errors, f"{topic}: {errors[:3]}"


def produce_known(client: dict, names: dict[str, str], count: int = 30) -> None:
    for key, topic in names.items():
        produce(client, topic, known_messages(key, count))


def read_all(client: dict, topic: str, timeout: float = 60) -> list[tuple[int, int, bytes, bytes]]:
    """Every message of the topic from its first offset, as (partition, offset, key, value), sorted."""
    consumer = Consumer({**client, "group.id": f"verify-{uuid.uuid4().hex}", "enable.auto.commit": False,
                         "enable.partition.eof": False, "log_level": 0})
    try:
        metadata = consumer.list_topics(topic, timeout=15).topics[topic]
        assert metadata.error is None, f"{topic}: {metadata.error}"
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15) for p in metadata.partitions}
        expected = sum(high - low for low, high in ends.values())
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        found, deadline = [], time.monotonic() + timeout
        while len(found) < expected and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                continue
            found.append((msg.partition(), msg.offset(), msg.key(), msg.value()))
        assert len(found) == expected, f"{topic}: read {len(found)} of {expected} messages"
        return sorted(found)
    finally:
        consumer.close()


def snapshot(client: dict, topics: list[str]) -> dict[str, list]:
    return {topic: read_all(client, topic) for topic in topics}


def count(snap: dict[str, list]) -> int:
    return sum(len(v) for v in snap.values())


def topic_facts(client: dict, topics: list[str]) -> dict[str, tuple[str, int]]:
    """topic -> (topic id, partitions) of the topics that exist, from the broker."""
    admin = AdminClient({**client, "log_level": 0})
    existing = set(admin.list_topics(timeout=15).topics)
    wanted = [t for t in topics if t in existing]
    if not wanted:
        return {}
    futures = admin.describe_topics(TopicCollection(wanted), request_timeout=15)
    return {name: (str(f.result().topic_id), len(f.result().partitions)) for name, f in futures.items()}


def topics_with_prefix(client: dict, prefix: str) -> list[str]:
    return sorted(t for t in AdminClient({**client, "log_level": 0}).list_topics(timeout=15).topics
                  if t.startswith(prefix))


def topic_config(client: dict, topic: str) -> dict[str, str]:
    admin = AdminClient({**client, "log_level": 0})
    (future,) = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).values()
    return {k: v.value for k, v in future.result(timeout=15).items()}


def record(test: str, kind: str, what: str, before: int, after: int, outcome: str) -> None:
    """One row of the fault / bad-input table (kind: 'fault' or 'bad input')."""
    row = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "test": test, "kind": kind, "what": what,
           "messages_before": before, "messages_after": after, "outcome": outcome}
    print(f"LEDGER {json.dumps(row)}")
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    with LEDGER.open("a") as f:
        f.write(json.dumps(row) + "\n")


def unprotect_all(stack) -> None:
    """`pulumi state unprotect --all`: a test stack's protected topics must not block its destroy."""
    run = subprocess.run(["pulumi", "state", "unprotect", "--all", "--yes", "--stack", stack.name],
                         cwd=stack.workspace.work_dir, env=os.environ, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 or "no resources" in run.stderr.lower(), run.stderr


def teardown(stack) -> None:
    """Unprotect, destroy and remove a test stack (retained topics stay on the broker: callers delete them)."""
    try:
        unprotect_all(stack)
        stack.destroy(run_program=False)
    finally:
        stack.workspace.remove_stack(stack.name, force=True)


def delete_topics(client: dict, topics: list[str]) -> None:
    admin = AdminClient({**client, "log_level": 0})
    existing = [t for t in topics if t in admin.list_topics(timeout=15).topics]
    for future in admin.delete_topics(existing, operation_timeout=30).values() if existing else ():
        future.result(timeout=60)


class Events:
    """The engine's events of one operation, in order: (kind, op, urn) for resource steps."""

    def __init__(self):
        self.steps: list[tuple[str, str, str]] = []
        self.policy: list = []

    def __call__(self, event) -> None:
        for kind, payload in (("pre", event.resource_pre_event), ("done", event.res_outputs_event),
                              ("failed", event.res_op_failed_event)):
            if payload is not None:
                self.steps.append((kind, payload.metadata.op.value, payload.metadata.urn))
        if event.policy_event is not None:
            self.policy.append(event.policy_event)

    def ops(self, type_token: str) -> list[str]:
        """The ops that started on resources of one type."""
        return [op for kind, op, urn in self.steps if kind == "pre" and f"::{type_token}::" in urn.replace("$", "::")]


def refused(stack, operation=None) -> str:
    """The refusal text of a preview (or the given operation) that must fail."""
    with pytest.raises(auto.CommandError) as caught:
        (operation or stack.preview)()
    return str(caught.value)

"""Kafka's topic configs: every name a topic accepts, its type and the values Kafka allows (pure data).

Where the cluster can be read, the brokers themselves validate a stack's topic configs before
anything is changed (validate-only requests, safety/live_cluster.py). This table is the check
that needs no cluster: settings are validated against it on every run, so a misspelt name or
a value Kafka would refuse is one message at preview on the `msk` backend and in offline
previews too. It follows Kafka 4.1 (the version tests run against: a test compares the names
with what a real broker lists for a topic, and each rule with the broker's own verdict), and
still accepts the three names Kafka 4.0 removed, for clusters on 3.x (MSK).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

LONG_MAX = 2**63 - 1
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class TopicConfig:
    kind: str  # "long", "int", "double", "boolean", "string", "list"
    low: float | None = None  # the least value allowed (numbers)
    high: float | None = None  # the greatest value allowed (numbers)
    choices: tuple[str, ...] = ()  # the values allowed (strings; for lists, each item)
    removed_in: str | None = None  # the Kafka version that no longer knows it


def _long(low: int | None = None) -> TopicConfig:
    return TopicConfig("long", low, LONG_MAX)


def _int(low: int | None = None, high: int = INT_MAX) -> TopicConfig:
    return TopicConfig("int", low, high)


BOOLEAN = TopicConfig("boolean")

TOPIC_CONFIGS: dict[str, TopicConfig] = {
    "cleanup.policy": TopicConfig("list", choices=("compact", "delete")),
    "compression.gzip.level": TopicConfig("int", -1, 9),  # -1 (default) or 1..9: see _problem_of
    "compression.lz4.level": _int(1, 17),
    "compression.type": TopicConfig("string", choices=("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
    "compression.zstd.level": _int(-131072, 22),
    "delete.retention.ms": _long(0),
    "file.delete.delay.ms": _long(0),
    "flush.messages": _long(1),
    "flush.ms": _long(0),
    "follower.replication.throttled.replicas": TopicConfig("string"),
    "index.interval.bytes": _int(0),
    "leader.replication.throttled.replicas": TopicConfig("string"),
    "local.retention.bytes": _long(-2),
    "local.retention.ms": _long(-2),
    "max.compaction.lag.ms": _long(1),
    "max.message.bytes": _int(0),
    "message.timestamp.after.max.ms": _long(0),
    "message.timestamp.before.max.ms": _long(0),
    "message.timestamp.type": TopicConfig("string", choices=("CreateTime", "LogAppendTime")),
    "min.cleanable.dirty.ratio": TopicConfig("double", 0, 1),
    "min.compaction.lag.ms": _long(0),
    "min.insync.replicas": _int(1),
    "preallocate": BOOLEAN,
    "remote.log.copy.disable": BOOLEAN,
    "remote.log.delete.on.disable": BOOLEAN,
    "remote.storage.enable": BOOLEAN,
    "retention.bytes": _long(),
    "retention.ms": _long(-1),
    "segment.bytes": _int(1048576),
    "segment.index.bytes": _int(4),
    "segment.jitter.ms": _long(0),
    "segment.ms": _long(1),
    "unclean.leader.election.enable": BOOLEAN,
    # Removed in Kafka 4.0, still known to the 3.x clusters MSK runs.
    "message.downconversion.enable": TopicConfig("boolean", removed_in="4.0"),
    "message.format.version": TopicConfig("string", removed_in="4.0"),
    "message.timestamp.difference.max.ms": TopicConfig("long", 0, LONG_MAX, removed_in="4.0"),
}


def _number(kind: str, value: str) -> float | None:
    try:
        return float(value) if kind == "double" else int(value.strip(), 10)
    except ValueError:
        return None


def problem(name: str, value: str) -> str | None:
    """What is wrong with `name: value` as a Kafka topic config, as the allowed values; None if Kafka accepts it."""
    spec = TOPIC_CONFIGS.get(name)
    if spec is None:
        near = difflib.get_close_matches(name, TOPIC_CONFIGS, n=1)
        return "the name of a Kafka topic config" + (f" (did you mean {near[0]!r}?)" if near else
                                                     " (the list: components/model/topic_configs.py)")
    if spec.kind in ("long", "int", "double"):
        number = _number(spec.kind, value)
        span = f"from {spec.low} to {spec.high}" if spec.low is not None else f"up to {spec.high}"
        if number is None:
            return f"a whole number ({spec.kind}) {span}" if spec.kind != "double" else f"a number {span}"
        if name == "compression.gzip.level" and number == 0:
            return "-1 or 1 to 9"
        if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
            return span
    elif spec.kind == "boolean" and value.strip().lower() not in ("true", "false"):
        return "\"true\" or \"false\""
    elif spec.choices:
        items = [item.strip() for item in value.split(",")] if spec.kind == "list" else [value]
        if not items or any(item not in spec.choices for item in items):
            return ("a comma-separated list of " if spec.kind == "list" else "one of ") + ", ".join(spec.choices)
    return None

"""Topic configs are checked against Kafka's table before anything runs: one line per config, naming it.

The table itself is checked against a real broker in tests/integration/test_topic_config_validation.py.
"""

from __future__ import annotations

import pytest

from components.model.topic_configs import TOPIC_CONFIGS, problem
from configs import PLAINTEXT, merged, problems


def with_configs(configs: dict) -> dict:
    return merged(PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"configs": configs}}}})


def test_a_misspelt_config_name_is_one_line_with_the_near_name():
    assert problems(with_configs({"retention.msx": "1000"})) == [
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.retention.msx = '1000': the name of a Kafka "
        "topic config (did you mean 'retention.ms'?)"]


def test_every_bad_config_is_reported_at_once_each_with_what_is_allowed():
    lines = problems(with_configs({"cleanup.policy": "compacted", "segment.bytes": "1024", "preallocate": "yes",
                                   "min.cleanable.dirty.ratio": "2", "compression.gzip.level": "0",
                                   "retention.ms": "7d"}))
    assert lines == [
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.cleanup.policy = 'compacted': a comma-separated "
        "list of compact, delete",
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.segment.bytes = '1024': from 1048576 to "
        "2147483647",
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.preallocate = 'yes': \"true\" or \"false\"",
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.min.cleanable.dirty.ratio = '2': from 0 to 1",
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.compression.gzip.level = '0': -1 or 1 to 9",
        "evidentsource-kafka:topics.perTopic.databaseEvents.configs.retention.ms = '7d': a whole number (long) "
        "from -1 to 9223372036854775807",
    ]


@pytest.mark.parametrize("name, value", [
    ("cleanup.policy", "compact,delete"), ("cleanup.policy", "delete"), ("retention.ms", "-1"),
    ("compression.type", "zstd"), ("message.timestamp.type", "LogAppendTime"), ("min.cleanable.dirty.ratio", "0.1"),
    ("unclean.leader.election.enable", "false"), ("message.format.version", "3.0"),
])
def test_values_kafka_accepts_pass(name, value):
    assert problem(name, value) is None
    assert problems(with_configs({name: value})) == []


def test_the_table_marks_only_the_names_kafka_4_removed():
    assert sorted(n for n, spec in TOPIC_CONFIGS.items() if spec.removed_in) == [
        "message.downconversion.enable", "message.format.version", "message.timestamp.difference.max.ms"]

"""A config change that makes Kafka delete messages is data loss, on the three-node TLS cluster.

Messages three days old sit in a topic kept 7 days. Asking for 1 day would delete them at once:
preview and up are refused (exit non-zero, one coded line saying how many messages would go and
how old the oldest is), and the cluster (topic ids, partitions, configs, end offsets) and the
state are unchanged. With only fresh messages the same cut deletes nothing, so it is allowed
with a note; with `topics.acceptDataLoss` it is applied in place with a warning.
"""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from pulumi import automation as auto

from components.model import jaas
from components.model import names as keys
from components.model.names import NAMESPACE
from tools.cluster import secure_cluster as cluster_tool

pytestmark = pytest.mark.timeout(600)
DAY_MS = 86_400_000


def topics(prefix: str, **events) -> dict:
    return {"namePrefix": prefix, "partitions": 2, "replicationFactor": 3, "protect": False,
            "perTopic": {"databaseEvents": {"retention": "7d", **events}}}


def deployed(project, info: dict, prefix: str):
    stack = project.stack({"cluster": {"bootstrapServers": info["bootstrap_servers"].split(","),
                                       "securityProtocol": "SASL_SSL", "saslMechanism": "SCRAM-SHA-512",
                                       "caCert": info["ca_cert"]},
                           "topics": topics(prefix)})
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    name = stack.up().outputs[keys.TOPIC_NAMES].value["databaseEvents"]
    return stack, name


def produce(info: dict, topic: str, count: int, age_ms: int) -> None:
    producer = Producer({**cluster_tool.client_config(info), "log_level": 0, "acks": "all"})
    stamp = int(time.time() * 1000) - age_ms
    for i in range(count):
        producer.produce(topic, key=str(i).encode(), value=b"event", timestamp=stamp)
    assert producer.flush(30) == 0


def cluster_facts(info: dict, topic: str) -> tuple:
    """(topic id, partitions, retention.ms, end offsets) as the admin reads them."""
    admin = AdminClient({**cluster_tool.client_config(info), "log_level": 0})
    described = admin.describe_topics(TopicCollection([topic]))[topic].result(30)
    resource = ConfigResource(ResourceType.TOPIC, topic)
    retention = admin.describe_configs([resource])[resource].result(30)["retention.ms"].value
    consumer = Consumer({**cluster_tool.client_config(info), "log_level": 0, "group.id": "facts"})
    try:
        ends = tuple(consumer.get_watermark_offsets(TopicPartition(topic, p.id), timeout=15)
                     for p in described.partitions)
    finally:
        consumer.close()
    return str(described.topic_id), len(described.partitions), retention, ends


def recorded(stack) -> list:
    return [(r["urn"], r.get("outputs")) for r in stack.export_stack().deployment["resources"]
            if r["type"] != "pulumi:pulumi:Stack"]


def test_a_retention_cut_that_would_delete_old_messages_is_refused(project, secure_cluster, prefix):
    info = secure_cluster
    stack, topic = deployed(project, info, prefix)
    produce(info, topic, 30, age_ms=3 * DAY_MS)
    produce(info, topic, 10, age_ms=0)
    before, state = cluster_facts(info, topic), recorded(stack)
    stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps(topics(prefix, retention="1d"))))
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        text = str(refused.value)
        assert text.count("[data-loss:retention-cut] databaseEvents: retention.ms 604800000 (7 d) -> 86400000 (1 d) "
                          f"asked for '{topic}' (topics.perTopic.databaseEvents.retention)") == 1, text[-3000:]
        assert "On the cluster now: up to 30 of its 40 message(s) are older than 1 d, the oldest 3 d old." in text, \
            text[-3000:]
    assert cluster_facts(info, topic) == before and recorded(stack) == state

    # Accepted by name: applied in place (same topic id), with the warning, and the fresh messages stay.
    stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps(
        {**topics(prefix, retention="1d"), "acceptDataLoss": ["databaseEvents"]})))
    result = stack.up()
    assert result.summary.resource_changes.get("update") == 1, result.summary.resource_changes
    after = cluster_facts(info, topic)
    assert after[0] == before[0] and after[2] == str(DAY_MS)
    stack.destroy(run_program=False)


def test_a_retention_cut_that_deletes_nothing_is_allowed_with_a_note(project, secure_cluster, prefix):
    info = secure_cluster
    stack, topic = deployed(project, info, prefix)
    produce(info, topic, 10, age_ms=0)
    stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps(topics(prefix, retention="1d"))))
    lines: list[str] = []
    result = stack.up(on_output=lines.append)
    assert result.summary.resource_changes.get("update") == 1
    assert any("allowed, as every one of its 10 message(s) on the cluster is younger than 1 d" in line
               for line in lines), "\n".join(lines)[-3000:]
    assert cluster_facts(info, topic)[2] == str(DAY_MS)
    stack.destroy(run_program=False)


def test_a_mistyped_partition_count_is_refused_before_kafka_adds_any(project, secure_cluster, prefix):
    info = secure_cluster
    stack, topic = deployed(project, info, prefix)
    before, state = cluster_facts(info, topic), recorded(stack)
    stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps({**topics(prefix), "partitions": 2000})))
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        text = str(refused.value)
        assert text.count("evidentsource-kafka:topics.partitions = 2000: at most topics.maxPartitions (100)") == 1, \
            text[-3000:]
    assert cluster_facts(info, topic) == before and recorded(stack) == state
    stack.destroy(run_program=False)

"""Durability on the three-node cluster: RF 3 and min ISR 2 mean something here.

- one node stopped: producers with acks=all keep writing, preview and up still work;
- two nodes stopped (no controller quorum, fewer replicas than min ISR): writes are refused,
  and so is any run of the stack, before anything is applied; with the nodes back, `up` converges;
- the active controller killed in the middle of an `up`: no message is lost and the documented
  recovery (`pulumi refresh`, then `up`) converges.
Messages are counted before and after every case, as the single-node fault tests do.
"""

from __future__ import annotations

import json
import threading

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from pulumi import automation as auto

from components.model import jaas
from components.model import names as keys
from components.model.catalog import CATALOG
from components.model.names import NAMESPACE
from tools.cluster import secure_cluster as cluster_tool

pytestmark = pytest.mark.timeout(900)
REMAP = [spec.key for spec in CATALOG]  # partition increases are these tests' subject (topics.acceptKeyRemap)
BATCH = 200


@pytest.fixture
def cluster(secure_cluster):
    """The session's cluster, every node running again after the test (and caught up)."""
    yield secure_cluster
    for node in cluster_tool.NODES:
        cluster_tool.node("start", node, secure_cluster["dir"], timeout=120)


def topics(prefix: str, **changes) -> dict:
    return {"namePrefix": prefix, "partitions": 2, "replicationFactor": 3, "protect": False, "acceptKeyRemap": REMAP,
            **changes}


def stack_for(project, info: dict, prefix: str):
    stack = project.stack({
        "cluster": {"bootstrapServers": info["bootstrap_servers"].split(","), "securityProtocol": "SASL_SSL",
                    "saslMechanism": "SCRAM-SHA-512", "caCert": info["ca_cert"], "timeoutSeconds": 20},
        "topics": topics(prefix)})
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    return stack


def ask(stack, prefix: str, **changes):
    """The stack, now asking for `changes` in its topics section (as an edit of its stack file would)."""
    stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps(topics(prefix, **changes))))
    return stack


def produce(info: dict, topic: str, count: int) -> int:
    """Produce count records with acks=all (idempotent); return how many were acknowledged."""
    acked: list = []
    producer = Producer({**cluster_tool.client_config(info), "log_level": 0, "acks": "all",
                         "enable.idempotence": True, "message.timeout.ms": 20000})
    for i in range(count):
        producer.produce(topic, key=str(i % 7).encode(), value=b"x" * 100,
                         on_delivery=lambda err, msg: acked.append(err is None))
        producer.poll(0)
    producer.flush(60)
    return sum(acked)


def stored(info: dict, topic: str) -> tuple[int, int]:
    """(sum of end offsets, records actually read from the start) as the admin sees them."""
    consumer = Consumer({**cluster_tool.client_config(info), "log_level": 0, "group.id": f"count-{topic}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        partitions = consumer.list_topics(topic, timeout=15).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=15)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        read, done = 0, set()
        while len(done) < len(partitions):
            msg = consumer.poll(15)
            assert msg is not None, f"reading {topic} stalled after {read} records"
            if msg.error() and msg.error().code() == KafkaError._PARTITION_EOF:
                done.add(msg.partition())
            elif not msg.error():
                read += 1
        return sum(ends.values()), read
    finally:
        consumer.close()


def topic_config(info: dict, topic: str, name: str) -> str | None:
    admin = AdminClient({**cluster_tool.client_config(info), "log_level": 0})
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(30)
    entry = entries[name]
    return None if entry.is_default else entry.value


def recorded(stack) -> list[dict]:
    """What the state records of the stack's resources (the stack resource itself aside)."""
    return [{k: r.get(k) for k in ("urn", "inputs", "outputs")}
            for r in stack.export_stack().deployment["resources"] if r["type"] != "pulumi:pulumi:Stack"]


BIGGER = {"perTopic": {"databaseEvents": {"configs": {"max.message.bytes": "2097152"}}}}


def test_one_node_down_writes_and_changes_go_on(project, cluster, prefix):
    stack = stack_for(project, cluster, prefix)
    topic = stack.up().outputs[keys.TOPIC_NAMES].value["databaseEvents"]
    assert produce(cluster, topic, BATCH) == BATCH
    cluster_tool.node("stop", 3, cluster["dir"])
    assert produce(cluster, topic, BATCH) == BATCH  # two in-sync replicas are enough for acks=all
    assert set(stack.preview().change_summary) == {"same"}
    update = ask(stack, prefix, **BIGGER).up()
    assert update.summary.resource_changes.get("update") == 1, update.summary.resource_changes
    assert topic_config(cluster, topic, "max.message.bytes") == "2097152"
    assert stored(cluster, topic) == (2 * BATCH, 2 * BATCH)


def test_two_nodes_down_a_change_is_refused_and_nothing_of_it_is_applied(project, cluster, prefix):
    stack = stack_for(project, cluster, prefix)
    topic = stack.up().outputs[keys.TOPIC_NAMES].value["databaseEvents"]
    assert produce(cluster, topic, BATCH) == BATCH
    before = recorded(stack)
    cluster_tool.node("stop", 2, cluster["dir"])
    cluster_tool.node("stop", 3, cluster["dir"])
    assert produce(cluster, topic, 20) == 0  # one replica left, min ISR 2: acks=all writes are refused
    # Kafka would take the change and apply it whenever the quorum returns, after `up` timed out (seen
    # before this refusal existed): the run is refused up front instead, preview and up alike.
    ask(stack, prefix, **BIGGER)
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as failure:
            run()
        text = str(failure.value)
        assert text.count("[impossible:cluster-degraded] topics.replicationFactor = 3") == 1, text[-3000:]
        assert "only 1 broker(s) answer" in text, text[-3000:]
    for node in (2, 3):
        cluster_tool.node("start", node, cluster["dir"], timeout=120)
    assert topic_config(cluster, topic, "max.message.bytes") is None  # nothing applied, not even late
    assert recorded(stack) == before  # nor recorded
    assert stack.up().summary.resource_changes.get("update") == 1  # with the brokers back, it simply converges
    assert topic_config(cluster, topic, "max.message.bytes") == "2097152"
    assert stored(cluster, topic) == (BATCH, BATCH)


def test_the_controller_killed_during_an_up_loses_no_message(project, cluster, prefix):
    stack = stack_for(project, cluster, prefix)
    names = stack.up().outputs[keys.TOPIC_NAMES].value
    for topic in names.values():
        assert produce(cluster, topic, BATCH) == BATCH
    admin = AdminClient({**cluster_tool.client_config(cluster), "log_level": 0})
    controller = admin.describe_cluster().result(30).controller.id
    killed = threading.Event()

    def kill_at_first_topic_update(event) -> None:
        pre = event.resource_pre_event
        if pre and pre.metadata.type == "kafka:index/topic:Topic" and not killed.is_set():
            killed.set()
            cluster_tool.node("kill", controller, cluster["dir"])

    changed = ask(stack, prefix, partitions=3, **BIGGER)
    try:
        changed.up(on_event=kill_at_first_topic_update)
    except auto.CommandError:
        pass  # either way, the recovery below must converge
    assert killed.is_set(), "the up never reached a topic update"
    cluster_tool.node("start", controller, cluster["dir"], timeout=120)
    stack.refresh()
    changed.up()
    assert set(changed.preview().change_summary) == {"same"}
    live = admin.list_topics(timeout=15).topics
    for topic in names.values():
        assert len(live[topic].partitions) == 3, topic
        assert stored(cluster, topic) == (BATCH, BATCH), topic

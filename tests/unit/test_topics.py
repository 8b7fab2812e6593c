"""Topics on either backend: the same names, partitions and configs, configs as strings."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kafka as kafka
import pytest

from components.config import load, schema
from components.model.catalog import CATALOG
from components.model.names import topic_resource
from components.resources.topics import EvidentSourceTopics, TopicsArgs
from components.safety.assess import assess
from components.safety.live_cluster import LiveCluster
from components.safety.prior_state import PriorState
from components.safety.topic_plan import topic_configs, wanted_topics
from configs import IAM, PLAINTEXT, merged
from mocking import CLUSTER_ARN, deploy

RETENTION = {"transactionProposals": "86400000", "databaseEvents": "604800000",
             "asyncCommands": "86400000", "asyncResponses": "86400000"}


def test_retention_follows_the_seeds_table_not_its_script():
    topics = load.parse(PLAINTEXT).topics
    assert {s.key: topic_configs(s, topics)["retention.ms"] for s in CATALOG} == RETENTION


def test_durable_defaults_scale_with_the_replication_factor():
    for rf, isr in ((1, "1"), (3, "2")):
        topics = schema.TopicsConfig(replication_factor=rf)
        assert topic_configs(CATALOG[0], topics) == {"cleanup.policy": "delete", "min.insync.replicas": isr,
                                                     "retention.ms": "86400000", "unclean.leader.election.enable": "false"}


def test_per_topic_retention_and_extra_configs_win():
    topics = load.parse(merged(PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {
        "retention": "30d", "configs": {"max.message.bytes": "2097152", "cleanup.policy": "compact,delete"}}}}})).topics
    configs = topic_configs(CATALOG[1], topics)
    assert configs["retention.ms"] == "2592000000"
    assert configs["max.message.bytes"] == "2097152" and configs["cleanup.policy"] == "compact,delete"
    assert all(isinstance(v, str) for v in configs.values())


def planned(config) -> TopicsArgs:
    """The component's arguments as the program makes them: data safety's plan of a new stack."""
    plan = assess(config, wanted_topics(config), PriorState(), LiveCluster.unavailable("not read in this test"))
    assert not plan.refusals
    return TopicsArgs(list(plan.topics.values()), config.topics.backend,
                      config.msk.cluster_arn if config.msk else None)


def test_the_kafka_backend(monitor):
    args = planned(load.parse(merged(PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"partitions": 12}}}})))

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["127.0.0.1:9092"])
        topics = EvidentSourceTopics("evidentsource", args, pulumi.ResourceOptions(providers=[provider]))
        return {"names": topics.names, "partitions": topics.partitions, "provider": provider.urn}

    result = deploy(program)
    assert result["names"] == {s.key: s.default_name for s in CATALOG}
    assert result["partitions"]["databaseEvents"] == 12 and result["partitions"]["asyncCommands"] == 3
    topics = {r.name: r for r in monitor.of_type("kafka:index/topic:Topic")}
    events = topics["evidentsource-database-events"]
    assert (events.inputs["partitions"], events.inputs["replicationFactor"]) == (12, 1)
    assert events.inputs["config"]["retention.ms"] == "604800000"
    assert all(t.protect and t.retain_on_delete for t in topics.values())  # removing a topic keeps its data
    assert all(t.provider.startswith(result["provider"] + "::") for t in topics.values())
    assert not monitor.of_type("aws:msk/topic:Topic")


def test_the_msk_backend(monitor):
    args = planned(load.parse(IAM))

    def program():
        provider = aws.Provider("aws", region="us-east-1")
        return EvidentSourceTopics("evidentsource", args, pulumi.ResourceOptions(providers=[provider])).names

    assert deploy(program) == {s.key: s.default_name for s in CATALOG}
    topics = {r.name: r for r in monitor.of_type("aws:msk/topic:Topic")}
    assert set(topics) == {topic_resource(s.key) for s in CATALOG} == {
        "evidentsource-transaction-proposals", "evidentsource-database-events", "evidentsource-async-commands",
        "evidentsource-async-responses"}
    for spec in CATALOG:
        topic = topics[topic_resource(spec.key)]
        assert topic.inputs["clusterArn"] == CLUSTER_ARN and topic.inputs["name"] == spec.default_name
        assert (topic.inputs["partitionCount"], topic.inputs["replicationFactor"]) == (6, 3)
        # pulumi-aws 7: a JSON object in a string, values strings.
        assert json.loads(topic.inputs["configs"]) == {
            "cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": RETENTION[spec.key],
            "unclean.leader.election.enable": "false"}
        assert topic.protect and topic.retain_on_delete
    assert not monitor.of_type("kafka:index/topic:Topic")


@pytest.mark.parametrize("protect", [True, False])
def test_throwaway_stacks_may_turn_protection_off(monitor, protect):
    args = planned(load.parse(merged(PLAINTEXT, {"topics": {"protect": protect}})))
    deploy(lambda: EvidentSourceTopics("t", args, pulumi.ResourceOptions(
        providers=[kafka.Provider("k", bootstrap_servers=["h:1"])])).names)
    assert {(r.protect, r.retain_on_delete) for r in monitor.of_type("kafka:index/topic:Topic")} == {(protect, protect)}


def test_the_callers_options_reach_every_child_but_data_safety_keeps_the_protection(monitor):
    """Component idiom: providers through the parent, the caller's depends_on and protect merged into the children,
    a topic's own protection (data safety's plan) winning over the caller's."""
    args = planned(load.parse(PLAINTEXT))

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["127.0.0.1:9092"])
        first = kafka.Provider("first", bootstrap_servers=["127.0.0.1:9092"])
        topics = EvidentSourceTopics("evidentsource", args, pulumi.ResourceOptions(
            providers=[provider], depends_on=[first], protect=False))
        return {"provider": provider.urn, "first": first.urn, "names": topics.names}

    result = deploy(program)
    topics = monitor.of_type("kafka:index/topic:Topic")
    assert len(topics) == 4
    for topic in topics:
        assert topic.provider.startswith(result["provider"] + "::")
        assert result["first"] in topic.dependencies
        assert topic.protect and topic.retain_on_delete  # the plan's, not the caller's protect=False

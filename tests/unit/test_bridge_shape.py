"""The bridge shape: settings, the two roles' grants under both enforcers, the per-database topics' plans and their
data-safety rules, and the outputs; existing stacks change nothing."""

from __future__ import annotations

import json

import pytest

from components.config import load
from components.config.load import ConfigError
from components.model import bridge
from components.model.acl_bindings import acl_bindings
from components.model.arns import MskClusterArn
from components.model.iam_policies import policy_document
from components.safety import assess as assessing
from components.safety.live_cluster import LiveCluster, LiveTopic
from components.safety.prior_state import PriorState, PriorTopic
from components.safety.topic_plan import wanted_topics
from configs import DELETE, IAM, SCRAM, merged
from mocking import CLUSTER_ARN, run_program

BRIDGE = merged(SCRAM, {
    "shapes": ["fourTopics", "bridge"],
    "bridge": {"databases": ["orders", "billing"], "perDatabase": {"orders": {"partitions": 6, "retention": "30d"}}},
    "access": {"bridge": {"principals": ["User:bridge"]},
               "bridgeConsumers": {"principals": ["User:analytics"], "groupPrefix": "analytics-"}},
})


def problems(raw) -> str:
    with pytest.raises(ConfigError) as refused:
        load.parse(raw)
    return str(refused.value)


def acls(raw) -> set[tuple]:
    model = load.parse(raw).access_model()
    return {(b.principal, b.operation, b.resource_type, b.resource_name, b.pattern) for b in acl_bindings(model).values()}


def test_an_existing_stack_declares_exactly_what_it_did():
    config = load.parse(SCRAM)
    assert config.shapes == ("fourTopics",)
    assert [r.role.key for r in config.access_model().roles] == [
        "server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers"]
    assert [w.key for w in wanted_topics(config)] == [
        "transactionProposals", "databaseEvents", "asyncCommands", "asyncResponses"]


def test_the_bridge_writes_on_its_prefix_and_its_consumers_read_it_in_their_groups_and_no_one_else_touches_it():
    found = acls(BRIDGE)
    mine = {b for b in found if b[3].startswith("evidentsource.") or b[0] in ("User:bridge", "User:analytics")}
    assert mine == {("User:bridge", "Write", "Topic", "evidentsource.", "Prefixed"),
                    ("User:analytics", "Read", "Topic", "evidentsource.", "Prefixed"),
                    ("User:analytics", "Read", "Group", "analytics-", "Prefixed")}
    assert found - mine == acls(SCRAM)  # the four topics' grants unchanged


def test_topic_creation_and_named_databases_narrow_or_widen_exactly_as_set():
    raw = merged(BRIDGE, {"access": {"bridge": {"createTopics": True}, "bridgeConsumers": {"databases": ["orders"]}}})
    found = {b for b in acls(raw) if b[0] in ("User:bridge", "User:analytics")}
    assert found == {("User:bridge", "Write", "Topic", "evidentsource.", "Prefixed"),
                     ("User:bridge", "Create", "Topic", "evidentsource.", "Prefixed"),
                     ("User:bridge", "Describe", "Topic", "evidentsource.", "Prefixed"),
                     ("User:analytics", "Read", "Topic", "evidentsource.orders.events", "Literal"),
                     ("User:analytics", "Read", "Group", "analytics-", "Prefixed")}


def test_msk_iam_scopes_the_bridge_to_this_cluster_and_its_prefix_never_a_bare_wildcard():
    raw = merged(IAM, {"shapes": ["fourTopics", "bridge"], "bridge": {"databases": ["orders"]},
                       "access": {"bridge": {"principals": ["evidentsource-bridge"], "createTopics": True},
                                  "bridgeConsumers": {"principals": ["analytics"]}},
                       "network": {"bridgeSecurityGroupId": "sg-33333333"}})
    model = load.parse(raw).access_model()
    cluster = MskClusterArn.parse(CLUSTER_ARN)
    writer = policy_document(model.role("bridge"), cluster)
    topics = [s for s in writer["Statement"] if s["Sid"] == "WriteTopics"]
    assert topics == [{"Sid": "WriteTopics", "Effect": "Allow", "Resource": [cluster.topic("evidentsource.*")],
                       "Action": ["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"]}]
    assert "kafka-cluster:WriteDataIdempotently" in writer["Statement"][0]["Action"]
    reader = policy_document(model.role("bridgeConsumers"), cluster)
    resources = [r for s in reader["Statement"] for r in s["Resource"]]
    assert cluster.topic("evidentsource.*") in resources and cluster.group_prefix("evidentsource-bridge-") in resources
    assert all(r.startswith(cluster.space(r.split(":")[5].split("/")[0])) and not r.endswith(":*") for r in resources)


def test_each_database_is_a_topic_with_its_own_settings_and_the_same_durable_defaults():
    wanted = {w.key: w for w in wanted_topics(load.parse(BRIDGE))}
    orders, billing = wanted["bridge.databases.orders"], wanted["bridge.databases.billing"]
    assert (orders.name, orders.partitions, orders.resource_name) == ("evidentsource.orders.events", 6,
                                                                      "evidentsource-db-orders")
    assert orders.configs == {"cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": "2592000000",
                              "unclean.leader.election.enable": "false"}
    assert (billing.partitions, billing.configs["retention.ms"]) == (3, str(bridge.RETENTION_MS))
    assert orders.partition_key == "<stream>:<subject>" and orders.partitions_from == "bridge.perDatabase.orders.partitions"


@pytest.mark.parametrize("patch, key, allowed", [
    ({"bridge": {"databases": ["a.b"]}}, "bridge.databases[0]", "no '.'"),
    ({"bridge": {"topicPrefix": "evidentsource-"}}, "bridge.topicPrefix", "four topics'"),
    ({"bridge": {"databases": ["a_b", "a-b"], "topicPrefix": "x."}, "topics": {"perTopic": {
        "asyncCommands": {"name": "x_a_b_events"}}}}, "bridge.databases[0]", "differ only by '.'"),
    ({"bridge": {"perDatabase": {"nope": {"partitions": 2}}}}, "bridge.perDatabase.nope", "not a database"),
    ({"bridge": {"acceptKeyRemap": ["nope"]}}, "bridge.acceptKeyRemap[0]", "not a database"),
    ({"bridge": {"releaseDatabases": ["orders"]}}, "bridge.releaseDatabases[0]", "still in bridge.databases"),
    ({"bridge": {"databases": ["orders", "orders"]}}, "bridge.databases", "each database at most once"),
    ({"bridge": {"partitions": 1000}}, "bridge.partitions", "topics.maxPartitions"),
    ({"bridge": {"perDatabase": {"orders": {"configs": {"min.insync.replicas": "5"}}}}},
     "bridge.perDatabase.orders.configs.min.insync.replicas", "at most the topic's replication factor (3)"),
    ({"topics": {"perTopic": {"asyncCommands": {"configs": {"min.insync.replicas": "4"}}}}},
     "topics.perTopic.asyncCommands.configs.min.insync.replicas", "at most topics.replicationFactor (3)"),
    ({"bridge": {"topicPrefix": "__"}}, "bridge.topicPrefix", "not starting with '_'"),
    ({"shapes": ["fourTopics"], "bridge": DELETE, "access": {"bridge": {"principals": [], "createTopics": True},
                                                            "bridgeConsumers": {"principals": []}}},
     "access.bridge.createTopics", "not declare"),
    ({"topics": {"releaseTopics": ["asyncCommands"]}}, "topics.releaseTopics", "still declared"),
    ({"bridge": {"replicationFactor": 1}, "topics": {"minInsyncReplicas": 2}}, "topics.minInsyncReplicas",
     "per-database topics' replication factor (1, bridge.replicationFactor)"),
    ({"bridge": {"perDatabase": {"orders": {"configs": {"retention.ms": "1"}}}}},
     "bridge.perDatabase.orders.configs.retention.ms", "same Kafka config"),
    ({"access": {"bridgeConsumers": {"groupPrefix": "ext-x"}}}, "access.bridgeConsumers.groupPrefix", "overlaps"),
    ({"access": {"bridgeConsumers": {"databases": ["nope"]}}}, "access.bridgeConsumers.databases[0]", "not a database"),
    ({"shapes": ["fourTopics"]}, "evidentsource-kafka:bridge", "not declared"),
    ({"shapes": ["bridge", "bridge"]}, "evidentsource-kafka:shapes", "each shape at most once"),
    ({"shapes": ["bridges"]}, "evidentsource-kafka:shapes[0]", "fourTopics"),
    ({"shapes": ["bridge"]}, "evidentsource-kafka:access.server.principals", "fourTopics shape"),
])
def test_each_bad_bridge_setting_gets_one_line_naming_key_value_and_what_is_allowed(patch, key, allowed):
    said = problems(merged(BRIDGE, patch))
    line = next((x for x in said.splitlines() if f"{key}" in x), None)
    assert line is not None and allowed in line, said


def test_a_bridge_only_stack_declares_no_four_topics_and_no_roles_of_them():
    raw = merged(BRIDGE, {"shapes": ["bridge"], "access": {k: DELETE for k in (
        "server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers")}})
    config = load.parse(raw)
    assert [w.key for w in wanted_topics(config)] == ["bridge.databases.orders", "bridge.databases.billing"]
    assert [r.role.key for r in config.access_model().roles] == ["bridge", "bridgeConsumers"]


def _assess(raw, prior: PriorState, live: LiveCluster | None = None):
    config = load.parse(raw)
    return assessing.assess(config, wanted_topics(config), prior, live or LiveCluster(False, "not read"))


def test_a_database_removed_from_the_stack_is_refused_never_a_silent_deletion():
    prior = PriorState(topics={"evidentsource-db-legacy": PriorTopic("evidentsource.legacy.events", 3, 3, None, {})})
    said = _assess(BRIDGE, prior).refusals
    assert len(said) == 1 and said[0].startswith("[data-loss:topic-dropped] bridge.databases: 'legacy' removed"), said
    assert "bridge.releaseDatabases" in said[0]


def test_a_released_database_is_let_go_over_two_runs_and_its_topic_retained():
    raw = merged(BRIDGE, {"bridge": {"releaseDatabases": ["legacy"]}})
    before = PriorTopic("evidentsource.legacy.events", 3, 3, None, {})
    first = _assess(raw, PriorState(topics={"evidentsource-db-legacy": before}))
    plan = first.topics["bridge.databases.legacy"]
    assert not first.refusals and (plan.protect, plan.retain) == (False, True)
    assert first.released == ["bridge.databases.legacy"] and first.unprotected == []
    # A throwaway stack's topics are unprotected from the start but not retained: that is no release yet.
    throwaway = _assess(raw, PriorState(topics={"evidentsource-db-legacy": before},
                                        unprotected=frozenset({"bridge.databases.legacy"})))
    assert throwaway.topics["bridge.databases.legacy"].retain is True
    second = _assess(raw, PriorState(topics={"evidentsource-db-legacy": before},
                                     released=frozenset({"bridge.databases.legacy"})))
    assert not second.refusals and "bridge.databases.legacy" not in second.topics
    deleted = _assess(merged(raw, {"bridge": {"acceptDataLoss": ["legacy"]}}),
                      PriorState(topics={"evidentsource-db-legacy": before}))
    assert deleted.topics["bridge.databases.legacy"].retain is False


def test_a_partition_increase_on_a_database_topic_is_a_key_remap_named_by_its_own_override():
    live = LiveCluster(True, "", brokers=3, topics={"evidentsource.orders.events": LiveTopic("evidentsource.orders.events", 3, 3)})
    said = _assess(BRIDGE, PriorState(), live).refusals
    remap = [r for r in said if r.startswith("[ordering:key-remap] bridge.databases.orders")]
    assert remap and "<stream>:<subject>" in remap[0] and "bridge.acceptKeyRemap" in remap[0], said
    accepted = _assess(merged(BRIDGE, {"bridge": {"acceptKeyRemap": ["orders"]}}), PriorState(), live)
    assert not [r for r in accepted.refusals if "key-remap" in r]


def test_the_outputs_name_each_database_topic_and_the_bridge_containers_settings(monitor):
    exports = run_program(BRIDGE).values
    assert exports["bridgeTopics"] == {"orders": "evidentsource.orders.events", "billing": "evidentsource.billing.events"}
    assert set(exports["topicNames"]) == {"transactionProposals", "databaseEvents", "asyncCommands", "asyncResponses"}
    env = exports["bridgeEnvironment"]
    assert env["KAFKA_SASL_USERNAME"] == "bridge" and env["KAFKA_TOPIC_PREFIX"] == "evidentsource."
    assert not any("password" in k.lower() for k in env), env
    assert "bridge" in exports["clientProperties"] and "group.id must start with analytics-" in \
        exports["clientProperties"]["bridgeConsumers"]
    assert json.dumps(exports).count("ADMIN") == 0


def test_on_an_mtls_stack_the_bridge_is_told_the_subject_its_certificate_must_carry(monitor):
    raw = merged(BRIDGE, {"cluster": {"securityProtocol": "SSL", "saslMechanism": DELETE, "caCert": "/etc/kafka/ca.pem",
                                      "clientCert": "/etc/kafka/admin.pem", "clientKey": "/etc/kafka/admin.key"},
                          "saslJaasConfig": DELETE, "access": {"bridge": {"principals": ["User:CN=bridge,O=acme"]}}})
    env = run_program(raw).values["bridgeEnvironment"]
    assert env["KAFKA_SSL_CERTIFICATE_SUBJECT"] == "CN=bridge,O=acme" and env["KAFKA_SECURITY_PROTOCOL"] == "SSL"
    assert env["KAFKA_SSL_CA_LOCATION"] == "/etc/kafka/ca.pem" and "KAFKA_SASL_USERNAME" not in env
    assert "admin" not in json.dumps(env)  # the admin's own certificate is Pulumi's, never the bridge's


def test_a_bridge_only_stack_on_too_few_brokers_is_refused_naming_the_bridges_own_setting():
    raw = merged(BRIDGE, {"shapes": ["bridge"], "topics": {"replicationFactor": 1}, "bridge": {"replicationFactor": 3},
                          "access": {k: DELETE for k in (
        "server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers")}})
    (said,) = _assess(raw, PriorState(), LiveCluster(True, "", brokers=1)).refusals
    assert said.startswith("[impossible:cluster-degraded] bridge.replicationFactor = 3 (so min.insync.replicas = 2)"), said


def test_releasing_keeps_the_configs_the_state_has_so_no_message_is_cut():
    raw = merged(BRIDGE, {"bridge": {"databases": ["orders"], "releaseDatabases": ["billing"], "perDatabase": DELETE}})
    thirty_days = {"retention.ms": "2592000000", "cleanup.policy": "delete"}
    before = PriorTopic("evidentsource.billing.events", 3, 3, None, thirty_days)
    plan = _assess(raw, PriorState(topics={"evidentsource-db-billing": before})).topics["bridge.databases.billing"]
    assert plan.configs == thirty_days and (plan.partitions, plan.protect, plan.retain) == (3, False, True)


def test_the_four_topics_are_let_go_only_by_name_once_the_shape_is_removed():
    prior = PriorState(topics={"evidentsource-async-commands": PriorTopic("evidentsource-async-commands", 3, 3, None, {})})
    bridge_only = merged(BRIDGE, {"shapes": ["bridge"], "access": {k: DELETE for k in (
        "server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers")}})
    (said,) = _assess(bridge_only, prior).refusals
    assert said.startswith("[data-loss:topic-dropped] shapes: fourTopics removed") and "topics.releaseTopics" in said
    released = _assess(merged(bridge_only, {"topics": {"releaseTopics": ["asyncCommands"]}}), prior)
    plan = released.topics["asyncCommands"]
    assert not released.refusals and (plan.protect, plan.retain) == (False, True)


def test_released_four_topics_are_not_the_access_models_and_no_server_is_asked_for():
    bridge_only = merged(BRIDGE, {"shapes": ["bridge"], "topics": {"releaseTopics": ["asyncCommands"]},
                                  "access": {k: DELETE for k in (
                                      "server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers")}})
    model = load.parse(bridge_only).access_model({"asyncCommands": "evidentsource-async-commands"})
    assert [r.role.key for r in model.roles] == ["bridge", "bridgeConsumers"]
    leftover = merged(bridge_only, {"principalPasswords": {"evidentsource": "pw"}})
    said = problems(leftover)
    assert "principalPasswords.evidentsource" in said and "own server would have no access" not in said, said

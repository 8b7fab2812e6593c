"""Partition increases, configs the brokers reject, and a login that may read but not change, on the TLS cluster.

Each mistake is refused by `preview` and by `up` (exit non-zero, one coded line naming the setting,
the value and what is allowed, no secret), and afterwards the cluster (topic ids, partitions,
configs, end offsets, ACLs, SCRAM users) and the stack's state are exactly as before. Then the
table of Kafka's topic configs the settings are checked against is compared with the broker itself.
"""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicCollection, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   ConfigResource, NewTopic, ResourcePatternType, ResourceType,
                                   UserScramCredentialUpsertion, ScramCredentialInfo, ScramMechanism)
from pulumi import automation as auto

from components.model import jaas
from components.model import names as keys
from components.model.names import NAMESPACE
from components.model.topic_configs import TOPIC_CONFIGS, problem
from test_data_safety_configs import produce, topics
from tools.cluster import secure_cluster as cluster_tool

pytestmark = pytest.mark.timeout(600)


def admin(info: dict) -> AdminClient:
    return AdminClient({**cluster_tool.client_config(info), "log_level": 0})


def deployed(project, info: dict, prefix: str, login: tuple[str, str] | None = None):
    stack = project.stack({"cluster": {"bootstrapServers": info["bootstrap_servers"].split(","),
                                       "securityProtocol": "SASL_SSL", "saslMechanism": "SCRAM-SHA-512",
                                       "caCert": info["ca_cert"]},
                           "topics": topics(prefix)})
    login_as(stack, *(login or ("admin", info["admin_password"])))
    names = stack.up().outputs[keys.TOPIC_NAMES].value
    return stack, names


def login_as(stack, user: str, password: str) -> None:
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", user, password), secret=True))


def ask(stack, prefix: str, **changes) -> None:
    stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps({**topics(prefix), **changes})))


def cluster_facts(info: dict, prefix: str) -> dict:
    """Everything of this test on the cluster: per topic (id, partitions, every config set on it, end offsets),
    the ACL bindings on its names, and the cluster's SCRAM users."""
    client = admin(info)
    names = sorted(n for n in client.list_topics(timeout=30).topics if n.startswith(prefix))
    described = {n: f.result(30) for n, f in client.describe_topics(TopicCollection(names)).items()} if names else {}
    resources = [ConfigResource(ResourceType.TOPIC, n) for n in names]
    configs = {r.name: {k: e.value for k, e in f.result(30).items() if not e.is_default}
               for r, f in (client.describe_configs(resources).items() if resources else [])}
    consumer = Consumer({**cluster_tool.client_config(info), "log_level": 0, "group.id": f"{prefix}facts"})
    try:
        ends = {n: tuple(consumer.get_watermark_offsets(TopicPartition(n, p.id), timeout=15)
                         for p in described[n].partitions) for n in names}
    finally:
        consumer.close()
    acls = client.describe_acls(AclBindingFilter(ResourceType.ANY, prefix, ResourcePatternType.MATCH, None, None,
                                                 AclOperation.ANY, AclPermissionType.ANY)).result(30)
    users = sorted(client.describe_user_scram_credentials().result(30))
    return {"topics": {n: (str(described[n].topic_id), len(described[n].partitions), configs[n], ends[n])
                       for n in names},
            "acls": sorted(str(b) for b in acls), "scram users": users}


def recorded(stack) -> list:
    return [(r["urn"], r.get("outputs")) for r in stack.export_stack().deployment["resources"]
            if r["type"] != "pulumi:pulumi:Stack"]


def refused_by_both(stack) -> list[str]:
    """The text of the refused preview and of the refused up."""
    texts = []
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        texts.append(str(refused.value))
    return texts


def test_a_partition_increase_is_refused_unless_the_topic_is_named_in_accept_key_remap(project, secure_cluster,
                                                                                       prefix):
    info = secure_cluster
    stack, names = deployed(project, info, prefix)
    events = names["databaseEvents"]
    produce(info, events, 20, age_ms=0)
    before, state = cluster_facts(info, prefix), recorded(stack)
    ask(stack, prefix, perTopic={"databaseEvents": {"retention": "7d", "partitions": 3}})
    for text in refused_by_both(stack):
        assert text.count(f"[ordering:key-remap] databaseEvents: partitions 2 -> 3 asked for '{events}' "
                          "(topics.perTopic.databaseEvents.partitions; the cluster has 2). Its messages are keyed by "
                          "database name") == 1, text[-3000:]
        assert "topics: acceptKeyRemap: [databaseEvents]" in text and "[data-loss:" not in text
    assert cluster_facts(info, prefix) == before and recorded(stack) == state

    ask(stack, prefix, perTopic={"databaseEvents": {"retention": "7d", "partitions": 3}},
        acceptKeyRemap=["databaseEvents"])
    lines: list[str] = []
    result = stack.up(on_output=lines.append)
    assert result.summary.resource_changes.get("update") == 1, result.summary.resource_changes
    assert any("[accepted:key-remap] databaseEvents" in line for line in lines), "\n".join(lines)[-3000:]
    after = cluster_facts(info, prefix)
    old_id, _, configs, ends = before["topics"][events]
    assert after["topics"][events][:3] == (old_id, 3, configs)  # the same topic, one partition more
    assert after["topics"][events][3][:2] == ends  # every message still where it was
    stack.destroy(run_program=False)


def test_configs_the_table_or_the_brokers_reject_are_refused_before_anything_changes(project, secure_cluster, prefix):
    info = secure_cluster
    stack, names = deployed(project, info, prefix)
    events = names["databaseEvents"]
    produce(info, events, 5, age_ms=0)
    before, state = cluster_facts(info, prefix), recorded(stack)

    # Misspelt: the settings check says so, with the near name; the cluster is not asked.
    ask(stack, prefix, perTopic={"databaseEvents": {"retention": "7d", "configs": {"segment.msx": "3600000"}}})
    for text in refused_by_both(stack):
        assert text.count("evidentsource-kafka:topics.perTopic.databaseEvents.configs.segment.msx = '3600000': the "
                          "name of a Kafka topic config (did you mean 'segment.ms'?)") == 1, text[-3000:]

    # A name Kafka 4 removed (the table keeps it for 3.x clusters), and tiered storage on a cluster without it:
    # only the brokers know, and they say so to a validate-only request.
    for config, said in (("message.format.version", "Unknown topic config name: message.format.version"),
                         ("remote.storage.enable", "Tiered Storage functionality is disabled in the broker")):
        value = "3.0" if config == "message.format.version" else "true"
        ask(stack, prefix, perTopic={"databaseEvents": {"retention": "7d", "configs": {config: value}}})
        for text in refused_by_both(stack):
            assert text.count(f"[invalid:kafka-rejects] databaseEvents: the brokers reject its config change: {said}")\
                == 1, text[-3000:]
            assert f"from topics.perTopic.databaseEvents.configs.{config};" in text, text[-3000:]
    assert cluster_facts(info, prefix) == before and recorded(stack) == state
    stack.destroy(run_program=False)


def test_a_login_that_may_read_but_not_change_is_refused_before_up_fails_half_way(project, secure_cluster, prefix):
    """The deploy login can describe the topics and their configs, not alter them: a config change used to pass
    preview and fail in `up` after other resources had changed. Now both are refused, naming the login."""
    info = secure_cluster
    stack, names = deployed(project, info, prefix)
    client = admin(info)
    user, password = f"{prefix}reader", "reader-pw-not-shown-7f3a"
    client.alter_user_scram_credentials([UserScramCredentialUpsertion(
        user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password.encode())])[user].result(30)
    grants = [AclBinding(ResourceType.TOPIC, prefix, ResourcePatternType.PREFIXED, f"User:{user}", "*", op,
                         AclPermissionType.ALLOW) for op in (AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)]
    for future in client.create_acls(grants).values():
        future.result(30)
    try:
        login_as(stack, user, password)
        changes = stack.preview().change_summary  # reading is all a no-op needs; the provider's login changed
        assert changes.get("update") == 1 and set(changes) == {"same", "update"}, changes
        before, state = cluster_facts(info, prefix), recorded(stack)
        ask(stack, prefix, perTopic={"databaseEvents": {"retention": "14d"}})
        for text in refused_by_both(stack):
            assert text.count(f"[connection:not-authorized] databaseEvents: this stack's own login '{user}' may not "
                              f"change the configs of '{names['databaseEvents']}' (Kafka denied AlterConfigs") == 1, \
                text[-3000:]
            assert password not in text
        assert cluster_facts(info, prefix) == before and recorded(stack) == state
    finally:
        for future in client.delete_acls([AclBindingFilter(
                ResourceType.TOPIC, prefix, ResourcePatternType.PREFIXED, f"User:{user}", None, AclOperation.ANY,
                AclPermissionType.ANY)]).values():
            future.result(30)
        login_as(stack, "admin", info["admin_password"])
        stack.destroy(run_program=False)


# --- the table of topic configs, against the broker ---------------------------------------------------

def broker_says(client: AdminClient, prefix: str, configs: dict[str, str]) -> dict[str, bool]:
    """config name -> whether the brokers accept a topic created with it (validate-only: nothing is created)."""
    asked = {f"{prefix}t{i}": name for i, name in enumerate(configs)}
    futures = client.create_topics([NewTopic(t, 1, 3, config={name: configs[name]}) for t, name in asked.items()],
                                   validate_only=True)
    verdicts = {}
    for topic, future in futures.items():
        try:
            future.result(30)
            verdicts[asked[topic]] = True
        except Exception:  # noqa: BLE001 - any rejection is the broker's "no"
            verdicts[asked[topic]] = False
    return verdicts


def test_the_table_lists_exactly_the_topic_configs_the_broker_has(secure_cluster, prefix):
    client = admin(secure_cluster)
    topic = f"{prefix}listing"
    client.create_topics([NewTopic(topic, 1, 3)])[topic].result(30)
    try:
        resource = ConfigResource(ResourceType.TOPIC, topic)
        for attempt in range(30):  # the broker asked may learn of the new topic a moment after the controller
            try:
                listed = set(client.describe_configs([resource])[resource].result(30))
                break
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART or attempt == 29:
                    raise
                time.sleep(0.5)
    finally:
        client.delete_topics([topic])[topic].result(30)
    assert listed == {name for name, spec in TOPIC_CONFIGS.items() if spec.removed_in is None}


def samples() -> dict[str, tuple[str, str]]:
    """config name -> (a value the table allows, one it refuses), at the edges of each rule."""
    out = {}
    for name, spec in TOPIC_CONFIGS.items():
        if spec.removed_in or spec.kind == "string" and not spec.choices:
            continue
        if spec.kind in ("long", "int", "double") and spec.low is not None:
            low = spec.low if name != "compression.gzip.level" else 1
            out[name] = (str(low), str(low - 1) if name != "compression.gzip.level" else "0")
        elif spec.kind in ("long", "int"):
            out[name] = ("0", "zero")
        elif spec.kind == "boolean":
            out[name] = ("false", "yes")
        else:
            out[name] = (spec.choices[0], spec.choices[0] + "x")
    return out


def test_each_rule_of_the_table_judges_as_the_broker_does(secure_cluster, prefix):
    cases = samples()
    assert len(cases) >= 25
    good = {name: allowed for name, (allowed, _) in cases.items()}
    bad = {name: refused for name, (_, refused) in cases.items()}
    table_good = {name: problem(name, value) is None for name, value in good.items()}
    table_bad = {name: problem(name, value) is None for name, value in bad.items()}
    client = admin(secure_cluster)
    assert table_good == broker_says(client, prefix, good)
    assert table_bad == broker_says(client, prefix, bad)
    assert set(table_good.values()) == {True} and set(table_bad.values()) == {False}

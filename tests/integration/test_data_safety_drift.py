"""Drift: a change made by hand is reported by `preview --refresh` and reverted by `up`, unless reverting loses data.

- A topic config changed out of band (retention cut to one hour with the admin client): the
  refreshed preview shows an in-place update of exactly that topic's config; `up` restores it.
- Partitions added out of band: reverting would mean a partition decrease, i.e. delete +
  create; the program refuses it at preview and says so, and the messages stay.
- Then the stack asks for what the cluster already has (3 partitions), the state still saying 2:
  a plain `up` converges (the provider would ask Kafka for the same partitions again, which Kafka
  refuses, so the program leaves partitions alone and warns); `pulumi refresh` quiets it.
"""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions
from pulumi import automation as auto

from components.model.catalog import CATALOG
from components.model.names import NAMESPACE
from test_data_safety_messages import (Events, count, delete_topics, produce_known, record, refused, snapshot,
                                       teardown, topic_config, topic_facts)

pytestmark = pytest.mark.timeout(600)
TOPIC = "kafka:index/topic:Topic"


def eventually(check, timeout: float = 30) -> bool:
    """The broker applies an altered config from its metadata log a moment after acknowledging it."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_drift_is_reported_and_restored_or_refused(project, plain_broker, prefix):
    bootstrap = plain_broker["bootstrap_servers"]
    client = {"bootstrap.servers": bootstrap}
    admin = AdminClient({**client, "log_level": 0})
    names = {s.key: prefix + s.default_name for s in CATALOG}
    events_topic = names["databaseEvents"]
    stack = project.stack({"cluster": {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT"},
                           "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1}})
    try:
        stack.up()
        produce_known(client, names)
        before, ids = snapshot(client, list(names.values())), topic_facts(client, list(names.values()))

        resource = ConfigResource(ConfigResource.Type.TOPIC, events_topic, incremental_configs=[
            ConfigEntry("retention.ms", "3600000", incremental_operation=AlterConfigOpType.SET)])
        for future in admin.incremental_alter_configs([resource]).values():
            future.result(timeout=30)
        assert eventually(lambda: topic_config(client, events_topic)["retention.ms"] == "3600000")
        assert set(stack.preview().change_summary) == {"same"}  # without a refresh the state still says 7 days

        events = Events()
        preview = stack.preview(refresh=True, on_event=events)
        assert preview.change_summary.get("update") == 1, preview.change_summary
        (updated,) = [urn for kind, op, urn in events.steps if (kind, op) == ("pre", "update")]
        assert updated.endswith("::evidentsource-database-events")
        assert stack.up(refresh=True).summary.resource_changes.get("update") == 1
        assert topic_config(client, events_topic)["retention.ms"] == "604800000"
        assert set(stack.preview(refresh=True).change_summary) == {"same"}
        after = snapshot(client, list(names.values()))
        assert after == before and topic_facts(client, list(names.values())) == ids
        record("test_data_safety_drift", "bad input", "retention.ms of database-events cut to 1 h by hand",
               count(before), count(after), "reported by preview --refresh, restored by up in place")

        for future in admin.create_partitions([NewPartitions(events_topic, 3)]).values():
            future.result(timeout=30)
        assert eventually(lambda: topic_facts(client, [events_topic])[events_topic][1] == 3)
        assert f"databaseEvents: partitions 3 -> 2 asked for '{events_topic}'" in refused(
            stack, lambda: stack.preview(refresh=True))
        after = snapshot(client, list(names.values()))
        assert after == before and topic_facts(client, [events_topic])[events_topic] == (ids[events_topic][0], 3)
        record("test_data_safety_drift", "bad input", "a third partition added to database-events by hand",
               count(before), count(after), "reverting it would delete the topic: refused at preview")

        topics = {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1,
                  "perTopic": {"databaseEvents": {"partitions": 3}}}
        stack.set_config(f"{NAMESPACE}:topics", auto.ConfigValue(json.dumps(topics)))
        converged = stack.up()  # no refresh: the state says 2, the cluster and the stack say 3
        assert "this run leaves partitions as the cluster has it, as asked" in converged.stdout
        assert set(converged.summary.resource_changes) <= {"same", "update"}, converged.summary.resource_changes
        stack.refresh()
        settled = stack.preview()
        assert set(settled.change_summary) == {"same"} and "after an interrupted update" not in settled.stdout
        after = snapshot(client, list(names.values()))
        assert after == before and topic_facts(client, [events_topic])[events_topic] == (ids[events_topic][0], 3)
        record("test_data_safety_drift", "bad input", "the stack then asks for the 3 partitions the cluster already "
               "has (the state says 2); plain `up`", count(before), count(after),
               "converged: partitions left as the cluster has them, warned; `pulumi refresh` records them")
    finally:
        teardown(stack)
        delete_topics(client, list(names.values()))

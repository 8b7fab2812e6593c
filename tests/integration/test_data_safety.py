"""Never lose a message: changes Kafka cannot make in place are refused at preview, until accepted by name.

One protected (non-throwaway) stack on the plain broker, with known keyed messages in every
topic. Each bad input (partition decrease, rename, replication factor beyond the brokers, a
namePrefix change, the same through `up`, and a decrease while the cluster is unreachable) is
refused with the message that says what, why and which override; after each the cluster is
untouched: same topic ids, same partitions, every message byte for byte. Then the override
(topics.acceptDataLoss) does what the message promised: one run lifts the protection and
changes nothing else, the next replaces exactly the named topics.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from pulumi import automation as auto

from components.model import names as keys
from components.model.catalog import CATALOG
from components.model.names import NAMESPACE
from test_data_safety_messages import (Events, count, delete_topics, produce_known, record, refused, snapshot,
                                       teardown, topic_facts, topics_with_prefix)

pytestmark = pytest.mark.timeout(900)
NS = NAMESPACE
TOPIC = "kafka:index/topic:Topic"


def test_changes_that_destroy_messages_are_refused_until_accepted_by_name(project, plain_broker, prefix):
    bootstrap = plain_broker["bootstrap_servers"]
    client = {"bootstrap.servers": bootstrap}
    cluster = {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT"}
    base = {"namePrefix": prefix, "partitions": 3, "replicationFactor": 1}
    names = {s.key: prefix + s.default_name for s in CATALOG}
    renamed = f"{prefix}responses-v2"
    stack = project.stack({"cluster": cluster, "topics": base})

    def set_topics(topics: dict) -> None:
        stack.set_config(f"{NS}:topics", auto.ConfigValue(json.dumps(topics)))

    try:
        assert stack.up().summary.resource_changes == {"create": 7}
        produce_known(client, names)
        before = snapshot(client, list(names.values()))
        ids = topic_facts(client, list(names.values()))
        assert count(before) == 120 and {p for _, p in ids.values()} == {3}

        def untouched(what: str) -> None:
            assert topic_facts(client, list(names.values())) == ids, what
            assert topics_with_prefix(client, prefix) == sorted(names.values()), what
            now = snapshot(client, list(names.values()))
            assert now == before, what
            record("test_data_safety", "bad input", what, count(before), count(now), "refused at preview")

        bad_inputs = [
            ("partition decrease 3 -> 2 (databaseEvents)",
             {**base, "perTopic": {"databaseEvents": {"partitions": 2}}},
             rf"databaseEvents: partitions 3 -> 2 asked for '{names['databaseEvents']}' \(topics.perTopic.databaseEvents"
             r"\.partitions; the cluster has 3\)\. Kafka can only add partitions: a decrease is planned as delete \+ "
             r"create of the topic, destroying every message in it\..*add databaseEvents to "
             r"evidentsource-kafka:topics\.acceptDataLoss"),
            ("rename asyncResponses",
             {**base, "perTopic": {"asyncResponses": {"name": renamed}}},
             rf"asyncResponses: rename '{names['asyncResponses']}' -> '{renamed}' asked \(topics\.perTopic\."
             r"asyncResponses\.name\)\. Kafka cannot rename a topic.*acceptDataLoss"),
            ("replication factor 1 -> 2 on a one-broker cluster",
             {**base, "replicationFactor": 2},
             r"topics\.replicationFactor = 2: the cluster has 1 broker\(s\) running \(\w+: replicationFactor 1 -> 2 "
             r"asked .*Kafka places each replica on a different running broker"),
            ("namePrefix change (renames all four)",
             {**base, "namePrefix": f"{prefix}v2-"},
             r"Refused \(4\); nothing was changed"),
        ]
        for what, topics, pattern in bad_inputs:
            set_topics(topics)
            assert re.search(pattern, refused(stack), re.S), what
            untouched(what)

        set_topics(bad_inputs[0][1])  # `up` refuses the same way, before touching anything
        assert "Kafka can only add partitions" in refused(stack, stack.up)
        untouched("partition decrease through `up`")

        # The cluster unreachable: refused as such (never a silent success) ...
        offline = {**cluster, "bootstrapServers": ["127.0.0.1:1"], "liveCheckTimeoutSeconds": 2}
        stack.set_config(f"{NS}:cluster", auto.ConfigValue(json.dumps(offline)))
        started = time.monotonic()
        text = refused(stack)
        assert time.monotonic() - started < 60
        assert text.count("[connection:unreachable] no broker answered at 127.0.0.1:1") == 1, text[-3000:]
        assert "cluster.previewOffline: true" in text and "partitions 3 -> 2" not in text
        # ... and where the stack allows an offline preview, the refusal comes from the stack's state.
        stack.set_config(f"{NS}:cluster", auto.ConfigValue(json.dumps({**offline, "previewOffline": True})))
        text = refused(stack)
        assert "OFFLINE PREVIEW (cluster.previewOffline)" in text
        assert "partitions 3 -> 2" in text and "the stack's state has 3; the cluster could not be read" in text
        stack.set_config(f"{NS}:cluster", auto.ConfigValue(json.dumps(cluster)))
        untouched("partition decrease while the cluster is unreachable")

        # Accepted by name: the first run only lifts the two topics' protection ...
        accepted = {**base, "perTopic": {"asyncCommands": {"partitions": 2}, "asyncResponses": {"name": renamed}},
                    "acceptDataLoss": ["asyncCommands", "asyncResponses"]}
        set_topics(accepted)
        events = Events()
        first = stack.up(on_event=events)
        assert set(events.ops(TOPIC)) == {"same"}, events.steps
        assert first.outputs[keys.UNPROTECTED_TOPICS].value == ["asyncCommands", "asyncResponses"]
        assert topic_facts(client, list(names.values())) == ids
        assert snapshot(client, list(names.values())) == before

        # ... the next replaces exactly those two, as the refusal said it would.
        events = Events()
        stack.up(on_event=events)
        assert sorted(op for op in events.ops(TOPIC) if op != "same") == ["create-replacement", "create-replacement",
                                                                           "delete-replaced", "delete-replaced",
                                                                           "replace", "replace"], events.steps
        facts = topic_facts(client, [*names.values(), renamed])
        assert facts[names["asyncCommands"]][1] == 2 and facts[names["asyncCommands"]][0] != ids[names["asyncCommands"]][0]
        assert names["asyncResponses"] not in facts and renamed in facts
        kept = [names["transactionProposals"], names["databaseEvents"]]
        assert {t: facts[t] for t in kept} == {t: ids[t] for t in kept}
        after = snapshot(client, [*kept, names["asyncCommands"], renamed])
        assert {t: after[t] for t in kept} == {t: before[t] for t in kept}
        assert after[names["asyncCommands"]] == [] and after[renamed] == []
        record("test_data_safety", "bad input", "accepted data loss: decrease asyncCommands + rename asyncResponses "
               "(two runs)", count(before), count(after), "replaced as promised: 60 messages of the two named topics "
               "gone, the other 60 byte for byte")
        assert set(stack.preview().change_summary) == {"same"}
    finally:
        teardown(stack)
        delete_topics(client, [*names.values(), renamed])

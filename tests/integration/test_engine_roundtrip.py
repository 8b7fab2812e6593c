"""The real engine against a real broker: up creates, a second up changes nothing, destroy removes.

Topic existence, partitions and configs are read from the broker with a Kafka admin
client, never from Pulumi's own state.
"""

from __future__ import annotations

from confluent_kafka.admin import AdminClient, ConfigResource

CATALOG_NAMES = ("evidentsource-transaction-proposals", "evidentsource-database-events",
                 "evidentsource-async-commands", "evidentsource-async-responses")


def live_topics(bootstrap: str, prefix: str) -> dict[str, int]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = admin.list_topics(timeout=15).topics
    return {name: len(meta.partitions) for name, meta in topics.items() if name.startswith(prefix)}


def live_config(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    future = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
    (result,) = future.values()
    return {k: v.value for k, v in result.result(timeout=15).items()}


def test_up_then_noop_then_destroy(project, plain_broker, prefix):
    bootstrap = plain_broker["bootstrap_servers"]
    stack = project.stack({
        "cluster": {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT"},
        "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1, "protect": False},
    })
    try:
        first = stack.up()
        # The stack, the kafka provider, the component and the four topics.
        assert first.summary.resource_changes == {"create": 7}
        expected = {prefix + name: 2 for name in CATALOG_NAMES}
        assert live_topics(bootstrap, prefix) == expected

        events = live_config(bootstrap, f"{prefix}evidentsource-database-events")
        proposals = live_config(bootstrap, f"{prefix}evidentsource-transaction-proposals")
        assert events["retention.ms"] == "604800000"
        assert proposals["retention.ms"] == "86400000"  # the seed's commands forgot this one
        assert proposals["min.insync.replicas"] == "1"  # RF 1 on a single node
        assert proposals["unclean.leader.election.enable"] == "false"

        second = stack.up()
        assert second.summary.resource_changes == {"same": 7}

        stack.destroy(run_program=False)
        assert live_topics(bootstrap, prefix) == {}
    finally:
        stack.destroy(run_program=False)
        stack.workspace.remove_stack(stack.name)

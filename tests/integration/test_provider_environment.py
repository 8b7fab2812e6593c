"""The stack's settings, not the environment of whoever runs pulumi, decide how Pulumi logs in.

The kafka provider falls back to KAFKA_SASL_* / KAFKA_ENABLE_TLS variables for every
setting left unset; connection.py sets them all, so a PLAINTEXT stack stays PLAINTEXT
even when a shell has another cluster's credentials exported.
"""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient

LEAKY_ENVIRONMENT = {"KAFKA_SASL_USERNAME": "someone-else", "KAFKA_SASL_PASSWORD": "their-password",
                     "KAFKA_SASL_MECHANISM": "scram-sha512", "KAFKA_ENABLE_TLS": "true", "KAFKA_SKIP_VERIFY": "true"}


@pytest.mark.timeout(600)
def test_kafka_variables_in_the_environment_do_not_change_a_plaintext_stack(project, plain_broker, prefix, monkeypatch):
    for key, value in LEAKY_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)  # the Automation API hands os.environ to the engine and its plugins
    bootstrap = plain_broker["bootstrap_servers"]
    stack = project.stack({
        "cluster": {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT"},
        "topics": {"namePrefix": prefix, "partitions": 1, "replicationFactor": 1, "protect": False},
    })
    try:
        assert stack.up().summary.resource_changes == {"create": 7}
        topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=15).topics
        assert len([t for t in topics if t.startswith(prefix)]) == 4
        assert stack.preview().change_summary == {"same": 7}
    finally:
        stack.destroy(run_program=False)
        stack.workspace.remove_stack(stack.name)

"""Reading the live cluster: settings that log in as Pulumi does, ACL ids in the provider's format, bounded time."""

from __future__ import annotations

import socket
import time

import pytest

from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

from components.config import load
from components.config.connection import NoClient
from components.model.acl_bindings import AclBinding as OurBinding
from components.kafka.admin import from_kafka, to_kafka
from components.safety import live_cluster
from configs import ADMIN_PASSWORD, IAM, PLAINTEXT, SCRAM, merged


def test_settings_log_in_as_the_stack_says():
    scram = live_cluster.client_settings(load.parse(merged(SCRAM, {"cluster": {"caCert": "/etc/ca.pem"}})), 5)
    assert {k: scram[k] for k in ("security.protocol", "sasl.mechanism", "sasl.username", "sasl.password",
                                  "ssl.ca.location")} == {
        "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "admin",
        "sasl.password": ADMIN_PASSWORD, "ssl.ca.location": "/etc/ca.pem"}
    assert scram["socket.connection.setup.timeout.ms"] == 5000
    plain = live_cluster.client_settings(load.parse(PLAINTEXT), 2)
    assert plain["bootstrap.servers"] == "127.0.0.1:9092" and "sasl.mechanism" not in plain
    with pytest.raises(NoClient, match="^AWS_MSK_IAM clusters are not read"):
        live_cluster.client_settings(load.parse(IAM), 5)
    assert live_cluster.read(load.parse(IAM)).why.startswith("AWS_MSK_IAM clusters are not read")


def test_the_adapter_converts_between_the_models_spelling_and_confluent_kafkas_binding():
    binding = AclBinding(ResourceType.GROUP, "evidentsource-external-", ResourcePatternType.PREFIXED,
                         "User:external-consumer", "*", AclOperation.READ, AclPermissionType.ALLOW)
    ours = OurBinding("User:external-consumer", "Read", "Group", "evidentsource-external-", "Prefixed")
    assert from_kafka(binding) == ours and to_kafka(ours) == binding
    seed = AclBinding(ResourceType.TOPIC, "evidentsource-database-events", ResourcePatternType.LITERAL,
                      "User:evidentsource", "*", AclOperation.ALL, AclPermissionType.ALLOW)
    assert from_kafka(seed).import_id == "User:evidentsource|*|All|Allow|Topic|evidentsource-database-events|Literal"
    cluster = OurBinding("User:x", "IdempotentWrite", "Cluster", "kafka-cluster", "Literal", "10.0.0.1", "Deny")
    assert from_kafka(to_kafka(cluster)) == cluster


def test_an_unreachable_cluster_is_reported_within_the_timeout_not_raised():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = load.parse(merged(PLAINTEXT, {"cluster": {"bootstrapServers": [f"127.0.0.1:{port}"],
                                                               "liveCheckTimeoutSeconds": 1}}))
    started = time.monotonic()
    result = live_cluster.read(config, with_acls=True)
    assert time.monotonic() - started < 5
    assert not result.reachable and f"127.0.0.1:{port}" in result.why


def test_tls_files_that_do_not_exist_are_refused_by_name_before_any_client_is_made(tmp_path):
    key = tmp_path / "client-key.pem"
    key.write_text("not read: the certificate is missing first")
    config = load.parse(merged(PLAINTEXT, {"cluster": {"securityProtocol": "SSL",
                                                   "caCert": str(tmp_path / "ca.pem"),
                                                   "clientCert": str(tmp_path / "client.pem"), "clientKey": str(key)}}))
    live = live_cluster.read(config)
    assert (live.reachable, live.refused) == (False, "tls")
    assert live.why == (f"cluster.caCert ({str(tmp_path / 'ca.pem')!r}): no such file; "
                        f"cluster.clientCert ({str(tmp_path / 'client.pem')!r}): no such file")

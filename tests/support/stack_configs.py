"""Stack settings the integration tests, the preview recordings and the benchmark share."""

from __future__ import annotations

from typing import Any

from tools.cluster import broker

# The local secure broker (tools/cluster/broker.py --mode secure): SASL/SCRAM-SHA-512, ACLs enforced, no TLS.
SECURE_PROTOCOL = broker.PROTOCOL["secure"]
SECURE_MECHANISM = broker.MECHANISM


def secure_cluster(bootstrap: str) -> dict[str, Any]:
    """The `cluster` section that reaches the local secure broker at `bootstrap`."""
    return {"bootstrapServers": [bootstrap], "securityProtocol": SECURE_PROTOCOL, "saslMechanism": SECURE_MECHANISM}


def secure_stack(bootstrap: str, topics: dict[str, Any], access: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """A SCRAM + Kafka-ACL stack (the staging shape) on the local secure broker: raw settings, namespace stripped."""
    return {"cluster": secure_cluster(bootstrap), "topics": topics, "access": access, **sections}


def tls_cluster(info: dict, mechanism: str = "SCRAM-SHA-512", timeout_seconds: int = 10) -> dict[str, Any]:
    """The `cluster` section that reaches the local three-node TLS cluster (tools/cluster/secure_cluster.py) over
    SASL_SSL, trusting its CA; the kafka provider gives up on it after `timeout_seconds`."""
    return {"bootstrapServers": info["bootstrap_servers"].split(","), "securityProtocol": "SASL_SSL",
            "saslMechanism": mechanism, "caCert": info["ca_cert"], "timeoutSeconds": timeout_seconds}

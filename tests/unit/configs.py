"""Small valid stack configs (raw, as in a stack file without the namespace) that tests vary."""

from __future__ import annotations

import copy
from typing import Any

from components.config import load
from mocking import ACCOUNT, CLUSTER_ARN

ADMIN_PASSWORD = "admin-sekrit-1"
ADMIN_JAAS = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
              f'username="admin" password="{ADMIN_PASSWORD}";')

PLAINTEXT = {
    "cluster": {"bootstrapServers": ["127.0.0.1:9092"], "securityProtocol": "PLAINTEXT"},
    "topics": {"backend": "kafka", "partitions": 3, "replicationFactor": 1},
}

SCRAM = {
    "cluster": {"bootstrapServers": ["broker-1.internal:9096", "broker-2.internal:9096"],
                "securityProtocol": "SASL_SSL", "saslMechanism": "SCRAM-SHA-512"},
    "topics": {"partitions": 3, "replicationFactor": 3},
    "access": {
        "server": {"principals": ["User:evidentsource"], "groupPrefix": "evidentsource-server-",
                   "transactionalIdPrefix": "evidentsource-tx-"},
        "dynamodbStreamsLambda": {"principals": ["User:streams-lambda"]},
        "externalConsumers": {"principals": ["User:consumer-a", "User:consumer-b"], "groupPrefix": "ext-"},
        "externalProducers": {"principals": ["User:producer-a"]},
    },
    "saslJaasConfig": ADMIN_JAAS,
}

IAM = {
    "cluster": {"bootstrapServers": ["b-1.prod.abc123.c2.kafka.us-east-1.amazonaws.com:9098"],
                "securityProtocol": "SASL_SSL", "saslMechanism": "AWS_MSK_IAM"},
    "msk": {"clusterArn": CLUSTER_ARN},
    "topics": {"backend": "msk", "partitions": 6, "replicationFactor": 3},
    "access": {
        "server": {"principals": ["evidentsource-server"], "groupPrefix": "evidentsource-server-"},
        "dynamodbStreamsLambda": {"principals": [f"arn:aws:iam::{ACCOUNT}:role/service-role/streams-lambda"]},
        "externalConsumers": {"principals": ["analytics-consumer"], "groupPrefix": "evidentsource-external-"},
        "externalProducers": {"principals": []},
    },
    "network": {"mskSecurityGroupId": "sg-0123456789abcdef0", "clusterSecurityGroupId": "sg-11111111",
                "lambdaSecurityGroupId": "sg-22222222"},
}

DELETE = object()


def merged(base: dict, patch: dict) -> dict:
    """A deep copy of base with patch merged in; DELETE removes a key."""
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if value is DELETE:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def problems(raw: dict[str, Any]) -> list[str]:
    """The problem lines parse() reports (an empty list if the config is valid)."""
    try:
        load.parse(raw)
    except load.ConfigError as exc:
        header, *lines = str(exc).split("\n  - ")
        assert header.startswith(f"Invalid stack configuration ({len(lines)} problem(s))")
        return lines
    return []

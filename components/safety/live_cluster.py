"""What the cluster holds right now, read with a Kafka admin client before anything is declared.

The program compares what a stack asks for with what the brokers really have (partition
counts, replication factors, broker count, existing ACL bindings), so that it can refuse a
change Kafka cannot make in place and adopt what already exists. The read must never hold a
preview up: every call is bounded by `cluster.liveCheckTimeoutSeconds` (5 s by default) and
any failure is returned as a reason, never raised; callers then fall back to the stack's state.

Not read: AWS_MSK_IAM clusters (librdkafka needs an IAM token signer that this project does not
ship; the `msk` backend manages topics through the AWS API anyway).
"""

from __future__ import annotations

import os
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from components.config.connection import NoClient
from components.config.stack_config import StackConfig
from components.model.acl_bindings import AclBinding
from components.safety import tls_probe

# confluent_kafka spelling -> pulumi-kafka spelling (the provider's import id uses the latter).
_OPERATION = {"ALL": "All", "READ": "Read", "WRITE": "Write", "CREATE": "Create", "DELETE": "Delete",
              "ALTER": "Alter", "DESCRIBE": "Describe", "CLUSTER_ACTION": "ClusterAction",
              "DESCRIBE_CONFIGS": "DescribeConfigs", "ALTER_CONFIGS": "AlterConfigs",
              "IDEMPOTENT_WRITE": "IdempotentWrite", "ANY": "Any", "UNKNOWN": "Unknown"}
_RESOURCE_TYPE = {"TOPIC": "Topic", "GROUP": "Group", "BROKER": "Cluster", "TRANSACTIONAL_ID": "TransactionalID",
                  "ANY": "Any", "UNKNOWN": "Unknown"}
_PATTERN = {"LITERAL": "Literal", "PREFIXED": "Prefixed", "MATCH": "Match", "ANY": "Any", "UNKNOWN": "Unknown"}
_PERMISSION = {"ALLOW": "Allow", "DENY": "Deny", "ANY": "Any", "UNKNOWN": "Unknown"}


@dataclass(frozen=True)
class LiveTopic:
    name: str
    partitions: int
    replication_factor: int


@dataclass(frozen=True)
class LiveCluster:
    """The cluster as read, or why it could not be read (`reachable` False)."""

    reachable: bool
    why: str = ""
    refused: str | None = None  # "tls" or "login": the brokers answered and refused this stack's connection
    brokers: int = 0  # brokers that answer (listed in the cluster's metadata, and accepting connections)
    silent: tuple[str, ...] = ()  # brokers the metadata lists that did not answer
    topics: dict[str, LiveTopic] = field(default_factory=dict)
    acl_ids: frozenset[str] | None = None  # import ids of every binding; None when not read

    @classmethod
    def unavailable(cls, why: str) -> "LiveCluster":
        return cls(False, why)


def acl_import_id(binding: Any) -> str:
    """A confluent_kafka AclBinding as pulumi-kafka's import id `principal|host|op|perm|type|name|pattern`."""
    return AclBinding(binding.principal, _OPERATION[binding.operation.name], _RESOURCE_TYPE[binding.restype.name],
                      binding.name, _PATTERN[binding.resource_pattern_type.name], binding.host,
                      _PERMISSION[binding.permission_type.name]).import_id


def client_settings(config: StackConfig, timeout: float) -> dict[str, Any]:
    """librdkafka settings that log in as Pulumi does, bounded by `timeout`, quiet; NoClient if none."""
    millis = max(1000, int(timeout * 1000))
    return {**config.connection.librdkafka(), "socket.timeout.ms": millis, "socket.connection.setup.timeout.ms": millis,
            "reconnect.backoff.max.ms": 1000, "log_level": 0, "logger": _QUIET}


class _Quiet:
    """librdkafka's log lines would land in the user's preview output; the reason is reported instead."""

    def log(self, *args: Any, **kwargs: Any) -> None:  # logging.Logger interface that librdkafka calls
        pass

    debug = info = warning = error = critical = exception = log


_QUIET = _Quiet()


def read(config: StackConfig, with_acls: bool = False) -> LiveCluster:
    """Topics (partitions, replication factor), broker count and, if asked, every ACL binding."""
    timeout = config.cluster.live_check_timeout_seconds
    try:
        settings = client_settings(config, timeout)
    except NoClient as exc:
        return LiveCluster.unavailable(str(exc))
    from confluent_kafka import KafkaException  # imported here: a run that reads no cluster never loads librdkafka
    from confluent_kafka.admin import AdminClient

    errors: list[Any] = []
    c = config.cluster
    missing = [f"cluster.{key} ({value!r}): no such file" for key, value in
               (("caCert", c.ca_cert), ("clientCert", c.client_cert), ("clientKey", c.client_key))
               if c.tls and value and "-----BEGIN" not in value and not os.path.isfile(os.path.expanduser(value))]
    if missing:  # said here: librdkafka would print its own fopen errors on the user's terminal first
        return LiveCluster(False, "; ".join(missing), refused="tls")
    try:
        admin = AdminClient({**settings, "error_cb": errors.append})
    except KafkaException as exc:  # e.g. a caCert or clientCert file librdkafka cannot load
        return LiveCluster(False, tls_probe.diagnose(config.connection, timeout) or exc.args[0].str(), refused="tls")
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        for _ in range(5):  # librdkafka hands its own reason (e.g. "Connection refused") to error_cb on poll
            if errors:
                break
            admin.poll(0.1)
        why = errors[-1].str() if errors else f"{config.cluster.bootstrap_servers[0]}: {exc.args[0].str()}"
        refused = _refusal(errors)
        if refused == "tls":  # librdkafka's words do not say which setting is wrong; ask again, more precisely
            why = tls_probe.diagnose(config.connection, timeout) or why
        return LiveCluster(False, why, refused=refused)
    topics = {name: LiveTopic(name, len(meta.partitions),
                              max((len(p.replicas) for p in meta.partitions.values()), default=0))
              for name, meta in metadata.topics.items() if meta.error is None}
    acl_ids = _acl_ids(admin, timeout) if with_acls else None
    if isinstance(acl_ids, str):
        return LiveCluster.unavailable(acl_ids)
    silent = _silent(sorted(f"{b.host}:{b.port}" for b in metadata.brokers.values()), min(timeout, 3))
    return LiveCluster(True, brokers=len(metadata.brokers) - len(silent), silent=silent, topics=topics, acl_ids=acl_ids)


def _silent(brokers: list[str], timeout: float) -> tuple[str, ...]:
    """The brokers that refuse a TCP connection. A broker that lost its controllers keeps serving the metadata
    it last had, in which stopped brokers still appear; only asking each of them tells."""
    def answers(address: str) -> bool:
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=timeout).close()
            return True
        except OSError:
            return False
    with ThreadPoolExecutor(max_workers=max(1, min(len(brokers), 16))) as pool:
        return tuple(b for b, ok in zip(brokers, pool.map(answers, brokers)) if not ok)


def _refusal(errors: list[Any]) -> str | None:
    """"login" if the brokers rejected the credentials, "tls" if the TLS handshake failed, else None."""
    from confluent_kafka import KafkaError
    for error in reversed(errors):
        if error.code() == KafkaError._AUTHENTICATION:
            return "login"
        if error.code() == KafkaError._SSL or "SSL" in error.str():
            return "tls"
    return None


def _acl_ids(admin: Any, timeout: float) -> frozenset[str] | str:
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType,
                                       ResourceType)
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                  AclOperation.ANY, AclPermissionType.ANY)
    try:
        bindings = admin.describe_acls(everything, request_timeout=timeout).result(timeout=timeout + 1)
    except FutureTimeout:
        return f"could not list the ACLs within {timeout:g} s"
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.SECURITY_DISABLED:
            return frozenset()  # no authorizer: no ACLs exist
        return f"could not list the ACLs: {exc.args[0].str()}"
    return frozenset(acl_import_id(b) for b in bindings)

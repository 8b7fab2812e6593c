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

from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from components.config.connection import NoClient
from components.config.stack_config import StackConfig
from components.model.acl_bindings import AclBinding

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
    brokers: int = 0
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

    errors: list[str] = []
    admin = AdminClient({**settings, "error_cb": lambda e: errors.append(e.str())})
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        for _ in range(5):  # librdkafka hands its own reason (e.g. "Connection refused") to error_cb on poll
            if errors:
                break
            admin.poll(0.1)
        why = errors[-1] if errors else f"{config.cluster.bootstrap_servers[0]}: {exc.args[0].str()}"
        return LiveCluster.unavailable(why)
    topics = {name: LiveTopic(name, len(meta.partitions),
                              max((len(p.replicas) for p in meta.partitions.values()), default=0))
              for name, meta in metadata.topics.items() if meta.error is None}
    acl_ids = _acl_ids(admin, timeout) if with_acls else None
    if isinstance(acl_ids, str):
        return LiveCluster.unavailable(acl_ids)
    return LiveCluster(True, brokers=len(metadata.brokers), topics=topics, acl_ids=acl_ids)


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

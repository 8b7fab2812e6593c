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
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from components.config.connection import NoClient
from components.config.stack_config import StackConfig
from components.model.acl_bindings import AclBinding
from components.safety import config_cuts, tls_probe, validate
from components.safety.config_cuts import Stake
from components.safety.topic_plan import wanted_topics

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
    configs: dict[str, str] = field(default_factory=dict)  # retention and cleanup policy, as the brokers report them
    # What each message-deleting change the stack asks of this topic would delete now (config name -> Stake),
    # or None where it could not be read.
    stakes: dict[str, Stake | None] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveCluster:
    """The cluster as read, or why it could not be read (`reachable` False)."""

    reachable: bool
    why: str = ""
    refused: str | None = None  # "tls" or "login": the brokers answered and refused this stack's connection
    brokers: int = 0  # brokers that answer (listed in the cluster's metadata, and accepting connections)
    silent: tuple[str, ...] = ()  # brokers the metadata lists that did not answer
    unauthorized: tuple[str, ...] = ()  # topics of the stack the login may not describe (they may well exist)
    by_design: bool = False  # not read because this kind of cluster is not read here (AWS_MSK_IAM), not a failure
    topics: dict[str, LiveTopic] = field(default_factory=dict)
    acl_ids: frozenset[str] | None = None  # import ids of every binding; None when not read
    acls_why: str = ""  # why the bindings could not be read, when they were asked for
    # What the brokers said of this run's changes, asked with validate-only requests (nothing is changed):
    rejected: dict[str, validate.Rejected] = field(default_factory=dict)  # topic name -> why Kafka would reject it
    denied: dict[str, str] = field(default_factory=dict)  # topic name -> the operation the login may not do on it

    @classmethod
    def unavailable(cls, why: str) -> "LiveCluster":
        return cls(False, why)


def acl_import_id(binding: Any) -> str:
    """A confluent_kafka AclBinding as pulumi-kafka's import id `principal|host|op|perm|type|name|pattern`."""
    return AclBinding(binding.principal, _OPERATION[binding.operation.name], _RESOURCE_TYPE[binding.restype.name],
                      binding.name, _PATTERN[binding.resource_pattern_type.name], binding.host,
                      _PERMISSION[binding.permission_type.name]).import_id


def spelled(b: AclBinding) -> tuple:
    """A binding as confluent_kafka's AclBinding / AclBindingFilter arguments (the inverse of acl_import_id)."""
    from confluent_kafka.admin import AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    def back(table: dict[str, str], value: str) -> str:
        return next(k for k, v in table.items() if v == value)
    return (ResourceType[back(_RESOURCE_TYPE, b.resource_type)], b.resource_name,
            ResourcePatternType[back(_PATTERN, b.pattern)], b.principal, b.host,
            AclOperation[back(_OPERATION, b.operation)], AclPermissionType[back(_PERMISSION, b.permission)])


def client_settings(config: StackConfig, timeout: float) -> dict[str, Any]:
    """librdkafka settings that log in as Pulumi does, bounded by `timeout`, quiet; NoClient if none."""
    millis = max(1000, int(timeout * 1000))
    return {**config.connection.librdkafka(), "socket.timeout.ms": millis, "socket.connection.setup.timeout.ms": millis,
            "reconnect.backoff.max.ms": 1000, "log_level": 0, "logger": _QUIET,
            "allow.auto.create.topics": False}  # reading must never create a topic


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
        return LiveCluster(False, str(exc), by_design=True)
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
    wanted = wanted_topics(config)
    unauthorized = _unauthorized(admin, [w.name for w in wanted if w.name not in topics], timeout)
    changed: dict[str, dict[str, str]] = {}
    for w in wanted:
        if w.name in topics:
            topics[w.name], changed[w.name] = _with_configs(admin, topics[w.name], metadata.topics[w.name], w.configs,
                                                            timeout)
    acl_ids = list_acl_ids(admin, timeout) if with_acls else None
    acls_why = acl_ids if isinstance(acl_ids, str) else ""
    if acls_why and config.adopt.acls:
        return LiveCluster.unavailable(acls_why)
    acl_ids = None if acls_why else acl_ids
    silent = _silent(sorted(f"{b.host}:{b.port}" for b in metadata.brokers.values()), min(timeout, 3))
    brokers = len(metadata.brokers) - len(silent)
    rejected: dict[str, validate.Rejected] = {}
    denied: dict[str, str] = {}
    if config.topics.backend == "kafka" and not silent:
        remap = {w.name for w in wanted if w.key in config.topics.accept_key_remap}
        rejected, denied = validate.changes(admin, [w for w in wanted if w.name not in unauthorized], topics, changed,
                                            remap, brokers, timeout)
    return LiveCluster(True, brokers=brokers, silent=silent, topics=topics, acl_ids=acl_ids, acls_why=acls_why,
                       unauthorized=unauthorized, rejected=rejected, denied=denied)


def _unauthorized(admin: Any, missing: list[str], timeout: float) -> tuple[str, ...]:
    """Of the stack's topics the metadata did not list, those the login may not see (rather than absent)."""
    from confluent_kafka import KafkaError, KafkaException, TopicCollection
    if not missing:
        return ()
    # describe_topics, not list_topics(topic=...): a metadata request for one topic can make a broker with
    # auto.create.topics.enable create it, with the broker's defaults.
    futures = admin.describe_topics(TopicCollection(missing), request_timeout=timeout)
    denied = []
    for name, future in futures.items():
        try:
            future.result(timeout=timeout + 1)
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                denied.append(name)
        except FutureTimeout:
            continue
    return tuple(denied)


def _with_configs(admin: Any, topic: LiveTopic, meta: Any, wanted: dict[str, str],
                  timeout: float) -> tuple[LiveTopic, dict[str, str]]:
    """The topic with its retention settings and, for each change that would delete messages, what is at stake;
    and the configs asked for that the topic does not have yet (all of them if its configs cannot be read)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import ConfigResource, ResourceType
    resource = ConfigResource(ResourceType.TOPIC, topic.name)
    try:
        entries = admin.describe_configs([resource], request_timeout=timeout)[resource].result(timeout=timeout + 1)
    except (KafkaException, FutureTimeout):
        return topic, dict(wanted)  # no configs: a cut cannot be told from the cluster, so the state decides
    configs = {k: entries[k].value for k in config_cuts.WATCHED if k in entries and entries[k].value is not None}
    stakes = {cut.config: (_stake(admin, meta, cut.older_than_ms, timeout) if cut.older_than_ms is not None else None)
              for cut in config_cuts.cuts(configs, wanted)}
    changed = {k: v for k, v in wanted.items() if k not in entries or entries[k].value != v}
    return LiveTopic(topic.name, topic.partitions, topic.replication_factor, configs, stakes), changed


def _stake(admin: Any, meta: Any, older_than_ms: int, timeout: float) -> Stake | None:
    """How many messages are older than older_than_ms (an upper bound: Kafka deletes whole segments), of how many,
    and the age of the oldest; None if the offsets could not be read."""
    from confluent_kafka import KafkaException, TopicPartition
    from confluent_kafka.admin import OffsetSpec
    now = int(time.time() * 1000)
    partitions = [TopicPartition(meta.topic, p) for p in meta.partitions]

    def offsets(spec: Any) -> list[Any]:
        futures = admin.list_offsets({tp: spec for tp in partitions}, request_timeout=timeout)
        return [futures[tp].result(timeout=timeout + 1) for tp in partitions]
    try:
        earliest, latest = offsets(OffsetSpec.earliest()), offsets(OffsetSpec.latest())
        first, limit = offsets(OffsetSpec.for_timestamp(0)), offsets(OffsetSpec.for_timestamp(now - older_than_ms))
    except (KafkaException, FutureTimeout, KeyError):
        return None
    would_go = sum(max(0, (c.offset if c.offset >= 0 else end.offset) - start.offset)
                   for start, end, c in zip(earliest, latest, limit))
    total = sum(end.offset - start.offset for start, end in zip(earliest, latest))
    stamps = [f.timestamp for f in first if f.offset >= 0 and f.timestamp >= 0]
    return Stake(would_go, total, now - min(stamps) if stamps else None)


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


def list_acl_ids(admin: Any, timeout: float) -> frozenset[str] | str:
    """Every binding on the cluster as import ids (none without an authorizer), or why they could not be listed."""
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

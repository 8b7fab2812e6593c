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
from components.kafka import admin as admin_adapter
from components.model.acl_bindings import AclBinding
from components.safety import config_cuts, tls_probe, validate
from components.safety.config_cuts import Stake
from components.safety.topic_plan import wanted_topics

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
    acl_ids: frozenset[str] | None = None  # every binding on the cluster, as import ids; None when not read
    acls_why: str = ""  # why the bindings could not be read, when they were asked for
    scram_users: frozenset[str] | None = None  # of the users asked about, those with a credential of the mechanism
    cluster_operations: frozenset[str] | None = None  # what the login may do on the cluster (None: not said)
    # What the brokers said of this run's changes, asked with validate-only requests (nothing is changed):
    rejected: dict[str, validate.Rejected] = field(default_factory=dict)  # topic name -> why Kafka would reject it
    denied: dict[str, str] = field(default_factory=dict)  # topic name -> the operation the login may not do on it

    @classmethod
    def unavailable(cls, why: str) -> "LiveCluster":
        return cls(False, why)

    @property
    def acls(self) -> frozenset[AclBinding] | None:
        """Every binding on the cluster; None when not read."""
        return None if self.acl_ids is None else frozenset(AclBinding.from_import_id(i) for i in self.acl_ids)


def client_settings(config: StackConfig, timeout: float) -> dict[str, Any]:
    """librdkafka settings that log in as Pulumi does, bounded by `timeout`, quiet (the adapter's); NoClient if none."""
    millis = max(1000, int(timeout * 1000))
    return {**config.connection.librdkafka(), "socket.timeout.ms": millis, "socket.connection.setup.timeout.ms": millis,
            "reconnect.backoff.max.ms": 1000, "log_level": 0, "logger": admin_adapter.QUIET,
            "allow.auto.create.topics": False}  # reading must never create a topic


def read(config: StackConfig, with_acls: bool = False, users: tuple[str, ...] = ()) -> LiveCluster:
    """Topics (partitions, replication factor), broker count and, if asked, every ACL binding, which of `users`
    have a SCRAM credential of the stack's mechanism, and what the login may do on the cluster."""
    timeout = config.cluster.live_check_timeout_seconds
    try:
        settings = client_settings(config, timeout)
    except NoClient as exc:
        return LiveCluster(False, str(exc), by_design=True)
    from confluent_kafka import KafkaException  # imported here: a run that reads no cluster never loads librdkafka

    c = config.cluster
    missing = [f"cluster.{key} ({value!r}): no such file" for key, value in
               (("caCert", c.ca_cert), ("clientCert", c.client_cert), ("clientKey", c.client_key))
               if c.tls and value and "-----BEGIN" not in value and not os.path.isfile(os.path.expanduser(value))]
    if missing:  # said here: librdkafka would print its own fopen errors on the user's terminal first
        return LiveCluster(False, "; ".join(missing), refused="tls")
    try:
        adapter = admin_adapter.client(settings, timeout, shared=False)
    except KafkaException as exc:  # e.g. a caCert or clientCert file librdkafka cannot load
        return LiveCluster(False, tls_probe.diagnose(config.connection, timeout) or exc.args[0].str(), refused="tls")
    admin, errors = adapter.raw, adapter.errors
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
    acls, acls_why = None, ""
    if with_acls:
        try:
            acls = adapter.list_acls()
        except admin_adapter.AdminError as exc:
            acls_why = str(exc)
    if acls_why and config.adopt.acls:
        return LiveCluster.unavailable(acls_why)
    scram: frozenset[str] | None = None
    if users and config.cluster.sasl_mechanism and config.cluster.sasl_mechanism.startswith("SCRAM"):
        try:
            scram = adapter.scram_users(users, config.cluster.sasl_mechanism)
        except admin_adapter.AdminError:
            scram = None  # not said: drift of the users is then seen by a refresh only
    operations = adapter.cluster_operations() if with_acls or users else None
    silent = _silent(sorted(f"{b.host}:{b.port}" for b in metadata.brokers.values()), min(timeout, 3))
    brokers = len(metadata.brokers) - len(silent)
    rejected: dict[str, validate.Rejected] = {}
    denied: dict[str, str] = {}
    if config.topics.backend == "kafka" and not silent:
        remap = {w.name for w in wanted if w.key in config.topics.accept_key_remap}
        rejected, denied = validate.changes(admin, [w for w in wanted if w.name not in unauthorized], topics, changed,
                                            remap, brokers, timeout)
    acl_ids = None if acls is None else frozenset(b.import_id for b in acls)
    return LiveCluster(True, brokers=brokers, silent=silent, topics=topics, acl_ids=acl_ids, acls_why=acls_why,
                       scram_users=scram, cluster_operations=operations,
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

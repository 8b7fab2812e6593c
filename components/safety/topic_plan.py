"""Each topic as the stack asks for it (`Wanted`) and as this run declares it (`TopicPlan`).

`wanted_topics()` works out every topic's name, partitions, replication factor and configs
from the settings, once; data safety (assess.py) turns each into the plan the topics
component declares exactly: the same values, or the topic held as it is, plus the resource
options (import, protection, replacement order, properties left alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.config.formats import min_isr_for
from components.config.schema import TopicSettings, TopicsConfig, TopicTuning, duration_ms
from components.config.stack_config import StackConfig
from components.model import bridge
from components.model.catalog import CATALOG, TopicSpec
from components.model.names import database_topic_resource, topic_resource


@dataclass(frozen=True)
class Wanted:
    """One topic as the stack's settings ask for it, with the keys that decided its name and partitions."""

    key: str
    resource_name: str
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)
    name_from: str = "topics.namePrefix"
    partitions_from: str = "topics.partitions"
    replication_from: str = "topics.replicationFactor"
    partition_key: str = ""  # what its messages are keyed by (a partition increase moves them)
    section: str = "topics"  # whose overrides govern it: topics.acceptDataLoss, or bridge.acceptDataLoss
    item: str = ""  # its entry in those overrides: the catalogue key, or the database
    loss_accepted: bool = False  # the stack accepted losing its messages by name ({section}.acceptDataLoss)
    remap_accepted: bool = False  # the stack accepted a partition increase by name ({section}.acceptKeyRemap)
    settings_path: str = ""  # where its own settings are: topics.perTopic.<key>, bridge.perDatabase.<database>
    released: bool = False  # no longer declared by the stack (bridge.releaseDatabases): let go, left on the cluster


@dataclass(frozen=True)
class TopicPlan:
    """One topic resource exactly as this run declares it."""

    key: str
    resource_name: str
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str]
    import_id: str | None = None  # adopt the existing topic (import) instead of creating it
    # The engine refuses to delete or replace it, and deleting the resource leaves the topic and its
    # messages in Kafka (protect and retainOnDelete, always together).
    protect: bool = True
    retain: bool | None = None  # retain on delete; None: as `protect` (only a released topic is retained unprotected)
    delete_before_replace: bool = False
    # Properties the engine leaves alone in this run: the cluster already has the asked value but the
    # state does not (an interrupted update), and asking Kafka for it again would fail.
    ignore_changes: tuple[str, ...] = ()


def durable_configs(own: TopicTuning, retention_ms: int, min_isr: int) -> dict[str, str]:
    """The full config map of one topic: durable defaults, its retention (unless its own settings give one),
    then its own extras. The four topics' and each database's alike."""
    retention = duration_ms(own.retention) if own.retention is not None else retention_ms
    return {
        "cleanup.policy": "delete",
        "min.insync.replicas": str(min_isr),
        "retention.ms": str(retention),
        "unclean.leader.election.enable": "false",
        **own.configs,
    }


def topic_configs(spec: TopicSpec, topics: TopicsConfig) -> dict[str, str]:
    """One of the four topics' config map."""
    own = topics.per_topic.get(spec.key, TopicSettings())  # type: ignore[arg-type]
    return durable_configs(own, spec.retention_ms, topics.effective_min_isr())


def wanted_topics(config: StackConfig) -> list[Wanted]:
    """The four topics as the settings ask for them, in catalogue order, then each database's (the bridge shape)."""
    topics, result = config.topics, []
    four = "fourTopics" in config.shapes
    for spec in (s for s in CATALOG if four or s.key in topics.release_topics):
        own = topics.per_topic.get(spec.key, TopicSettings())  # type: ignore[arg-type]
        result.append(Wanted(
            spec.key, topic_resource(spec.key), topics.name_of(spec.key), own.partitions or topics.partitions,
            topics.replication_factor, topic_configs(spec, topics),
            name_from=f"topics.perTopic.{spec.key}.name" if own.name else "topics.namePrefix",
            partitions_from=f"topics.perTopic.{spec.key}.partitions" if own.partitions else "topics.partitions",
            partition_key=spec.partition_key, item=spec.key, settings_path=f"topics.perTopic.{spec.key}",
            loss_accepted=spec.key in topics.accept_data_loss, remap_accepted=spec.key in topics.accept_key_remap,
            released=not four))
    return result + (database_topics(config) if "bridge" in config.shapes else [])


def database_topics(config: StackConfig) -> list[Wanted]:
    """Each database's topic (the bridge shape), in the order the stack lists them; those it released after them."""
    b, t = config.bridge, config.topics
    rf = b.replication_factor or t.replication_factor
    min_isr = b.min_insync_replicas or t.min_insync_replicas or min_isr_for(rf)
    retention_ms = duration_ms(b.retention) if b.retention is not None else bridge.RETENTION_MS
    result = []
    for db in [*b.databases, *b.release_databases]:
        own = b.per_database.get(db, TopicTuning())
        configs = durable_configs(own, retention_ms, min_isr)
        result.append(Wanted(
            bridge.topic_key(db), database_topic_resource(db), bridge.topic_name(b.topic_prefix, db),
            own.partitions or b.partitions or t.partitions, rf, configs, name_from="bridge.topicPrefix",
            partitions_from=f"bridge.perDatabase.{db}.partitions" if own.partitions else
            "bridge.partitions" if b.partitions else "topics.partitions",
            replication_from="bridge.replicationFactor" if b.replication_factor else "topics.replicationFactor",
            partition_key=bridge.PARTITION_KEY, section="bridge", item=db, settings_path=f"bridge.perDatabase.{db}",
            loss_accepted=db in b.accept_data_loss, remap_accepted=db in b.accept_key_remap,
            released=db in b.release_databases))
    return result


def plan_as_asked(w: Wanted, **options) -> TopicPlan:
    """The topic declared as asked, with these resource options."""
    return TopicPlan(w.key, w.resource_name, w.name, w.partitions, w.replication_factor, w.configs, **options)


def plan_as_it_is(w: Wanted, name: str, partitions: int, replication_factor: int, **options) -> TopicPlan:
    """The topic held as it is (the run that lifts its protection before a replacement)."""
    return TopicPlan(w.key, w.resource_name, name, partitions, replication_factor, w.configs, **options)

"""Each topic as the stack asks for it (`Wanted`) and as this run declares it (`TopicPlan`).

`wanted_topics()` works out every topic's name, partitions, replication factor and configs
from the settings, once; data safety (assess.py) turns each into the plan the topics
component declares exactly: the same values, or the topic held as it is, plus the resource
options (import, protection, replacement order, properties left alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.config.schema import TopicSettings, TopicsConfig, duration_ms
from components.config.stack_config import StackConfig
from components.model.catalog import CATALOG, TopicSpec
from components.model.names import topic_resource


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
    delete_before_replace: bool = False
    # Properties the engine leaves alone in this run: the cluster already has the asked value but the
    # state does not (an interrupted update), and asking Kafka for it again would fail.
    ignore_changes: tuple[str, ...] = ()


def topic_configs(spec: TopicSpec, topics: TopicsConfig) -> dict[str, str]:
    """The full config map of one topic: durable defaults, retention, then per-topic extras."""
    own = topics.per_topic.get(spec.key, TopicSettings())  # type: ignore[arg-type]
    retention = duration_ms(own.retention) if own.retention is not None else spec.retention_ms
    return {
        "cleanup.policy": "delete",
        "min.insync.replicas": str(topics.effective_min_isr()),
        "retention.ms": str(retention),
        "unclean.leader.election.enable": "false",
        **own.configs,
    }


def wanted_topics(config: StackConfig) -> list[Wanted]:
    """The four topics as the settings ask for them, in catalogue order."""
    topics, result = config.topics, []
    for spec in CATALOG:
        own = topics.per_topic.get(spec.key, TopicSettings())  # type: ignore[arg-type]
        result.append(Wanted(
            spec.key, topic_resource(spec.key), topics.name_of(spec.key), own.partitions or topics.partitions,
            topics.replication_factor, topic_configs(spec, topics),
            name_from=f"topics.perTopic.{spec.key}.name" if own.name else "topics.namePrefix",
            partitions_from=f"topics.perTopic.{spec.key}.partitions" if own.partitions else "topics.partitions"))
    return result


def plan_as_asked(w: Wanted, **options) -> TopicPlan:
    """The topic declared as asked, with these resource options."""
    return TopicPlan(w.key, w.resource_name, w.name, w.partitions, w.replication_factor, w.configs, **options)


def plan_as_it_is(w: Wanted, name: str, partitions: int, replication_factor: int, **options) -> TopicPlan:
    """The topic held as it is (the run that lifts its protection before a replacement)."""
    return TopicPlan(w.key, w.resource_name, name, partitions, replication_factor, w.configs, **options)

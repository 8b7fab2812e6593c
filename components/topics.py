"""The EvidentSource topics as Pulumi resources, with durable defaults.

Two interchangeable backends, chosen per stack:
- `kafka`: pulumi-kafka `Topic` through the Kafka protocol (any cluster);
- `msk`: `aws.msk.Topic` through the AWS API (MSK provisioned clusters), which needs
  no network path to the brokers, as CI runners previewing a pull request usually lack.
Both get the same logical names and the same config map. Topic configs are strings
(Kafka's own type for them). Topics are protected and retained on delete unless the
stack is a throwaway one: removing a topic from the program must never delete its messages.
How each topic is declared beyond that (adopted by import, unprotected because the stack
accepts its data loss, ...) is decided by data_safety.py, before anything is declared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kafka as kafka

from components.catalog import CATALOG, TopicSpec
from components.config_schema import TopicSettings, TopicsConfig, duration_ms


@dataclass(frozen=True)
class TopicPlan:
    """How one topic resource is declared beyond its properties (decided by data_safety.py)."""

    import_id: str | None = None  # adopt the existing topic (import) instead of creating it
    protect: bool = True  # the engine refuses to delete or replace it
    retain_on_delete: bool = True  # deleting the resource leaves the topic and its messages in Kafka
    delete_before_replace: bool = False
    # (name, partitions, replication factor) to declare in this run instead of the asked ones: the run
    # that first lifts a topic's protection keeps it as it is, so the replacement comes in a later run.
    hold: tuple[str, int, int] | None = None
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


COMPONENT_NAME = "evidentsource"  # the Topics component's name: part of every topic's URN, so never change it


def topic_resource_name(component: str, spec: TopicSpec) -> str:
    """The Pulumi name of a topic resource: from its stable key, never from its Kafka name."""
    return f"{component}-{spec.resource_name}"


def partitions_of(spec: TopicSpec, topics: TopicsConfig) -> int:
    own = topics.per_topic.get(spec.key, TopicSettings())  # type: ignore[arg-type]
    return own.partitions or topics.partitions


@dataclass(frozen=True)
class TopicsArgs:
    settings: TopicsConfig
    """Partitions, replication, retention, names and the backend."""
    provider: pulumi.ProviderResource
    """The kafka provider (backend `kafka`) or the aws provider (backend `msk`)."""
    msk_cluster_arn: str | None = None
    """The MSK cluster (backend `msk` only)."""
    plans: dict[str, TopicPlan] | None = None
    """Per topic key, from data_safety.check(): import id, protection, replacement order. Without it,
    every topic is protected and retained on delete as `settings.protect` says."""


class EvidentSourceTopics(pulumi.ComponentResource):
    """The four topics of the catalogue on one cluster."""

    names: dict[str, pulumi.Output[str]]
    partitions: dict[str, int]

    def __init__(self, name: str, args: TopicsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Topics", name, None, opts)
        topics = args.settings
        self.names, self.partitions = {}, {}
        for spec in CATALOG:
            default = TopicPlan(protect=topics.protect, retain_on_delete=topics.protect)
            plan = (args.plans or {}).get(spec.key) or default
            child = pulumi.ResourceOptions(
                parent=self, provider=args.provider, protect=plan.protect, retain_on_delete=plan.retain_on_delete,
                # Only ever set for a change the stack accepted to lose data for, with the same name (a
                # partition decrease): the old topic must be gone before Kafka can create it again.
                delete_before_replace=plan.delete_before_replace or None, import_=plan.import_id,
                ignore_changes=list(plan.ignore_changes) or None)
            topic_name, partitions, replication_factor = plan.hold or (
                topics.name_of(spec.key), partitions_of(spec, topics), topics.replication_factor)
            self.partitions[spec.key] = partitions
            if topics.backend == "msk":
                topic = aws.msk.Topic(
                    topic_resource_name(name, spec),
                    cluster_arn=args.msk_cluster_arn,
                    name=topic_name,
                    partition_count=partitions,
                    replication_factor=replication_factor,
                    # pulumi-aws 7 takes the configs as one JSON object in a string.
                    configs=json.dumps(topic_configs(spec, topics), sort_keys=True),
                    opts=child,
                )
            else:
                topic = kafka.Topic(
                    topic_resource_name(name, spec),
                    name=topic_name,
                    partitions=partitions,
                    replication_factor=replication_factor,
                    config=topic_configs(spec, topics),
                    opts=child,
                )
            self.names[spec.key] = topic.name
        self.register_outputs({"names": self.names, "partitions": self.partitions})

"""The EvidentSource topics as Pulumi resources, with durable defaults.

Two interchangeable backends, chosen per stack:
- `kafka`: pulumi-kafka `Topic` through the Kafka protocol (any cluster);
- `msk`: `aws.msk.Topic` through the AWS API (MSK provisioned clusters), which needs
  no network path to the brokers, as CI runners previewing a pull request usually lack.
Both get the same logical names and the same config map. Topic configs are strings
(Kafka's own type for them). Topics are protected and retained on delete unless the
stack is a throwaway one: removing a topic from the program must never delete its messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kafka as kafka

from components.catalog import CATALOG, TopicSpec
from components.config_schema import TopicSettings, TopicsConfig, duration_ms


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


class EvidentSourceTopics(pulumi.ComponentResource):
    """The four topics of the catalogue on one cluster."""

    names: dict[str, pulumi.Output[str]]
    partitions: dict[str, int]

    def __init__(self, name: str, args: TopicsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Topics", name, None, opts)
        topics = args.settings
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, protect=topics.protect,
                                       retain_on_delete=topics.protect)
        self.names, self.partitions = {}, {}
        for spec in CATALOG:
            self.partitions[spec.key] = partitions_of(spec, topics)
            if topics.backend == "msk":
                topic = aws.msk.Topic(
                    f"{name}-{spec.resource_name}",
                    cluster_arn=args.msk_cluster_arn,
                    name=topics.name_of(spec.key),
                    partition_count=self.partitions[spec.key],
                    replication_factor=topics.replication_factor,
                    # pulumi-aws 7 takes the configs as one JSON object in a string.
                    configs=json.dumps(topic_configs(spec, topics), sort_keys=True),
                    opts=child,
                )
            else:
                topic = kafka.Topic(
                    f"{name}-{spec.resource_name}",
                    name=topics.name_of(spec.key),
                    partitions=self.partitions[spec.key],
                    replication_factor=topics.replication_factor,
                    config=topic_configs(spec, topics),
                    opts=child,
                )
            self.names[spec.key] = topic.name
        self.register_outputs({"names": self.names, "partitions": self.partitions})

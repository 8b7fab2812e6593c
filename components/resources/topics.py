"""The EvidentSource topics as Pulumi resources, declared exactly as data safety planned them.

Two interchangeable backends, chosen per stack:
- `kafka`: pulumi-kafka `Topic` through the Kafka protocol (any cluster);
- `msk`: `aws.msk.Topic` through the AWS API (MSK provisioned clusters), which needs
  no network path to the brokers, as CI runners previewing a pull request usually lack.
Both get the same logical names and the same config map. Each topic's name, partitions,
replication factor, configs, resource name and options come from its `TopicPlan`
(safety/topic_plan.py): protected and retained on delete unless the stack is a throwaway one
or accepted the topic's data loss by name, adopted by import, or held as it is. The resource
name is the plan's too: data safety looks each topic up under that name in the stack's state, so
the two can never differ. The provider (kafka or aws) comes through `opts` (`providers=[...]`)
and reaches every child through its parent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kafka as kafka

from components.resources.options import for_children
from components.safety.topic_plan import TopicPlan


@dataclass(frozen=True)
class TopicsArgs:
    plans: Sequence[TopicPlan]
    """Every topic as this run declares it (safety.check's assessment), in catalogue order."""
    backend: str = "kafka"
    """`kafka` (the Kafka protocol) or `msk` (the AWS API)."""
    msk_cluster_arn: str | None = None
    """The MSK cluster (backend `msk` only)."""


class EvidentSourceTopics(pulumi.ComponentResource):
    """The stack's topics on one cluster: the four of the catalogue, each database's (the bridge shape), or both."""

    names: dict[str, pulumi.Output[str]]
    partitions: dict[str, int]

    def __init__(self, name: str, args: TopicsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Topics", name, None, opts)
        self.names, self.partitions = {}, {}
        for plan in args.plans:
            child = for_children(
                self, opts, protect=plan.protect, retain_on_delete=plan.protect if plan.retain is None else plan.retain,
                # Only ever set for a change the stack accepted to lose data for, with the same name (a
                # partition decrease): the old topic must be gone before Kafka can create it again.
                delete_before_replace=plan.delete_before_replace or None, import_=plan.import_id,
                ignore_changes=list(plan.ignore_changes) or None)
            self.partitions[plan.key] = plan.partitions
            if args.backend == "msk":
                topic = aws.msk.Topic(
                    plan.resource_name,
                    cluster_arn=args.msk_cluster_arn,
                    name=plan.name,
                    partition_count=plan.partitions,
                    replication_factor=plan.replication_factor,
                    # pulumi-aws 7 takes the configs as one JSON object in a string.
                    configs=json.dumps(plan.configs, sort_keys=True),
                    opts=child,
                )
            else:
                topic = kafka.Topic(
                    plan.resource_name,
                    name=plan.name,
                    partitions=plan.partitions,
                    replication_factor=plan.replication_factor,
                    config=plan.configs,
                    opts=child,
                )
            self.names[plan.key] = topic.name
        self.register_outputs({"names": self.names, "partitions": self.partitions})

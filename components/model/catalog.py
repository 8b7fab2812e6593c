"""The four EvidentSource topics, as data.

Everything else (topic resources, ACLs, IAM statements, outputs) is derived from
this catalogue. The keys (`transactionProposals`, ...) are stable logical names:
they name the Pulumi resources and the stack settings, so a topic's Kafka name
can be configured without changing its identity in state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DAY_MS = 86_400_000


class Access(str, Enum):
    """Who may use a topic, in the seed document's words."""

    INTERNAL = "internal"  # EvidentSource components only
    PUBLIC_READ = "public-read"  # external consumers may read
    PUBLIC_WRITE = "public-write"  # external producers may write


@dataclass(frozen=True)
class TopicSpec:
    key: str  # stable logical name, used in config and resource names
    title: str
    default_name: str
    access: Access
    partition_key: str
    retention_ms: int
    purpose: str
    # The DynamoDB-Streams Lambda publishes the database change notifications; no
    # other topic is written from outside the EvidentSource server and external producers.
    lambda_writes: bool = False


CATALOG: tuple[TopicSpec, ...] = (
    TopicSpec(
        key="transactionProposals",
        title="Transaction Proposals",
        default_name="evidentsource-transaction-proposals",
        access=Access.INTERNAL,
        partition_key="database name",
        retention_ms=1 * DAY_MS,
        purpose="Distributed transaction coordination between cluster nodes (the Kafka linearizer)",
    ),
    TopicSpec(
        key="databaseEvents",
        title="Database Events",
        default_name="evidentsource-database-events",
        access=Access.PUBLIC_READ,
        partition_key="database name",
        retention_ms=7 * DAY_MS,
        purpose="Notifications when databases are created, events transacted, or databases deleted",
        lambda_writes=True,
    ),
    TopicSpec(
        key="asyncCommands",
        title="Async Commands",
        default_name="evidentsource-async-commands",
        access=Access.PUBLIC_WRITE,
        partition_key="correlation ID",
        retention_ms=1 * DAY_MS,
        purpose="End-user submission of asynchronous commands",
    ),
    TopicSpec(
        key="asyncResponses",
        title="Async Responses",
        default_name="evidentsource-async-responses",
        access=Access.PUBLIC_READ,
        partition_key="correlation ID",
        retention_ms=1 * DAY_MS,
        purpose="Delivery of asynchronous command results",
    ),
)

BY_KEY: dict[str, TopicSpec] = {t.key: t for t in CATALOG}

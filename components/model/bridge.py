"""The bridge shape, as data: EvidentSource's Kafka bridge and its one topic per database.

EvidentSource's current documentation ("Kafka prerequisites", "Kafka streaming") adds a second way to
use an external Kafka next to the four topics of catalog.py: a bridge process consumes EvidentSource's
own stream and produces each database's events to `<prefix><database>.events` (by default
`evidentsource.<database>.events`), keyed `<stream>:<subject>`, values CloudEvents JSON. A stack chooses
its shapes (`shapes: [fourTopics, bridge]`); the two share the cluster, never a topic or a group.

Two roles belong to this shape (access_model.ROLES): the bridge, which writes the per-database topics
(and, where the stack lets it, creates them) on its prefix, and the consumers of those topics, who read
on the prefix or on named databases' topics, in groups under their own prefix. Pure: no Pulumi, no
settings (config/stack_config.py hands them over as a `BridgeTopics`).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.model.catalog import DAY_MS

SHAPES = ("fourTopics", "bridge")  # `shapes`: the four topics of the BYOK page, and the bridge's topics
DEFAULT_SHAPES = ("fourTopics",)  # what every stack had before the bridge existed: nothing changes for them
DEFAULT_PREFIX = "evidentsource."
SUFFIX = ".events"  # the bridge's topic template is <prefix><database>.events
PARTITION_KEY = "<stream>:<subject>"
RETENTION_MS = 7 * DAY_MS  # as the four topics' database events
PREFIX_KEY = "bridgeTopics"  # the stable key of grants on the whole prefix (a grant's `key`)


def topic_name(prefix: str, database: str) -> str:
    return f"{prefix}{database}{SUFFIX}"


def topic_key(database: str) -> str:
    """The stable key of a database's topic: names its resource, and reads as the settings that govern it."""
    return f"bridge.databases.{database}"


def database_of(key: str) -> str | None:
    """`bridge.databases.orders` -> `orders`; None for the four topics' keys."""
    return key.removeprefix("bridge.databases.") if key.startswith("bridge.databases.") else None


@dataclass(frozen=True)
class BridgeTopics:
    """What the access model needs of the bridge shape: its prefix and each database's topic name."""

    prefix: str
    names: dict[str, str]  # database -> topic name (as declared in this run)

    @property
    def enabled(self) -> bool:
        return bool(self.prefix)


OFF = BridgeTopics("", {})  # a stack without the bridge shape

"""One access model: the seed's four roles, what each may do, and who holds each role.

Roles and their grants are derived from the catalogue's access patterns, so a topic's
access is written down once (in catalog.py) and enforced by either Kafka ACLs
(acl_bindings.py, declared by resources/kafka_acls.py) or MSK IAM policies
(iam_policies.py, declared by resources/msk_iam.py), whichever governs the stack's clients.
Grants are abstract ("consume", "produce"); each enforcer translates them. Pure: the
stack's settings come in as plain values (config/stack_config.py hands them over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from components.model import bridge
from components.model.bridge import BridgeTopics
from components.model.catalog import CATALOG, Access

ResourceType = Literal["topic", "group", "transactional-id", "cluster"]
# "manage": what the vendor grants the server on its topics beyond reading and writing them (Kafka's `All`);
# "describe": describing the cluster (the vendor's IAM DescribeCluster); "create": creating (and describing)
# topics, the bridge's on its prefix where the stack lets it.
Action = Literal["consume", "produce", "manage", "describe", "create"]
EVERY_GROUP = "*"  # the vendor grants the server every group of the cluster unless a groupPrefix narrows it
# Who governs the clients' access: AWS_MSK_IAM clients IAM policies, SASL and TLS clients Kafka
# ACLs; PLAINTEXT identifies no one, so nothing can be enforced.
Enforcer = Literal["kafka-acls", "msk-iam", "none"]


@dataclass(frozen=True)
class Role:
    key: str  # config key under `access`, stable: it names resources and outputs
    title: str
    consumes: tuple[str, ...]  # topic keys of the catalogue
    produces: tuple[str, ...]
    # The vendor's grants beyond consume/produce (the server's, as the seed documents them): these topics
    # managed, every group (unless a group prefix is set), the cluster described. A stack may narrow them.
    manages: tuple[str, ...] = ()
    shape: str = "fourTopics"  # the shape (bridge.SHAPES) whose topics the role uses


ROLES: tuple[Role, ...] = (
    # The server owns every topic: the linearizer reads and writes proposals, it answers
    # async commands and publishes database events.
    Role("server", "EvidentSource server", tuple(t.key for t in CATALOG), tuple(t.key for t in CATALOG),
         manages=tuple(t.key for t in CATALOG)),
    Role("dynamodbStreamsLambda", "DynamoDB-Streams Lambda", (), tuple(t.key for t in CATALOG if t.lambda_writes)),
    Role("externalConsumers", "External consumers", tuple(t.key for t in CATALOG if t.access is Access.PUBLIC_READ), ()),
    Role("externalProducers", "External producers", (), tuple(t.key for t in CATALOG if t.access is Access.PUBLIC_WRITE)),
    # The bridge shape (model/bridge.py): its topics are the databases', on the bridge's prefix.
    Role("bridge", "EvidentSource Kafka bridge", (), (bridge.PREFIX_KEY,), shape="bridge"),
    Role("bridgeConsumers", "Consumers of the per-database topics", (bridge.PREFIX_KEY,), (), shape="bridge"),
)
ROLE_BY_KEY = {r.key: r for r in ROLES}


@dataclass(frozen=True)
class RoleSettings:
    """What a stack says about one role: who holds it, and the prefixes of its groups and transactional ids."""

    principals: tuple[str, ...] = ()
    group_prefix: str | None = None  # its consumer groups, if it consumes with any
    transactional_id_prefix: str | None = None  # its transactional producers, if any
    narrowed: bool = False  # the stack narrowed the role below the vendor's grants (access.server.narrowToReadWrite)
    databases: tuple[str, ...] = ()  # bridge consumers: only these databases' topics (none: the whole prefix)
    create_topics: bool = False  # the bridge: may create topics on its prefix (access.bridge.createTopics)


@dataclass(frozen=True, order=True)
class Grant:
    resource_type: ResourceType
    key: str  # stable identity: the topic's catalogue key, or the prefix itself
    name: str  # what Kafka sees: the topic name, or a group / transactional-id prefix
    prefixed: bool
    action: Action


@dataclass(frozen=True)
class RoleAccess:
    role: Role
    principals: tuple[str, ...]
    grants: tuple[Grant, ...]
    removed: tuple[Grant, ...] = ()  # the vendor's grants this stack narrowed away (narrowed_away)

    @property
    def produces(self) -> bool:
        return any(g.action == "produce" for g in self.grants)

    def topics(self, action: Action) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.resource_type == "topic" and g.action == action)


@dataclass(frozen=True)
class AccessModel:
    enforcer: Enforcer
    roles: tuple[RoleAccess, ...]

    def role(self, key: str) -> RoleAccess:
        """A role of the model; one of a shape the stack does not declare holds nothing."""
        return next((r for r in self.roles if r.role.key == key), RoleAccess(ROLE_BY_KEY[key], (), ()))

    def principals(self) -> dict[str, tuple[str, ...]]:
        """principal -> the roles it holds, in role order."""
        held: dict[str, tuple[str, ...]] = {}
        for access in self.roles:
            for principal in access.principals:
                held[principal] = held.get(principal, ()) + (access.role.key,)
        return held


def bridge_grants(role: Role, settings: RoleSettings, topics: BridgeTopics) -> tuple[Grant, ...]:
    """The bridge shape's roles: the bridge writes (and may create) on the prefix; its consumers read the prefix,
    or only the named databases' topics, in groups under their own prefix. Nothing while the shape is off."""
    if not topics.enabled:
        return ()
    def on_prefix(action: Action) -> Grant:
        return Grant("topic", bridge.PREFIX_KEY, topics.prefix, True, action)
    prefix = on_prefix("consume")
    grants = [on_prefix("produce")] if role.produces else []
    if role.produces and settings.create_topics:
        grants.append(on_prefix("create"))
    if role.consumes:
        grants += [Grant("topic", bridge.topic_key(db), topics.names.get(db, bridge.topic_name(topics.prefix, db)),
                         False, "consume") for db in settings.databases] if settings.databases else [prefix]
        if settings.group_prefix:
            grants.append(Grant("group", settings.group_prefix, settings.group_prefix, True, "consume"))
    return tuple(sorted(grants))


def grants_for(role: Role, settings: RoleSettings, topic_names: Mapping[str, str],
               topics: BridgeTopics = bridge.OFF) -> tuple[Grant, ...]:
    """What one role may do, in Kafka's terms but independent of any enforcer."""
    if role.shape == "bridge":
        return bridge_grants(role, settings, topics)
    if not topic_names:  # the stack does not declare the four topics (`shapes` without fourTopics)
        return ()
    grants = [Grant("topic", k, topic_names[k], False, "consume") for k in role.consumes]
    grants += [Grant("topic", k, topic_names[k], False, "produce") for k in role.produces]
    vendor = bool(role.manages) and not settings.narrowed
    if vendor:
        grants += [Grant("topic", k, topic_names[k], False, "manage") for k in role.manages]
        grants.append(Grant("cluster", "cluster", "kafka-cluster", False, "describe"))
    if role.consumes and settings.group_prefix:
        # A consumer that uses a group needs that group too (the seed forgot it).
        grants.append(Grant("group", settings.group_prefix, settings.group_prefix, True, "consume"))
    elif vendor:  # nobody outside the vendor knows the server's group names: every group, as documented
        grants.append(Grant("group", "all-groups", EVERY_GROUP, False, "consume"))
    if role.produces and settings.transactional_id_prefix:
        prefix = settings.transactional_id_prefix
        grants.append(Grant("transactional-id", prefix, prefix, True, "produce"))
    return tuple(sorted(grants))


def narrowed_away(role: Role, settings: RoleSettings, topic_names: Mapping[str, str]) -> tuple[Grant, ...]:
    """What the stack removed from the vendor's grants of this role (a groupPrefix in place of every group,
    access.server.narrowToReadWrite): empty for a role the vendor documents no such grants for."""
    if not role.manages:
        return ()
    vendor = grants_for(role, RoleSettings(settings.principals, None, settings.transactional_id_prefix), topic_names)
    return tuple(sorted(set(vendor) - set(grants_for(role, settings, topic_names))))


def build(enforcer: Enforcer, settings: Mapping[str, RoleSettings], topic_names: Mapping[str, str],
          topics: BridgeTopics = bridge.OFF) -> AccessModel:
    """The model of a stack: `settings` per role key, `topic_names` per catalogue key (the names declared in
    this run, which data safety may hold at the old ones in the run that lifts a topic's protection), and the
    bridge shape's topics (none without it)."""
    topic_names = {k: v for k, v in topic_names.items() if bridge.database_of(k) is None}  # the four topics'
    shapes = {"fourTopics"} if topic_names else set()
    shapes |= {"bridge"} if topics.enabled else set()
    roles = tuple(RoleAccess(role, settings[role.key].principals,
                             grants_for(role, settings[role.key], topic_names, topics),
                             narrowed_away(role, settings[role.key], topic_names)) for role in ROLES
                  if role.shape in shapes)
    return AccessModel(enforcer, roles)

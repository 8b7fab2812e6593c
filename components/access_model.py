"""One access model: the seed's four roles, what each may do, and who holds each role.

Roles and their grants are derived from the catalogue's access patterns, so a topic's
access is written down once (in catalog.py) and enforced by either Kafka ACLs
(kafka_acls.py) or MSK IAM policies (msk_iam.py), whichever governs the stack's clients.
Grants are abstract ("consume", "produce"); each enforcer translates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from components.catalog import CATALOG, Access
from components.config_schema import Enforcer, RoleSettings, StackConfig

ResourceType = Literal["topic", "group", "transactional-id"]
Action = Literal["consume", "produce"]


@dataclass(frozen=True)
class Role:
    key: str  # config key under `access`, stable: it names resources and outputs
    title: str
    consumes: tuple[str, ...]  # topic keys of the catalogue
    produces: tuple[str, ...]


ROLES: tuple[Role, ...] = (
    # The server owns every topic: the linearizer reads and writes proposals, it answers
    # async commands and publishes database events.
    Role("server", "EvidentSource server", tuple(t.key for t in CATALOG), tuple(t.key for t in CATALOG)),
    Role("dynamodbStreamsLambda", "DynamoDB-Streams Lambda", (), tuple(t.key for t in CATALOG if t.lambda_writes)),
    Role("externalConsumers", "External consumers", tuple(t.key for t in CATALOG if t.access is Access.PUBLIC_READ), ()),
    Role("externalProducers", "External producers", (), tuple(t.key for t in CATALOG if t.access is Access.PUBLIC_WRITE)),
)
ROLE_BY_KEY = {r.key: r for r in ROLES}


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
        return next(r for r in self.roles if r.role.key == key)

    def principals(self) -> dict[str, tuple[str, ...]]:
        """principal -> the roles it holds, in role order."""
        held: dict[str, tuple[str, ...]] = {}
        for access in self.roles:
            for principal in access.principals:
                held[principal] = held.get(principal, ()) + (access.role.key,)
        return held


def _settings(config: StackConfig, role: Role) -> RoleSettings:
    attr = "".join(f"_{c.lower()}" if c.isupper() else c for c in role.key)
    return getattr(config.access, attr)


def grants_for(role: Role, settings: RoleSettings, topic_names: dict[str, str]) -> tuple[Grant, ...]:
    """What one role may do, in Kafka's terms but independent of any enforcer."""
    grants = [Grant("topic", k, topic_names[k], False, "consume") for k in role.consumes]
    grants += [Grant("topic", k, topic_names[k], False, "produce") for k in role.produces]
    group_prefix = getattr(settings, "group_prefix", None)
    if role.consumes and group_prefix:
        # A consumer that uses a group needs that group too (the seed forgot it).
        grants.append(Grant("group", group_prefix, group_prefix, True, "consume"))
    transactional_prefix = getattr(settings, "transactional_id_prefix", None)
    if role.produces and transactional_prefix:
        grants.append(Grant("transactional-id", transactional_prefix, transactional_prefix, True, "produce"))
    return tuple(sorted(grants))


def build(config: StackConfig, topic_names: dict[str, str] | None = None) -> AccessModel:
    """The model for the stack; `topic_names` (key -> name) when a run declares other names than the
    config asks for (data_safety.py keeps a topic as it is in the run that lifts its protection)."""
    names = {**config.topic_names(), **(topic_names or {})}
    roles = []
    for role in ROLES:
        settings = _settings(config, role)
        roles.append(RoleAccess(role, tuple(settings.principals), grants_for(role, settings, names)))
    return AccessModel(config.enforcer, tuple(roles))

"""Adopting the ACL bindings the stack declares and the cluster already has (`adopt.acls`).

Topics are adopted by assess.py, with the rest of each topic's plan; bindings here, once
the access model's bindings are known. A declared binding that exists exactly on the cluster
and is not yet in the stack's state is taken over by its role's resource: Kafka creates an
existing binding as a no-op, so nothing is recreated and no access is lost on the way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from components.model.access_model import AccessModel
from components.model.acl_bindings import AclBinding
from components.safety import messages
from components.safety.live_cluster import LiveCluster
from components.safety.prior_state import PriorState


def adopted(bindings: Mapping[str, AclBinding], prior: PriorState,
            live: LiveCluster) -> tuple[list[str], list[str]]:
    """(import ids of the declared bindings that exist but are not in the state yet, refusals) (pure)."""
    if not live.reachable or live.acl_ids is None:
        return [], [messages.acls_unreadable(live.why)]
    return sorted(b.import_id for b in bindings.values()
                  if b.import_id not in prior.acl_ids and b.import_id in live.acl_ids), []


def stack_prefixes(model: AccessModel) -> dict[str, set[str]]:
    """The prefixes the stack's roles are granted, by resource type: topic (the bridge's), group, transactional id."""
    found: dict[str, set[str]] = {"topic": set(), "group": set(), "transactional-id": set()}
    for access in model.roles:
        for grant in access.grants:
            if grant.resource_type in found and grant.prefixed:
                found[grant.resource_type].add(grant.name)
    return found


def unmanaged(declared: Mapping[str, AclBinding], live_ids: Iterable[str], model: AccessModel,
              topic_names: Iterable[str], login: str | None = None) -> list[AclBinding]:
    """The bindings on the cluster that touch what the stack manages (one of its topics, a group or
    transactional-id prefix of its roles, one of its principals) and that it does not declare (pure).
    The stack's own login (`User:<its SASL user>`) is not one of them: its grants are what lets Pulumi
    manage the stack, given by the cluster's admin, and removing them would lock the stack out."""
    declared_ids = {b.import_id for b in declared.values()}
    topics = set(topic_names)
    prefixes = stack_prefixes(model)
    principals = set(model.principals())

    def covers(b: AclBinding, name: str, prefix: bool) -> bool:
        """Whether the binding's resource pattern reaches `name` (or, if `prefix`, some name starting with it)."""
        if b.pattern == "Literal":
            return b.resource_name in ("*", name) or (prefix and b.resource_name.startswith(name))
        return b.pattern == "Prefixed" and (name.startswith(b.resource_name) or
                                            (prefix and b.resource_name.startswith(name)))

    def touches(b: AclBinding) -> bool:
        if b.principal in principals:
            return True
        kind = {"Topic": "topic", "Group": "group", "TransactionalID": "transactional-id"}.get(b.resource_type, "")
        if b.resource_type == "Topic" and any(covers(b, t, False) for t in topics):
            return True
        return any(covers(b, p, True) for p in prefixes.get(kind, ()))

    found = [AclBinding.from_import_id(i) for i in sorted(set(live_ids) - declared_ids)]
    return [b for b in found if touches(b) and not (login and b.principal == f"User:{login}")]


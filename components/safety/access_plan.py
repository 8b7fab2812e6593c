"""What this run does to access, worked out before any resource is declared: every deletion planned, drift named.

The role resources and the SCRAM users resource (resources/kafka_acls.py, scram_users.py) create what
the stack declares and delete only what this plan names, so every change to access is in the engine's
plan and state and shows in `preview`:

- `missing`: declared bindings and SCRAM users the cluster does not have (deleted by hand, or never
  applied): a plain `preview` shows their resource's update, `up` puts them back.
- `retire`: bindings and users the stack held (its state: the role resources' grants and what they
  failed to delete, the previous release's shapes included) that no role declares now. A grant taken
  out of the stack is deleted whatever failed in between.
- `remove_unmanaged`: with `access.unmanagedBindings: remove`, the unmanaged bindings on what the stack
  owns: its own topics (by exact name) and names under its own group and transactional-id prefixes.
  A binding on `*`, on a prefix pattern that reaches beyond the stack, or on another team's resource
  is reported, never deleted, whoever holds it.
- `lost`: principals the stack still lists that this run would leave without any grant or login they
  had: refused (`[access:lost]`) unless `access.acceptAccessLoss` names them.
Pure: the facts (model, the stack's state, the live cluster) are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from components.model.access_model import AccessModel
from components.model.acl_bindings import AclBinding
from components.safety import access_messages
from components.safety.acl_adoption import stack_prefixes, unmanaged
from components.safety.prior_state import PriorState


@dataclass(frozen=True)
class AccessPlan:
    missing: dict[str, set[AclBinding]] = field(default_factory=dict)
    retire: dict[str, set[AclBinding]] = field(default_factory=dict)
    remove_unmanaged: dict[str, set[AclBinding]] = field(default_factory=dict)
    unmanaged: list[AclBinding] = field(default_factory=list)  # all of them, removed or only reported
    users_missing: frozenset[str] = frozenset()
    users_retire: frozenset[str] = frozenset()
    record_acls: frozenset[AclBinding] = frozenset()  # what the access record holds after this run
    record_users: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)


def owned(b: AclBinding, topics: set[str], prefixes: Mapping[str, set[str]]) -> bool:
    """Whether a binding's resource is the stack's own: one of its topics by exact name, or a name under one of
    its topic (the bridge's) / group / transactional-id prefixes (never `*`, never a pattern beyond the stack)."""
    if b.resource_name in ("", "*") or b.pattern not in ("Literal", "Prefixed"):
        return False
    if b.resource_type == "Topic" and b.pattern == "Literal" and b.resource_name in topics:
        return True
    kind = {"Topic": "topic", "Group": "group", "TransactionalID": "transactional-id"}.get(b.resource_type)
    return kind is not None and any(b.resource_name.startswith(p) for p in prefixes.get(kind, ()) if p)


def plan_acls(model: AccessModel, held: Mapping[str, list[AclBinding]], prior: PriorState,
              live: frozenset[AclBinding] | None, topics: Iterable[str], remove: bool,
              login: str | None = None) -> AccessPlan:
    """The ACL side: drift, retirements and unmanaged removals, each given to a role resource this run declares."""
    declared = {b for bindings in held.values() for b in bindings}
    roles = list(held)
    first = roles[0] if roles else None
    missing = {role: {b for b in bindings if b not in live} for role, bindings in held.items()} if live is not None else {}
    # What the stack may have on the cluster: its role resources' state and the access record (written before them).
    former = {role: set(found) for role, found in prior.role_held.items()}
    if first is not None:
        former.setdefault(first, set()).update(prior.recorded_acls - {b for f in former.values() for b in f})
    retire: dict[str, set[AclBinding]] = {}
    for role, found in former.items():
        gone = {b for b in found - declared if live is None or b in live}
        if gone and (owner := role if role in held else first) is not None:
            retire.setdefault(owner, set()).update(gone)
    retired = {b for found in retire.values() for b in found}
    found: list[AclBinding] = []
    if live is not None:
        found = [b for b in unmanaged({b.import_id: b for b in declared}, {b.import_id for b in live}
                                      - prior.acl_ids, model, topics, login) if b not in retired]
    mine, prefixes = set(topics), stack_prefixes(model)
    removed = {b for b in found if owned(b, mine, prefixes)} if remove and first is not None else set()
    warnings = [access_messages.unmanaged_binding(b, "remove" if b in removed else "outside" if remove else "report")
                for b in found]
    # The record: what this run declares, and what may be on the cluster that no role resource retires in it.
    maybe = {b for f in former.values() for b in f} | prior.recorded_acls
    record = frozenset(declared | ({b for b in maybe if live is None or b in live} - retired))
    return AccessPlan(missing={r: m for r, m in missing.items() if m}, retire=retire,
                      remove_unmanaged={first: removed} if removed else {}, unmanaged=found, warnings=warnings,
                      record_acls=record)


def former_users(prior: PriorState) -> frozenset[str]:
    """The SCRAM users the stack may have on the cluster: its users resource's state and the access record."""
    return prior.scram_users | prior.scram_not_deleted | prior.recorded_users


def plan_users(declared: Iterable[str], prior: PriorState, live: frozenset[str] | None) -> tuple[
        frozenset[str], frozenset[str], frozenset[str]]:
    """(declared users the cluster lacks, users to delete, what the record holds after this run: the declared ones,
    since the users resource retires every other). `live`: which of the declared users have a credential (None: not
    read). Every user the stack held and no longer declares is retired: deleting one already gone is a no-op."""
    declared = set(declared)
    missing = frozenset(declared - live) if live is not None else frozenset()
    return missing, frozenset(former_users(prior) - declared), frozenset(declared)


NEEDED_ROLES = {"server": "EvidentSource's own server"}  # without a principal, the deployment does not work at all


def roles_left_empty(model: AccessModel, prior: PriorState, accepted: Iterable[str]) -> list[str]:
    """Refusals for a role the deployment needs left with no principal, in a stack that manages access (another
    role has principals, or the role had grants in the state): e.g. the server's principals emptied by mistake."""
    listed = {access.role.key: access.principals for access in model.roles}
    refusals = []
    for role, what in NEEDED_ROLES.items():
        if role not in listed or listed.get(role) or role in set(accepted):  # not in listed: a shape not declared
            continue
        if prior.role_held.get(role) or any(listed.values()):
            refusals.append(access_messages.role_left_empty(role, what, bool(prior.role_held.get(role))))
    return refusals


def lost(model: AccessModel, held: Mapping[str, list[AclBinding]], prior: PriorState, scram_declared: Iterable[str],
         accepted: Iterable[str]) -> list[str]:
    """Refusals for principals the stack still lists that this run would strip of every ACL grant, or of the
    SCRAM login, they held (a setting switched, a role emptied while the principal stays in another)."""
    listed = set(model.principals())
    accepted = set(accepted)
    declared = {b for bindings in held.values() for b in bindings}
    had = {b for former in prior.role_held.values() for b in former}
    refusals = []
    for principal in sorted(listed - accepted):
        before = {b for b in had if b.principal == principal}
        if before and not any(b.principal == principal for b in declared):
            refusals.append(access_messages.access_lost(principal, f"all {len(before)} of its ACL bindings"))
    users = set(scram_declared)
    for principal in sorted(listed - accepted):
        user = principal.removeprefix("User:")
        if user in prior.scram_users and user not in users and principal.startswith("User:"):
            refusals.append(access_messages.access_lost(principal, f"its SCRAM login ({user!r})"))
    return refusals

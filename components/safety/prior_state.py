"""What this stack's state recorded at its last deployment: the topics, ACLs and SCRAM users Pulumi manages.

A rename can only be told from a new topic by comparing with what the stack managed before,
so the program reads its own stack's state through the engine's built-in
`pulumi:pulumi:readStackResourceOutputs` invoke (the one stack references use), before any
resource is registered. During an `up` this is the state as the previous deployment left it:
the engine writes a resource's new state only after the program has registered it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.model.acl_bindings import AclBinding, from_grants, from_input
from components.model.names import RELEASED_TOPICS, UNPROTECTED_TOPICS

STACK_TYPE = "pulumi:pulumi:Stack"
TOPIC_TYPES = ("kafka:index/topic:Topic", "aws:msk/topic:Topic")
ACL_TYPE = "kafka:index/acl:Acl"  # the earlier shape: one resource per binding
SCRAM_TYPE = "kafka:index/userScramCredential:UserScramCredential"  # the earlier shape: one per user
ROLE_ACLS_TYPE = "pulumi-python:dynamic/evidentsource:RoleAcls"
SCRAM_USERS_TYPE = "pulumi-python:dynamic/evidentsource:ScramUsers"
ACCESS_RECORD_TYPE = "pulumi-python:dynamic/evidentsource:AccessRecord"


@dataclass(frozen=True)
class PriorTopic:
    name: str
    partitions: int
    replication_factor: int
    cluster_arn: str | None = None  # msk backend only
    configs: dict[str, str] = field(default_factory=dict)  # the topic's config map as last applied


@dataclass(frozen=True)
class PriorState:
    """Resources of the last deployment by resource name (the last part of the URN)."""

    readable: bool = True
    why: str = ""
    topics: dict[str, PriorTopic] = field(default_factory=dict)
    acl_ids: frozenset[str] = frozenset()  # import ids of every binding the state holds, in either shape
    role_acl_ids: frozenset[str] = frozenset()  # ...of those the role resources hold
    scram_users: frozenset[str] = frozenset()  # users the SCRAM users resource holds
    scram_not_deleted: frozenset[str] = frozenset()  # users it was asked to delete and could not
    role_held: dict[str, frozenset[AclBinding]] = field(default_factory=dict)  # role -> bindings it holds or failed
    #   to delete (grants, or the previous release's bindings, and notDeleted): what the stack may have on the cluster
    recorded_acls: frozenset[AclBinding] = frozenset()  # the access record's bindings (resources/access_record.py)
    recorded_users: frozenset[str] = frozenset()  # ...and users
    legacy_acls: dict[str, AclBinding] = field(default_factory=dict)  # resource name -> binding (kafka.Acl)
    legacy_scram_users: dict[str, str] = field(default_factory=dict)  # resource name -> user (UserScramCredential)
    unprotected: frozenset[str] = frozenset()  # topic keys the last deployment left unprotected (names.UNPROTECTED_TOPICS)
    released: frozenset[str] = frozenset()  # ... unprotected but retained on delete (names.RELEASED_TOPICS)


    # The earlier shape's resources are let go in two runs: while a role resource does not hold a binding yet
    # (the first run after the upgrade, or one that failed), its kafka.Acl is declared once more with
    # retain_on_delete; the run after, it is no longer declared, and the engine drops it from the state only.
    @property
    def unmigrated_acls(self) -> dict[str, AclBinding]:
        return {n: b for n, b in self.legacy_acls.items() if b.import_id not in self.role_acl_ids}

    @property
    def unmigrated_scram_users(self) -> dict[str, str]:
        return {n: u for n, u in self.legacy_scram_users.items() if u not in self.scram_users}

def from_resource_outputs(outputs: dict[str, Any]) -> PriorState:
    """Parse the invoke's `outputs` (URN -> {type, outputs}) into the parts the program compares (pure)."""
    topics: dict[str, PriorTopic] = {}
    acl_ids: set[str] = set()
    legacy_acls: dict[str, AclBinding] = {}
    legacy_scram_users: dict[str, str] = {}
    role_acl_ids: set[str] = set()
    role_held: dict[str, frozenset[AclBinding]] = {}
    scram_users: frozenset[str] = frozenset()
    scram_not_deleted: frozenset[str] = frozenset()
    recorded_acls: frozenset[AclBinding] = frozenset()
    recorded_users: frozenset[str] = frozenset()
    unprotected: frozenset[str] = frozenset()
    released: frozenset[str] = frozenset()
    for urn, entry in (outputs or {}).items():
        name, kind, state = urn.split("::")[-1], entry.get("type"), entry.get("outputs") or {}
        if kind == STACK_TYPE:
            unprotected = frozenset(state.get(UNPROTECTED_TOPICS) or ())
            released = frozenset(state.get(RELEASED_TOPICS) or ())
        elif kind in TOPIC_TYPES and state.get("name"):
            partitions = state.get("partitions", state.get("partitionCount"))
            configs = state.get("config", state.get("configs")) or {}
            topics[name] = PriorTopic(state["name"], int(partitions or 0), int(state.get("replicationFactor") or 0),
                                      state.get("clusterArn"), {k: str(v) for k, v in configs.items()})
        elif kind == ACL_TYPE and state.get("aclPrincipal"):
            legacy_acls[name] = from_input(state)
            acl_ids.add(legacy_acls[name].import_id)
        elif kind == ROLE_ACLS_TYPE:
            held = {from_input(b) for b in state.get("bindings") or ()} | from_grants(state.get("grants"))
            role_acl_ids.update(b.import_id for b in held)
            held |= {AclBinding.from_import_id(i) for i in state.get("notDeleted") or {}}
            role = state.get("role") or name.rsplit("-", 1)[-1]
            role_held[role] = frozenset(role_held.get(role, frozenset()) | held)
        elif kind == ACCESS_RECORD_TYPE:
            recorded_acls, recorded_users = frozenset(from_grants(state.get("grants"))), frozenset(state.get("users") or ())
        elif kind == SCRAM_USERS_TYPE:
            scram_users = frozenset(state.get("users") or ())
            scram_not_deleted = frozenset(state.get("notDeleted") or {})
        elif kind == SCRAM_TYPE and state.get("username"):
            legacy_scram_users[name] = state["username"]
    return PriorState(topics=topics, acl_ids=frozenset(acl_ids | role_acl_ids), role_acl_ids=frozenset(role_acl_ids),
                      scram_users=scram_users, scram_not_deleted=scram_not_deleted, role_held=role_held,
                      recorded_acls=recorded_acls, recorded_users=recorded_users,
                      legacy_acls=legacy_acls,
                      legacy_scram_users=legacy_scram_users, unprotected=unprotected, released=released)


def read(attempts: int = 5, pause_s: float = 0.2) -> PriorState:
    """This stack's last deployed state; `readable` False (with the reason) if the engine could not give it.

    The file backend writes its checkpoint while the program starts (the stack resource's own step), and a
    read that meets the file half-written fails with "failed to load checkpoint: EOF": asked again a moment
    later, it answers. A state that stays unreadable (a wrong passphrase, no access) fails every attempt."""
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    why = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(pause_s)
        try:
            result = pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", {"stackName": stack})
        except Exception as exc:  # noqa: BLE001 - any failure means "unknown", which callers report
            why = f"could not read the state of stack {stack}: {exc}"
            continue
        if getattr(result, "failures", None):
            why = f"could not read the state of stack {stack}: {result.failures}"
            continue
        return from_resource_outputs((result.value or {}).get("outputs") or {})
    return PriorState(readable=False, why=why)

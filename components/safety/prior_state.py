"""What this stack's state recorded at its last deployment: the topics and ACLs Pulumi manages.

A rename can only be told from a new topic by comparing with what the stack managed before,
so the program reads its own stack's state through the engine's built-in
`pulumi:pulumi:readStackResourceOutputs` invoke (the one stack references use), before any
resource is registered. During an `up` this is the state as the previous deployment left it:
the engine writes a resource's new state only after the program has registered it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.model.names import UNPROTECTED_TOPICS

STACK_TYPE = "pulumi:pulumi:Stack"
TOPIC_TYPES = ("kafka:index/topic:Topic", "aws:msk/topic:Topic")
ACL_TYPE = "kafka:index/acl:Acl"


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
    acls: frozenset[str] = frozenset()
    unprotected: frozenset[str] = frozenset()  # topic keys the last deployment left unprotected (names.UNPROTECTED_TOPICS)


def from_resource_outputs(outputs: dict[str, Any]) -> PriorState:
    """Parse the invoke's `outputs` (URN -> {type, outputs}) into the parts the program compares (pure)."""
    topics: dict[str, PriorTopic] = {}
    acls: set[str] = set()
    unprotected: frozenset[str] = frozenset()
    for urn, entry in (outputs or {}).items():
        name, kind, state = urn.split("::")[-1], entry.get("type"), entry.get("outputs") or {}
        if kind == STACK_TYPE:
            unprotected = frozenset(state.get(UNPROTECTED_TOPICS) or ())
        elif kind in TOPIC_TYPES and state.get("name"):
            partitions = state.get("partitions", state.get("partitionCount"))
            configs = state.get("config", state.get("configs")) or {}
            topics[name] = PriorTopic(state["name"], int(partitions or 0), int(state.get("replicationFactor") or 0),
                                      state.get("clusterArn"), {k: str(v) for k, v in configs.items()})
        elif kind == ACL_TYPE:
            acls.add(name)
    return PriorState(topics=topics, acls=frozenset(acls), unprotected=unprotected)


def read() -> PriorState:
    """This stack's last deployed state; `readable` False (with the reason) if the engine could not give it."""
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        result = pulumi.runtime.invoke("pulumi:pulumi:readStackResourceOutputs", {"stackName": stack})
    except Exception as exc:  # noqa: BLE001 - any failure means "unknown", which callers report
        return PriorState(readable=False, why=f"could not read the state of stack {stack}: {exc}")
    if getattr(result, "failures", None):
        return PriorState(readable=False, why=f"could not read the state of stack {stack}: {result.failures}")
    return from_resource_outputs((result.value or {}).get("outputs") or {})

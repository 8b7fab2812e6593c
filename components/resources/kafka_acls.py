"""Enforcer for SASL and TLS clusters: the access model's ACL bindings, one resource per role.

Each role's resource (`acls-<role>`, a dynamic resource over the Kafka admin adapter, CRUD in
resources/kafka_admin.py) holds that role's bindings as a map (`grants`, keyed by the binding in
words, so a preview's diff names each binding gained or lost). A binding two roles need is held by
the first of them (model/acl_bindings.by_role). What leaves the stack is deleted only where the plan
says so: `retire` (bindings the stack held, still on the cluster, declared by no role now) and
`removeUnmanaged`, both worked out by safety/access_plan.py; `missing` (declared, absent from the
cluster) makes drift an update of a plain `preview`. Kafka errors do not fail a resource: it records
what was refused (`notApplied`) or not deleted (`notDeleted`), and this component then fails the
run naming each one, after the state holds them, so the next `up` retries exactly those.

Stacks deployed with the earlier shape (one pulumi-kafka `Acl` per binding) hold those resources
in their state; until a role resource holds a binding (safety/prior_state.unmigrated_acls), its
`Acl` is declared once more with retain_on_delete, so the run after drops it from the state and
leaves the binding on the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import os

import pulumi
import pulumi_kafka as kafka
from pulumi import dynamic

from components.model.acl_bindings import AclBinding, as_grants
from components.model.names import APPLIES_NOTHING, OPERATION_ENV, acl_role_resource
from components.resources.kafka_admin import RoleAclsProvider
from components.resources.options import for_children


class RoleAcls(dynamic.Resource, module="evidentsource", name="RoleAcls"):
    """One role's ACL bindings (type pulumi-python:dynamic/evidentsource:RoleAcls)."""

    grants: pulumi.Output[dict]
    notApplied: pulumi.Output[dict]  # noqa: N815 - the state's key
    notDeleted: pulumi.Output[dict]  # noqa: N815

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions):
        super().__init__(RoleAclsProvider(), name, {**props, "notApplied": None, "notDeleted": None}, opts)


def applies() -> bool:
    """Whether this run applies the settings: an `up`, not a preview, nor a refresh or destroy run by tools/pulumi."""
    return not pulumi.runtime.is_dry_run() and os.environ.get(OPERATION_ENV, "") not in APPLIES_NOTHING


class AccessNotExact(pulumi.RunError):
    """The cluster's access differs from the stack's after this run: each difference named, the run fails."""


def fail_on_leftovers(resource: str, not_applied: dict | None, not_deleted: dict | None, what: str) -> None:
    """Raise naming everything a resource could not do (its state already records it for the next `up`)."""
    found = [f"not {what[0]}: {k}: {why}" for k, why in sorted((not_applied or {}).items())]
    found += [f"not {what[1]}: {k}: {why}" for k, why in sorted((not_deleted or {}).items())]
    if found:
        raise AccessNotExact(f"[access:not-exact] {resource}: the cluster differs from the stack in {len(found)} "
                             "item(s); the state records them and the next `pulumi up` retries exactly these:\n  - "
                             + "\n  - ".join(found))


@dataclass(frozen=True)
class KafkaAclsArgs:
    roles: Mapping[str, list[AclBinding]]
    """Role key -> the bindings its resource holds (model.acl_bindings.by_role)."""
    connection: Any
    """Secret Output of the librdkafka settings that log in as Pulumi does."""
    timeout_seconds: float = 30
    legacy: Mapping[str, AclBinding] = field(default_factory=dict)
    """Resource name -> binding of each per-binding `kafka.Acl` the stack's state still holds."""
    missing: Mapping[str, set[AclBinding]] = field(default_factory=dict)
    """Role key -> its declared bindings the cluster does not have (drift), where the cluster was read."""
    retire: Mapping[str, set[AclBinding]] = field(default_factory=dict)
    """Role key -> bindings to delete: held by the stack before, declared by no role now."""
    remove_unmanaged: Mapping[str, set[AclBinding]] = field(default_factory=dict)
    """Role key -> bindings nobody declared that `access.unmanagedBindings: remove` deletes."""


class KafkaAcls(pulumi.ComponentResource):
    """The access model enforced as Kafka ACLs on one cluster."""

    roles: dict[str, RoleAcls]

    def __init__(self, name: str, args: KafkaAclsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Acls", name, None, opts)
        every = {b.import_id for held in args.roles.values() for b in held}
        # The earlier shape first (its options are recorded before anything else happens), kept on the cluster.
        retained = for_children(self, opts, retain_on_delete=True)
        for resource_name, acl in sorted(args.legacy.items()):
            if acl.import_id not in every:  # a binding the stack no longer declares goes, as it always did
                continue
            kafka.Acl(resource_name, acl_principal=acl.principal, acl_host=acl.host, acl_operation=acl.operation,
                      acl_permission_type=acl.permission, acl_resource_type=acl.resource_type,
                      acl_resource_name=acl.resource_name, resource_pattern_type_filter=acl.pattern, opts=retained)
        self.roles = {}
        for role, held in args.roles.items():
            self.roles[role] = resource = RoleAcls(acl_role_resource(role, name), {
                "role": role,
                "grants": as_grants(held),
                "bindings": [],  # the previous release's provider reads this list: an empty one deletes nothing
                "missing": as_grants(args.missing.get(role, ())),
                "retire": as_grants(args.retire.get(role, ())),
                "removeUnmanaged": as_grants(args.remove_unmanaged.get(role, ())),
                "connection": args.connection,
                "timeoutSeconds": args.timeout_seconds,
            }, for_children(self, opts, additional_secret_outputs=["connection"]))
            if applies():
                label = acl_role_resource(role, name)
                pulumi.Output.all(resource.notApplied, resource.notDeleted).apply(
                    lambda done, label=label: fail_on_leftovers(label, done[0], done[1], ("created", "deleted")))
        self.register_outputs({"roles": sorted(args.roles)})

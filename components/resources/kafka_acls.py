"""Enforcer for SASL and TLS clusters: the access model's ACL bindings, one resource per role.

Each role's resource (`acls-<role>`, a dynamic resource over confluent-kafka's AdminClient, CRUD in
resources/kafka_admin.py) holds that role's bindings and is authoritative over exactly those: a
create or update is one CreateAcls and one DeleteAcls request, a refresh one DescribeAcls, and a
binding that already exists is adopted, never recreated. A binding two roles need is held by
the first of them (model/acl_bindings.by_role); each resource also knows what the others hold
(`keep`), so a binding that moves between roles is never deleted on the way.

Stacks deployed with the earlier shape (one pulumi-kafka `Acl` per binding) hold those resources
in their state; until a role resource holds a binding (safety/prior_state.unmigrated_acls), its
`Acl` is declared once more with retain_on_delete, so the run after drops it from the state and
leaves the binding on the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kafka as kafka
from pulumi import dynamic

from components.model.acl_bindings import AclBinding, as_input
from components.model.names import acl_role_resource
from components.resources.kafka_admin import RoleAclsProvider
from components.resources.options import for_children


class RoleAcls(dynamic.Resource, module="evidentsource", name="RoleAcls"):
    """One role's ACL bindings (type pulumi-python:dynamic/evidentsource:RoleAcls)."""

    bindings: pulumi.Output[list]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions):
        super().__init__(RoleAclsProvider(), name, props, opts)


@dataclass(frozen=True)
class KafkaAclsArgs:
    roles: Mapping[str, list[AclBinding]]
    """Role key -> the bindings its resource holds (model.acl_bindings.by_role)."""
    connection: Any
    """Secret Output of the librdkafka settings that log in as Pulumi does."""
    timeout_seconds: float = 30
    legacy: Mapping[str, AclBinding] = field(default_factory=dict)
    """Resource name -> binding of each per-binding `kafka.Acl` the stack's state still holds."""


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
        self.roles = {
            role: RoleAcls(acl_role_resource(role, name), {
                "role": role,
                "bindings": [as_input(b) for b in held],
                "keep": sorted(every - {b.import_id for b in held}),
                "connection": args.connection,
                "timeoutSeconds": args.timeout_seconds,
            }, for_children(self, opts, additional_secret_outputs=["connection"]))
            for role, held in args.roles.items()
        }
        self.register_outputs({"roles": sorted(args.roles)})

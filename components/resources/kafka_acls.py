"""Enforcer for SASL and TLS clusters: the access model's ACL bindings as `kafka.Acl` resources.

The bindings are worked out once (model/acl_bindings.py) and passed in. Every ACL field is
replace-on-change; Pulumi's default create-before-delete keeps access in place during a
replace, so delete_before_replace is never set. The kafka provider comes through `opts`
(`providers=[...]`) and reaches every child through its parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kafka as kafka

from components.model.acl_bindings import AclBinding
from components.model.names import acl_resource
from components.resources.options import for_children


@dataclass(frozen=True)
class KafkaAclsArgs:
    bindings: Mapping[str, AclBinding]
    """Resource-name suffix -> binding (model.acl_bindings.acl_bindings of the stack's access model)."""
    imports: Mapping[str, str] = field(default_factory=dict)
    """Resource-name suffix -> import id of bindings to adopt (adopt.acls; from safety/acl_adoption.py)."""


class KafkaAcls(pulumi.ComponentResource):
    """The access model enforced as Kafka ACLs on one cluster."""

    acls: dict[str, kafka.Acl]

    def __init__(self, name: str, args: KafkaAclsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Acls", name, None, opts)
        self.acls = {
            suffix: kafka.Acl(
                acl_resource(suffix, name),
                acl_principal=acl.principal,
                acl_host=acl.host,
                acl_operation=acl.operation,
                acl_permission_type=acl.permission,
                acl_resource_type=acl.resource_type,
                acl_resource_name=acl.resource_name,
                resource_pattern_type_filter=acl.pattern,
                opts=for_children(self, opts, import_=args.imports.get(suffix)),
            )
            for suffix, acl in args.bindings.items()
        }
        self.register_outputs({"acls": [acl.import_id for acl in args.bindings.values()]})

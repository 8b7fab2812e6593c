"""Enforcer for SASL and TLS clusters: the access model as Kafka ACLs, least privilege.

- Consume = topic Read, plus group Read on the role's group prefix (PREFIXED): a consumer
  in a group needs both, which the seed forgot. Produce = topic Write. Both imply Describe.
- IdempotentWrite on the cluster is not granted: brokers >= 2.8 no longer require it.
- Transactional ids (the server's, if configured) = TransactionalId Write, PREFIXED.
- Never `User:*` (the config refuses it).

Each ACL is one binding; bindings shared by several roles of one principal are declared
once, since deleting one Pulumi resource would delete the binding for all of them. The
resource name is derived from the binding's stable keys (principal, operation, resource
kind, catalogue key or prefix), never from list positions, so reordering principals or
roles changes nothing. Every ACL field is replace-on-change; Pulumi's default
create-before-delete keeps access in place during a replace, so delete_before_replace
is never set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_kafka as kafka

from components.access_model import AccessModel, Grant

COMPONENT_NAME = "acls"  # the Acls component's name: part of every ACL's URN, so never change it
OPERATION = {("topic", "consume"): "Read", ("topic", "produce"): "Write",
             ("group", "consume"): "Read", ("transactional-id", "produce"): "Write"}
RESOURCE_TYPE = {"topic": "Topic", "group": "Group", "transactional-id": "TransactionalID"}


@dataclass(frozen=True, order=True)
class AclBinding:
    principal: str
    operation: str
    resource_type: str  # pulumi-kafka spelling: Topic, Group, TransactionalID
    resource_name: str
    pattern: str  # "Literal" or "Prefixed" (pulumi-kafka's case-sensitive spelling)
    host: str = "*"
    permission: str = "Allow"

    @property
    def import_id(self) -> str:
        """`pulumi import kafka:index/acl:Acl <name> <id>` adopts an ACL created by hand."""
        return "|".join((self.principal, self.host, self.operation, self.permission,
                         self.resource_type, self.resource_name, self.pattern))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=,@-]", "_", text)


def binding(principal: str, grant: Grant) -> tuple[str, AclBinding]:
    """(stable resource-name suffix, binding) for one principal's grant."""
    operation = OPERATION[(grant.resource_type, grant.action)]
    suffix = "-".join((_slug(principal.removeprefix("User:")), operation.lower(), grant.resource_type,
                       _slug(grant.key) + ("*" if grant.prefixed else "")))
    return suffix, AclBinding(principal, operation, RESOURCE_TYPE[grant.resource_type], grant.name,
                              "Prefixed" if grant.prefixed else "Literal")


def acl_resource_name(component: str, suffix: str) -> str:
    """The Pulumi name of an ACL resource: the component's name and the binding's stable suffix."""
    return f"{component}-{suffix}"


def acl_bindings(model: AccessModel) -> dict[str, AclBinding]:
    """Every ACL the model needs, keyed by its stable resource-name suffix (pure)."""
    found: dict[str, AclBinding] = {}
    for access in model.roles:
        for principal in access.principals:
            for grant in access.grants:
                suffix, acl = binding(principal, grant)
                if found.setdefault(suffix, acl) != acl:
                    raise ValueError(f"two different ACLs would share the resource name {suffix!r}: "
                                     f"{found[suffix]} and {acl}; rename a principal or prefix")
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class KafkaAclsArgs:
    model: AccessModel
    """The access model; only its Kafka principals (User:...) are used."""
    provider: pulumi.ProviderResource
    """The stack's explicit kafka provider, logged in as a principal allowed to alter ACLs."""
    imports: dict[str, str] = field(default_factory=dict)
    """Resource-name suffix -> import id of bindings to adopt (adopt.acls; from data_safety.check())."""


class KafkaAcls(pulumi.ComponentResource):
    """The access model enforced as Kafka ACLs on one cluster."""

    bindings: dict[str, AclBinding]
    acls: dict[str, kafka.Acl]

    def __init__(self, name: str, args: KafkaAclsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:Acls", name, None, opts)
        self.bindings = acl_bindings(args.model)
        self.acls = {
            suffix: kafka.Acl(
                acl_resource_name(name, suffix),
                acl_principal=acl.principal,
                acl_host=acl.host,
                acl_operation=acl.operation,
                acl_permission_type=acl.permission,
                acl_resource_type=acl.resource_type,
                acl_resource_name=acl.resource_name,
                resource_pattern_type_filter=acl.pattern,
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, import_=args.imports.get(suffix)),
            )
            for suffix, acl in self.bindings.items()
        }
        self.register_outputs({"acls": [acl.import_id for acl in self.bindings.values()]})

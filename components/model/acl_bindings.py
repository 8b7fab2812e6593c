"""The access model as Kafka ACL bindings (pure; resources/kafka_acls.py declares them).

The server gets what its vendor documents (the seed's `All` on its topics, written out one
operation per binding, and every group unless its groupPrefix is set); the other roles get
least privilege:

- Consume = topic Read, plus group Read on the role's group prefix (PREFIXED): a consumer
  in a group needs both, which the seed forgot. Produce = topic Write. Both imply Describe.
- IdempotentWrite on the cluster is not granted: brokers >= 2.8 no longer require it.
- Transactional ids (the server's, if configured) = TransactionalId Write, PREFIXED.
- Never `User:*` (the config refuses it).

Each ACL is one binding; bindings shared by several roles of one principal are listed
once, since deleting one Pulumi resource would delete the binding for all of them. Each
binding is keyed by a suffix derived from its stable keys (principal, operation, resource
kind, catalogue key or prefix), never from list positions, so reordering principals or
roles changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from components.model.access_model import AccessModel, Grant
from components.model.names import slug

# Each abstract grant as Kafka operations. "manage" writes out, one by one, the rest of what the vendor's
# `--operation All` on a topic stands for (Read and Write come with consume and produce). The vendor's
# DescribeCluster is an IAM action only: its Kafka ACLs grant nothing on the cluster, so neither do these.
OPERATIONS = {("topic", "consume"): ("Read",), ("topic", "produce"): ("Write",),
              ("topic", "manage"): ("Create", "Delete", "Alter", "Describe", "DescribeConfigs", "AlterConfigs"),
              ("topic", "create"): ("Create", "Describe"),  # the bridge's, on its prefix (access.bridge.createTopics)
              ("group", "consume"): ("Read",), ("transactional-id", "produce"): ("Write",), ("cluster", "describe"): ()}
RESOURCE_TYPE = {"topic": "Topic", "group": "Group", "transactional-id": "TransactionalID", "cluster": "Cluster"}


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

    @classmethod
    def from_import_id(cls, import_id: str) -> "AclBinding":
        principal, host, operation, permission, resource_type, name, pattern = import_id.split("|")
        return cls(principal, operation, resource_type, name, pattern, host, permission)


# A binding as resource input: the field names of pulumi-kafka's Acl, so previews and policies read both alike.
FIELDS = ("aclPrincipal", "aclHost", "aclOperation", "aclPermissionType", "aclResourceType", "aclResourceName",
          "resourcePatternTypeFilter")


def as_input(b: AclBinding) -> dict[str, str]:
    return dict(zip(FIELDS, (b.principal, b.host, b.operation, b.permission, b.resource_type, b.resource_name,
                             b.pattern)))


def from_input(d: dict) -> AclBinding:
    return AclBinding(d["aclPrincipal"], d["aclOperation"], d["aclResourceType"], d["aclResourceName"],
                      d.get("resourcePatternTypeFilter", "Literal"), d.get("aclHost", "*"),
                      d.get("aclPermissionType", "Allow"))


def described(b: AclBinding) -> str:
    """A binding in words: its key in the role resources' `grants` map, so `pulumi preview --diff` names each
    binding gained or lost (a map is diffed by key, a list by position)."""
    where = f"{b.resource_type} prefix {b.resource_name}" if b.pattern == "Prefixed" else \
        f"{b.resource_type} {b.resource_name}" if b.pattern == "Literal" else \
        f"{b.resource_type} {b.resource_name} ({b.pattern})"
    return f"{b.principal}: {b.permission} {b.operation} on {where}" + ("" if b.host == "*" else f" from {b.host}")


def as_grants(found: Iterable[AclBinding]) -> dict[str, str]:
    """Bindings as a `grants` map: described(b) -> import id (the id is what the providers read back)."""
    grants: dict[str, str] = {}
    for b in sorted(set(found)):
        key = described(b)
        grants[key if key not in grants else b.import_id] = b.import_id
    return grants


def from_grants(grants: Mapping[str, str] | None) -> set[AclBinding]:
    return {AclBinding.from_import_id(i) for i in (grants or {}).values()}


def bindings(principal: str, grant: Grant) -> list[tuple[str, AclBinding]]:
    """(stable resource-name suffix, binding) for each Kafka operation of one principal's grant."""
    found = []
    for operation in OPERATIONS[(grant.resource_type, grant.action)]:
        suffix = "-".join((slug(principal.removeprefix("User:")), operation.lower(), grant.resource_type,
                           slug(grant.key) + ("*" if grant.prefixed else "")))
        found.append((suffix, AclBinding(principal, operation, RESOURCE_TYPE[grant.resource_type], grant.name,
                                         "Prefixed" if grant.prefixed else "Literal")))
    return found


def by_role(model: AccessModel) -> dict[str, list[AclBinding]]:
    """Role key -> the bindings that role's resource holds: each binding once, in the first role that needs it
    (catalogue order), so deleting one role's bindings never takes away what another role of the principal needs."""
    held: dict[str, list[AclBinding]] = {}
    seen: set[AclBinding] = set()
    for access in model.roles:
        mine = sorted({acl for principal in access.principals for grant in access.grants
                       for _, acl in bindings(principal, grant)} - seen)
        seen.update(mine)
        held[access.role.key] = mine
    return held


def acl_bindings(model: AccessModel) -> dict[str, AclBinding]:
    """Every ACL the model needs, keyed by its stable resource-name suffix."""
    found: dict[str, AclBinding] = {}
    for access in model.roles:
        for principal in access.principals:
            for suffix, acl in (pair for grant in access.grants for pair in bindings(principal, grant)):
                if found.setdefault(suffix, acl) != acl:  # principals that differ only where slug() rewrites
                    found[acl.import_id] = acl  # (`User:app one`, `User:app_one`): both kept, never a crash
    return dict(sorted(found.items()))

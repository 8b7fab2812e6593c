"""no-wildcard-principal: access is granted to named identities only.

Applies to Kafka ACLs (a principal such as `User:*`, or `User:ANONYMOUS`, which is every
unauthenticated client) and to AWS policies that carry a Principal (IAM role trust policies,
MSK cluster policies): `*` or {"AWS": "*"} there is everyone. Kafka ACLs come in two shapes:
one role's bindings in one resource (`acls-<role>`, every binding of its `grants` map checked, one
message per binding; the previous release's `bindings` list too), and one pulumi-kafka `Acl` per
binding (stacks deployed earlier).
"""

from __future__ import annotations

from typing import Any

from guardrails.model import Resource, StackContext, as_list, json_document, statements

NAME = "no-wildcard-principal"
DESCRIPTION = "No ACL or resource policy grants access to a wildcard or anonymous principal."
ACL = "kafka:index/acl:Acl"  # the earlier shape: one binding per resource
# One role's bindings, each a dict with the field names of pulumi-kafka's Acl (aclPrincipal, aclOperation, ...).
# The pack names the type rather than importing the program: it stays independent of what it guards.
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"
PRINCIPAL_POLICIES = {"aws:iam/role:Role": "assumeRolePolicy", "aws:msk/clusterPolicy:ClusterPolicy": "policy"}


def _binding(label: str, binding: dict[str, Any]) -> list[str]:
    """The violation of one binding (its fields named as pulumi-kafka's Acl names them), if any."""
    principal = str(binding.get("aclPrincipal", ""))
    if principal.endswith(":*") or principal == "*":
        return [f"ACL {label} grants {binding.get('aclOperation')} to {principal}, i.e. every user: "
                "grant named principals (User:<name>) only"]
    if principal.upper().endswith(":ANONYMOUS"):
        return [f"ACL {label} grants {binding.get('aclOperation')} to {principal}, i.e. every "
                "unauthenticated client: grant named principals (User:<name>) only"]
    return []


def _from_id(binding_id: Any) -> dict[str, Any]:
    """A `grants` value (`principal|host|operation|permission|type|name|pattern`) as pulumi-kafka's Acl fields."""
    parts = binding_id.split("|") if isinstance(binding_id, str) else []
    keys = ("aclPrincipal", "aclHost", "aclOperation", "aclPermissionType", "aclResourceType", "aclResourceName",
            "resourcePatternTypeFilter")
    return dict(zip(keys, parts)) if len(parts) == len(keys) else {}


def _role_acls(resource: Resource) -> list[str] | None:
    grants = resource.props.get("grants")
    bindings = [_from_id(v) for v in grants.values()] if isinstance(grants, dict) else resource.props.get("bindings")
    if bindings is None:
        return None  # not known until the resource exists
    return [message for binding in as_list(bindings) if isinstance(binding, dict)
            for message in _binding(f"{resource.name} (on {binding.get('aclResourceType')} "
                                    f"{binding.get('aclResourceName')})", binding)]


def _wildcards(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(v) for v in principal.values())
    return False


def validate(resource: Resource, stack: StackContext) -> list[str] | None:
    if resource.type == ACL:
        return _binding(resource.name, resource.props)
    if resource.type == ROLE_ACLS:
        return _role_acls(resource)
    if resource.type not in PRINCIPAL_POLICIES:
        return None
    document = json_document(resource.props.get(PRINCIPAL_POLICIES[resource.type]))
    if document is None:
        return None  # not known until the resource exists
    return [f"{resource.name}: statement {s.get('Sid') or i} allows Principal {s['Principal']!r}, i.e. anyone: name "
            "the account, role or service instead" for i, s in enumerate(statements(document))
            if s.get("Effect", "Allow") == "Allow" and _wildcards(s.get("Principal"))]

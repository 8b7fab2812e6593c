"""no-wildcard-principal: access is granted to named identities only.

Applies to Kafka ACLs (a principal such as `User:*`, or `User:ANONYMOUS`, which is every
unauthenticated client) and to AWS policies that carry a Principal (IAM role trust policies,
MSK cluster policies): `*` or {"AWS": "*"} there is everyone.
"""

from __future__ import annotations

from guardrails.model import Resource, StackContext, as_list, json_document, statements

NAME = "no-wildcard-principal"
DESCRIPTION = "No ACL or resource policy grants access to a wildcard or anonymous principal."
ACL = "kafka:index/acl:Acl"
PRINCIPAL_POLICIES = {"aws:iam/role:Role": "assumeRolePolicy", "aws:msk/clusterPolicy:ClusterPolicy": "policy"}


def _acl(resource: Resource) -> list[str]:
    principal = str(resource.props.get("aclPrincipal", ""))
    if principal.endswith(":*") or principal == "*":
        return [f"ACL {resource.name} grants {resource.props.get('aclOperation')} to {principal}, i.e. every user: "
                "grant named principals (User:<name>) only"]
    if principal.upper().endswith(":ANONYMOUS"):
        return [f"ACL {resource.name} grants {resource.props.get('aclOperation')} to {principal}, i.e. every "
                "unauthenticated client: grant named principals (User:<name>) only"]
    return []


def _wildcards(principal) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(v) for v in principal.values())
    return False


def validate(resource: Resource, stack: StackContext) -> list[str] | None:
    if resource.type == ACL:
        return _acl(resource)
    if resource.type not in PRINCIPAL_POLICIES:
        return None
    document = json_document(resource.props.get(PRINCIPAL_POLICIES[resource.type]))
    if document is None:
        return None  # not known until the resource exists
    return [f"{resource.name}: statement {s.get('Sid') or i} allows Principal {s['Principal']!r}, i.e. anyone: name "
            "the account, role or service instead" for i, s in enumerate(statements(document))
            if s.get("Effect", "Allow") == "Allow" and _wildcards(s.get("Principal"))]

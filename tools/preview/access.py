"""Who gains or loses which operation on what, from a preview, in words.

Two enforcers, one answer:
- Kafka ACLs: one resource per role (pulumi-python:dynamic/evidentsource:RoleAcls), whose
  `grants` map each binding in words to its id (`principal|host|operation|permission|type|name|
  pattern`; the previous release held a `bindings` list with pulumi-kafka's Acl field names), and
  whose `removeUnmanaged` names the unmanaged bindings the plan deletes; or, in stacks deployed
  before that shape, one kafka:index/acl:Acl per binding. A binding moving from one role's
  resource to another's, or from an Acl to a role's resource, arrives as an update of both
  resources or as a create plus a delete.
- MSK IAM (aws:iam/policy:Policy + aws:iam/rolePolicyAttachment:RolePolicyAttachment):
  the policy document's statements, granted to the roles the policy is attached to.

Access is compared as sets, before and after the whole preview: a binding that only
moves between resources (create-before-delete, a renamed resource, another role) is no
change. A resource deleted with retainOnDelete (`delete[retain]`, as the earlier shape's
Acls are let go) stays on the cluster: its binding is lost only if another step removes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.preview.parse import SECRET, UNKNOWN, Preview, Step, as_json

ACL = "kafka:index/acl:Acl"  # the earlier shape: one binding per resource
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"  # one role's bindings, in `grants`
ACL_FIELDS = ("aclPrincipal", "aclHost", "aclOperation", "aclPermissionType", "aclResourceType", "aclResourceName",
              "resourcePatternTypeFilter")
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LATER = "(known after apply)"

# What a Kafka operation means on a resource, for readers who do not speak ACL.
ACL_MEANING = {("Read", "Topic"): "consume", ("Write", "Topic"): "produce", ("Read", "Group"): "use the group",
               ("Write", "TransactionalID"): "transactions", ("IdempotentWrite", "Cluster"): "idempotent produce",
               ("Describe", "Topic"): "see metadata", ("All", "Topic"): "everything"}
ACL_KIND = {"Topic": ("topic", "topics"), "Group": ("consumer group", "consumer groups"),
            "TransactionalID": ("transactional id", "transactional ids"), "Cluster": ("cluster", "cluster"),
            "DelegationToken": ("delegation token", "delegation tokens")}
IAM_KIND = {"topic": ("topic", "topics"), "group": ("consumer group", "consumer groups"),
            "transactional-id": ("transactional id", "transactional ids")}


@dataclass(frozen=True, order=True)
class Grant:
    principal: str  # in words, e.g. "`User:app`" or "IAM role `app-role`"
    resource: str  # in words, e.g. "topic `orders`"
    operation: str  # e.g. "Read (consume)" or "kafka-cluster:ReadData"
    via: str  # "Kafka ACL" or "IAM policy `name`"
    effect: str = "Allow"


@dataclass(frozen=True)
class AccessChange:
    principal: str
    gains: bool
    operations: tuple[str, ...]
    resource: str
    via: str
    effect: str

    def sentence(self) -> str:
        verb = "gains" if self.gains else "loses"
        what = " a **Deny** of" if self.effect == "Deny" else ""
        return f"{self.principal} **{verb}**{what} {', '.join(self.operations)} on {self.resource} ({self.via})"


def code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    text = str(text)
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _shown(value) -> str:
    if value in (SECRET, UNKNOWN) or not isinstance(value, str):
        return SECRET if value == SECRET else LATER
    return value


# --- Kafka ACLs ---------------------------------------------------------------------

def acl_grant(inputs: dict) -> Grant:
    op, kind = _shown(inputs.get("aclOperation")), _shown(inputs.get("aclResourceType"))
    name, pattern = _shown(inputs.get("aclResourceName")), inputs.get("resourcePatternTypeFilter", "Literal")
    singular, plural = ACL_KIND.get(kind, (kind, kind))
    if kind == "Cluster":
        resource = "the cluster"
    elif pattern == "Prefixed":
        resource = f"{plural} starting with {code(name)}"
    elif name == "*":
        resource = f"every {singular}"
    else:
        resource = f"{singular} {code(name)}"
    host = inputs.get("aclHost", "*")
    if host not in ("*", None):
        resource += f" from host {code(host)}"
    meaning = ACL_MEANING.get((op, kind))
    operation = f"{op} ({meaning})" if meaning else op
    return Grant(code(_shown(inputs.get("aclPrincipal"))), resource, operation, "Kafka ACL",
                 inputs.get("aclPermissionType", "Allow"))


def from_id(binding_id) -> dict:
    """A binding id (`principal|host|operation|permission|type|name|pattern`) as pulumi-kafka's Acl fields."""
    parts = binding_id.split("|") if isinstance(binding_id, str) else []
    return dict(zip(ACL_FIELDS[:4] + ("aclResourceType", "aclResourceName", "resourcePatternTypeFilter"), parts)) \
        if len(parts) == 7 else dict.fromkeys(ACL_FIELDS, binding_id)


def grant_ids(inputs: dict | None, key: str) -> list[dict]:
    """The bindings of a RoleAcls map input (`grants`, `removeUnmanaged`); unknown or secret reads as one of those."""
    found = (inputs or {}).get(key)
    if found is None:
        return []
    return [from_id(v) for v in found.values()] if isinstance(found, dict) else [dict.fromkeys(ACL_FIELDS, found)]


def role_bindings(inputs: dict | None) -> list[dict]:
    """The binding dicts of a RoleAcls resource's inputs; an unknown or secret list reads as one binding of those."""
    if inputs is None:
        return []
    if "grants" in inputs:
        return grant_ids(inputs, "grants")
    listed = inputs.get("bindings", [])
    if not isinstance(listed, list):
        return [dict.fromkeys(ACL_FIELDS, listed)]
    return [b if isinstance(b, dict) else dict.fromkeys(ACL_FIELDS, b) for b in listed]


def bindings_of(step: Step, inputs: dict | None) -> list[dict]:
    """Each binding one side (old or new inputs) of an ACL step holds."""
    if step.type == ROLE_ACLS:
        return role_bindings(inputs)
    return [inputs] if step.type == ACL and inputs is not None else []


def _acl_sets(preview: Preview) -> tuple[set[Grant], set[Grant]]:
    before, after, kept = set(), set(), set()
    for step in preview.steps:
        # A retained delete only drops the resource from the state: its bindings stay on the cluster.
        (kept if step.keeps_old else before).update(acl_grant(b) for b in bindings_of(step, step.old))
        after.update(acl_grant(b) for b in bindings_of(step, step.new))
        if step.type == ROLE_ACLS:  # unmanaged bindings the plan deletes: on the cluster now, gone after
            before.update(acl_grant(b) for b in grant_ids(step.new, "removeUnmanaged"))
    # ...unless another resource that held one of them lets it go (its delete or update removes it).
    return before | kept, after | (kept - before)


# --- MSK IAM --------------------------------------------------------------------------

def arn_words(arn: str) -> str:
    """arn:aws:kafka:REGION:ACCOUNT:topic/CLUSTER/UUID/NAME -> "topic `NAME`"."""
    match = re.match(r"^arn:[^:]+:kafka:[^:]*:[^:]*:([a-z-]+)/([^/]+)/([^/]+)(?:/(.+))?$", arn)
    if not match:
        return "everything" if arn == "*" else code(arn)
    kind, cluster, _uuid, name = match.groups()
    if kind == "cluster":
        return f"cluster {code(cluster)}"
    singular, plural = IAM_KIND.get(kind, (kind, kind))
    if name == "*":
        return f"every {singular} of cluster {code(cluster)}"
    if name and name.endswith("*"):
        return f"{plural} starting with {code(name[:-1])}"
    return f"{singular} {code(name)}"


def statements(document) -> set[tuple[str, str, str]]:
    """(effect, action, resource) of every statement of an IAM policy document."""
    document = as_json(document)
    if not isinstance(document, dict):
        return {("Allow", "(unknown document)", LATER)} if document is not None else set()
    found = set()
    listed = document.get("Statement", [])
    for statement in listed if isinstance(listed, list) else [listed]:
        actions = statement.get("Action", statement.get("NotAction", []))
        resources = statement.get("Resource", statement.get("NotResource", []))
        for action in actions if isinstance(actions, list) else [actions]:
            for resource in resources if isinstance(resources, list) else [resources]:
                found.add((statement.get("Effect", "Allow"), action, resource))
    return found


def _policy_label(step: Step) -> str:
    inputs = step.inputs()
    return code(inputs.get("name") or step.name)


def _role_name(role) -> str:
    role = _shown(role)
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def _policy_of(attachment: Step, inputs: dict, policies: dict[str, Step]) -> Step | None:
    """The policy an attachment attaches: by ARN, by dependency, or by the `<policy>-<role>` naming."""
    arn = inputs.get("policyArn")
    for policy in policies.values():
        if arn and arn not in (UNKNOWN, SECRET) and arn in (policy.old_outputs.get("arn"), policy.old_outputs.get("id")):
            return policy
    for urn in attachment.dependencies.get("policyArn", []):
        if urn in policies:
            return policies[urn]
    candidates = [p for p in policies.values() if attachment.name.startswith(p.name + "-")]
    return max(candidates, key=lambda p: len(p.name)) if candidates else None


def _iam_sets(preview: Preview) -> tuple[set[Grant], set[Grant]]:
    policies = {s.urn: s for s in preview.steps if s.type == IAM_POLICY}
    attached = {urn: ([], []) for urn in policies}  # urn -> (roles before, roles after)
    for step in preview.steps:
        if step.type != IAM_ATTACHMENT:
            continue
        for side, inputs in ((0, step.old), (1, step.new)):
            if inputs is not None and (policy := _policy_of(step, inputs, policies)) is not None:
                attached[policy.urn][side].append(f"IAM role {code(_role_name(inputs.get('role')))}")
    before, after = set(), set()
    for urn, policy in policies.items():
        via = f"IAM policy {_policy_label(policy)}"
        # A policy this stack attaches to no role (on either side) is attached by its users.
        outside = [] if any(attached[urn]) else [f"whoever holds IAM policy {_policy_label(policy)}"]
        for side, inputs, out in ((0, policy.old, before), (1, policy.new, after)):
            if inputs is None:
                continue
            holders = attached[urn][side] or outside
            for effect, action, resource in statements(inputs.get("policy")):
                for holder in holders:
                    out.add(Grant(holder, arn_words(resource), action, via, effect))
    return before, after


# --- both --------------------------------------------------------------------------------

def _grouped(grants: set[Grant], gains: bool) -> list[AccessChange]:
    groups: dict[tuple, list[str]] = {}
    for g in grants:
        groups.setdefault((g.principal, g.resource, g.via, g.effect), []).append(g.operation)
    return [AccessChange(principal, gains, tuple(sorted(ops)), resource, via, effect)
            for (principal, resource, via, effect), ops in groups.items()]


def changes(preview: Preview) -> list[AccessChange]:
    """Every access change of the preview, by principal, losses before gains."""
    found: list[AccessChange] = []
    for before, after in (_acl_sets(preview), _iam_sets(preview)):
        found += _grouped(before - after, gains=False) + _grouped(after - before, gains=True)
    return sorted(found, key=lambda c: (c.principal, c.gains, c.resource, c.via))


def summary(found: list[AccessChange]) -> str:
    gained = sum(len(c.operations) for c in found if c.gains)
    lost = sum(len(c.operations) for c in found if not c.gains)
    return f"{gained} gained, {lost} lost"


"""iam-confined-to-cluster: MSK IAM access reaches only the stack's own cluster.

Applies to IAM policies (managed and inline). Every statement with a `kafka-cluster:` action
must name only ARNs of the cluster configured in `msk.clusterArn`: the cluster itself, or its
topics, groups and transactional ids (same name and uuid). `*`, NotResource, another cluster,
or `cluster/<name>/*` (any cluster of that name, e.g. a recreated one) violate it, and so does a topic ARN
ending in a bare `*` (every topic of the cluster): topics are named, or a prefix of them (the bridge shape's).
"""

from __future__ import annotations

import re

from guardrails.model import Resource, StackContext, as_list, json_document, statements

NAME = "iam-confined-to-cluster"
DESCRIPTION = "IAM statements with kafka-cluster actions name only the configured MSK cluster's ARNs."
POLICY_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
                "aws:iam/groupPolicy:GroupPolicy")
CLUSTER_ARN = re.compile(r"^arn:(?P<partition>[^:]+):kafka:(?P<region>[^:]+):(?P<account>\d{12}):"
                         r"cluster/(?P<name>[^/]+)/(?P<uuid>[^/]+)$")


def _kafka_actions(statement: dict) -> bool:
    actions = as_list(statement.get("Action")) + as_list(statement.get("NotAction"))
    return any(a == "*" or str(a).lower().startswith("kafka-cluster:") for a in actions)


def _inside(arn: str, cluster: re.Match) -> bool:
    if arn == cluster.group(0):
        return True
    head = f"arn:{cluster['partition']}:kafka:{cluster['region']}:{cluster['account']}"
    return any(arn.startswith(f"{head}:{kind}/{cluster['name']}/{cluster['uuid']}/")
               for kind in ("topic", "group", "transactional-id"))


def validate(resource: Resource, stack: StackContext) -> list[str] | None:
    if resource.type not in POLICY_TYPES:
        return None
    document = json_document(resource.props.get("policy"))
    if document is None:
        return None  # not known until the resource exists
    cluster = CLUSTER_ARN.match(str(stack.section("msk").get("clusterArn", "")))
    problems = []
    for i, statement in enumerate(statements(document)):
        if not _kafka_actions(statement):
            continue
        sid = statement.get("Sid") or i
        if cluster is None:
            problems.append(f"{resource.name}: statement {sid} grants kafka-cluster actions, but the stack has no "
                            "evidentsource-kafka:msk.clusterArn to confine them to: set it")
            continue
        if "NotResource" in statement:
            problems.append(f"{resource.name}: statement {sid} uses NotResource, which reaches every other cluster: "
                            f"list ARNs of {cluster.group(0)} instead")
        outside = [r for r in as_list(statement.get("Resource")) if not _inside(str(r), cluster)]
        every = [r for r in as_list(statement.get("Resource")) if str(r).endswith("/*") and ":topic/" in str(r)]
        if every:
            problems.append(f"{resource.name}: statement {sid} reaches every topic of the cluster ({every[0]}): name "
                            "the topics, or a prefix of them (the bridge's `<prefix>*`)")
        if outside:
            problems.append(f"{resource.name}: statement {sid} reaches {outside}, outside the configured cluster: "
                            f"name only {cluster.group(0)} and its topic/, group/ and transactional-id/ ARNs")
    return problems

"""The access model as MSK IAM policy documents, one per role (pure; resources/msk_iam.py declares them).

On an AWS_MSK_IAM cluster Kafka ACLs do not apply to IAM clients; these policies are the
access control. Compared with the seed's policies:
- every ARN is derived from the configured cluster ARN (name and uuid), topics are exact
  ARNs, and groups are limited to the role's group prefix (the seed allowed every group);
- the bridge shape's roles get topic ARNs scoped to this cluster and the bridge's prefix (`<prefix>*`), or the
  named databases' exact topic ARNs;
- every producing role gets kafka-cluster:WriteDataIdempotently on the cluster: clients
  are idempotent by default and InitProducerId fails without it (the seed forgot it);
- the server keeps what its vendor documents: DescribeCluster, CreateTopic on its four topics
  (exact ARNs, not the seed's `evidentsource-*` wildcard) and every group unless its groupPrefix
  is set; nobody outside the vendor knows its start-up calls or group names. A stack may narrow it
  (access.server.narrowToReadWrite), and the accessEnforcement output then lists what was removed.
"""

from __future__ import annotations

import json

from components.model.access_model import RoleAccess
from components.model.arns import MskClusterArn

VERSION = "2012-10-17"
TOPIC_ACTIONS = {"consume": ("kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"),
                 "produce": ("kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"),
                 "manage": ("kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic"),
                 "create": ("kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic")}
GROUP_ACTIONS = ("kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup")
TRANSACTIONAL_ID_ACTIONS = ("kafka-cluster:AlterTransactionalId", "kafka-cluster:DescribeTransactionalId")


def _statement(sid: str, actions: set[str] | tuple[str, ...], resources: list[str]) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": sorted(set(resources))}


def policy_document(access: RoleAccess, cluster: MskClusterArn) -> dict:
    """The IAM policy of one role on one MSK cluster."""
    connect = {"kafka-cluster:Connect"} | ({"kafka-cluster:WriteDataIdempotently"} if access.produces else set()) \
        | ({"kafka-cluster:DescribeCluster"} if any(g.resource_type == "cluster" for g in access.grants) else set())
    statements = [_statement("Connect", connect, [cluster.cluster])]
    # One statement per distinct action set, so the server's read-write topics stay one block.
    actions_by_topic: dict[str, set[str]] = {}
    for grant in access.grants:
        if grant.resource_type == "topic":
            # A prefix (the bridge shape's) as the topic ARN of this cluster with `*` after it: never a bare `*`.
            arn = cluster.topic(grant.name + "*" if grant.prefixed else grant.name)
            actions_by_topic.setdefault(arn, set()).update(TOPIC_ACTIONS[grant.action])
    by_actions: dict[tuple[str, ...], list[str]] = {}
    for arn, actions in actions_by_topic.items():
        by_actions.setdefault(tuple(sorted(actions)), []).append(arn)
    for actions, arns in sorted(by_actions.items()):
        reads, writes = "kafka-cluster:ReadData" in actions, "kafka-cluster:WriteData" in actions
        sid = "ReadWriteTopics" if reads and writes else "ReadTopics" if reads else "WriteTopics"
        statements.append(_statement(sid, actions, arns))
    groups = [cluster.group_prefix(g.name if g.prefixed else "") for g in access.grants if g.resource_type == "group"]
    if groups:
        statements.append(_statement("ConsumerGroups", GROUP_ACTIONS, groups))
    transactional = [cluster.transactional_id_prefix(g.name) for g in access.grants if g.resource_type == "transactional-id"]
    if transactional:
        statements.append(_statement("TransactionalIds", TRANSACTIONAL_ID_ACTIONS, transactional))
    return {"Version": VERSION, "Statement": statements}


def policy_json(access: RoleAccess, cluster: MskClusterArn) -> str:
    # Sorted keys: the same model always gives the same text, so previews show no false diffs.
    return json.dumps(policy_document(access, cluster), sort_keys=True, indent=2)

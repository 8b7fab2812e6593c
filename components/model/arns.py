"""MSK and IAM ARNs: parse the ones users have, build the ones IAM policies need.

The cluster ARN from `aws kafka list-clusters` carries the cluster's name and uuid;
every topic, group and transactional-id ARN of that cluster is derived from it, so a
policy can never name another cluster's resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MSK_CLUSTER_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):kafka:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):(?P<account>\d{12}):"
    r"cluster/(?P<name>[A-Za-z0-9][A-Za-z0-9-]{0,63})/(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-\d+)?)$")
MSK_CLUSTER_ARN_FORM = "arn:aws:kafka:<region>:<12-digit account>:cluster/<cluster name>/<cluster uuid>"

IAM_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
IAM_ROLE_ARN = re.compile(r"^arn:(?:aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})$")
IAM_ROLE_FORM = "an IAM role name (e.g. evidentsource-server) or role ARN (arn:aws:iam::<account>:role/<name>)"


@dataclass(frozen=True)
class MskClusterArn:
    partition: str
    region: str
    account: str
    name: str
    uuid: str

    @classmethod
    def parse(cls, text: str) -> "MskClusterArn":
        match = MSK_CLUSTER_ARN.match(text)
        if not match:
            raise ValueError(f"an MSK cluster ARN looks like {MSK_CLUSTER_ARN_FORM} "
                             "(from `aws kafka list-clusters --query 'ClusterInfoList[].ClusterArn'`)")
        return cls(**match.groupdict())

    def _arn(self, kind: str, *rest: str) -> str:
        return "/".join([f"arn:{self.partition}:kafka:{self.region}:{self.account}:{kind}", self.name, self.uuid, *rest])

    @property
    def cluster(self) -> str:
        return self._arn("cluster")

    def space(self, kind: str) -> str:
        """The prefix every ARN of `kind` (cluster, topic, group, transactional-id) of this cluster has."""
        return self._arn(kind)

    def topic(self, name: str) -> str:
        return self._arn("topic", name)

    def group_prefix(self, prefix: str) -> str:
        return self._arn("group", prefix + "*")

    def transactional_id_prefix(self, prefix: str) -> str:
        return self._arn("transactional-id", prefix + "*")


def iam_role_name(principal: str) -> str:
    """`arn:aws:iam::1:role/path/name` or `name` -> `name` (what RolePolicyAttachment takes)."""
    match = IAM_ROLE_ARN.match(principal)
    return match.group("name") if match else principal


def iam_role_account(principal: str) -> str | None:
    match = IAM_ROLE_ARN.match(principal)
    return match.group("account") if match else None

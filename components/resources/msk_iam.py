"""Enforcer for AWS_MSK_IAM clusters: one managed IAM policy per role, attached to its IAM roles.

The documents are model/iam_policies.py's (pure); this declares them. Either way their ARNs
are outputs, e.g. for EvidentSource's CloudFormation. The aws provider comes through `opts`
(`providers=[...]`) and reaches every child through its parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.config.schema import IamConfig
from components.model.access_model import AccessModel
from components.model.arns import MskClusterArn, iam_role_name
from components.model.iam_policies import policy_json
from components.resources.options import for_children


@dataclass(frozen=True)
class MskIamArgs:
    model: AccessModel
    """The access model; its principals are IAM role names or ARNs."""
    cluster: MskClusterArn
    """The MSK cluster every statement is scoped to."""
    settings: IamConfig
    """Policy name prefix and path."""


class MskIamPolicies(pulumi.ComponentResource):
    """One managed policy per role, attached to the role's IAM roles where configured."""

    policy_arns: dict[str, pulumi.Output[str]]
    documents: dict[str, str]

    def __init__(self, name: str, args: MskIamArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:MskIamPolicies", name, None, opts)
        child = for_children(self, opts)
        self.policy_arns, self.documents = {}, {}
        for access in args.model.roles:
            key = access.role.key
            self.documents[key] = policy_json(access, args.cluster)
            policy = aws.iam.Policy(
                f"{name}-{key}",
                name_prefix=f"{args.settings.policy_name_prefix}{key}-",
                path=args.settings.policy_path,
                description=f"{access.role.title}: Kafka access to EvidentSource topics on MSK cluster {args.cluster.name}",
                policy=self.documents[key],
                opts=child,
            )
            self.policy_arns[key] = policy.arn
            for principal in access.principals:
                role_name = iam_role_name(principal)
                # Keyed by role name, not list position: reordering principals replaces nothing.
                aws.iam.RolePolicyAttachment(f"{name}-{key}-{role_name}", role=role_name,
                                             policy_arn=policy.arn, opts=child)
        self.register_outputs({"policyArns": self.policy_arns})

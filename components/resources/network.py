"""Network: let EvidentSource reach the MSK brokers, on the one port its auth mode uses.

One `aws.vpc.SecurityGroupIngressRule` per source security group (the EvidentSource
cluster's and the Lambda's KafkaAccessSecurityGroup) into the MSK security group. The
port comes from the listener table in model/listeners.py (the seed opened 9096, SCRAM's port, for
IAM). The listener's name is part of each rule's name, so changing the auth mode
creates the new rule before the old one is removed. The aws provider comes through `opts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.model.listeners import Listener
from components.resources.options import for_children


@dataclass(frozen=True)
class MskIngressArgs:
    msk_security_group_id: str
    """The MSK cluster's security group: the rules are added to it."""
    sources: dict[str, str]
    """Stable key -> source security group id; the key names the rule."""
    listener: Listener
    """The MSK listener the clients use (from the stack's security protocol and mechanism)."""


class MskIngress(pulumi.ComponentResource):
    """Ingress into the MSK security group from EvidentSource's security groups."""

    port: int
    rule_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: MskIngressArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:MskIngress", name, None, opts)
        child = for_children(self, opts)
        self.port = args.listener.private_port
        self.rule_ids = {}
        for key, source in sorted(args.sources.items()):
            rule = aws.vpc.SecurityGroupIngressRule(
                f"{name}-{key}-{args.listener.auth}",
                security_group_id=args.msk_security_group_id,
                referenced_security_group_id=source,
                ip_protocol="tcp",
                from_port=self.port,
                to_port=self.port,
                description=f"EvidentSource {key} to MSK brokers, {args.listener.title} ({self.port})",
                opts=child,
            )
            self.rule_ids[key] = rule.id
        self.register_outputs({"port": self.port, "ruleIds": self.rule_ids})

"""no-open-ingress: nothing opens the brokers (or anything else) to the whole internet.

Applies to security-group ingress in its three forms (aws.vpc.SecurityGroupIngressRule,
aws.ec2.SecurityGroupRule of type ingress, inline ingress blocks of aws.ec2.SecurityGroup):
a source of 0.0.0.0/0 or ::/0 (any prefix of length 0) violates it. Use security-group
references, as this program does, or the clients' own CIDR blocks.
"""

from __future__ import annotations

import ipaddress

from guardrails.model import Resource, StackContext, as_list

NAME = "no-open-ingress"
DESCRIPTION = "No security-group ingress from 0.0.0.0/0 or ::/0."


def _open(cidr) -> bool:
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def _sources(resource: Resource) -> list | None:
    p = resource.props
    if resource.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return [p.get("cidrIpv4"), p.get("cidrIpv6")]
    if resource.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        return as_list(p.get("cidrBlocks")) + as_list(p.get("ipv6CidrBlocks")) if p.get("type") == "ingress" else []
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        return [c for rule in as_list(p.get("ingress")) if isinstance(rule, dict)
                for c in as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))]
    return None


def validate(resource: Resource, stack: StackContext) -> list[str] | None:
    sources = _sources(resource)
    if sources is None:
        return None
    return [f"{resource.name} allows ingress from {cidr}, i.e. the whole internet: reference the clients' "
            "security groups (network.clusterSecurityGroupId / lambdaSecurityGroupId) or their own CIDR blocks"
            for cidr in sources if cidr and _open(cidr)]

"""Network ingress: one rule per EvidentSource security group, on the auth mode's MSK port."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from components.resources.network import MskIngress, MskIngressArgs
from components.model.listeners import msk_listener
from mocking import deploy

SOURCES = {"evidentsource-cluster": "sg-11111111", "lambda": "sg-22222222"}


@pytest.mark.parametrize("protocol, mechanism, port, auth", [
    ("SASL_SSL", "AWS_MSK_IAM", 9098, "iam"), ("SASL_SSL", "SCRAM-SHA-512", 9096, "scram"),
    ("SSL", None, 9094, "tls"), ("PLAINTEXT", None, 9092, "plaintext")])
def test_rules_open_exactly_the_port_of_the_auth_mode(monitor, protocol, mechanism, port, auth):
    def program():
        provider = aws.Provider("aws", region="us-east-1")
        ingress = MskIngress("msk-ingress", MskIngressArgs("sg-0123456789abcdef0", SOURCES,
                                                           msk_listener(protocol, mechanism)),
                             pulumi.ResourceOptions(providers=[provider]))
        return {"ids": ingress.rule_ids, "component": ingress.urn, "port": ingress.port}

    result = deploy(program)
    rules = {r.name: r for r in monitor.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert set(rules) == {f"msk-ingress-evidentsource-cluster-{auth}", f"msk-ingress-lambda-{auth}"}
    assert result["port"] == port and set(result["ids"]) == set(SOURCES)
    for key, source in SOURCES.items():
        rule = rules[f"msk-ingress-{key}-{auth}"]
        assert rule.parent == result["component"]
        assert {k: rule.inputs[k] for k in ("securityGroupId", "referencedSecurityGroupId", "ipProtocol",
                                            "fromPort", "toPort")} == {
            "securityGroupId": "sg-0123456789abcdef0", "referencedSecurityGroupId": source, "ipProtocol": "tcp",
            "fromPort": port, "toPort": port}
        assert f"({port})" in rule.inputs["description"] and key in rule.inputs["description"]


def test_only_the_given_sources_get_rules(monitor):
    def program():
        provider = aws.Provider("aws", region="us-east-1")
        return MskIngress("in", MskIngressArgs("sg-0123456789abcdef0", {"lambda": "sg-22222222"},
                                               msk_listener("SASL_SSL", "AWS_MSK_IAM")),
                          pulumi.ResourceOptions(providers=[provider])).rule_ids

    assert set(deploy(program)) == {"lambda"}
    assert [r.name for r in monitor.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")] == ["in-lambda-iam"]

"""The policy pack over the real stacks' resources, as the program registers them under mocks.

The prod stack (MSK, IAM policies, security-group ingress) cannot go through the real engine
here (no aws plugin), so every guardrail is run over what the real __main__.py registers for
each real Pulumi.<stack>.yaml: quiet on all three, and firing on the variants that break them.
tests/integration/test_policy_pack.py runs the pack through the real engine.
"""

from __future__ import annotations


import pytest
from pulumi.runtime import rpc

from configs import merged
from mocking import run_program, stack_file
from test_stacks import PROD, STAGING, STAGING_SECRETS

from guardrails import RULES
from guardrails.model import Resource, StackContext


def unwrapped(value):
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {k: unwrapped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrapped(v) for v in value]
    return value


def violations(monitor, stack: str, raw: dict) -> list[str]:
    run_program(raw)
    context = StackContext(stack, raw)
    found = []
    for registration in monitor.registrations:
        resource = Resource(registration.type, registration.name, unwrapped(registration.inputs), registration.protect)
        for rule in RULES:
            found += [f"{rule.NAME}: {message}" for message in rule.validate(resource, context) or ()]
    return found


SHAPES = {
    "dev": lambda: stack_file("dev"),
    "staging": lambda: {**stack_file("staging", STAGING), **STAGING_SECRETS},
    "prod": lambda: stack_file("prod", PROD),
}


@pytest.mark.parametrize("stack", sorted(SHAPES))
def test_the_real_stacks_pass_every_guardrail(monitor, stack):
    assert violations(monitor, stack, SHAPES[stack]()) == []
    assert monitor.registrations  # the rules really saw resources


def test_prod_with_two_replicas_violates_production_durability(monitor):
    found = violations(monitor, "prod", merged(SHAPES["prod"](), {"topics": {"replicationFactor": 2}}))
    assert len(found) == 8 and all(f.startswith("production-durability: topic ") for f in found)


def test_a_stack_with_protection_off_violates_topics_protected(monitor):
    found = violations(monitor, "dev", merged(SHAPES["dev"](), {"topics": {"protect": False}}))
    assert len(found) == 4 and all(f.startswith("topics-protected: ") for f in found)


def test_prod_iam_policies_checked_against_another_cluster_violate(monitor):
    raw = SHAPES["prod"]()
    other = raw["msk"]["clusterArn"].replace("evidentsource-prod", "another-cluster")
    run_program(raw)
    context = StackContext("prod", {**raw, "msk": {"clusterArn": other}})
    rule = next(r for r in RULES if r.NAME == "iam-confined-to-cluster")
    policies = [r for r in monitor.registrations if r.type == "aws:iam/policy:Policy"]
    assert len(policies) == 4
    assert all(rule.validate(Resource(p.type, p.name, unwrapped(p.inputs)), context) for p in policies)

"""The policy pack: every guardrail of guardrails/ as a mandatory resource policy.

Run with `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`); a violation
fails the preview and names the policy, the resource and how to fix it.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from guardrails import RULES, resource_policy

PolicyPack(
    name="evidentsource-kafka-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[resource_policy(rule) for rule in RULES],
)

"""The guardrails, one module per policy, each a small pure validator.

A rule module has NAME (kebab-case, shown on a violation), DESCRIPTION, and
`validate(resource, stack) -> list[str] | None`: None when the rule does not apply to the
resource, [] when it complies, else one message per violation saying how to fix it. The
rules are plain functions over plain data (model.py), so they are tested without an engine;
`resource_policy` turns one into a pulumi-policy ResourceValidationPolicy.
"""

from __future__ import annotations

from types import ModuleType

from guardrails import (iam_confined_to_cluster, no_open_ingress, no_wildcard_principal, production_durability,
                        topics_protected)
from guardrails.model import Resource, StackContext, plain

RULES: tuple[ModuleType, ...] = (topics_protected, no_wildcard_principal, iam_confined_to_cluster, no_open_ingress,
                                 production_durability)


def resource_policy(rule: ModuleType):
    """The rule as a pulumi-policy resource policy (the stack context is read once, from the engine's env)."""
    from pulumi_policy import ResourceValidationPolicy

    stack = StackContext.from_environment()

    def validate(args, report_violation) -> None:
        resource = Resource(args.resource_type, args.name, plain(args.props), bool(args.opts.protect))
        found = rule.validate(resource, stack)
        if found is None:
            args.not_applicable()
        for message in found or ():
            report_violation(message)

    return ResourceValidationPolicy(name=rule.NAME, description=rule.DESCRIPTION, validate=validate)

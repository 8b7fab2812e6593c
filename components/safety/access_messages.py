"""What the access checks refuse or warn about, in words, each with its stable code (refusals.py): a listed
principal losing its access, a needed role left empty, a login that may not change access, unmanaged bindings."""

from __future__ import annotations

from components.model.names import NAMESPACE
from components.safety import refusals
from components.safety.refusals import coded


def unmanaged_binding(b, fate: str) -> str:
    """fate: "report" (the stack reports it), "remove" (this run's plan deletes it), "outside" (remove is set, but
    the binding is not on what the stack owns: reported, never deleted)."""
    said = {"report": "it touches what this stack manages, and the stack's access model does not include it "
                      "(access.unmanagedBindings: remove would delete it)",
            "remove": "access.unmanagedBindings is remove, so the plan deletes it (access lost; see removeUnmanaged "
                      "in the preview's diff)",
            "outside": "access.unmanagedBindings is remove, but this binding is not on the stack's own topics or "
                       "prefixes (a wildcard, a wider prefix, or another team's resource): reported, never deleted"}
    return coded(refusals.UNMANAGED_BINDING, (
        f"on the cluster, not in the stack: {b.principal} {b.permission} {b.operation} on {b.resource_type} "
        f"{b.resource_name!r} ({b.pattern}, host {b.host}): {said[fate]}"))


def access_lost(principal: str, what: str) -> str:
    return coded(refusals.ACCESS_LOST, (
        f"{principal} is still listed by the stack, but this run would delete {what}: access lost, most likely by "
        "a setting switched (access.createScramUsers, the cluster's security protocol) or a role emptied. If that is "
        f"intended, add {principal!r} to {NAMESPACE}:access.acceptAccessLoss; nothing was changed"))


def role_left_empty(role: str, what: str, had: bool) -> str:
    return coded(refusals.ACCESS_LOST, (
        f"access.{role}.principals is empty: {what} {'had grants until this run and ' if had else ''}would have no "
        "access at all, while the stack manages "
        f"access for other roles. List its principal (e.g. access.{role}.principals: [User:evidentsource]); if this "
        f"is intended, add {role!r} to {NAMESPACE}:access.acceptAccessLoss; nothing was changed"))


def access_rights(login: str, missing: list[str]) -> str:
    return coded(refusals.ACCESS_RIGHTS, (
        f"this stack's own login {login} may not {' and '.join(missing)} (the brokers' authorized operations on the "
        "cluster lack Alter), so `up` would fail half-way. Give the login Alter and Describe on the cluster "
        "(kafka-acls --add --cluster --operation Alter --operation Describe), or use an admin login; nothing was "
        "changed"))

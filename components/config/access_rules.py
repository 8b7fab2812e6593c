"""Rules of the access section: principals written exactly, that the enforcer can tell apart; consumer groups kept apart."""

from __future__ import annotations

import re

from components.config.rules import INVALID, Draft, Problems, check
from components.config.stack_config import enforcer_for
from components.model.arns import IAM_ROLE_ARN, IAM_ROLE_FORM, IAM_ROLE_NAME, iam_role_account


# --- access -------------------------------------------------------------------------

def _written_problem(principal: str, earlier: list[str]) -> str | None:
    """What is wrong with how a principal is written, whatever the cluster (brokers compare principals exactly)."""
    if not principal.strip():
        return "empty: a principal names a user (User:<name>) or an IAM role"
    if principal != principal.strip():
        blank = "a leading and a trailing" if principal[0].isspace() and principal[-1].isspace() else \
            "a leading" if principal[0].isspace() else "a trailing"
        return (f"has {blank} blank: brokers compare principals exactly, so it would never match "
                f"{principal.strip()!r}; remove the blank")
    if principal in earlier:
        return "listed twice in this role"
    return None


def _principal_problem(principal: str, enforcer: str, cluster_account: str | None) -> str | None:
    if enforcer == "none":
        return ("securityProtocol PLAINTEXT authenticates no one (every client is User:ANONYMOUS), so principals "
                "cannot be told apart: use SASL or TLS client certificates")
    if enforcer == "msk-iam":
        if principal.startswith("User:"):
            return ("a Kafka principal on an AWS_MSK_IAM cluster: Kafka ACLs have no effect on IAM clients; "
                    f"give {IAM_ROLE_FORM}")
        if not (IAM_ROLE_NAME.match(principal) or IAM_ROLE_ARN.match(principal)):
            return f"expected {IAM_ROLE_FORM}"
        account = iam_role_account(principal)
        if account and cluster_account and account != cluster_account:
            return f"a role of account {account}: policies can be attached only in the cluster's account {cluster_account}"
        return None
    if not re.match(r"^User:.+$", principal):
        return "a Kafka principal is User:<name> (e.g. User:evidentsource), as the broker's authenticator names it"
    if principal == "User:*":
        return "User:* is every user: grant named principals only"
    if principal == "User:ANONYMOUS":
        return "User:ANONYMOUS is every unauthenticated client: grant named principals only"
    if "|" in principal:
        return "contains '|', which the stack's state uses to separate a binding's fields: rename the principal"
    return None


def _scram_problem(principal: str) -> str | None:
    """A SCRAM user name a client cannot log in with as it is (tried with librdkafka against Kafka 4.1: a name
    outside printable ASCII is stored by the broker, and its login then fails)."""
    odd = sorted({c for c in principal.removeprefix("User:") if not " " <= c <= "~"})
    if odd:
        shown = ", ".join(repr(c) for c in odd)
        return (f"a SCRAM user name with {shown}: SCRAM clients cannot log in with a name outside printable ASCII "
                "(the user would be created and its login refused); use letters, digits and . _ - @")
    return None


@check()
def principals_written_exactly(d: Draft, p: Problems) -> None:
    if d.access is INVALID:
        return
    for role, principals in d.role_principals().items():
        for i, principal in enumerate(principals):
            key = f"access.{role}.principals[{i}]"
            if d.ok(key) and (why := _written_problem(principal, principals[:i])) is not None:
                p.add(key, principal, why)


@check("cluster.securityProtocol", "cluster.saslMechanism")
def principals_fit_enforcer(d: Draft, p: Problems) -> None:
    if d.access is INVALID:
        return
    enforcer = enforcer_for(d.cluster)
    arn = d.msk.arn if d.msk not in (None, INVALID) and d.ok("msk.clusterArn") else None
    account = arn.account if arn else None
    for role, principals in d.role_principals().items():
        for i, principal in enumerate(principals):
            key = f"access.{role}.principals[{i}]"
            if d.ok(key) and (why := _principal_problem(principal, enforcer, account)) is not None:
                p.add(key, principal, why)
            elif d.ok(key) and enforcer == "kafka-acls" and (d.cluster.sasl_mechanism or "").startswith("SCRAM") \
                    and (why := _scram_problem(principal)) is not None:
                p.add(key, principal, why)


@check("access.server.groupPrefix", "access.externalConsumers.groupPrefix")
def consumer_groups_apart(d: Draft, p: Problems) -> None:
    server, external = d.access.server.group_prefix, d.access.external_consumers.group_prefix
    if server is not None and server.startswith(external):
        p.add("access.externalConsumers.groupPrefix", external,
              f"the server's groups (access.server.groupPrefix {server!r}) start with it, so external consumers "
              "could join them and take the server's partitions: use a prefix the server's group ids do not start with")


@check("access.acceptAccessLoss")
def access_loss_names_listed_principals(d: Draft, p: Problems) -> None:
    listed = {x for principals in d.role_principals().values() for x in principals}
    for i, name in enumerate(d.access.accept_access_loss):
        if name not in listed and name != "server":
            p.add(f"access.acceptAccessLoss[{i}]", name, "neither a principal of a role of this stack nor 'server': it "
                  f"accepts the loss of a principal still listed ({', '.join(sorted(listed)) or 'none listed'}) or of "
                  "the server role's every principal")

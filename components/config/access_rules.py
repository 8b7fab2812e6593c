"""Rules of the access section: principals that the enforcer can tell apart, consumer groups kept apart."""

from __future__ import annotations

import re

from components.config.rules import INVALID, Draft, Problems, check
from components.config.schema import PLACEHOLDER
from components.config.stack_config import enforcer_for
from components.model.arns import IAM_ROLE_ARN, IAM_ROLE_FORM, IAM_ROLE_NAME, iam_role_account


# --- access -------------------------------------------------------------------------

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
    return None


@check("cluster", "access")
def principals_fit_enforcer(d: Draft, p: Problems) -> None:
    enforcer = enforcer_for(d.cluster)
    arn = d.msk.arn if d.msk not in (None, INVALID) else None
    account = arn.account if arn else None
    for role, principals in d.role_principals().items():
        for i, principal in enumerate(principals):
            key = f"access.{role}.principals[{i}]"
            if PLACEHOLDER in principal:
                continue  # reported as a placeholder already
            if principal in principals[:i]:
                p.add(key, principal, "listed twice in this role")
            elif (why := _principal_problem(principal, enforcer, account)) is not None:
                p.add(key, principal, why)


@check("access")
def consumer_groups_apart(d: Draft, p: Problems) -> None:
    server, external = d.access.server.group_prefix, d.access.external_consumers.group_prefix
    if server is not None and server.startswith(external):
        p.add("access.externalConsumers.groupPrefix", external,
              f"the server's groups (access.server.groupPrefix {server!r}) start with it, so external consumers "
              "could join them and take the server's partitions: use a prefix the server's group ids do not start with")

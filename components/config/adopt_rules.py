"""Rules of the adopt section: adoption only where there is something to adopt."""

from __future__ import annotations

from components.config.rules import Draft, Problems, check
from components.config.stack_config import enforcer_for


@check("cluster.securityProtocol", "cluster.saslMechanism", "adopt.acls")
def acl_adoption_needs_acls(d: Draft, p: Problems) -> None:
    if not d.adopt.acls:
        return
    enforcer = enforcer_for(d.cluster)
    if enforcer == "msk-iam":
        p.add("adopt.acls", True, "adopts Kafka ACL bindings, but on an AWS_MSK_IAM cluster IAM policies govern "
              "access (Kafka ACLs do not apply to IAM clients): turn it off")
    elif enforcer == "none":
        p.add("adopt.acls", True, f"securityProtocol {d.cluster.security_protocol} authenticates no one, so this "
              "stack declares no ACLs to adopt: turn it off")

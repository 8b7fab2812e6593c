"""What a user needs next, as stack outputs (their keys are in model/names.py).

- topic names and partitions (and the brokers), as the live check reads them;
- the values of EvidentSource's CloudFormation parameters, KafkaSaslJaasConfig as a secret;
- a Java client.properties text per role, with passwords read from the environment at
  start-up (Kafka's EnvVarConfigProvider), never written into the text;
- IAM policy ARNs, and which enforcer governs each principal;
- the bridge shape: each database's topic, and the bridge container's settings as environment variables.
Everything here is derived from the validated config and the access model, except values
that only exist once resources do (policy ARNs), which callers pass in.
"""

from __future__ import annotations

import pulumi

from components.config.stack_config import StackConfig
from components.model import jaas
from components.model import acl_bindings, bridge, iam_policies
from components.model.access_model import AccessModel, Grant, RoleAccess

ENFORCER_TEXT = {
    "kafka-acls": "Kafka ACLs (declared by this stack)",
    "msk-iam": "MSK IAM policy (declared by this stack; Kafka ACLs do not apply to IAM clients)",
    "none": "nothing: PLAINTEXT authenticates no one, every client is User:ANONYMOUS",
}


def cloudformation_parameters(config: StackConfig) -> dict[str, str]:
    """KafkaBrokers, KafkaSecurityProtocol, KafkaSaslMechanism (empty for PLAINTEXT, as the template wants)."""
    cluster = config.cluster
    return {
        "KafkaBrokers": config.connection.bootstrap,
        "KafkaSecurityProtocol": "" if cluster.security_protocol == "PLAINTEXT" else cluster.security_protocol,
        "KafkaSaslMechanism": cluster.sasl_mechanism or "",
    }


def server_sasl_jaas_config(config: StackConfig, model: AccessModel) -> pulumi.Output[str] | None:
    """EvidentSource's KafkaSaslJaasConfig (secret) for PLAIN/SCRAM stacks, when the server's password is known."""
    mechanism = config.cluster.sasl_mechanism
    principals = model.role("server").principals
    if mechanism not in jaas.MODULE_FOR_MECHANISM or not principals:
        return None
    user = principals[0].removeprefix("User:")
    password = config.principal_passwords.get(user)
    if password is None and config.login is not None and config.login.username == user:
        password = config.login.password  # the seed's single-identity setup: Pulumi logs in as the server
    if password is None:
        return None
    return password.output().apply(lambda secret: jaas.render(mechanism, user, secret))


def client_properties(config: StackConfig, access: RoleAccess) -> str:
    """A Java client.properties for one role (kafka-*.sh --command-config, or any Java client)."""
    lines = [f"# {access.role.title}: access governed by {ENFORCER_TEXT[config.enforcer]}"]
    if access.principals:
        lines.append(f"# held by: {', '.join(access.principals)}")
    lines += config.connection.java_properties(tuple(p.removeprefix("User:") for p in access.principals))
    groups = [g.name for g in access.grants if g.resource_type == "group"]
    if groups:
        lines.append("# consumers: any group.id (every group)" if groups[0] == "*"
                     else f"# consumers: group.id must start with {groups[0]}")
    if access.produces:
        lines += ["enable.idempotence=true", "acks=all"]
    return "\n".join(lines) + "\n"


def bridge_environment(config: StackConfig, access: RoleAccess) -> dict[str, str]:
    """The bridge container's producer settings as environment variables (the bridge shape): where to write, how
    to log in (the password stays in the bridge principal's own secret, never here), and its topic template."""
    c, users = config.connection, [p.removeprefix("User:") for p in access.principals]
    env = {"KAFKA_BOOTSTRAP_SERVERS": c.bootstrap, "KAFKA_SECURITY_PROTOCOL": c.security_protocol,
           "KAFKA_TOPIC_PREFIX": config.bridge.topic_prefix, "KAFKA_TOPIC_SUFFIX": bridge.SUFFIX,
           "KAFKA_ACKS": "all", "KAFKA_ENABLE_IDEMPOTENCE": "true",
           "KAFKA_ALLOW_TOPIC_CREATION": str(config.access.bridge.create_topics).lower()}
    if c.sasl_mechanism:
        env["KAFKA_SASL_MECHANISM"] = c.sasl_mechanism
    if c.sasl_mechanism in jaas.MODULE_FOR_MECHANISM and len(users) == 1:
        env["KAFKA_SASL_USERNAME"] = users[0]
    if c.security_protocol == "SSL" and len(users) == 1:  # mTLS: the subject the bridge's own certificate must carry
        env["KAFKA_SSL_CERTIFICATE_SUBJECT"] = users[0]
    if c.aws_region:
        env["AWS_REGION"] = c.aws_region
    if c.tls and c.ca_cert:  # the stack's CA, as a file path or as the PEM text itself
        env["KAFKA_SSL_CA_PEM" if "-----BEGIN" in c.ca_cert else "KAFKA_SSL_CA_LOCATION"] = c.ca_cert
    return env


def enforcement(model: AccessModel, policy_arns: dict[str, pulumi.Output[str]] | None = None) -> dict[str, dict]:
    """principal -> its roles and what governs its access (with the policy ARNs on IAM stacks)."""
    result: dict[str, dict] = {}
    for principal, roles in model.principals().items():
        entry: dict = {"roles": list(roles), "enforcer": model.enforcer, "governedBy": ENFORCER_TEXT[model.enforcer]}
        if policy_arns:
            entry["policyArns"] = [policy_arns[r] for r in roles]
        removed = [line for r in roles for line in removed_from_vendor(model.role(r), model.enforcer)]
        if removed:
            entry["narrowedFromVendor"] = removed
        result[principal] = entry
    return result


def removed_from_vendor(access: RoleAccess, enforcer: str) -> list[str]:
    """What the stack narrowed away from the vendor's grants of this role, in the enforcer's own terms."""
    return [f"{what} on {_resource(grant)}" for grant in access.removed for what in _terms(grant, enforcer)]


def _terms(grant: Grant, enforcer: str) -> tuple[str, ...]:
    if enforcer == "msk-iam":
        return {"topic": iam_policies.TOPIC_ACTIONS.get(grant.action, ()), "group": iam_policies.GROUP_ACTIONS,
                "cluster": ("kafka-cluster:DescribeCluster",)}.get(grant.resource_type, ())
    return acl_bindings.OPERATIONS[(grant.resource_type, grant.action)]  # the cluster grant has no ACL


def _resource(grant: Grant) -> str:
    if grant.resource_type == "cluster":
        return "the cluster"
    return f"{grant.resource_type} {grant.name}{'*' if grant.prefixed else ''}" + \
        (" (every group)" if grant.resource_type == "group" and not grant.prefixed else "")

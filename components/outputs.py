"""What a user needs next, as stack outputs: output keys shared by program and tests.

- topic names and partitions (and the brokers), as the live check reads them;
- the values of EvidentSource's CloudFormation parameters, KafkaSaslJaasConfig as a secret;
- a Java client.properties text per role, with passwords read from the environment at
  start-up (Kafka's EnvVarConfigProvider), never written into the text;
- IAM policy ARNs, and which enforcer governs each principal.
Everything here is derived from the validated config and the access model (pure), except
values that only exist once resources do (policy ARNs), which callers pass in.
"""

from __future__ import annotations

import pulumi

from components import jaas
from components.access_model import AccessModel, RoleAccess
from components.config_schema import StackConfig

TOPIC_NAMES = "topicNames"
TOPIC_PARTITIONS = "topicPartitions"
KAFKA_BROKERS = "kafkaBrokers"
CLOUDFORMATION_PARAMETERS = "cloudFormationParameters"
CLOUDFORMATION_SASL_JAAS_CONFIG = "cloudFormationKafkaSaslJaasConfig"
CLIENT_PROPERTIES = "clientProperties"
IAM_POLICY_ARNS = "iamPolicyArns"
ACCESS_ENFORCEMENT = "accessEnforcement"
# Topic keys declared unprotected and not retained on delete by this deployment. The next run reads
# it from the state (prior_state.py): only then may a topic whose data loss the stack accepted be replaced.
UNPROTECTED_TOPICS = "unprotectedTopics"

PASSWORD_ENV = "KAFKA_SASL_PASSWORD"
USERNAME_ENV = "KAFKA_SASL_USERNAME"
ENFORCER_TEXT = {
    "kafka-acls": "Kafka ACLs (declared by this stack)",
    "msk-iam": "MSK IAM policy (declared by this stack; Kafka ACLs do not apply to IAM clients)",
    "none": "nothing: PLAINTEXT authenticates no one, every client is User:ANONYMOUS",
}


def cloudformation_parameters(config: StackConfig) -> dict[str, str]:
    """KafkaBrokers, KafkaSecurityProtocol, KafkaSaslMechanism (empty for PLAINTEXT, as the template wants)."""
    cluster = config.cluster
    return {
        "KafkaBrokers": ",".join(cluster.bootstrap_servers),
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


def _login_lines(config: StackConfig, access: RoleAccess) -> list[str]:
    mechanism = config.cluster.sasl_mechanism
    if mechanism is None:
        return []
    lines = [f"sasl.mechanism={mechanism}"]
    if mechanism == "AWS_MSK_IAM":
        return lines + [f"sasl.jaas.config={jaas.IAM_MODULE} required;",
                        f"sasl.client.callback.handler.class={jaas.IAM_CALLBACK_HANDLER}"]
    users = [p.removeprefix("User:") for p in access.principals]
    username = users[0] if len(users) == 1 else f"${{env:{USERNAME_ENV}}}"
    module = jaas.MODULE_FOR_MECHANISM[mechanism]
    return lines + [
        f"# The password comes from ${PASSWORD_ENV} at start-up; it is never written here.",
        "config.providers=env",
        "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        f'sasl.jaas.config={module} required username="{username}" password="${{env:{PASSWORD_ENV}}}";',
    ]


def client_properties(config: StackConfig, access: RoleAccess) -> str:
    """A Java client.properties for one role (kafka-*.sh --command-config, or any Java client)."""
    lines = [f"# {access.role.title}: access governed by {ENFORCER_TEXT[config.enforcer]}"]
    if access.principals:
        lines.append(f"# held by: {', '.join(access.principals)}")
    lines += [f"bootstrap.servers={','.join(config.cluster.bootstrap_servers)}",
              f"security.protocol={config.cluster.security_protocol}"]
    lines += _login_lines(config, access)
    groups = [g.name for g in access.grants if g.resource_type == "group"]
    if groups:
        lines.append(f"# consumers: group.id must start with {groups[0]}")
    if access.produces:
        lines += ["enable.idempotence=true", "acks=all"]
    return "\n".join(lines) + "\n"


def enforcement(config: StackConfig, model: AccessModel,
                policy_arns: dict[str, pulumi.Output[str]] | None = None) -> dict[str, dict]:
    """principal -> its roles and what governs its access (with the policy ARNs on IAM stacks)."""
    result: dict[str, dict] = {}
    for principal, roles in model.principals().items():
        entry: dict = {"roles": list(roles), "enforcer": model.enforcer, "governedBy": ENFORCER_TEXT[model.enforcer]}
        if policy_arns:
            entry["policyArns"] = [policy_arns[r] for r in roles]
        result[principal] = entry
    return result

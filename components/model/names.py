"""The spellings that several layers (and the tools) share, written down once.

- the config namespace (`evidentsource-kafka:<key>` in Pulumi.<stack>.yaml);
- the names of the component resources, and of the children that data safety looks up in the
  state (topics and ACLs): they are part of every URN, so changing one would make Pulumi replace
  what it manages (the other children are named by their component, from these names);
- the stack outputs' keys, which users, the live check and the next run read.
Pure: no Pulumi, no config.
"""

from __future__ import annotations

import re

from pydantic.alias_generators import to_snake

NAMESPACE = "evidentsource-kafka"
# Set by tools/pulumi for the operations that run the program without applying its settings (refresh, destroy).
OPERATION_ENV = "EVIDENTSOURCE_KAFKA_OPERATION"
APPLIES_NOTHING = ("refresh", "destroy")

# Component names: part of every child's URN, so never change them.
TOPICS = "evidentsource"
ACLS = "acls"
SCRAM_USERS = "scram-users"
ACCESS_RECORD = "access-record"
MSK_IAM = "msk-iam"
MSK_INGRESS = "msk-ingress"

# Stack outputs.
TOPIC_NAMES = "topicNames"
TOPIC_PARTITIONS = "topicPartitions"
KAFKA_BROKERS = "kafkaBrokers"
CLOUDFORMATION_PARAMETERS = "cloudFormationParameters"
CLOUDFORMATION_SASL_JAAS_CONFIG = "cloudFormationKafkaSaslJaasConfig"
CLIENT_PROPERTIES = "clientProperties"
IAM_POLICY_ARNS = "iamPolicyArns"
ACCESS_ENFORCEMENT = "accessEnforcement"
BRIDGE_TOPICS = "bridgeTopics"
BRIDGE_ENVIRONMENT = "bridgeEnvironment"
# Topic keys declared unprotected and not retained on delete by this deployment. The next run reads
# it from the state (safety/prior_state.py): only then may a topic whose data loss the stack accepted
# be replaced.
UNPROTECTED_TOPICS = "unprotectedTopics"
# Topic keys declared unprotected but retained on delete (a released database, the bridge shape): the next run
# reads it and only then stops declaring them, so the engine lets them go and they stay on the cluster.
RELEASED_TOPICS = "releasedTopics"

# What each output is, for the handbook's reference (docs/reference/outputs.md is generated from it).
OUTPUTS = {
    TOPIC_NAMES: "catalogue key -> the topic's name on the cluster",
    TOPIC_PARTITIONS: "catalogue key -> its partition count",
    UNPROTECTED_TOPICS: "topic keys this deployment left unprotected (read by the next run: only then may a "
                        "topic whose loss the stack accepted be replaced)",
    RELEASED_TOPICS: "topic keys this deployment declared unprotected but retained on delete (released databases: "
                     "the next run lets them go, and they stay on the cluster); only while there are any",
    KAFKA_BROKERS: "the bootstrap servers, comma-separated",
    CLOUDFORMATION_PARAMETERS: "the parameters EvidentSource's CloudFormation template takes (KafkaBrokers, "
                               "KafkaSecurityProtocol, KafkaSaslMechanism, topic names, ...)",
    CLOUDFORMATION_SASL_JAAS_CONFIG: "secret: the server's KafkaSaslJaasConfig (SASL stacks whose server "
                                     "password the stack holds)",
    CLIENT_PROPERTIES: "role -> a client.properties file for that role (password left for the role's own secret)",
    ACCESS_ENFORCEMENT: "principal -> how its access is enforced (Kafka ACLs or an IAM policy), what it may do, "
                        "and what was narrowed below the vendor's grants",
    IAM_POLICY_ARNS: "MSK IAM stacks: role -> the ARN of its IAM policy",
    BRIDGE_TOPICS: "the bridge shape: database -> its topic's name on the cluster",
    BRIDGE_ENVIRONMENT: "the bridge shape: the bridge container's producer settings as environment variables "
                        "(the password stays in the bridge principal's own secret; on an mTLS stack, "
                        "`KAFKA_SSL_CERTIFICATE_SUBJECT` is the subject the bridge's own client certificate must carry)",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._=,@-]")


def slug(text: str) -> str:
    """`User:app one` -> `User_app_one`: a principal, user or prefix as part of a resource name."""
    return _UNSAFE.sub("_", text)


def kebab(key: str) -> str:
    """`databaseEvents` -> `database-events`: a catalogue key as part of a resource name."""
    return to_snake(key).replace("_", "-")


def acl_role_resource(role: str, component: str = ACLS) -> str:
    """The Pulumi name of a role's ACL resource: the component's name and the role's key."""
    return f"{component}-{role}"


def topic_resource(key: str, component: str = TOPICS) -> str:
    """The Pulumi name of a topic resource: from its stable key, never from its Kafka name."""
    return f"{component}-{kebab(key)}"


def database_topic_resource(database: str, component: str = TOPICS) -> str:
    """The Pulumi name of a database's topic (the bridge shape): from the database, never from the prefix."""
    return f"{component}-db-{database}"


def database_of_resource(resource: str, component: str = TOPICS) -> str | None:
    """`evidentsource-db-orders` -> `orders`; None for the four topics' resources."""
    return resource.removeprefix(f"{component}-db-") if resource.startswith(f"{component}-db-") else None


"""EvidentSource's Kafka prerequisites: wiring only; everything else is in components/.

Order, as a reader meets it: validated settings -> data safety (what the cluster and the
stack's state hold; refusals) -> topics -> who may do what (access model) -> its enforcer
(Kafka ACLs or MSK IAM) -> network ingress -> outputs.
"""

import pulumi

from components import access_model, data_safety, outputs, sdk_debug, stack_config
from components.connection import aws_provider, kafka_provider
from components.kafka_acls import COMPONENT_NAME as ACLS
from components.kafka_acls import KafkaAcls, KafkaAclsArgs, acl_bindings
from components.msk_iam import MskIamArgs, MskIamPolicies
from components.network import MskIngress, MskIngressArgs
from components.ports import msk_listener
from components.scram_users import ScramUsers, ScramUsersArgs
from components.topics import COMPONENT_NAME as TOPICS
from components.topics import EvidentSourceTopics, TopicsArgs

sdk_debug.install()  # no debug round trip per resource to the engine (sdk_debug.py)
config = stack_config.load()  # validated before any resource is declared
# Reads the stack's state and the live cluster, and refuses, before anything is declared, every
# change that would destroy a topic's messages; plans adoption and protection of each topic.
safety = data_safety.check(config, TOPICS)
model = access_model.build(config, safety.declared_names)
declares_acls = model.enforcer == "kafka-acls" and bool(model.principals())

# Providers only where something uses them: the dev stack declares no aws provider at all.
kafka_prov = kafka_provider("kafka", config) if config.needs_kafka_provider else None
aws_prov = aws_provider("aws", config.msk) if config.needs_aws else None

topics = EvidentSourceTopics(TOPICS, TopicsArgs(
    config.topics, aws_prov if config.topics.backend == "msk" else kafka_prov,
    config.msk.cluster_arn if config.msk else None, safety.topics))

if config.access.create_scram_users:  # the config made sure every principal has a password
    ScramUsers("scram-users", ScramUsersArgs(config.principal_passwords, config.cluster.sasl_mechanism, kafka_prov))

policy_arns = None
if declares_acls:
    adopted = data_safety.adopt_acls(config, safety, acl_bindings(model), ACLS)  # adopt.acls: bindings to import
    KafkaAcls(ACLS, KafkaAclsArgs(model, kafka_prov, adopted))
elif model.enforcer == "msk-iam":
    policy_arns = MskIamPolicies("msk-iam", MskIamArgs(model, config.msk.arn, config.iam, aws_prov)).policy_arns

if config.network is not None:
    MskIngress("msk-ingress", MskIngressArgs(
        config.network.msk_security_group_id, config.network.sources(),
        msk_listener(config.cluster.security_protocol, config.cluster.sasl_mechanism), aws_prov))

pulumi.export(outputs.TOPIC_NAMES, topics.names)
pulumi.export(outputs.TOPIC_PARTITIONS, topics.partitions)
pulumi.export(outputs.UNPROTECTED_TOPICS, safety.unprotected)
pulumi.export(outputs.KAFKA_BROKERS, ",".join(config.cluster.bootstrap_servers))
pulumi.export(outputs.CLOUDFORMATION_PARAMETERS, outputs.cloudformation_parameters(config))
if (jaas_config := outputs.server_sasl_jaas_config(config, model)) is not None:
    pulumi.export(outputs.CLOUDFORMATION_SASL_JAAS_CONFIG, jaas_config)
pulumi.export(outputs.CLIENT_PROPERTIES, {r.role.key: outputs.client_properties(config, r) for r in model.roles})
pulumi.export(outputs.ACCESS_ENFORCEMENT, outputs.enforcement(config, model, policy_arns))
if policy_arns is not None:
    pulumi.export(outputs.IAM_POLICY_ARNS, policy_arns)

"""The whole program, in the order a reader meets it (__main__.py calls `declare`).

validated settings (config/) -> data safety: what the cluster and the stack's state hold, refusals,
the plan of each topic (safety/) -> who may do what (model/access_model.py) -> the providers and
the resources: topics, SCRAM users, the access model's enforcer (Kafka ACLs or MSK IAM), network
ingress (resources/) -> outputs.
"""

from __future__ import annotations

import pulumi

from components import outputs
from components.config import load
from components.model import bridge, names
from components.model.acl_bindings import by_role
from components.model.listeners import msk_listener
from components.resources.access_record import AccessRecord
from components.resources.kafka_acls import KafkaAcls, KafkaAclsArgs
from components.resources.msk_iam import MskIamArgs, MskIamPolicies
from components.resources.network import MskIngress, MskIngressArgs
from components.resources.providers import admin_connection, aws_provider, kafka_provider
from components.resources.scram_users import ScramUsers, ScramUsersArgs
from components.resources.topics import EvidentSourceTopics, TopicsArgs
from components.safety import check as data_safety
from components.safety.check import Readers


def declare(readers: Readers) -> None:
    config = load.load()  # validated before any resource is declared
    # Reads the stack's state and the live cluster, and refuses, before anything is declared, every
    # change that would destroy a topic's messages; plans adoption and protection of each topic.
    assessment = data_safety.check(config, readers)
    model = config.access_model(assessment.declared_names)
    for access in model.roles:
        if access.removed and access.principals:
            removed = outputs.removed_from_vendor(access, model.enforcer)
            pulumi.log.warn(f"access.{access.role.key}: narrowed below its vendor's documented grants, without "
                            f"{len(removed)}: {'; '.join(removed)} (if it then fails with an authorization error, "
                            "remove groupPrefix / narrowToReadWrite)")

    # Providers only where something uses them: the dev stack declares no aws provider at all.
    kafka_prov = kafka_provider("kafka", config.connection) if config.needs_kafka_provider else None
    aws_prov = aws_provider("aws", config.msk) if config.needs_aws else None
    kafka_opts = pulumi.ResourceOptions(providers=[kafka_prov] if kafka_prov else None)
    aws_opts = pulumi.ResourceOptions(providers=[aws_prov] if aws_prov else None)

    msk = config.topics.backend == "msk"
    topics = EvidentSourceTopics(names.TOPICS, TopicsArgs(
        list(assessment.topics.values()), config.topics.backend, config.msk.cluster_arn if msk else None),
        aws_opts if msk else kafka_opts)

    prior = assessment.prior
    # Every access change of this run, planned before any resource is declared (safety/access_plan.py).
    held = by_role(model) if model.enforcer == "kafka-acls" and model.principals() else {}
    plan = data_safety.access(config, assessment, model, held)
    access_opts = kafka_opts
    if config.access.create_scram_users or held or plan.record_acls or plan.record_users:
        # Written before the resources below act (they depend on it): what the stack may have on the cluster.
        record = AccessRecord(names.ACCESS_RECORD, set(plan.record_acls), set(plan.record_users),
                              config.cluster.sasl_mechanism if config.access.create_scram_users else None,
                              admin_connection(config), config.cluster.timeout_seconds, kafka_opts)
        access_opts = pulumi.ResourceOptions.merge(kafka_opts, pulumi.ResourceOptions(depends_on=[record]))
    if config.access.create_scram_users:  # the config made sure every principal has a password
        ScramUsers(names.SCRAM_USERS, ScramUsersArgs(
            config.principal_passwords, config.cluster.sasl_mechanism, admin_connection(config),
            config.cluster.timeout_seconds, prior.unmigrated_scram_users, plan.users_missing, plan.users_retire),
            access_opts)

    policy_arns = None
    if held:
        data_safety.adopt_acls(config, assessment, {b.import_id: b for found in held.values() for b in found})
        KafkaAcls(names.ACLS, KafkaAclsArgs(held, admin_connection(config), config.cluster.timeout_seconds,
                                            prior.unmigrated_acls, plan.missing, plan.retire, plan.remove_unmanaged),
                  access_opts)
    elif model.enforcer == "msk-iam":
        policy_arns = MskIamPolicies(names.MSK_IAM, MskIamArgs(model, config.msk.arn, config.iam), aws_opts).policy_arns

    if config.network is not None:
        listener = msk_listener(config.cluster.security_protocol, config.cluster.sasl_mechanism)
        MskIngress(names.MSK_INGRESS, MskIngressArgs(config.network.msk_security_group_id, config.network.sources(),
                                                     listener), aws_opts)

    four = {key for key in topics.names if bridge.database_of(key) is None}
    pulumi.export(names.TOPIC_NAMES, {k: v for k, v in topics.names.items() if k in four})
    pulumi.export(names.TOPIC_PARTITIONS, {k: v for k, v in topics.partitions.items() if k in four})
    pulumi.export(names.UNPROTECTED_TOPICS, assessment.unprotected)
    if assessment.released:
        pulumi.export(names.RELEASED_TOPICS, assessment.released)
    pulumi.export(names.KAFKA_BROKERS, config.connection.bootstrap)
    pulumi.export(names.CLOUDFORMATION_PARAMETERS, outputs.cloudformation_parameters(config))
    if (jaas_config := outputs.server_sasl_jaas_config(config, model)) is not None:
        pulumi.export(names.CLOUDFORMATION_SASL_JAAS_CONFIG, jaas_config)
    pulumi.export(names.CLIENT_PROPERTIES, {r.role.key: outputs.client_properties(config, r) for r in model.roles})
    pulumi.export(names.ACCESS_ENFORCEMENT, outputs.enforcement(model, policy_arns))
    if policy_arns is not None:
        pulumi.export(names.IAM_POLICY_ARNS, policy_arns)
    if "bridge" in config.shapes:
        pulumi.export(names.BRIDGE_TOPICS, {bridge.database_of(k): v for k, v in topics.names.items() if k not in four})
        pulumi.export(names.BRIDGE_ENVIRONMENT, outputs.bridge_environment(config, model.role("bridge")))

"""Every real Pulumi.<stack>.yaml, loaded and run through __main__.py under mocks.

Stack files hold REPLACE_ME placeholders a user must fill in. Each file is tested twice:
as committed (the program must refuse it and name every placeholder and missing secret),
and with the placeholders replaced by test values (resource count, properties, ACL set,
policy JSON, exports).
"""

from __future__ import annotations

from components.model.acl_bindings import from_grants

import json

import pytest

from components.config import load
from components.model import names as keys
from components.model.names import NAMESPACE
from mocking import ACCOUNT, PROJECT, run_program, stack_file

UUID = "6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"
CLUSTER = f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/evidentsource-prod/{UUID}"
PROD = {
    "b-1.REPLACE_ME.": "b-1.evidentsource-prod.abc123.c2.", "b-2.REPLACE_ME.": "b-2.evidentsource-prod.abc123.c2.",
    "b-3.REPLACE_ME.": "b-3.evidentsource-prod.abc123.c2.", "REPLACE_ME_ACCOUNT_ID": ACCOUNT,
    "REPLACE_ME_CLUSTER_NAME": "evidentsource-prod", "REPLACE_ME_CLUSTER_UUID": UUID,
    "REPLACE_ME-evidentsource-server-role": "evidentsource-server-role",
    "REPLACE_ME-evidentsource-streams-lambda-role": "evidentsource-streams-lambda-role",
    "sg-REPLACE_ME_MSK": "sg-0aaaaaaaaaaaaaaaa", "sg-REPLACE_ME_EVIDENTSOURCE_CLUSTER": "sg-0bbbbbbbbbbbbbbbb",
    "sg-REPLACE_ME_KAFKA_ACCESS": "sg-0cccccccccccccccc",
}
STAGING = {"REPLACE_ME-broker-": "broker-"}
STAGING_SECRETS = {
    "saslJaasConfig": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-pw";',
    "principalPasswords": {"evidentsource": "server-pw", "evidentsource-streams-lambda": "lambda-pw",
                           "external-consumer": "consumer-pw", "external-producer": "producer-pw"},
}
TESTED = {"dev", "prod", "staging", "local-secure", "bridge"}
BRIDGE = {**{k: v for k, v in PROD.items() if not k.startswith(("sg-", "REPLACE_ME-evidentsource-"))},
          "sg-REPLACE_ME_MSK": "sg-0aaaaaaaaaaaaaaaa",
          "REPLACE_ME-evidentsource-bridge-role": "evidentsource-bridge-role", "sg-REPLACE_ME_BRIDGE": "sg-0dddddddddddddddd"}
# What Kafka's `--operation All` on a topic stands for: the seed's grant to the server, written out.
SEED_ALL = ("Read", "Write", "Create", "Delete", "Alter", "Describe", "DescribeConfigs", "AlterConfigs")


def test_every_stack_file_is_tested_here():
    files = {p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in PROJECT.glob("Pulumi.*.yaml")}
    assert {f for f in files if not f.startswith("it-")} == TESTED  # it-*: integration tests' throwaway stacks


def refused_keys(raw) -> list[str]:
    with pytest.raises(load.ConfigError) as caught:
        load.parse(raw)
    return [line.split(" ")[0].rstrip(":").removeprefix(f"{NAMESPACE}:")
            for line in str(caught.value).split("\n  - ")[1:]]


def no_aws(monitor):
    return not [r.type for r in monitor.registrations if r.type.startswith(("aws:", "pulumi:providers:aws"))]


class TestDev:
    def test_topics_only_on_the_local_plaintext_broker(self, monitor):
        exports = run_program(stack_file("dev"))
        assert monitor.types() == {"pulumi:providers:kafka": 1, "evidentsource:kafka:Topics": 1, "kafka:index/topic:Topic": 4}
        assert no_aws(monitor)  # no aws resource and no aws provider on dev
        (provider,) = monitor.of_type("pulumi:providers:kafka")
        assert json.loads(provider.inputs["bootstrapServers"]) == ["127.0.0.1:9092"]
        assert provider.inputs["tlsEnabled"] == "false" and provider.inputs["saslUsername"] == ""
        assert {t.inputs["replicationFactor"] for t in monitor.of_type("kafka:index/topic:Topic")} == {1}
        assert {t.inputs["config"]["min.insync.replicas"] for t in monitor.of_type("kafka:index/topic:Topic")} == {"1"}
        values = exports.values
        assert values[keys.KAFKA_BROKERS] == "127.0.0.1:9092"
        assert values[keys.TOPIC_PARTITIONS] == {"transactionProposals": 3, "databaseEvents": 3, "asyncCommands": 3,
                                             "asyncResponses": 3}
        assert values[keys.CLOUDFORMATION_PARAMETERS] == {"KafkaBrokers": "127.0.0.1:9092", "KafkaSecurityProtocol": "",
                                                      "KafkaSaslMechanism": ""}
        assert values[keys.ACCESS_ENFORCEMENT] == {}
        assert keys.IAM_POLICY_ARNS not in values and keys.CLOUDFORMATION_SASL_JAAS_CONFIG not in values
        assert not any(exports.secret.values())


class TestBridge:
    def test_as_committed_it_is_refused_naming_every_placeholder(self):
        assert refused_keys(stack_file("bridge")) == [
            "cluster.bootstrapServers[0]", "cluster.bootstrapServers[1]", "cluster.bootstrapServers[2]",
            "msk.clusterArn", "access.bridge.principals[0]", "network.mskSecurityGroupId",
            "network.bridgeSecurityGroupId"]

    def test_a_topic_per_database_the_bridge_scoped_to_its_prefix_on_this_cluster_and_its_ingress(self, monitor):
        exports = run_program(stack_file("bridge", BRIDGE)).values
        assert monitor.types() == {
            "pulumi:providers:aws": 1, "evidentsource:kafka:Topics": 1, "aws:msk/topic:Topic": 2,
            "evidentsource:kafka:MskIamPolicies": 1, "aws:iam/policy:Policy": 2,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
            "evidentsource:kafka:MskIngress": 1, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 1}
        topics = {t.inputs["name"]: t for t in monitor.of_type("aws:msk/topic:Topic")}
        assert sorted(topics) == ["evidentsource.billing.events", "evidentsource.orders.events"]
        assert json.loads(topics["evidentsource.orders.events"].inputs["configs"])["retention.ms"] == str(30 * 86_400_000)
        assert all(t.inputs["partitionCount"] == 6 for t in topics.values())
        policies = {r.name: json.loads(r.inputs["policy"]) for r in monitor.of_type("aws:iam/policy:Policy")}
        writes = next(s for s in policies["msk-iam-bridge"]["Statement"] if s["Sid"] == "WriteTopics")
        assert writes["Resource"] == [f"arn:aws:kafka:us-east-1:{ACCOUNT}:topic/evidentsource-prod/{UUID}/evidentsource.*"]
        assert "kafka-cluster:CreateTopic" not in writes["Action"]
        (rule,) = monitor.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        assert (rule.inputs["fromPort"], rule.inputs["referencedSecurityGroupId"]) == (9098, "sg-0dddddddddddddddd")
        assert exports[keys.BRIDGE_TOPICS] == {"orders": "evidentsource.orders.events",
                                               "billing": "evidentsource.billing.events"}
        assert exports[keys.BRIDGE_ENVIRONMENT]["KAFKA_SASL_MECHANISM"] == "AWS_MSK_IAM"
        assert set(exports[keys.IAM_POLICY_ARNS]) == {"bridge", "bridgeConsumers"} and exports[keys.TOPIC_NAMES] == {}


class TestProd:
    def test_as_committed_it_is_refused_naming_every_placeholder(self):
        assert refused_keys(stack_file("prod")) == [
            "cluster.bootstrapServers[0]", "cluster.bootstrapServers[1]", "cluster.bootstrapServers[2]",
            "msk.clusterArn", "access.server.principals[0]", "access.dynamodbStreamsLambda.principals[0]",
            "network.mskSecurityGroupId", "network.clusterSecurityGroupId", "network.lambdaSecurityGroupId"]

    def test_msk_topics_iam_policies_and_ingress_without_any_kafka_resource(self, monitor):
        raw = stack_file("prod", PROD)
        assert "REPLACE_ME" not in json.dumps(raw)
        exports = run_program(raw)
        assert monitor.types() == {
            "pulumi:providers:aws": 1,
            "evidentsource:kafka:Topics": 1, "aws:msk/topic:Topic": 4,
            "evidentsource:kafka:MskIamPolicies": 1, "aws:iam/policy:Policy": 4,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 2,
            "evidentsource:kafka:MskIngress": 1, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2,
        }  # no kafka provider, no ACL: a preview needs AWS credentials only
        (provider,) = monitor.of_type("pulumi:providers:aws")
        assert provider.inputs["region"] == "us-east-1" and json.loads(provider.inputs["allowedAccountIds"]) == [ACCOUNT]
        for topic in monitor.of_type("aws:msk/topic:Topic"):
            assert (topic.inputs["clusterArn"], topic.inputs["partitionCount"], topic.inputs["replicationFactor"]) == (CLUSTER, 6, 3)
            assert json.loads(topic.inputs["configs"])["min.insync.replicas"] == "2"
        for rule in monitor.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
            assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["securityGroupId"]) == (9098, 9098, "sg-0aaaaaaaaaaaaaaaa")
        assert {r.inputs["referencedSecurityGroupId"] for r in monitor.of_type(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")} == {"sg-0bbbbbbbbbbbbbbbb", "sg-0cccccccccccccccc"}
        policies = {r.name: json.loads(r.inputs["policy"]) for r in monitor.of_type("aws:iam/policy:Policy")}
        consumers = policies["msk-iam-externalConsumers"]["Statement"]
        assert consumers[2]["Resource"] == [f"arn:aws:kafka:us-east-1:{ACCOUNT}:group/evidentsource-prod/{UUID}/evidentsource-external-*"]
        assert {r.inputs["role"] for r in monitor.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")} == {
            "evidentsource-server-role", "evidentsource-streams-lambda-role"}
        values = exports.values
        assert set(values[keys.IAM_POLICY_ARNS]) == {"server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers"}
        assert values[keys.CLOUDFORMATION_PARAMETERS]["KafkaSaslMechanism"] == "AWS_MSK_IAM"
        assert values[keys.CLOUDFORMATION_PARAMETERS]["KafkaBrokers"].count(":9098") == 3
        assert values[keys.ACCESS_ENFORCEMENT]["evidentsource-server-role"]["enforcer"] == "msk-iam"
        assert values[keys.ACCESS_ENFORCEMENT]["evidentsource-server-role"]["policyArns"] == [values[keys.IAM_POLICY_ARNS]["server"]]
        assert "IAMLoginModule" in values[keys.CLIENT_PROPERTIES]["externalProducers"]
        assert keys.CLOUDFORMATION_SASL_JAAS_CONFIG not in values


class TestStaging:
    def test_as_committed_it_is_refused_naming_placeholders_and_missing_secrets(self):
        assert refused_keys(stack_file("staging")) == [
            "cluster.bootstrapServers[0]", "cluster.bootstrapServers[1]", "cluster.bootstrapServers[2]",
            "saslJaasConfig", "principalPasswords.evidentsource", "principalPasswords.evidentsource-streams-lambda",
            "principalPasswords.external-consumer", "principalPasswords.external-producer"]

    def test_scram_users_and_kafka_acls_and_no_aws(self, monitor):
        exports = run_program({**stack_file("staging", STAGING), **STAGING_SECRETS})
        assert no_aws(monitor)
        assert monitor.types() == {
            "pulumi:providers:kafka": 1, "evidentsource:kafka:Topics": 1, "kafka:index/topic:Topic": 4,
            "evidentsource:kafka:ScramUsers": 1, "pulumi-python:dynamic/evidentsource:ScramUsers": 1,
            "evidentsource:kafka:Acls": 1, "pulumi-python:dynamic/evidentsource:RoleAcls": 4,
            "pulumi-python:dynamic/evidentsource:AccessRecord": 1,
        }
        # The record is written before any access resource acts: they depend on it.
        (record,) = monitor.of_type("pulumi-python:dynamic/evidentsource:AccessRecord")
        for access in monitor.of_type("pulumi-python:dynamic/evidentsource:RoleAcls"):
            assert any(d.endswith("::access-record") for d in access.dependencies), (access.name, access.dependencies)
        (provider,) = monitor.of_type("pulumi:providers:kafka")
        assert (provider.inputs["saslMechanism"], provider.inputs["saslUsername"], provider.inputs["tlsEnabled"]) == (
            "scram-sha512", "admin", "true")
        assert provider.secret("saslPassword")
        (users,) = monitor.of_type("pulumi-python:dynamic/evidentsource:ScramUsers")
        assert users.inputs["users"] == sorted(STAGING_SECRETS["principalPasswords"])
        assert users.secret("passwords") and users.plain("passwords") == STAGING_SECRETS["principalPasswords"]
        assert users.inputs["mechanism"] == "SCRAM-SHA-512"
        roles = monitor.of_type("pulumi-python:dynamic/evidentsource:RoleAcls")
        acls = {(a.principal, a.operation, a.resource_type, a.resource_name, a.pattern)
                for r in roles for a in from_grants(r.inputs["grants"])}
        assert sum(len(r.inputs["grants"]) for r in roles) == len(acls) == 38  # each binding held once
        topics = ("transaction-proposals", "database-events", "async-commands", "async-responses")
        assert acls == {
            *{("User:evidentsource", op, "Topic", f"evidentsource-{t}", "Literal") for op in SEED_ALL for t in topics},
            ("User:evidentsource", "Read", "Group", "*", "Literal"),  # every group, as the vendor documents
            ("User:evidentsource-streams-lambda", "Write", "Topic", "evidentsource-database-events", "Literal"),
            ("User:external-consumer", "Read", "Topic", "evidentsource-database-events", "Literal"),
            ("User:external-consumer", "Read", "Topic", "evidentsource-async-responses", "Literal"),
            ("User:external-consumer", "Read", "Group", "evidentsource-external-", "Prefixed"),
            ("User:external-producer", "Write", "Topic", "evidentsource-async-commands", "Literal"),
        }
        for role in roles:  # the stack's admin login reaches the access resources only as a secret
            assert role.secret("connection") and role.plain("connection")["sasl.password"] == "admin-pw"
            assert role.plain("connection")["sasl.username"] == "admin"
        assert exports.secret[keys.CLOUDFORMATION_SASL_JAAS_CONFIG]
        assert exports.values[keys.CLOUDFORMATION_SASL_JAAS_CONFIG].endswith('username="evidentsource" password="server-pw";')
        assert exports.values[keys.ACCESS_ENFORCEMENT]["User:external-producer"]["enforcer"] == "kafka-acls"

    def test_no_password_in_any_plain_output(self, monitor):
        exports = run_program({**stack_file("staging", STAGING), **STAGING_SECRETS})
        plain = json.dumps({k: v for k, v in exports.values.items() if not exports.secret[k]})
        for password in ["admin-pw", *STAGING_SECRETS["principalPasswords"].values()]:
            assert password not in plain
        assert all(not s for k, s in exports.secret.items() if k != keys.CLOUDFORMATION_SASL_JAAS_CONFIG)


def test_a_refused_config_declares_nothing(monitor):
    with pytest.raises(load.ConfigError):
        run_program(stack_file("prod"))
    assert monitor.registrations == []


class TestLocalSecure:
    """The staging shape on the local three-node TLS cluster (`make up STACK=local-secure`)."""

    def test_it_is_exactly_the_staging_shape_pointed_at_the_local_cluster(self):
        local, staging = stack_file("local-secure"), stack_file("staging", STAGING)
        assert {k: v for k, v in local.items() if k != "cluster"} == {k: v for k, v in staging.items() if k != "cluster"}
        assert {k: v for k, v in local["cluster"].items() if k not in ("bootstrapServers", "caCert")} == \
            {k: v for k, v in staging["cluster"].items() if k != "bootstrapServers"}
        from tools.cluster import secure_cluster
        ports = secure_cluster.ports_from(secure_cluster.DEFAULT_BASE_PORT)
        assert local["cluster"]["bootstrapServers"] == [f"127.0.0.1:{p['sasl_ssl']}" for p in ports.values()]
        assert local["cluster"]["caCert"] == str(secure_cluster.DEFAULT_DIR.relative_to(PROJECT) / "ca.pem")

    def test_as_committed_only_the_secrets_make_up_sets_are_missing(self):
        assert refused_keys(stack_file("local-secure")) == [
            "saslJaasConfig", "principalPasswords.evidentsource", "principalPasswords.evidentsource-streams-lambda",
            "principalPasswords.external-consumer", "principalPasswords.external-producer"]

    def test_with_its_secrets_it_declares_what_staging_declares(self, monitor):
        run_program({**stack_file("local-secure"), **STAGING_SECRETS})
        local = monitor.types()
        monitor.registrations.clear()
        run_program({**stack_file("staging", STAGING), **STAGING_SECRETS})
        assert local == monitor.types()

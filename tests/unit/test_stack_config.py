"""Stack config: one message per bad value (key, value, what is allowed), all reported together."""

from __future__ import annotations

import re

import pulumi
import pytest

from components.config import load, schema
from components.model.names import NAMESPACE
from configs import ADMIN_JAAS, ADMIN_PASSWORD, DELETE, IAM, PLAINTEXT, SCRAM, merged, problems
from mocking import ACCOUNT, CLUSTER_ARN, set_stack_config

NS = NAMESPACE
SCRAM_PASSWORDS = {"principalPasswords": {"evidentsource": "p1", "streams-lambda": "p2", "consumer-a": "p3",
                                          "consumer-b": "p4", "producer-a": "p5"}}

# (id, base config, patch, the one expected problem line as a regex)
BAD = [
    # typos
    ("unknown-section", PLAINTEXT, {"topcis": {}},
     rf"{NS}:topcis = \{{\}}: unknown key \(a typo\?\); did you mean 'topics'\? known keys: cluster, topics, msk"),
    ("unknown-nested-key", PLAINTEXT, {"topics": {"partitons": 3}},
     rf"{NS}:topics.partitons = 3: unknown key \(a typo\?\); did you mean 'partitions'\? known keys: backend, "),
    ("unknown-role", SCRAM, {"access": {"externalConsumer": {"principals": []}}},
     rf"{NS}:access.externalConsumer = .*unknown key .*did you mean 'externalConsumers'\?"),
    ("unknown-topic-key", PLAINTEXT, {"topics": {"perTopic": {"databaseEvent": {}}}},
     rf"{NS}:topics.perTopic.databaseEvent = \{{\}}: Input should be 'transactionProposals', 'databaseEvents', "),
    # topics
    ("topic-name-chars", PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"name": "db events!"}}}},
     rf"{NS}:topics.perTopic.databaseEvents.name = 'db events!': a Kafka topic name is 1-249 characters of A-Z a-z 0-9 . _ -"),
    ("topic-name-too-long", PLAINTEXT, {"topics": {"perTopic": {"asyncCommands": {"name": "a" * 250}}}},
     rf"{NS}:topics.perTopic.asyncCommands.name = 'a{{250}}': a Kafka topic name is 1-249 characters"),
    ("topic-name-dot", PLAINTEXT, {"topics": {"perTopic": {"asyncCommands": {"name": ".."}}}},
     rf"{NS}:topics.perTopic.asyncCommands.name = '\.\.': .*not '\.' or '\.\.'"),
    ("prefix-makes-names-illegal", PLAINTEXT, {"topics": {"namePrefix": "team/"}},
     rf"{NS}:topics.namePrefix = 'team/': makes the topic name 'team/evidentsource-transaction-proposals' \(and more\) illegal"),
    ("two-topics-one-name", PLAINTEXT, {"topics": {"perTopic": {"asyncCommands": {"name": "evidentsource-async-responses"}}}},
     rf"{NS}:topics.perTopic.asyncResponses.name = 'evidentsource-async-responses': already the name of asyncCommands"),
    ("partitions-zero", PLAINTEXT, {"topics": {"partitions": 0}},
     rf"{NS}:topics.partitions = 0: a whole number, at least 1"),
    ("per-topic-partitions-negative", PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"partitions": -2}}}},
     rf"{NS}:topics.perTopic.databaseEvents.partitions = -2: a whole number, at least 1"),
    ("replication-zero", PLAINTEXT, {"topics": {"replicationFactor": 0}},
     rf"{NS}:topics.replicationFactor = 0: a whole number, at least 1"),
    ("min-isr-above-rf", PLAINTEXT, {"topics": {"replicationFactor": 1, "minInsyncReplicas": 2}},
     rf"{NS}:topics.minInsyncReplicas = 2: at most replicationFactor \(1\), or producers with acks=all could never write"),
    ("retention-words", PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"retention": "7 days"}}}},
     rf"{NS}:topics.perTopic.databaseEvents.retention = '7 days': a duration is a positive number with a unit \(ms, s, m, h, d\)"),
    ("retention-zero", PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"retention": "0d"}}}},
     rf"{NS}:topics.perTopic.databaseEvents.retention = '0d': a duration is"),
    ("config-value-number", PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"configs": {"segment.ms": 600000}}}}},
     rf"{NS}:topics.perTopic.databaseEvents.configs = \{{'segment.ms': 600000\}}: topic config values must be quoted strings"),
    ("unknown-backend", PLAINTEXT, {"topics": {"backend": "confluent"}},
     rf"{NS}:topics.backend = 'confluent': Input should be 'kafka' or 'msk'"),
    # protocol and mechanism
    ("unknown-protocol", PLAINTEXT, {"cluster": {"securityProtocol": "SASL_TLS"}},
     rf"{NS}:cluster.securityProtocol = 'SASL_TLS': Input should be 'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or 'SASL_SSL'"),
    ("unknown-mechanism", SCRAM, {"cluster": {"saslMechanism": "SCRAM-SHA-1"}},
     rf"{NS}:cluster.saslMechanism = 'SCRAM-SHA-1': Input should be 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512' or 'AWS_MSK_IAM'"),
    ("mechanism-without-sasl", PLAINTEXT, {"cluster": {"securityProtocol": "SSL", "saslMechanism": "PLAIN"}},
     rf"{NS}:cluster.saslMechanism = 'PLAIN': needs securityProtocol SASL_SSL or SASL_PLAINTEXT, not SSL"),
    ("sasl-without-mechanism", PLAINTEXT, {"cluster": {"securityProtocol": "SASL_SSL"}},
     rf"{NS}:cluster.securityProtocol = 'SASL_SSL': needs cluster.saslMechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM"),
    ("iam-without-tls", IAM, {"cluster": {"securityProtocol": "SASL_PLAINTEXT"}},
     rf"{NS}:cluster.saslMechanism = 'AWS_MSK_IAM': AWS_MSK_IAM works only over securityProtocol SASL_SSL"),
    ("server-without-port", PLAINTEXT, {"cluster": {"bootstrapServers": ["broker-1"]}},
     rf"{NS}:cluster.bootstrapServers\[0\] = 'broker-1': a bootstrap server is host:port"),
    ("skip-tls-verify-on-plaintext", PLAINTEXT, {"cluster": {"skipTlsVerify": True}},
     rf"{NS}:cluster.skipTlsVerify = True: applies to securityProtocol SSL or SASL_SSL only, not PLAINTEXT"),
    ("client-cert-without-key", SCRAM, {"cluster": {"clientCert": "/etc/kafka/client.pem"}},
     rf"{NS}:cluster.clientCert = '/etc/kafka/client.pem': mTLS needs both cluster.clientCert and cluster.clientKey"),
    ("missing-cluster", PLAINTEXT, {"cluster": DELETE},
     rf"{NS}:cluster: missing; every stack names its brokers"),
    # MSK
    ("malformed-cluster-arn", IAM, {"msk": {"clusterArn": f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/evidentsource-prod"}},
     rf"{NS}:msk.clusterArn = 'arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/evidentsource-prod': an MSK cluster ARN looks like "
     r"arn:aws:kafka:<region>:<12-digit account>:cluster/<cluster name>/<cluster uuid>"),
    ("cluster-arn-short-account", IAM, {"msk": {"clusterArn": CLUSTER_ARN.replace(ACCOUNT, "1234")}},
     rf"{NS}:msk.clusterArn = .*: an MSK cluster ARN looks like"),
    ("msk-backend-without-msk", PLAINTEXT, {"topics": {"backend": "msk"}},
     rf"{NS}:topics.backend = 'msk': the msk backend creates topics through the AWS API: add {NS}:msk.clusterArn"),
    ("iam-without-msk", IAM, {"msk": DELETE, "network": DELETE, "topics": {"backend": "kafka"}},
     rf"{NS}:cluster.saslMechanism = 'AWS_MSK_IAM': IAM policies are scoped to the cluster's ARN: add {NS}:msk.clusterArn"),
    ("network-without-msk", SCRAM, {"network": IAM["network"]},
     rf"{NS}:network = .*: ingress rules are for an MSK cluster: add {NS}:msk.clusterArn"),
    ("msk-has-no-plain", merged(SCRAM, {"msk": {"clusterArn": CLUSTER_ARN}}),
     {"cluster": {"saslMechanism": "PLAIN"},
      "saslJaasConfig": ADMIN_JAAS.replace("scram.ScramLoginModule", "plain.PlainLoginModule")},
     rf"{NS}:cluster.saslMechanism = 'PLAIN': MSK has no SASL_SSL\+PLAIN listener; MSK serves PLAINTEXT on 9092, "
     r"SSL on 9094/9194 \(public\), SASL_SSL\+SCRAM-SHA-512 on 9096/9196 \(public\), SASL_SSL\+AWS_MSK_IAM on 9098/9198"),
    ("iam-on-scram-port", IAM, {"cluster": {"bootstrapServers": ["b-1.prod.kafka.us-east-1.amazonaws.com:9096"]}},
     rf"{NS}:cluster.bootstrapServers\[0\] = 'b-1.prod.kafka.us-east-1.amazonaws.com:9096': MSK serves SASL/IAM on port 9098 "
     r"\(9096 is MSK's SASL/SCRAM port\)"),
    ("iam-public-port", IAM, {"msk": {"publicAccess": True}, "network": DELETE},
     rf"{NS}:cluster.bootstrapServers\[0\] = '.*:9098': MSK serves SASL/IAM on port 9198 \(public access\) \(9098 is MSK's SASL/IAM port\)"),
    ("public-plaintext", merged(PLAINTEXT, {"msk": {"clusterArn": CLUSTER_ARN, "publicAccess": True}}), {},
     rf"{NS}:msk.publicAccess = True: MSK public access has no plaintext listener"),
    ("malformed-sg-id", IAM, {"network": {"lambdaSecurityGroupId": "sg-xyz"}},
     rf"{NS}:network.lambdaSecurityGroupId = 'sg-xyz': a security-group id: sg- and 8 or 17 hex digits"),
    ("network-without-sources", IAM, {"network": {"clusterSecurityGroupId": DELETE, "lambdaSecurityGroupId": DELETE}},
     rf"{NS}:network = \{{'mskSecurityGroupId': 'sg-0123456789abcdef0'\}}: name at least one source"),
    ("network-with-public-access", merged(IAM, {"cluster": {"bootstrapServers": ["b-1.x.kafka.us-east-1.amazonaws.com:9198"]}}),
     {"msk": {"publicAccess": True}},
     rf"{NS}:network = .*: security-group references only match traffic inside the VPC"),
    # IAM-only settings on other stacks
    ("aws-region-on-scram", SCRAM, {"cluster": {"awsRegion": "us-east-1"}},
     rf"{NS}:cluster.awsRegion = 'us-east-1': only used with saslMechanism AWS_MSK_IAM; this stack uses SCRAM-SHA-512"),
    ("iam-section-on-plaintext", PLAINTEXT, {"iam": {"policyPath": "/x/"}},
     rf"{NS}:iam = \{{'policyPath': '/x/'\}}: only used with saslMechanism AWS_MSK_IAM; this stack uses PLAINTEXT"),
    ("bad-aws-region", IAM, {"cluster": {"awsRegion": "useast1"}},
     rf"{NS}:cluster.awsRegion = 'useast1': an AWS region such as us-east-1"),
    ("bad-aws-role-arn", IAM, {"cluster": {"awsRoleArn": "evidentsource-deployer"}},
     rf"{NS}:cluster.awsRoleArn = 'evidentsource-deployer': an IAM role ARN: arn:aws:iam::<account>:role/<name>"),
    ("bad-policy-name-prefix", IAM, {"iam": {"policyNamePrefix": "evidentsource kafka"}},
     rf"{NS}:iam.policyNamePrefix = 'evidentsource kafka': 1-96 characters of A-Z a-z 0-9 \+ = , \. @ _ -"),
    ("msk-without-arn", IAM, {"msk": {"clusterArn": DELETE, "publicAccess": False}},
     rf"{NS}:msk.clusterArn: missing; required"),
    ("network-without-msk-sg", IAM, {"network": {"mskSecurityGroupId": DELETE}},
     rf"{NS}:network.mskSecurityGroupId: missing; required"),
    ("bad-policy-path", IAM, {"iam": {"policyPath": "evidentsource"}},
     rf"{NS}:iam.policyPath = 'evidentsource': '/' or '/a/b/' \(starts and ends with /\)"),
    # principals
    ("principal-without-user", SCRAM, {"access": {"externalProducers": {"principals": ["producer-a"]}}},
     rf"{NS}:access.externalProducers.principals\[0\] = 'producer-a': a Kafka principal is User:<name>"),
    ("principal-wildcard", SCRAM, {"access": {"externalConsumers": {"principals": ["User:*"]}}},
     rf"{NS}:access.externalConsumers.principals\[0\] = 'User:\*': User:\* is every user: grant named principals only"),
    ("principal-anonymous", SCRAM, {"access": {"externalConsumers": {"principals": ["User:ANONYMOUS"]}}},
     rf"{NS}:access.externalConsumers.principals\[0\] = 'User:ANONYMOUS': User:ANONYMOUS is every unauthenticated client"),
    ("principal-twice", SCRAM, {"access": {"externalConsumers": {"principals": ["User:consumer-a", "User:consumer-a"]}}},
     rf"{NS}:access.externalConsumers.principals\[1\] = 'User:consumer-a': listed twice in this role"),
    ("kafka-principal-on-iam", IAM, {"access": {"externalConsumers": {"principals": ["User:analytics"]}}},
     rf"{NS}:access.externalConsumers.principals\[0\] = 'User:analytics': a Kafka principal on an AWS_MSK_IAM cluster: "
     r"Kafka ACLs have no effect on IAM clients"),
    ("bad-iam-role", IAM, {"access": {"server": {"principals": ["evidentsource server"]}}},
     rf"{NS}:access.server.principals\[0\] = 'evidentsource server': expected an IAM role name"),
    ("iam-role-other-account", IAM, {"access": {"server": {"principals": ["arn:aws:iam::210987654321:role/es"]}}},
     rf"{NS}:access.server.principals\[0\] = 'arn:aws:iam::210987654321:role/es': a role of account 210987654321: "
     rf"policies can be attached only in the cluster's account {ACCOUNT}"),
    ("principals-on-plaintext", PLAINTEXT, {"access": {"server": {"principals": ["User:evidentsource"]}}},
     rf"{NS}:access.server.principals\[0\] = 'User:evidentsource': securityProtocol PLAINTEXT authenticates no one"),
    ("group-prefix-chars", SCRAM, {"access": {"externalConsumers": {"groupPrefix": "ext/"}}},
     rf"{NS}:access.externalConsumers.groupPrefix = 'ext/': 1-200 characters of A-Z a-z 0-9 \. _ -"),
    ("transactional-prefix-chars", SCRAM, {"access": {"server": {"transactionalIdPrefix": "tx id"}}},
     rf"{NS}:access.server.transactionalIdPrefix = 'tx id': 1-200 characters"),
    ("group-prefix-covers-server", SCRAM, {"access": {"externalConsumers": {"groupPrefix": "evidentsource-"}}},
     rf"{NS}:access.externalConsumers.groupPrefix = 'evidentsource-': the server's groups \(access.server.groupPrefix "
     r"'evidentsource-server-'\) start with it"),
    # secrets: Pulumi's own login
    ("jaas-without-password", SCRAM,
     {"saslJaasConfig": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin";'},
     rf"{NS}:saslJaasConfig = 'org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\";': "
     r"has no password=\"...\"; expected"),
    ("jaas-wrong-module", SCRAM, {"saslJaasConfig": ADMIN_JAAS.replace("scram.ScramLoginModule", "plain.PlainLoginModule")},
     rf"{NS}:saslJaasConfig = '.*PlainLoginModule required username=\"admin\" password=\"\*\*\*\";': "
     r"SCRAM-SHA-512 needs the login module org.apache.kafka.common.security.scram.ScramLoginModule"),
    ("jaas-without-semicolon", SCRAM, {"saslJaasConfig": ADMIN_JAAS.rstrip(";")},
     rf"{NS}:saslJaasConfig = '.*password=\"\*\*\*\"': not a JAAS entry \(a JAAS entry ends with ';'\)"),
    ("jaas-unbalanced-quotes", SCRAM, {"saslJaasConfig": ADMIN_JAAS.replace('username="admin"', 'username="admin')},
     rf"{NS}:saslJaasConfig = .*: not a JAAS entry \(unbalanced quotes\)"),
    ("jaas-two-modules", SCRAM, {"saslJaasConfig": ADMIN_JAAS + " " + ADMIN_JAAS},
     rf"{NS}:saslJaasConfig = .*: not a JAAS entry \(sasl.jaas.config takes exactly one login module\)"),
    ("jaas-without-flag", SCRAM, {"saslJaasConfig": ADMIN_JAAS.replace(" required", "")},
     rf"{NS}:saslJaasConfig = .*: not a JAAS entry \(expected '<LoginModule class> required\|requisite"),
    ("jaas-and-password", SCRAM, {"saslPassword": "x"},
     rf"{NS}:saslPassword = '\*\*\*': give either saslJaasConfig or cluster.saslUsername \+ saslPassword, not both"),
    ("no-login", SCRAM, {"saslJaasConfig": DELETE},
     rf"{NS}:saslJaasConfig: missing; SCRAM-SHA-512 needs Pulumi's own login: pulumi config set --secret {NS}:saslJaasConfig"),
    ("username-without-password", SCRAM, {"saslJaasConfig": DELETE, "cluster": {"saslUsername": "admin"}},
     rf"{NS}:saslPassword: missing; SCRAM-SHA-512 needs Pulumi's own login"),
    ("password-on-plaintext", PLAINTEXT, {"saslPassword": "x"},
     rf"{NS}:saslPassword = '\*\*\*': not used: PLAINTEXT has no SASL login"),
    ("jaas-on-iam", IAM, {"saslJaasConfig": ADMIN_JAAS},
     rf"{NS}:saslJaasConfig = '.*password=\"\*\*\*\";': not used: AWS_MSK_IAM logs in with AWS credentials"),
    # secrets: principals' passwords
    ("scram-users-on-plain", merged(SCRAM, {"cluster": {"saslMechanism": "PLAIN"},
                                            "saslJaasConfig": ADMIN_JAAS.replace("scram.ScramLoginModule", "plain.PlainLoginModule")}),
     {"access": {"createScramUsers": True}},
     rf"{NS}:access.createScramUsers = True: SCRAM users need saslMechanism SCRAM-SHA-256 or SCRAM-SHA-512, not PLAIN"),
    ("scram-users-on-msk", merged(SCRAM, {**SCRAM_PASSWORDS, "msk": {"clusterArn": CLUSTER_ARN}}),
     {"access": {"createScramUsers": True}},
     rf"{NS}:access.createScramUsers = True: MSK does not take SCRAM users through the Kafka API"),
    ("scram-user-without-password", merged(SCRAM, SCRAM_PASSWORDS),
     {"access": {"createScramUsers": True}, "principalPasswords": {"consumer-b": DELETE}},
     rf"{NS}:principalPasswords.consumer-b: missing; createScramUsers needs each principal's password: "
     rf"pulumi config set --secret --path '{NS}:principalPasswords.consumer-b' -- <password>"),
    ("password-for-unknown-user", SCRAM, {"principalPasswords": {"consumer-c": "x"}},
     rf"{NS}:principalPasswords.consumer-c = '\*\*\*': no role has the principal User:consumer-c \(a typo\?\)"),
    ("passwords-on-iam", IAM, {"principalPasswords": {"evidentsource-server": "x"}},
     rf"{NS}:principalPasswords = \['evidentsource-server'\]: not used: AWS_MSK_IAM has no passwords"),
    ("empty-password", SCRAM, {"principalPasswords": {"consumer-a": ""}},
     rf"{NS}:principalPasswords = '\*\*\*': an object of user name -> non-empty password"),
]


@pytest.mark.parametrize("base, patch, expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_each_bad_value_gets_one_message(base, patch, expected):
    lines = problems(merged(base, patch))
    assert len(lines) == 1, lines
    assert re.fullmatch(expected + ".*", lines[0]), lines[0]
    assert ADMIN_PASSWORD not in lines[0]


@pytest.mark.parametrize("base", [PLAINTEXT, SCRAM, IAM, merged(SCRAM, SCRAM_PASSWORDS)], ids=["plaintext", "scram", "iam", "scram-users"])
def test_the_bases_are_valid(base):
    assert problems(base) == []


def test_all_problems_are_reported_together():
    raw = merged(SCRAM, {"topics": {"partitions": 0, "replicationFactor": 2, "minInsyncReplicas": 3},
                         "cluster": {"awsRegion": "us-east-1", "skipTlsVerfy": True},
                         "access": {"externalConsumers": {"principals": ["consumer-a", "User:*"]}},
                         "saslJaasConfig": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="a";'})
    keys = [line.split(" ")[0].removeprefix(f"{NS}:") for line in problems(raw)]
    assert sorted(keys) == sorted([
        "topics.partitions", "topics.minInsyncReplicas", "cluster.skipTlsVerfy", "cluster.awsRegion",
        "access.externalConsumers.principals[0]", "access.externalConsumers.principals[1]", "saslJaasConfig"])


def test_a_typo_does_not_hide_the_other_problems_of_its_section():
    lines = problems(merged(SCRAM, {"cluster": {"bootstrap": ["x:1"], "awsProfile": "dev"}}))
    assert [line.split(" ")[0] for line in lines] == [f"{NS}:cluster.bootstrap", f"{NS}:cluster.awsProfile"]


def test_secrets_never_appear_in_messages():
    raw = merged(SCRAM, {"saslPassword": "pw-of-admin", "cluster": {"saslMechanism": "PLAIN"},
                         "principalPasswords": {"nobody": "pw-of-nobody"}})
    text = "\n".join(problems(raw))
    assert "saslJaasConfig" in text and "principalPasswords.nobody" in text
    for secret in (ADMIN_PASSWORD, "pw-of-admin", "pw-of-nobody"):
        assert secret not in text


def test_a_mistyped_secret_key_is_named_but_its_value_is_not_shown(monitor):
    set_stack_config({**PLAINTEXT, "saslPasword": "pw-typed-wrong"}, secret=("saslPasword",))
    with pytest.raises(load.ConfigError) as caught:
        load.load()
    assert f"{NS}:saslPasword = '***': unknown key (a typo?); did you mean 'saslPassword'?" in str(caught.value)
    assert "pw-typed-wrong" not in str(caught.value)


def test_placeholders_are_refused_by_key_with_a_hint():
    raw = merged(IAM, {"msk": {"clusterArn": "arn:aws:kafka:us-east-1:REPLACE_ME_ACCOUNT:cluster/x/y"},
                       "network": {"mskSecurityGroupId": "sg-REPLACE_ME"}})
    assert problems(raw) == [
        f"{NS}:msk.clusterArn = 'arn:aws:kafka:us-east-1:REPLACE_ME_ACCOUNT:cluster/x/y': still the example's placeholder: "
        "replace it with the ARN from `aws kafka list-clusters --query 'ClusterInfoList[].ClusterArn'`",
        f"{NS}:network.mskSecurityGroupId = 'sg-REPLACE_ME': still the example's placeholder: "
        "replace it with the sg-... id from `aws ec2 describe-security-groups`",
    ]


def test_config_error_is_a_pulumi_run_error_so_no_stack_trace_is_shown():
    with pytest.raises(load.ConfigError) as caught:
        load.parse({"cluster": {"bootstrapServers": []}})
    assert isinstance(caught.value, pulumi.RunError)
    assert "nothing was changed" in str(caught.value)


class TestValidConfig:
    def test_login_from_the_seeds_jaas_string(self):
        config = load.parse(SCRAM)
        assert config.login.username == "admin"
        assert config.login.password.reveal() == ADMIN_PASSWORD
        assert ADMIN_PASSWORD not in repr(config.login)

    def test_login_from_username_and_password(self):
        config = load.parse(merged(SCRAM, {"saslJaasConfig": DELETE, "saslPassword": "pw",
                                                   "cluster": {"saslUsername": "pulumi"}}))
        assert (config.login.username, config.login.password.reveal()) == ("pulumi", "pw")

    @pytest.mark.parametrize("base, enforcer", [(PLAINTEXT, "none"), (SCRAM, "kafka-acls"), (IAM, "msk-iam"),
                                                (merged(PLAINTEXT, {"cluster": {"securityProtocol": "SSL"}}), "kafka-acls")])
    def test_the_enforcer_follows_the_auth_settings(self, base, enforcer):
        assert load.parse(base).enforcer == enforcer

    def test_names_default_to_the_seeds_and_take_a_prefix_or_explicit_names(self):
        config = load.parse(merged(PLAINTEXT, {"topics": {"namePrefix": "staging-", "perTopic": {
            "asyncCommands": {"name": "commands"}}}}))
        assert config.topic_names() == {
            "transactionProposals": "staging-evidentsource-transaction-proposals",
            "databaseEvents": "staging-evidentsource-database-events",
            "asyncCommands": "commands", "asyncResponses": "staging-evidentsource-async-responses"}

    @pytest.mark.parametrize("rf, min_isr", [(1, 1), (2, 1), (3, 2), (5, 2)])
    def test_min_isr_scales_with_the_replication_factor(self, rf, min_isr):
        assert schema.TopicsConfig(replication_factor=rf).effective_min_isr() == min_isr

    @pytest.mark.parametrize("text, ms", [("1d", 86_400_000), ("7d", 604_800_000), ("12h", 43_200_000),
                                          ("90m", 5_400_000), ("30s", 30_000), ("250ms", 250), ("infinite", -1)])
    def test_durations(self, text, ms):
        assert schema.duration_ms(text) == ms

    def test_the_dev_stack_needs_neither_aws_nor_more_than_topics(self):
        config = load.parse(PLAINTEXT)
        assert (config.needs_aws, config.needs_kafka_provider, config.enforcer) == (False, True, "none")

    def test_an_msk_iam_stack_with_the_msk_backend_needs_no_kafka_provider(self):
        config = load.parse(IAM)
        assert (config.needs_aws, config.needs_kafka_provider) == (True, False)


def test_problems_are_listed_cause_first_and_every_rule_runs():
    from components.config import rules
    assert {fn.__module__ for fn in rules.CHECKS} == {m.__name__ for m in load.RULES}, "a *_rules module not in RULES"
    lines = problems(merged(PLAINTEXT, {"cluster": {"skipTlsVerify": True},
                                        "access": {"server": {"principals": ["User:evidentsource"]}},
                                        "adopt": {"acls": True}}))
    keys = [line.split(" = ")[0] for line in lines]
    assert keys == [f"{NS}:cluster.skipTlsVerify", f"{NS}:access.server.principals[0]", f"{NS}:adopt.acls"], lines

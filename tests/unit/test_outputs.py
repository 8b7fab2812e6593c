"""Outputs: CloudFormation parameter values, client.properties per role, enforcement."""

from __future__ import annotations

import pytest

from components import outputs
from components.config import load
from configs import DELETE, ADMIN_JAAS, ADMIN_PASSWORD, IAM, PLAINTEXT, SCRAM, merged
from mocking import deploy

PASSWORDS = {"principalPasswords": {"evidentsource": "server-pw", "consumer-a": "a-pw"}}


def parsed(raw):
    config = load.parse(raw)
    return config, config.access_model()


@pytest.mark.parametrize("raw, expected", [
    (PLAINTEXT, {"KafkaBrokers": "127.0.0.1:9092", "KafkaSecurityProtocol": "", "KafkaSaslMechanism": ""}),
    (SCRAM, {"KafkaBrokers": "broker-1.internal:9096,broker-2.internal:9096", "KafkaSecurityProtocol": "SASL_SSL",
             "KafkaSaslMechanism": "SCRAM-SHA-512"}),
    (IAM, {"KafkaBrokers": "b-1.prod.abc123.c2.kafka.us-east-1.amazonaws.com:9098", "KafkaSecurityProtocol": "SASL_SSL",
           "KafkaSaslMechanism": "AWS_MSK_IAM"}),
])
def test_cloudformation_parameters(raw, expected):
    assert outputs.cloudformation_parameters(load.parse(raw)) == expected


def test_the_servers_jaas_config_is_a_secret_built_from_its_password(monitor):
    config, model = parsed(merged(SCRAM, PASSWORDS))
    out = deploy(lambda: (lambda o: {"value": o, "secret": o.is_secret()})(outputs.server_sasl_jaas_config(config, model)))
    assert out["secret"] is True
    assert out["value"] == ('org.apache.kafka.common.security.scram.ScramLoginModule required '
                            'username="evidentsource" password="server-pw";')


def test_the_seeds_single_identity_reuses_pulumis_login(monitor):
    config, model = parsed(merged(SCRAM, {"saslJaasConfig": ADMIN_JAAS.replace('"admin"', '"evidentsource"')}))
    value = deploy(lambda: outputs.server_sasl_jaas_config(config, model))
    assert value.endswith(f'username="evidentsource" password="{ADMIN_PASSWORD}";')


@pytest.mark.parametrize("raw", [SCRAM, IAM, PLAINTEXT], ids=["password-unknown", "iam", "plaintext"])
def test_no_jaas_config_without_a_password_or_for_iam(raw):
    assert outputs.server_sasl_jaas_config(*parsed(raw)) is None


def test_scram_client_properties_take_the_password_from_the_environment():
    config, model = parsed(merged(SCRAM, PASSWORDS))
    text = outputs.client_properties(config, model.role("externalProducers"))
    assert "server-pw" not in text and "a-pw" not in text
    assert text.splitlines()[1:] == [
        "# held by: User:producer-a",
        "bootstrap.servers=broker-1.internal:9096,broker-2.internal:9096",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "# The password comes from $KAFKA_SASL_PASSWORD at start-up; it is never written here.",
        "config.providers=env",
        "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required '
        'username="producer-a" password="${env:KAFKA_SASL_PASSWORD}";',
        "enable.idempotence=true",
        "acks=all",
    ]
    consumers = outputs.client_properties(config, model.role("externalConsumers"))
    assert 'username="${env:KAFKA_SASL_USERNAME}"' in consumers  # two principals share the role
    assert "# consumers: group.id must start with ext-" in consumers
    assert "enable.idempotence" not in consumers
    every_group = parsed(merged(SCRAM, {**PASSWORDS, "access": {"server": {"groupPrefix": DELETE}}}))
    server = outputs.client_properties(every_group[0], every_group[1].role("server"))
    assert "# consumers: any group.id (every group)" in server and "start with *" not in server


def test_tls_client_properties_trust_the_stacks_ca_and_give_mtls_roles_their_own_certificate():
    ssl = merged(SCRAM, {"cluster": {"securityProtocol": "SSL", "saslMechanism": DELETE, "caCert": "/etc/kafka/ca.pem"},
                         "saslJaasConfig": DELETE, "principalPasswords": DELETE})
    config, model = parsed(ssl)
    text = outputs.client_properties(config, model.role("externalProducers"))
    assert text.splitlines()[3:11] == [
        "security.protocol=SSL",
        "ssl.truststore.type=PEM",
        "ssl.truststore.location=/etc/kafka/ca.pem",
        "# The role's TLS client certificate: its key and certificate in the PEM file $KAFKA_SSL_KEYSTORE_LOCATION names.",
        "config.providers=env",
        "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        "ssl.keystore.type=PEM",
        "ssl.keystore.location=${env:KAFKA_SSL_KEYSTORE_LOCATION}",
    ]
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    scram, _ = parsed(merged(merged(SCRAM, PASSWORDS), {"cluster": {"caCert": pem}}))
    lines = scram.connection.java_properties(("producer-a",))
    assert "ssl.truststore.certificates=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----" in lines
    assert not any("keystore" in line for line in lines)  # SASL roles log in with their password, not a certificate


def test_iam_client_properties_use_the_msk_iam_login_module():
    config, model = parsed(IAM)
    text = outputs.client_properties(config, model.role("externalConsumers"))
    assert "sasl.mechanism=AWS_MSK_IAM" in text
    assert "sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;" in text
    assert "sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler" in text
    assert "governed by MSK IAM policy" in text.splitlines()[0]


def test_enforcement_names_the_enforcer_of_each_principal():
    config, model = parsed(SCRAM)
    table = outputs.enforcement(model)
    assert set(table) == {"User:evidentsource", "User:streams-lambda", "User:consumer-a", "User:consumer-b", "User:producer-a"}
    assert table["User:consumer-a"] == {"roles": ["externalConsumers"], "enforcer": "kafka-acls",
                                        "governedBy": "Kafka ACLs (declared by this stack)"}

"""The kafka provider for every protocol x mechanism; passwords only as secrets."""

from __future__ import annotations

import json

import pytest

from components.config import load
from components.resources import providers
from configs import ADMIN_PASSWORD, DELETE, IAM, PLAINTEXT, SCRAM, merged
from mocking import ACCOUNT, deploy


def args_of(raw):
    return load.parse(raw).connection.provider_inputs()


def test_plaintext_turns_tls_off_and_has_no_sasl(monitor):
    args = args_of(PLAINTEXT)
    password = args.pop("sasl_password")
    # Everything explicit, so nothing comes from KAFKA_* variables in the environment.
    assert args == {"bootstrap_servers": ["127.0.0.1:9092"], "tls_enabled": False, "skip_tls_verify": False,
                    "timeout": 120, "sasl_mechanism": "plain", "sasl_username": ""}
    assert deploy(lambda: {"value": password, "secret": password.is_secret()}) == {"value": "", "secret": True}


def test_ssl_with_a_private_ca_and_client_certificate():
    args = args_of(merged(PLAINTEXT, {"cluster": {"securityProtocol": "SSL", "caCert": "/etc/kafka/ca.pem",
                                                  "clientCert": "/etc/kafka/c.pem", "clientKey": "/etc/kafka/c.key"}}))
    assert args["tls_enabled"] is True and args["sasl_username"] == ""
    assert (args["ca_cert"], args["client_cert"], args["client_key"]) == ("/etc/kafka/ca.pem", "/etc/kafka/c.pem", "/etc/kafka/c.key")


@pytest.mark.parametrize("protocol, mechanism, tls, provider_mechanism", [
    ("SASL_SSL", "SCRAM-SHA-512", True, "scram-sha512"),
    ("SASL_SSL", "SCRAM-SHA-256", True, "scram-sha256"),
    ("SASL_PLAINTEXT", "SCRAM-SHA-512", False, "scram-sha512"),
    ("SASL_SSL", "PLAIN", True, "plain"),
    ("SASL_PLAINTEXT", "PLAIN", False, "plain"),
])
def test_sasl_logins_from_the_seeds_jaas_string(protocol, mechanism, tls, provider_mechanism):
    module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
    raw = merged(SCRAM, {"cluster": {"securityProtocol": protocol, "saslMechanism": mechanism},
                         "saslJaasConfig": f'org.apache.kafka.common.security.{module} required '
                                           f'username="evidentsource" password="{ADMIN_PASSWORD}";'})
    args = args_of(raw)
    assert (args["tls_enabled"], args["sasl_mechanism"], args["sasl_username"]) == (tls, provider_mechanism, "evidentsource")
    assert "sasl_password" in args and "sasl_aws_region" not in args


def test_aws_msk_iam_takes_region_from_the_cluster_arn_and_options_from_the_stack():
    args = args_of(merged(IAM, {"cluster": {"awsRoleArn": f"arn:aws:iam::{ACCOUNT}:role/deployer", "awsProfile": "prod"}}))
    assert args["sasl_mechanism"] == "aws-iam" and args["tls_enabled"] is True
    assert (args["sasl_aws_region"], args["sasl_aws_role_arn"], args["sasl_aws_profile"]) == (
        "us-east-1", f"arn:aws:iam::{ACCOUNT}:role/deployer", "prod")
    assert args["sasl_username"] == ""  # IAM logs in with AWS credentials
    assert args_of(merged(IAM, {"cluster": {"awsRegion": "eu-west-1"}}))["sasl_aws_region"] == "eu-west-1"


def test_the_password_reaches_the_provider_only_as_a_secret(monitor):
    config = load.parse(merged(SCRAM, {"saslJaasConfig": DELETE, "saslPassword": ADMIN_PASSWORD,
                                               "cluster": {"saslUsername": "admin"}}))
    deploy(lambda: providers.kafka_provider("kafka", config.connection).urn)
    (provider,) = monitor.of_type("pulumi:providers:kafka")
    assert provider.secret("saslPassword") and provider.plain("saslPassword") == ADMIN_PASSWORD
    assert provider.inputs["saslUsername"] == "admin"
    assert "saslPassword" in provider.additional_secret_outputs


def test_the_aws_provider_is_pinned_to_the_clusters_region_and_account(monitor):
    config = load.parse(IAM)
    deploy(lambda: providers.aws_provider("aws", config.msk).urn)
    (provider,) = monitor.of_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    # Provider inputs travel JSON-encoded.
    assert json.loads(provider.inputs["allowedAccountIds"]) == [ACCOUNT]

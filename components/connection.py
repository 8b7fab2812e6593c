"""How Pulumi itself reaches the cluster: the stack's explicit kafka and aws providers.

Explicit providers (never the ambient default ones) so that a stack's settings, and not
the environment of whoever runs `pulumi up`, decide where changes go. Passwords reach
the kafka provider only as secret Outputs, so state holds them encrypted.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kafka as kafka

from components.config_schema import MskConfig, StackConfig

# Seed/CloudFormation spelling -> the provider's spelling.
MECHANISM = {"PLAIN": "plain", "SCRAM-SHA-256": "scram-sha256", "SCRAM-SHA-512": "scram-sha512",
             "AWS_MSK_IAM": "aws-iam"}


def kafka_provider_args(config: StackConfig) -> dict:
    """The kafka provider's inputs for any protocol x mechanism (secrets as secret Outputs)."""
    cluster = config.cluster
    args: dict = {
        "bootstrap_servers": cluster.bootstrap_servers,
        # The provider turns TLS on unless told otherwise; PLAINTEXT clusters need it off.
        "tls_enabled": cluster.tls,
        "skip_tls_verify": cluster.skip_tls_verify,
        "timeout": cluster.timeout_seconds,
    }
    if cluster.tls:
        args |= {k: v for k, v in (("ca_cert", cluster.ca_cert), ("client_cert", cluster.client_cert),
                                   ("client_key", cluster.client_key)) if v}
    # Always explicit: left unset, the provider falls back to KAFKA_SASL_MECHANISM/_USERNAME/_PASSWORD
    # from the environment of whoever runs pulumi, and turns SASL on where the stack says PLAINTEXT.
    # Without a username and password, "plain" is inert (SASL stays off). The empty password is
    # a secret like a real one would be: a plain "" against a secret state is a diff on every run.
    args["sasl_mechanism"] = MECHANISM[cluster.sasl_mechanism] if cluster.sasl_mechanism else "plain"
    if config.login is not None:
        args |= {"sasl_username": config.login.username, "sasl_password": config.login.password.output()}
    else:
        args |= {"sasl_username": "", "sasl_password": pulumi.Output.secret("")}
    if cluster.sasl_mechanism == "AWS_MSK_IAM":
        region = cluster.aws_region or (config.msk.arn.region if config.msk else None)
        args |= {k: v for k, v in (("sasl_aws_region", region), ("sasl_aws_role_arn", cluster.aws_role_arn),
                                   ("sasl_aws_profile", cluster.aws_profile)) if v}
    return args


def kafka_provider(name: str, config: StackConfig) -> kafka.Provider:
    return kafka.Provider(name, **kafka_provider_args(config),
                          opts=pulumi.ResourceOptions(additional_secret_outputs=["saslPassword"]))


def aws_provider(name: str, msk: MskConfig) -> aws.Provider:
    """Region and account come from the cluster ARN: a stack cannot touch another account."""
    return aws.Provider(name, region=msk.arn.region, allowed_account_ids=[msk.arn.account])

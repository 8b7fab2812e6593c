"""How Pulumi itself reaches the cluster and AWS: the stack's explicit kafka and aws providers, and the
login the access layer's own resources (resources/kafka_admin.py) use.

Explicit providers (never the ambient default ones) so that a stack's settings, and not
the environment of whoever runs `pulumi up`, decide where changes go. The kafka provider's
inputs come from the stack's one connection description (config/connection.py); passwords
reach it only as secret Outputs, so state holds them encrypted.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kafka as kafka

from components.config.connection import Connection
from components.config.schema import MskConfig
from components.config.stack_config import StackConfig


def kafka_provider(name: str, connection: Connection) -> kafka.Provider:
    return kafka.Provider(name, **connection.provider_inputs(),
                          opts=pulumi.ResourceOptions(additional_secret_outputs=["saslPassword"]))


def aws_provider(name: str, msk: MskConfig) -> aws.Provider:
    """Region and account come from the cluster ARN: a stack cannot touch another account."""
    return aws.Provider(name, region=msk.arn.region, allowed_account_ids=[msk.arn.account])


def admin_connection(config: StackConfig) -> pulumi.Output[dict]:
    """The librdkafka settings that log in as the kafka provider does (secret: they hold the password).

    Only the login: a change of it (a rotated password, another CA) updates the access resources, whose
    update re-sends their sets (no-ops on the cluster), so that their state holds the login that works."""
    return pulumi.Output.secret(config.connection.librdkafka())

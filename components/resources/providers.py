"""How Pulumi itself reaches the cluster and AWS: the stack's explicit kafka and aws providers.

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


def kafka_provider(name: str, connection: Connection) -> kafka.Provider:
    return kafka.Provider(name, **connection.provider_inputs(),
                          opts=pulumi.ResourceOptions(additional_secret_outputs=["saslPassword"]))


def aws_provider(name: str, msk: MskConfig) -> aws.Provider:
    """Region and account come from the cluster ARN: a stack cannot touch another account."""
    return aws.Provider(name, region=msk.arn.region, allowed_account_ids=[msk.arn.account])

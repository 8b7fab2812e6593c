"""Fixtures of the access-matrix tests: the secure broker's admin client, each test's own users."""

from __future__ import annotations

import secrets

import pytest
from confluent_kafka.admin import AdminClient

from tools.cluster import broker


@pytest.fixture
def secure_admin(secure_broker) -> AdminClient:
    """An admin client logged in as the secure broker's super user (not through Pulumi)."""
    return AdminClient({**broker.client_config(secure_broker), "log_level": 0})


@pytest.fixture
def users(prefix) -> dict[str, str]:
    """This test's SCRAM users (named with its prefix: SCRAM users are cluster-wide) -> passwords."""
    names = ("server", "lambda", "consumer-a", "consumer-b", "producer")
    return {f"{prefix}{name}": secrets.token_urlsafe(18) for name in names}

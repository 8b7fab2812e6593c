"""SCRAM credentials of the access model's principals, where a stack asks for them.

With `access.createScramUsers`, each principal's user is created on the cluster with the
stack's SCRAM mechanism and the password from the secret `principalPasswords.<user>`. One
resource (`scram-users-all`, CRUD in resources/kafka_admin.py) holds every user and writes
them in one AlterUserScramCredentials request; a refresh notices a user deleted by hand and
the next `up` recreates it. Passwords reach it only as a secret Output, so state holds them
encrypted. Users of the earlier shape (one pulumi-kafka `UserScramCredential` each) are let go
from the state with retain_on_delete, never deleted from the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kafka as kafka
from pulumi import dynamic

from components.config.secrets import Secret
from components.resources.kafka_admin import ScramUsersProvider
from components.resources.options import for_children


class ScramCredentials(dynamic.Resource, module="evidentsource", name="ScramUsers"):
    """The stack's SCRAM users (type pulumi-python:dynamic/evidentsource:ScramUsers)."""

    users: pulumi.Output[list]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions):
        super().__init__(ScramUsersProvider(), name, props, opts)


@dataclass(frozen=True)
class ScramUsersArgs:
    passwords: dict[str, Secret]
    """User name (the principal without `User:`) -> its password."""
    mechanism: str
    """SCRAM-SHA-256 or SCRAM-SHA-512: the stack's saslMechanism."""
    connection: Any = None
    """Secret Output of the librdkafka settings that log in as Pulumi does."""
    timeout_seconds: float = 30
    legacy: Mapping[str, str] = field(default_factory=dict)
    """Resource name -> user of each per-user `kafka.UserScramCredential` the stack's state still holds."""


class ScramUsers(pulumi.ComponentResource):
    """Every principal's SCRAM user, as one resource."""

    usernames: list[str]

    def __init__(self, name: str, args: ScramUsersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:ScramUsers", name, None, opts)
        self.usernames = sorted(args.passwords)
        retained = for_children(self, opts, retain_on_delete=True,
                                additional_secret_outputs=["password"])
        for resource_name, user in sorted(args.legacy.items()):
            if user in args.passwords:  # a user the stack no longer declares goes, as it always did
                kafka.UserScramCredential(resource_name, username=user, scram_mechanism=args.mechanism,
                                          password=args.passwords[user].output(), opts=retained)
        ScramCredentials(f"{name}-all", {
            "users": self.usernames,
            "mechanism": args.mechanism,
            "passwords": pulumi.Output.secret({u: args.passwords[u].reveal() for u in self.usernames}),
            "connection": args.connection,
            "timeoutSeconds": args.timeout_seconds,
        }, for_children(self, opts, additional_secret_outputs=["passwords", "connection"]))
        self.register_outputs({"usernames": self.usernames})

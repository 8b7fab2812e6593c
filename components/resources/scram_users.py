"""SCRAM credentials of the access model's principals, where a stack asks for them.

With `access.createScramUsers`, each principal's user is created on the cluster with the
stack's SCRAM mechanism and the password from the secret `principalPasswords.<user>`. One
resource (`scram-users-all`, CRUD in resources/kafka_admin.py) holds every user and writes
them in one AlterUserScramCredentials request. A user deleted by hand is `missing` (read by the
program every run), so a plain `preview` shows the update that recreates it; users the stack held
and no longer declares are `retire`d. What Kafka refused is recorded (`notApplied`, `notDeleted`)
and the run then fails naming each user, so the next `up` retries exactly those. Passwords reach it only as a secret Output, so state holds them
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
from components.resources.kafka_acls import applies, fail_on_leftovers
from components.resources.kafka_admin import ScramUsersProvider
from components.resources.options import for_children


class ScramCredentials(dynamic.Resource, module="evidentsource", name="ScramUsers"):
    """The stack's SCRAM users (type pulumi-python:dynamic/evidentsource:ScramUsers)."""

    users: pulumi.Output[list]
    notApplied: pulumi.Output[dict]  # noqa: N815 - the state's key
    notDeleted: pulumi.Output[dict]  # noqa: N815

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions):
        super().__init__(ScramUsersProvider(), name, {**props, "notApplied": None, "notDeleted": None}, opts)


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
    missing: frozenset[str] = frozenset()
    """Declared users without a credential of the stack's mechanism on the cluster (drift), where it was read."""
    retire: frozenset[str] = frozenset()
    """Users the stack held (or failed to delete) and no longer declares."""


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
        users = ScramCredentials(f"{name}-all", {
            "users": self.usernames,
            "mechanism": args.mechanism,
            "passwords": pulumi.Output.secret({u: args.passwords[u].reveal() for u in self.usernames}),
            "missing": sorted(args.missing),
            "retire": sorted(args.retire),
            "connection": args.connection,
            "timeoutSeconds": args.timeout_seconds,
        }, for_children(self, opts, additional_secret_outputs=["passwords", "connection"]))
        if applies():
            pulumi.Output.all(users.notApplied, users.notDeleted).apply(
                lambda done: fail_on_leftovers(f"{name}-all", done[0], done[1], ("set", "deleted")))
        self.register_outputs({"usernames": self.usernames})

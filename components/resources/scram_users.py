"""SCRAM credentials of the access model's principals, where a stack asks for them.

With `access.createScramUsers`, each principal's user is created on the cluster with the
stack's SCRAM mechanism and the password from the secret `principalPasswords.<user>`.
The password reaches the provider only as a secret Output, so state holds it encrypted.
Resource names come from the user name, never from list positions. The kafka provider comes
through `opts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kafka as kafka

from components.config.secrets import Secret
from components.model.names import slug
from components.resources.options import for_children


@dataclass(frozen=True)
class ScramUsersArgs:
    passwords: dict[str, Secret]
    """User name (the principal without `User:`) -> its password."""
    mechanism: str
    """SCRAM-SHA-256 or SCRAM-SHA-512: the stack's saslMechanism."""


class ScramUsers(pulumi.ComponentResource):
    """One `UserScramCredential` per principal."""

    usernames: list[str]

    def __init__(self, name: str, args: ScramUsersArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("evidentsource:kafka:ScramUsers", name, None, opts)
        # `password` is a secret output too, so nothing read back from the broker leaks it.
        child = for_children(self, opts, additional_secret_outputs=["password"])
        self.usernames = sorted(args.passwords)
        for user in self.usernames:
            kafka.UserScramCredential(
                f"{name}-{slug(user)}",
                username=user,
                scram_mechanism=args.mechanism,
                password=args.passwords[user].output(),
                opts=child,
            )
        self.register_outputs({"usernames": self.usernames})

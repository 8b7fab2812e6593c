"""SCRAM users of the principals: one credential each, named by user, password secret."""

from __future__ import annotations

import pulumi
import pulumi_kafka as kafka

from components.resources.scram_users import ScramUsers, ScramUsersArgs
from components.config.secrets import Secret
from mocking import deploy


def test_one_secret_credential_per_user_named_by_the_user(monitor):
    passwords = {"external-consumer": Secret("c-pw"), "evidentsource": Secret("s-pw")}

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["b:9096"])
        users = ScramUsers("scram-users", ScramUsersArgs(passwords, "SCRAM-SHA-256"),
                           pulumi.ResourceOptions(providers=[provider]))
        return {"component": users.urn, "usernames": users.usernames}

    result = deploy(program)
    assert result["usernames"] == ["evidentsource", "external-consumer"]
    created = {r.name: r for r in monitor.of_type("kafka:index/userScramCredential:UserScramCredential")}
    assert set(created) == {"scram-users-evidentsource", "scram-users-external-consumer"}
    user = created["scram-users-external-consumer"]
    assert (user.inputs["username"], user.inputs["scramMechanism"]) == ("external-consumer", "SCRAM-SHA-256")
    assert user.secret("password") and user.plain("password") == "c-pw"
    assert "password" in user.additional_secret_outputs and user.parent == result["component"]


def test_secrets_do_not_print():
    assert "c-pw" not in repr(Secret("c-pw")) and "c-pw" not in str([Secret("c-pw")])

"""SCRAM users of the principals: one resource holds them all, passwords and the login secret."""

from __future__ import annotations

import pulumi
import pulumi_kafka as kafka

from components.resources.scram_users import ScramUsers, ScramUsersArgs
from components.config.secrets import Secret
from mocking import deploy

SCRAM_USERS = "pulumi-python:dynamic/evidentsource:ScramUsers"


def test_one_resource_holds_every_user_with_secret_passwords(monitor):
    passwords = {"external-consumer": Secret("c-pw"), "evidentsource": Secret("s-pw")}

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["b:9096"])
        users = ScramUsers("scram-users", ScramUsersArgs(passwords, "SCRAM-SHA-256",
                                                         pulumi.Output.secret({"sasl.password": "admin-pw"})),
                           pulumi.ResourceOptions(providers=[provider]))
        return {"component": users.urn, "usernames": users.usernames}

    result = deploy(program)
    assert result["usernames"] == ["evidentsource", "external-consumer"]
    (users,) = monitor.of_type(SCRAM_USERS)
    assert users.name == "scram-users-all" and users.parent == result["component"]
    assert (users.inputs["users"], users.inputs["mechanism"]) == (["evidentsource", "external-consumer"],
                                                                  "SCRAM-SHA-256")
    assert users.secret("passwords") and users.plain("passwords") == {"evidentsource": "s-pw",
                                                                      "external-consumer": "c-pw"}
    assert users.secret("connection")
    assert {"passwords", "connection"} <= set(users.additional_secret_outputs)
    assert not monitor.of_type("kafka:index/userScramCredential:UserScramCredential")


def test_users_of_the_earlier_shape_are_kept_retained_and_a_user_no_longer_declared_goes(monitor):
    passwords = {"evidentsource": Secret("s-pw")}
    legacy = {"scram-users-evidentsource": "evidentsource", "scram-users-gone": "gone"}

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["b:9096"])
        ScramUsers("scram-users", ScramUsersArgs(passwords, "SCRAM-SHA-512", pulumi.Output.secret({}), legacy=legacy),
                   pulumi.ResourceOptions(providers=[provider]))
        return {}

    deploy(program)
    (old,) = monitor.of_type("kafka:index/userScramCredential:UserScramCredential")
    assert old.name == "scram-users-evidentsource" and old.retain_on_delete is True
    assert old.secret("password") and old.plain("password") == "s-pw"


def test_secrets_do_not_print():
    assert "c-pw" not in repr(Secret("c-pw")) and "c-pw" not in str([Secret("c-pw")])

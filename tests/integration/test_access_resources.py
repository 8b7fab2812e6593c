"""The access layer's own resources on the secure broker: drift put back, and the upgrade from the earlier shape.

Each role's ACL bindings and every SCRAM user are held by a few resources whose CRUD is
confluent-kafka's AdminClient (components/resources/kafka_admin.py). Proven here with the real
engine and real brokers:
- a binding and a SCRAM user deleted by hand are seen by `preview --refresh` as changes of their
  resources, and `up --refresh` puts them back (the role can log in and do its work again);
- a stack deployed with the earlier shape (one pulumi-kafka resource per binding and per user, under
  the same components: tests/support/earlier_shape.py) upgrades in two `up`s without a single binding
  or user missing at any moment: the broker's ACLs are polled throughout, and each SCRAM user logs in
  after the runs.
"""

from __future__ import annotations

import json
import shutil

import pytest
from confluent_kafka.admin import AdminClient, ScramMechanism, UserScramCredentialDeletion
from pulumi import automation as auto

from components.model.acl_bindings import AclBinding
from components.model.names import NAMESPACE
from components.kafka.admin import filter_of, to_kafka
from tests.support import earlier_shape
from tests.support.stack_configs import secure_stack
from tools.cluster import broker
from tools.toolchain import projectenv
from test_data_safety_acls import AclPoller
from test_data_safety_messages import Events, delete_topics, teardown

pytestmark = pytest.mark.timeout(900)
NS = NAMESPACE
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"
SCRAM_USERS = "pulumi-python:dynamic/evidentsource:ScramUsers"
LEGACY_ACL = "kafka:index/acl:Acl"
LEGACY_USER = "kafka:index/userScramCredential:UserScramCredential"


def settings(secure_broker: dict, prefix: str) -> dict:
    return secure_stack(
        secure_broker["bootstrap_servers"],
        topics={"namePrefix": prefix, "partitions": 1, "replicationFactor": 1, "protect": False},
        access={"createScramUsers": True,
                "server": {"principals": [f"User:{prefix}server"], "groupPrefix": f"{prefix}server-"},
                "externalConsumers": {"principals": [f"User:{prefix}consumer"], "groupPrefix": f"{prefix}ext-"},
                "externalProducers": {"principals": [f"User:{prefix}producer"]}})


def with_secrets(stack, secure_broker: dict, prefix: str) -> dict[str, str]:
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(broker.jaas(secure_broker["admin_password"]),
                                                              secret=True))
    passwords = {f"{prefix}{role}": f"pw-{prefix}{role}" for role in ("server", "consumer", "producer")}
    for user, password in passwords.items():
        stack.set_config(f"{NS}:principalPasswords.{user}", auto.ConfigValue(password, secret=True), path=True)
    return passwords


def logs_in(secure_broker: dict, user: str, password: str) -> bool:
    """Whether SCRAM-SHA-512 with this user and password gets the cluster's metadata."""
    client = broker.client_config(secure_broker)
    admin = AdminClient({**client, "sasl.username": user, "sasl.password": password, "log_level": 0})
    try:
        admin.list_topics(timeout=10)
        return True
    except Exception:  # noqa: BLE001 - an authentication failure surfaces as a metadata timeout or error
        return False


def types_in_state(stack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for resource in stack.export_stack().deployment.get("resources", []):
        counts[resource["type"]] = counts.get(resource["type"], 0) + 1
    return counts


def test_bindings_and_users_deleted_by_hand_are_seen_by_a_plain_preview_and_put_back(
        project, secure_broker, secure_admin, prefix):
    stack = project.stack(settings(secure_broker, prefix))
    passwords = with_secrets(stack, secure_broker, prefix)
    write = f"User:{prefix}producer|*|Write|Allow|Topic|{prefix}evidentsource-async-commands|Literal"
    poller = AclPoller(secure_admin, prefix)
    try:
        stack.up()
        poller.run_once()
        assert write in poller.snapshots[-1]
        assert types_in_state(stack).get(ROLE_ACLS) == 4 and LEGACY_ACL not in types_in_state(stack)
        # By hand: the producer's Write and the consumer's SCRAM user go.
        deleted = secure_admin.delete_acls([filter_of(to_kafka(AclBinding.from_import_id(write)))])
        assert [len(f.result(30)) for f in deleted.values()] == [1]
        consumer = f"{prefix}consumer"
        secure_admin.alter_user_scram_credentials([UserScramCredentialDeletion(
            consumer, ScramMechanism.SCRAM_SHA_512)])[consumer].result(30)
        assert not logs_in(secure_broker, consumer, passwords[consumer])

        # A plain preview sees both (the program reads the cluster's bindings and users every run), and so does one
        # with refresh.
        for refresh in (False, True):
            events = Events()
            preview = stack.preview(refresh=refresh, on_event=events, diff=True)
            assert preview.change_summary.get("update") == 2, (refresh, preview.change_summary)
            updated = sorted(urn.rsplit("::", 1)[-1] for k, op, urn in events.steps if (k, op) == ("pre", "update"))
            assert updated == ["acls-externalProducers", "scram-users-all"], events.steps
        assert f"User:{prefix}producer: Allow Write on Topic {prefix}evidentsource-async-commands" in preview.stdout

        stack.up()
        poller.run_once()
        assert write in poller.snapshots[-1]
        assert logs_in(secure_broker, consumer, passwords[consumer])
        assert set(stack.preview(refresh=True).change_summary) == {"same"}

        # A user deleted by hand and then removed from the stack: the `up` that removes it finds it gone, which is
        # what it was asked for (no refresh in between, so the state still lists the user).
        producer = f"{prefix}producer"
        secure_admin.alter_user_scram_credentials([UserScramCredentialDeletion(
            producer, ScramMechanism.SCRAM_SHA_512)])[producer].result(30)
        fewer = settings(secure_broker, prefix)
        fewer["access"]["externalProducers"]["principals"] = []
        stack.set_config(f"{NS}:access", auto.ConfigValue(json.dumps(fewer["access"])))
        stack.remove_config(f"{NS}:principalPasswords.{producer}", path=True)
        stack.up()
        poller.run_once()
        assert write not in poller.snapshots[-1]
        assert set(stack.preview(refresh=True).change_summary) == {"same"}
    finally:
        teardown(stack)


def test_a_stack_of_the_earlier_shape_upgrades_without_a_binding_or_user_missing_at_any_moment(
        project, secure_broker, secure_admin, prefix):
    (project.root / "__main__.py").write_text(earlier_shape.EARLIER_MAIN)
    stack = project.stack(settings(secure_broker, prefix))
    passwords = with_secrets(stack, secure_broker, prefix)
    poller = AclPoller(secure_admin, prefix)
    try:
        stack.up()
        before = types_in_state(stack)
        assert before.get(LEGACY_ACL, 0) >= 10 and before.get(LEGACY_USER) == 3 and ROLE_ACLS not in before, before
        poller.run_once()
        bindings = poller.snapshots[-1]
        assert len(bindings) == before[LEGACY_ACL]

        # The same stack, now with the program as it is.
        shutil.copy(projectenv.PROJECT / "__main__.py", project.root / "__main__.py")
        poller.start()
        first = stack.up()
        second = stack.up()
        poller.done.set()
        poller.join(30)

        assert first.summary.resource_changes.get("delete", 0) == 0, first.summary.resource_changes
        assert first.summary.resource_changes.get("create") == 5  # four roles and the users, no-ops on the cluster
        assert second.summary.resource_changes.get("delete") == before[LEGACY_ACL] + before[LEGACY_USER]
        # ...from the state only: the bindings and users are checked on the cluster below
        after = types_in_state(stack)
        assert LEGACY_ACL not in after and LEGACY_USER not in after and after[ROLE_ACLS] == 4, after
        assert len(poller.snapshots) >= 3
        assert all(seen == bindings for seen in poller.snapshots), "a binding was missing during the upgrade"
        for user, password in passwords.items():
            assert logs_in(secure_broker, user, password), f"SCRAM user {user} was lost in the upgrade"
        assert set(stack.preview().change_summary) == {"same"}
        # The role resources own the bindings now: a destroy removes them (and the users).
        stack.destroy()
        poller.run_once()
        assert poller.snapshots[-1] == set()
        assert not logs_in(secure_broker, f"{prefix}server", passwords[f"{prefix}server"])
    finally:
        poller.done.set()
        teardown(stack)
        delete_topics(broker.client_config(secure_broker),
                      [f"{prefix}evidentsource-{t}" for t in ("transaction-proposals", "database-events",
                                                              "async-commands", "async-responses")])

"""Every branch of the access providers' diff, create, update, delete and read (resources/kafka_admin.py).

The admin adapter is replaced by a fake that records each request and refuses what a test names, so
each branch is checked for exactly what it asks of Kafka and what it leaves in the state. The real
adapter against the real brokers is proven by the integration tests (test_access_day2.py).
"""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.model.acl_bindings import AclBinding, as_grants, as_input, described
from components.model.names import NAMESPACE
from components.resources import kafka_admin
from components.resources.kafka_admin import KafkaAdminError, RoleAclsProvider, ScramUsersProvider
from configs import SCRAM

READ = AclBinding("User:a", "Read", "Topic", "t1", "Literal")
WRITE = AclBinding("User:b", "Write", "Topic", "t1", "Literal")
GROUP = AclBinding("User:a", "Read", "Group", "g-", "Prefixed")
OLD = AclBinding("User:gone", "Read", "Topic", "t1", "Literal")
CONNECTION = {"bootstrap.servers": "b:9096", "sasl.username": "admin", "sasl.password": "stored"}


class FakeAdmin:
    def __init__(self, refuse: dict | None = None, live: set | None = None, users: set | None = None):
        self.refuse = refuse or {}
        self.live = set(live or ())
        self.users = set(users or ())
        self.calls: list[tuple] = []
        self.settings: list[dict] = []

    def create_acls(self, bindings):
        bindings = set(bindings)
        self.calls.append(("create", frozenset(bindings)))
        self.live |= {b for b in bindings if b not in self.refuse}
        return {b: self.refuse[b] for b in bindings if b in self.refuse}

    def delete_acls(self, bindings):
        bindings = set(bindings)
        self.calls.append(("delete", frozenset(bindings)))
        self.live -= {b for b in bindings if b not in self.refuse}
        return {b: self.refuse[b] for b in bindings if b in self.refuse}

    def list_acls(self):
        return frozenset(self.live)

    def upsert_scram(self, passwords, mechanism):
        self.calls.append(("upsert", frozenset(passwords), mechanism))
        self.users |= {u for u in passwords if u not in self.refuse}
        return {u: self.refuse[u] for u in passwords if u in self.refuse}

    def delete_scram(self, users, mechanism):
        users = set(users)
        self.calls.append(("delete-users", frozenset(users), mechanism))
        self.users -= users
        return {u: self.refuse[u] for u in users if u in self.refuse}

    def scram_users(self, users, mechanism):
        return frozenset(u for u in users if u in self.users)


@pytest.fixture
def fake(monkeypatch):
    admin = FakeAdmin()

    def client(settings, timeout):
        admin.settings.append(dict(settings))
        return admin
    monkeypatch.setattr(kafka_admin, "client", client)
    monkeypatch.setattr(kafka_admin, "_DECLARED_GRANTS", set())
    monkeypatch.setattr(kafka_admin, "_DECLARED_USERS", set())
    return admin


def role(grants=(), **extra) -> dict:
    return {"role": "server", "grants": as_grants(grants), "bindings": [], "missing": {}, "retire": {},
            "removeUnmanaged": {}, "connection": CONNECTION, "timeoutSeconds": 5, **extra}


# --- RoleAcls: create and update -----------------------------------------------------------

def test_create_creates_every_declared_binding_and_records_nothing_left_over(fake):
    result = RoleAclsProvider().create(role({READ, GROUP}))
    assert result.id == "server"
    assert fake.calls == [("create", frozenset({READ, GROUP})), ("delete", frozenset())]
    assert result.outs["grants"] == as_grants({READ, GROUP}) and result.outs["bindings"] == []
    assert result.outs["notApplied"] == {} and result.outs["notDeleted"] == {}


def test_a_refused_binding_is_recorded_and_named_and_holds_back_nothing_else(fake):
    fake.refuse = {GROUP: "Invalid empty resource name"}
    outs = RoleAclsProvider().create(role({READ, GROUP})).outs  # no exception: the state must record it
    assert READ in fake.live and GROUP not in fake.live
    assert outs["notApplied"] == {described(GROUP): "Invalid empty resource name"}
    assert outs["grants"] == as_grants({READ, GROUP})  # declared: a later removal still deletes it


def test_update_deletes_exactly_what_the_plan_names_never_what_merely_left_the_role(fake):
    fake.live = {READ, WRITE, OLD}
    news = role({READ}, retire=as_grants({OLD}))
    outs = RoleAclsProvider().update("server", role({READ, WRITE}), news).outs
    # WRITE left this role (moved to another, say): not deleted, since the plan does not name it.
    assert fake.calls == [("create", frozenset({READ})), ("delete", frozenset({OLD}))]
    assert fake.live == {READ, WRITE}
    assert outs["retire"] == {} and outs["missing"] == {} and outs["removeUnmanaged"] == {}


def test_update_deletes_the_unmanaged_bindings_the_plan_removes_but_never_a_declared_one(fake):
    stray = AclBinding("User:other", "Read", "Topic", "t1", "Literal")
    fake.live = {READ, stray}
    RoleAclsProvider().update("server", role({READ}), role({READ}, removeUnmanaged=as_grants({stray, READ})))
    assert fake.calls[-1] == ("delete", frozenset({stray}))
    assert fake.live == {READ}


def test_a_deletion_kafka_refuses_is_kept_for_the_next_run(fake):
    fake.refuse = {OLD: "timed out"}
    outs = RoleAclsProvider().update("server", role({READ}), role({READ}, retire=as_grants({OLD}))).outs
    assert outs["notDeleted"] == {OLD.import_id: "timed out"}


# --- RoleAcls: diff --------------------------------------------------------------------------

@pytest.mark.parametrize("olds,news,why", [
    (role({READ}), role({READ, GROUP}), ["grants"]),
    (role({READ}), role({READ}, missing=as_grants({READ})), ["missing"]),
    (role({READ}), role({READ}, retire=as_grants({OLD})), ["retire"]),
    (role({READ}), role({READ}, removeUnmanaged=as_grants({OLD})), ["removeUnmanaged"]),
    (role({READ}, notApplied={described(READ): "x"}), role({READ}), ["notApplied"]),
    (role({READ}, notDeleted={OLD.import_id: "x"}), role({READ}), ["notDeleted"]),
    (role({READ}), role({READ}, connection={**CONNECTION, "sasl.password": "new"}), ["connection"]),
    # The previous release's state: a `bindings` list, no `grants`: updated into the new shape.
    ({"role": "server", "bindings": [as_input(READ)], "connection": CONNECTION}, role({READ}), ["grants"]),
])
def test_each_reason_for_an_update(olds, news, why):
    assert kafka_admin.role_changes(olds, news) == why
    assert RoleAclsProvider().diff("server", olds, news).changes is True


def test_the_same_grants_in_another_order_are_no_change():
    olds = role({READ, GROUP, WRITE})
    news = role({WRITE, READ, GROUP})
    assert kafka_admin.role_changes(olds, news) == []
    result = RoleAclsProvider().diff("server", olds, news)
    assert result.changes is False and result.replaces == []


def test_another_role_key_replaces_the_resource():
    assert RoleAclsProvider().diff("x", role({READ}), {**role({READ}), "role": "other"}).replaces == ["role"]


# --- RoleAcls: delete and read -----------------------------------------------------------------

def test_a_deleted_role_resource_keeps_what_this_runs_resources_declare(fake):
    # A renamed role resource, or one a rollback no longer names: the new one is checked first, then the old deleted.
    provider = RoleAclsProvider()
    provider.check({}, role({READ}))
    provider.delete("server", role({READ, GROUP}, notDeleted={OLD.import_id: "x"}))
    assert fake.calls == [("delete", frozenset({GROUP, OLD}))]


def test_destroy_declares_nothing_so_everything_held_goes_and_a_failure_is_raised_naming_it(fake):
    fake.refuse = {GROUP: "denied"}
    with pytest.raises(KafkaAdminError, match=r"User:a: Allow Read on Group prefix g-: denied"):
        RoleAclsProvider().delete("server", role({READ, GROUP}))
    assert fake.calls == [("delete", frozenset({READ, GROUP}))]


def test_read_keeps_the_declared_bindings_the_cluster_has(fake):
    fake.live = {READ}
    outs = RoleAclsProvider().read("server", role({READ, GROUP})).outs
    assert outs["grants"] == as_grants({READ})


def test_read_of_the_previous_releases_state_gives_the_new_shape(fake):
    fake.live = {READ, GROUP}
    outs = RoleAclsProvider().read("server", {"role": "server", "bindings": [as_input(READ)], "connection": CONNECTION}).outs
    assert outs["grants"] == as_grants({READ}) and outs["bindings"] == []


# --- the access record -------------------------------------------------------------------------

def record(grants=(), users=()) -> dict:
    return {"record": True, "role": "record", "grants": as_grants(grants), "users": sorted(users),
            "mechanism": "SCRAM-SHA-512", "bindings": [], "connection": CONNECTION, "timeoutSeconds": 5}


def test_the_record_touches_nothing_when_written_and_is_not_a_declaration(fake):
    provider = RoleAclsProvider()
    provider.check({}, record({READ, OLD}))
    assert kafka_admin._DECLARED_GRANTS == set()
    assert provider.create(record({READ})).outs == record({READ})
    assert provider.update("record", record(), record({READ})).outs == record({READ})
    assert provider.read("record", record({READ})).outs == record({READ})
    assert fake.calls == []
    assert kafka_admin.role_changes(record({READ}), record({READ})) == []
    assert kafka_admin.role_changes(record({READ}), record({READ}, {"u"})) == ["users"]


def test_destroying_the_record_deletes_what_it_holds_except_what_this_run_declares(fake):
    provider = RoleAclsProvider()
    ScramUsersProvider().check({}, {"users": ["kept"]})
    provider.check({}, role({READ}))
    provider.delete("record", record({READ, OLD}, {"kept", "gone"}))
    assert fake.calls == [("delete", frozenset({OLD})), ("delete-users", frozenset({"gone"}), "SCRAM-SHA-512")]


# --- the login: the stack's configuration of now -------------------------------------------------

def test_the_login_comes_from_the_stacks_configuration_not_the_stored_connection(fake):
    provider = RoleAclsProvider()
    values = {f"{NAMESPACE}:{k}": json.dumps(v) if isinstance(v, dict) else v for k, v in SCRAM.items()}
    provider.configure(ConfigureRequest(Config(values, NAMESPACE)))
    provider.create(role({READ}))
    assert fake.settings[-1]["sasl.username"] == "admin" and fake.settings[-1]["sasl.password"] != "stored"


def test_a_configuration_that_does_not_validate_falls_back_to_the_stored_login(fake):
    provider = RoleAclsProvider()
    provider.configure(ConfigureRequest(Config({f"{NAMESPACE}:cluster": "{not json"}, NAMESPACE)))
    provider.create(role({READ}))
    assert fake.settings[-1] == CONNECTION


# --- SCRAM users ----------------------------------------------------------------------------------

def users(names, passwords=None, **extra) -> dict:
    return {"users": sorted(names), "mechanism": "SCRAM-SHA-512", "missing": [], "retire": [],
            "passwords": passwords or {u: f"pw-{u}" for u in names}, "connection": CONNECTION, "timeoutSeconds": 5,
            **extra}


def test_users_update_sets_only_what_changed_and_deletes_what_left(fake):
    olds = users({"a", "b", "c"})
    news = users({"a", "b", "d"}, {"a": "pw-a", "b": "rotated", "d": "pw-d"})
    outs = ScramUsersProvider().update("scram-users", olds, news).outs
    assert fake.calls == [("upsert", frozenset({"b", "d"}), "SCRAM-SHA-512"),
                          ("delete-users", frozenset({"c"}), "SCRAM-SHA-512")]
    assert outs["notApplied"] == {} and outs["notDeleted"] == {}


def test_users_missing_refused_before_or_retired_are_set_or_deleted_again(fake):
    olds = users({"a", "b"}, notApplied={"b": "x"}, notDeleted={"z": "x"})
    news = users({"a", "b"}, missing=["a"], retire=["y"])
    ScramUsersProvider().update("scram-users", olds, news)
    assert fake.calls == [("upsert", frozenset({"a", "b"}), "SCRAM-SHA-512"),
                          ("delete-users", frozenset({"y", "z"}), "SCRAM-SHA-512")]


def test_a_mechanism_change_sets_every_user_anew_and_deletes_the_old_mechanisms_credentials(fake):
    news = {**users({"a"}), "mechanism": "SCRAM-SHA-256"}
    ScramUsersProvider().update("scram-users", users({"a"}), news)
    assert fake.calls == [("upsert", frozenset({"a"}), "SCRAM-SHA-256"), ("delete-users", frozenset(), "SCRAM-SHA-256"),
                          ("delete-users", frozenset({"a"}), "SCRAM-SHA-512")]


def test_a_refused_user_is_recorded_not_raised(fake):
    fake.refuse = {"b": "policy violation"}
    outs = ScramUsersProvider().create(users({"a", "b"})).outs
    assert outs["notApplied"] == {"b": "policy violation"} and "a" in fake.users


@pytest.mark.parametrize("olds,news,why", [
    (users({"a"}), users({"a", "b"}), ["users", "passwords"]),
    (users({"a"}), users({"a"}, {"a": "new"}), ["passwords"]),
    (users({"a"}), users({"a"}, missing=["a"]), ["missing"]),
    (users({"a"}), users({"a"}, retire=["z"]), ["retire"]),
    (users({"a"}, notApplied={"a": "x"}), users({"a"}), ["notApplied"]),
    (users({"a"}, notDeleted={"z": "x"}), users({"a"}), ["notDeleted"]),
    (users({"a"}), users({"a"}), []),
])
def test_each_reason_for_a_users_update(olds, news, why):
    assert kafka_admin.user_changes(olds, news) == why
    assert ScramUsersProvider().diff("scram-users", olds, news).changes is bool(why)


def test_deleting_the_users_resource_keeps_the_users_this_run_declares(fake):
    provider = ScramUsersProvider()
    provider.check({}, users({"a"}))
    provider.delete("scram-users", users({"a", "b"}, notDeleted={"c": "x"}))
    assert fake.calls == [("delete-users", frozenset({"b", "c"}), "SCRAM-SHA-512")]


# --- the provider's module: recorded in every deployed stack's state -----------------------------------

RECORDED = Path(__file__).resolve().parents[1] / "preview" / "data"


def test_the_providers_recorded_in_real_states_still_unpickle_to_these_classes():
    """The state names the provider's module and class (pickled by reference): moving or renaming them breaks every
    deployed stack. These strings come from real engine runs of earlier releases (tests/preview/data)."""
    found = set()
    for path in RECORDED.glob("*.json*"):
        for token in set(__import__("re").findall(r'"__provider": "([A-Za-z0-9+/=]+)"', path.read_text())):
            found.add(type(pickle.loads(base64.b64decode(token))))
    assert found == {RoleAclsProvider, ScramUsersProvider}, found
    assert (RoleAclsProvider.__module__, ScramUsersProvider.__module__) == ("components.resources.kafka_admin",) * 2

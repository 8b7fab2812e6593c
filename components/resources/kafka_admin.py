"""The CRUD of the access layer on SASL/TLS clusters: ACL bindings and SCRAM users, exact after every run.

Pulumi dynamic providers over the one Kafka admin adapter (components/kafka/admin.py). One resource
holds a whole set (a role's ACL bindings, or every SCRAM user of the stack), and each write is a
few batched admin requests. What the providers promise, and how:

- **Every change is in the plan.** A resource creates what it declares (`grants`, `users`; Kafka
  creates an existing binding as a no-op, so one made by hand is adopted, never recreated) and deletes
  only what its inputs name for deletion: `retire` (bindings the stack held and no longer declares, which
  the program works out from the stack's state and the live cluster) and `removeUnmanaged` (with
  `access.unmanagedBindings: remove`). `missing` (declared, absent from the cluster: drift the program
  read) makes a plain `preview` show the update that puts it back. Grants are maps keyed by the binding
  in words, so `preview --diff` names each binding gained or lost.
- **Partial results, never a lost record.** Cluster errors do not raise from create or update: the
  resource records what Kafka refused (`notApplied`) and what it could not delete (`notDeleted`), so the
  state never forgets a grant that may exist; the program then fails the run naming each one
  (resources/kafka_acls.py), and the next `up` retries exactly those. One refused binding holds back
  nothing else.
- **The login of now.** The admin login is read from the stack's configuration the engine gives
  `configure` (so `up --refresh` and `preview --refresh` after a rotation use the new password; with
  the `--run-program` tools/pulumi adds, so do `refresh` and `destroy`), and from the resource's
  stored `connection` only where the configuration cannot be read.
- **A delete never takes what the run declares.** The engine deletes a resource the program no longer
  declares (a renamed role, a rollback to a release that names it otherwise) after the new ones exist,
  with the old inputs; each provider remembers what this run's resources declare (`check`) and deletes
  only the rest. `destroy` declares nothing, so it deletes everything.

This module is imported by the provider process: the resource state names this module and these
classes (the provider is pickled by reference), so renaming or moving them breaks every deployed
stack. tests/unit/test_provider_module.py fails first.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult, ResourceProvider, \
    UpdateResult

from components.kafka.admin import Admin, AdminError, client, lines
from components.model.acl_bindings import AclBinding, as_grants, described, from_grants, from_input

# What this run's program declares, seen by `check` (the engine checks every resource the program registers
# before it deletes any it no longer registers): a delete leaves these alone.
_DECLARED_GRANTS: set[AclBinding] = set()
_DECLARED_USERS: set[str] = set()
_LOCK = threading.Lock()


class KafkaAdminError(Exception):
    """What the brokers refused, one line per binding or user, for the `pulumi up` output."""


def _timeout(props: Mapping[str, Any]) -> float:
    return float(props.get("timeoutSeconds") or 120)


def login_from_config(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The librdkafka settings that log in as the stack does, from the stack's configuration as the engine
    gives it to a dynamic provider (full keys); None if it does not validate (the stored login is used)."""
    from components.config import load
    try:
        return load.parse(load.decode(dict(values))).connection.librdkafka()
    except Exception:  # noqa: BLE001 - invalid or partial settings: the program reports them; fall back
        return None


class _AdminProvider(ResourceProvider):
    serialize_as_secret_always = False  # pickled by reference: module and class name only
    _login: dict[str, Any] | None = None

    def configure(self, req: ConfigureRequest) -> None:
        self._login = login_from_config(getattr(req.config, "_props", {}) or {})

    def admin(self, props: Mapping[str, Any]) -> Admin:
        return client(self._login or props["connection"], _timeout(props))


# --- ACL bindings --------------------------------------------------------------------

def held(props: Mapping[str, Any]) -> set[AclBinding]:
    """The bindings a role resource's inputs or state hold: `grants`, or the earlier release's `bindings` list."""
    if props.get("grants"):
        return from_grants(props["grants"])
    return {from_input(b) for b in props.get("bindings") or ()}


def _ids(entries: Mapping[str, Any] | None) -> set[AclBinding]:
    """Bindings of a map keyed by import id (notDeleted)."""
    return {AclBinding.from_import_id(i) for i in entries or {}}


class RoleAclsProvider(_AdminProvider):
    """One role's ACL bindings: creates `grants`, deletes `retire` and `removeUnmanaged`, records what failed."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        if not news.get("record"):  # the record holds what the stack may have, not what it declares
            with _LOCK:
                _DECLARED_GRANTS.update(held(news))
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["role"], outs=props if props.get("record") else self._apply(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=bool(role_changes(olds, news)),
                          replaces=["role"] if olds.get("role") != news.get("role") else [],
                          stables=["role"], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=news if news.get("record") else self._apply(news))

    def _apply(self, news: dict[str, Any]) -> dict[str, Any]:
        """Create every declared binding (those that exist are no-ops), delete exactly those named for deletion,
        and return the state with what Kafka refused: never raises for what the cluster said."""
        admin = self.admin(news)
        declared = held(news)
        not_applied = admin.create_acls(declared)
        gone = (from_grants(news.get("retire")) | from_grants(news.get("removeUnmanaged"))) - declared
        not_deleted = admin.delete_acls(gone)
        return {**news, "grants": as_grants(declared), "bindings": [], "missing": {}, "retire": {},
                "removeUnmanaged": {}, "notApplied": {described(b): why for b, why in not_applied.items()},
                "notDeleted": {b.import_id: why for b, why in not_deleted.items()}}

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        with _LOCK:
            keep, keep_users = set(_DECLARED_GRANTS), set(_DECLARED_USERS)
        gone = (held(props) | _ids(props.get("notDeleted"))) - keep
        failures = {described(b): why for b, why in self.admin(props).delete_acls(gone).items()} if gone else {}
        if props.get("record") and props.get("mechanism"):  # `destroy`: every user the stack may have made goes too
            users = set(props.get("users") or ()) - keep_users
            failures.update({f"user {u}": why for u, why in self.admin(props).delete_scram(users, props["mechanism"])
                             .items()} if users else {})
        if failures:
            raise KafkaAdminError(f"could not delete {len(failures)} ACL binding(s) or user(s) of "
                                  f"{props.get('role')}:\n  " + "\n  ".join(lines(failures)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if props.get("record"):
            return ReadResult(id_=id_, outs=props)
        try:
            live = self.admin(props).list_acls()
        except AdminError as exc:
            raise KafkaAdminError(str(exc)) from None
        present = held(props) & live
        return ReadResult(id_=id_, outs={**props, "grants": as_grants(present), "bindings": []})


def role_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Why a role resource must be updated: its grants differ, the program found drift or something to delete,
    the last run left something not done, or the login changed (the record: what it holds changed)."""
    if news.get("record"):
        return [k for k in ("grants", "users", "mechanism", "connection", "__provider") if olds.get(k) != news.get(k)]
    changes = ["grants"] if held(olds) != held(news) or "grants" not in olds else []
    changes += [k for k in ("missing", "retire", "removeUnmanaged") if news.get(k)]
    changes += [k for k in ("notApplied", "notDeleted") if olds.get(k)]
    changes += [k for k in ("connection", "__provider") if olds.get(k) != news.get(k)]
    return changes


# --- SCRAM users ---------------------------------------------------------------------

class ScramUsersProvider(_AdminProvider):
    """The stack's SCRAM users: one credential each, with the stack's mechanism and password."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        with _LOCK:
            _DECLARED_USERS.update(news.get("users") or ())
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_="scram-users", outs=self._apply({}, props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=bool(user_changes(olds, news)), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._apply(olds, news))

    def _apply(self, olds: Mapping[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        admin = self.admin(news)
        users, passwords = list(news["users"]), news["passwords"]
        old_users, old_pw = set(olds.get("users") or ()), olds.get("passwords") or {}
        same = olds.get("mechanism") == news["mechanism"] and olds.get("connection") == news.get("connection")
        again = set(olds.get("notApplied") or {}) | set(news.get("missing") or ())
        upsert = [u for u in users if not same or u not in old_users or old_pw.get(u) != passwords.get(u) or u in again]
        not_applied = admin.upsert_scram({u: passwords[u] for u in upsert}, news["mechanism"])
        gone = (old_users | set(olds.get("notDeleted") or {}) | set(news.get("retire") or ())) - set(users)
        not_deleted = admin.delete_scram(gone, news["mechanism"])
        if olds.get("mechanism") and olds["mechanism"] != news["mechanism"]:  # the old mechanism's credentials go
            not_deleted.update(admin.delete_scram(old_users, olds["mechanism"]))
        return {**news, "missing": [], "retire": [], "notApplied": not_applied, "notDeleted": not_deleted}

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        with _LOCK:
            keep = set(_DECLARED_USERS)
        gone = (set(props.get("users") or ()) | set(props.get("notDeleted") or {})) - keep
        failures = self.admin(props).delete_scram(gone, props["mechanism"])
        if failures:
            raise KafkaAdminError(f"could not delete {len(failures)} SCRAM user(s):\n  " + "\n  ".join(lines(failures)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            present = self.admin(props).scram_users(props.get("users") or (), props["mechanism"])
        except AdminError as exc:
            raise KafkaAdminError(str(exc)) from None
        return ReadResult(id_=id_, outs={**props, "users": [u for u in props.get("users") or () if u in present]})


def user_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    changes = [k for k in ("users", "mechanism", "passwords", "connection", "__provider") if olds.get(k) != news.get(k)]
    changes += [k for k in ("missing", "retire") if news.get(k)]
    changes += [k for k in ("notApplied", "notDeleted") if olds.get(k)]
    return changes

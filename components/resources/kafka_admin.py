"""The CRUD of the access layer on SASL/TLS clusters: ACL bindings and SCRAM users in batches.

Pulumi dynamic providers over confluent-kafka's AdminClient (librdkafka). One resource holds a
whole set (a role's ACL bindings, or every SCRAM user of the stack), so a no-op costs a handful of
resources instead of one per binding, and each write is one batched admin request:

- ACLs: create = CreateAcls of every binding (Kafka creates an existing binding as a no-op, so a
  binding made by hand is adopted, never recreated); update = CreateAcls of the new set and
  DeleteAcls of exact filters for what left it, except bindings another role of the stack now
  holds (`keep`); read (refresh) = one DescribeAcls, keeping the declared bindings the cluster has,
  so a binding removed by hand shows as a change the next `up` puts back.
- SCRAM users: AlterUserScramCredentials upserts and deletions; read drops users the cluster
  no longer has, so the next `up` recreates them.

This module is imported by the provider process (the resource state names this module and class,
pickled by reference, so keep their names), from the project's virtualenv; it imports confluent-kafka,
the model and live_cluster's spelling of bindings. The connection (librdkafka settings with the
stack's login) and passwords are secret inputs; `timeoutSeconds` is the stack's cluster.timeoutSeconds.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from components.model.acl_bindings import FIELDS, AclBinding, from_input

SCRAM_ITERATIONS = 4096  # Kafka's minimum for SCRAM-SHA-256/512, and the kafka provider's default


class KafkaAdminError(Exception):
    """What the brokers refused, one line per binding or user, for the `pulumi up` output."""


_CLIENTS: dict[str, Any] = {}  # one client per login in this provider process: one connection, not one per resource
_CLIENTS_LOCK = threading.Lock()


def _admin(props: dict[str, Any]) -> Any:
    """An AdminClient with the stack's login. Numbers arrive as floats through Pulumi's wire format."""
    from confluent_kafka.admin import AdminClient

    def spelled(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(int(value)) if isinstance(value, float) and value.is_integer() else value
    millis = str(int(_timeout(props) * 1000))
    settings = {**{k: spelled(v) for k, v in props["connection"].items()}, "log_level": 0,
                "socket.timeout.ms": millis, "socket.connection.setup.timeout.ms": millis}
    key = json.dumps(settings, sort_keys=True)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = AdminClient(settings)
        return _CLIENTS[key]


def _timeout(props: dict[str, Any]) -> float:
    return float(props.get("timeoutSeconds") or 120)


def _settle(futures: dict[Any, Any], what: dict[Any, str], timeout: float, doing: str,
            done_if: frozenset[int] = frozenset()) -> None:
    """Wait for every future of one batched request; raise one error naming each item that failed
    (a Kafka error whose code is in `done_if` means the item is already as asked)."""
    from confluent_kafka import KafkaException
    failed = []
    for key, future in futures.items():
        try:
            future.result(timeout=timeout + 1)
        except KafkaException as exc:
            if exc.args[0].code() not in done_if:
                failed.append(f"{what[key]}: {exc.args[0].str()}")
        except Exception as exc:  # noqa: BLE001 - a timeout or a client error: named, never swallowed
            failed.append(f"{what[key]}: {exc!r}")
    _raise_if(failed, len(futures), doing)


def _raise_if(failed: list[str], total: int, doing: str) -> None:
    if failed:
        raise KafkaAdminError(f"could not {doing} {len(failed)} of {total}:\n  " + "\n  ".join(sorted(failed)))


# --- ACL bindings --------------------------------------------------------------------

def _ids(bindings: list[dict[str, Any]] | None) -> set[str]:
    return {from_input(b).import_id for b in bindings or ()}


def _create_acls(props: dict[str, Any], ids: set[str]) -> None:
    if not ids:
        return
    from confluent_kafka.admin import AclBinding as KafkaBinding

    from components.safety.live_cluster import acl_import_id, spelled
    wanted = [KafkaBinding(*spelled(AclBinding.from_import_id(i))) for i in sorted(ids)]
    admin = _admin(props)
    futures = admin.create_acls(wanted, request_timeout=_timeout(props))
    _settle(futures, {k: acl_import_id(k) for k in futures}, _timeout(props), "create the ACL bindings")


def delete_acls(props: dict[str, Any], ids: set[str]) -> None:
    """Delete exactly these bindings (one already gone is as asked), with the filters `unmanagedBindings: remove` uses."""
    if not ids:
        return
    from components.safety.acl_removal import delete_exactly
    outcome = delete_exactly(_admin(props), [AclBinding.from_import_id(i) for i in sorted(ids)], _timeout(props))
    _raise_if([f"{b.import_id}: {result}" for b, result in outcome if isinstance(result, str)], len(ids),
              "delete the ACL bindings")


def live_acl_ids(props: dict[str, Any]) -> set[str]:
    from components.safety.live_cluster import list_acl_ids
    found = list_acl_ids(_admin(props), _timeout(props))
    if isinstance(found, str):
        raise KafkaAdminError(found)
    return set(found)


def _sorted(bindings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: b[k] for k in FIELDS} for b in bindings), key=lambda b: from_input(b).import_id)


class RoleAclsProvider(ResourceProvider):
    """One role's ACL bindings, authoritative over exactly those (`bindings`), never over `keep`."""

    serialize_as_secret_always = False  # the provider is pickled by reference: module and class name only

    def create(self, props: dict[str, Any]) -> CreateResult:
        _create_acls(props, _ids(props["bindings"]))
        return CreateResult(id_=props["role"], outs={**props, "bindings": _sorted(props["bindings"])})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = [k for k in ("connection", "__provider") if olds.get(k) != news.get(k)]
        if _ids(olds.get("bindings")) != _ids(news.get("bindings")):
            changes.insert(0, "bindings")
        return DiffResult(changes=bool(changes), replaces=["role"] if olds.get("role") != news.get("role") else [],
                          stables=["role"], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        new = _ids(news["bindings"])
        _create_acls(news, new)  # all of them: a no-op for those that exist, so a moved cluster gets them all
        delete_acls(news, _ids(olds["bindings"]) - new - set(news.get("keep") or ()))
        return UpdateResult(outs={**news, "bindings": _sorted(news["bindings"])})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        delete_acls(props, _ids(props["bindings"]) - set(props.get("keep") or ()))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = live_acl_ids(props)
        present = [b for b in props.get("bindings") or () if from_input(b).import_id in live]
        return ReadResult(id_=id_, outs={**props, "bindings": _sorted(present)})


# --- SCRAM users ---------------------------------------------------------------------

def _mechanism(name: str) -> Any:
    from confluent_kafka.admin import ScramMechanism
    return ScramMechanism[name.replace("-", "_")]


def _upsert_users(props: dict[str, Any], users: list[str]) -> None:
    if not users:
        return
    from confluent_kafka.admin import ScramCredentialInfo, UserScramCredentialUpsertion
    info = ScramCredentialInfo(_mechanism(props["mechanism"]), SCRAM_ITERATIONS)
    changes = [UserScramCredentialUpsertion(u, info, props["passwords"][u].encode()) for u in users]
    admin = _admin(props)
    futures = admin.alter_user_scram_credentials(changes, request_timeout=_timeout(props))
    _settle(futures, {k: f"user {k}" for k in futures}, _timeout(props), "set the SCRAM credentials")


def _delete_users(props: dict[str, Any], users: list[str]) -> None:
    if not users:
        return
    from confluent_kafka.admin import UserScramCredentialDeletion
    changes = [UserScramCredentialDeletion(u, _mechanism(props["mechanism"])) for u in users]
    admin = _admin(props)
    futures = admin.alter_user_scram_credentials(changes, request_timeout=_timeout(props))
    from confluent_kafka import KafkaError
    _settle(futures, {k: f"user {k}" for k in futures}, _timeout(props), "delete the SCRAM credentials",
            done_if=frozenset({KafkaError.RESOURCE_NOT_FOUND}))  # deleted by hand already: as asked


def live_users(props: dict[str, Any], users: list[str]) -> set[str]:
    """Of `users`, those with a credential of the stack's mechanism on the cluster."""
    if not users:
        return set()
    from confluent_kafka import KafkaError, KafkaException
    admin = _admin(props)
    futures = admin.describe_user_scram_credentials(users, request_timeout=_timeout(props))
    found = set()
    for user, future in futures.items():
        try:
            info = future.result(timeout=_timeout(props) + 1)
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.RESOURCE_NOT_FOUND:
                continue
            raise KafkaAdminError(f"could not describe the SCRAM credentials of user {user}: {exc.args[0].str()}")
        if any(i.mechanism == _mechanism(props["mechanism"]) for i in info.scram_credential_infos):
            found.add(user)
    return found


class ScramUsersProvider(ResourceProvider):
    """The stack's SCRAM users: one credential each, with the stack's mechanism and password."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        _upsert_users(props, props["users"])
        return CreateResult(id_="scram-users", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = [k for k in ("users", "mechanism", "passwords", "connection", "__provider")
                   if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changes), replaces=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old_pw, new_pw = olds.get("passwords") or {}, news["passwords"]
        same = olds.get("mechanism") == news["mechanism"] and olds.get("connection") == news.get("connection")
        _upsert_users(news, [u for u in news["users"]
                             if not same or u not in (olds.get("users") or ()) or old_pw.get(u) != new_pw.get(u)])
        gone = [u for u in olds.get("users") or () if u not in news["users"]]
        if olds.get("mechanism") != news["mechanism"]:  # the old mechanism's credentials of every user go
            _delete_users({**news, "mechanism": olds["mechanism"]}, list(olds.get("users") or ()))
        else:
            _delete_users(news, gone)
        return UpdateResult(outs=news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        _delete_users(props, list(props["users"]))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        present = live_users(props, list(props.get("users") or ()))
        return ReadResult(id_=id_, outs={**props, "users": [u for u in props.get("users") or () if u in present]})

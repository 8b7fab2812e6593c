"""The one Kafka admin adapter: every admin request of the program, the access providers, `make verify` and the tools.

- `client(settings, timeout)` is the one client factory: librdkafka quiet (its log lines would land in
  the user's `pulumi` output; the reason is reported instead), every socket bounded by `timeout`,
  never creating a topic by reading it, and one client per login and process (a refresh of five
  resources connects once).
- `Admin.settle` is the one way to wait on a batch: per item, its result or why it failed, in words;
  a request that timed out after the brokers refused the login says so ("login refused"), never
  "timed out".
- A binding's identity is confluent-kafka's own `AclBinding` (it compares, hashes and sorts); the
  model's spelling (pulumi-kafka's field values, which the state and the policy pack read) is
  converted here, in `to_kafka` / `from_kafka`, and nowhere else.
- CreateAcls and DeleteAcls go in requests of at most `CHUNK` bindings: a KRaft controller refuses
  a request that would write more than 10,000 records, so a role of any size converges.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from components.model.acl_bindings import AclBinding

CHUNK = 5000  # bindings per CreateAcls / DeleteAcls request (a KRaft controller caps one request at 10,000 records)
SCRAM_ITERATIONS = 4096  # Kafka's minimum for SCRAM-SHA-256/512, and the kafka provider's default

K = TypeVar("K")


class AdminError(Exception):
    """A request the brokers did not answer as asked, in words (the login, the reason), one line per item."""


class _Quiet:
    """librdkafka's logger: silent (the adapter reports the reason itself)."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        pass

    debug = info = warning = error = critical = exception = log


QUIET = _Quiet()

# pulumi-kafka's spelling (the model's, the state's) <-> confluent-kafka's enum member names
_OPERATION = {"All": "ALL", "Read": "READ", "Write": "WRITE", "Create": "CREATE", "Delete": "DELETE",
              "Alter": "ALTER", "Describe": "DESCRIBE", "ClusterAction": "CLUSTER_ACTION",
              "DescribeConfigs": "DESCRIBE_CONFIGS", "AlterConfigs": "ALTER_CONFIGS",
              "IdempotentWrite": "IDEMPOTENT_WRITE", "Any": "ANY", "Unknown": "UNKNOWN"}
_RESOURCE_TYPE = {"Topic": "TOPIC", "Group": "GROUP", "Cluster": "BROKER", "TransactionalID": "TRANSACTIONAL_ID",
                  "Any": "ANY", "Unknown": "UNKNOWN"}
_PATTERN = {"Literal": "LITERAL", "Prefixed": "PREFIXED", "Match": "MATCH", "Any": "ANY", "Unknown": "UNKNOWN"}
_PERMISSION = {"Allow": "ALLOW", "Deny": "DENY", "Any": "ANY", "Unknown": "UNKNOWN"}


def _back(table: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in table.items()}


def to_kafka(b: AclBinding) -> Any:
    """The model's binding as confluent-kafka's AclBinding (its identity on the wire and in every set here)."""
    from confluent_kafka.admin import AclBinding as KafkaBinding
    from confluent_kafka.admin import AclOperation, AclPermissionType, ResourcePatternType, ResourceType
    return KafkaBinding(ResourceType[_RESOURCE_TYPE[b.resource_type]], b.resource_name,
                        ResourcePatternType[_PATTERN[b.pattern]], b.principal, b.host,
                        AclOperation[_OPERATION[b.operation]], AclPermissionType[_PERMISSION[b.permission]])


def from_kafka(k: Any) -> AclBinding:
    """confluent-kafka's AclBinding in the model's spelling."""
    return AclBinding(k.principal, _back(_OPERATION)[k.operation.name], _back(_RESOURCE_TYPE)[k.restype.name],
                      k.name, _back(_PATTERN)[k.resource_pattern_type.name], k.host,
                      _back(_PERMISSION)[k.permission_type.name])


def filter_of(k: Any) -> Any:
    from confluent_kafka.admin import AclBindingFilter
    return AclBindingFilter(k.restype, k.name, k.resource_pattern_type, k.principal, k.host, k.operation,
                            k.permission_type)


def _chunks(items: list[K], size: int) -> Iterable[list[K]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_CLIENTS: dict[str, "Admin"] = {}
_CLIENTS_LOCK = threading.Lock()


def client(settings: Mapping[str, Any], timeout: float, shared: bool = True) -> "Admin":
    """The one way to get an admin client: `settings` are librdkafka's (the stack's login), `timeout` bounds
    every socket and request. `shared`: one client per login and process (the providers); a fresh one otherwise."""
    millis = str(max(1000, int(timeout * 1000)))
    spelled = {k: _spelled(v) for k, v in settings.items() if k not in ("logger", "error_cb")}
    spelled.update({"socket.timeout.ms": millis, "socket.connection.setup.timeout.ms": millis,
                    "reconnect.backoff.max.ms": "1000", "log_level": 0, "allow.auto.create.topics": "false"})
    if not shared:
        return Admin(spelled, timeout)
    key = json.dumps(spelled, sort_keys=True, default=str) + f"|{timeout}"
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = Admin(spelled, timeout)
        return _CLIENTS[key]


def _spelled(value: Any) -> Any:
    """librdkafka wants strings; numbers and booleans arrive as floats and bools through Pulumi's wire format."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


class Admin:
    """An AdminClient with the adapter's requests; `errors` collects what librdkafka reports outside requests."""

    def __init__(self, settings: dict[str, Any], timeout: float):
        from confluent_kafka.admin import AdminClient
        self.timeout = timeout
        self.errors: list[Any] = []
        self.user = settings.get("sasl.username")
        self.mechanism = settings.get("sasl.mechanism") or settings.get("security.protocol") or "PLAINTEXT"
        self.raw = AdminClient({**settings, "logger": QUIET, "error_cb": self.errors.append})

    # --- waiting on a batch ------------------------------------------------------------------------

    def login_refused(self) -> str | None:
        """The brokers' words if they refused this client's login (or its TLS handshake), else None."""
        from confluent_kafka import KafkaError
        for _ in range(5):  # librdkafka hands its errors to error_cb when the client is polled
            if self.errors:
                break
            self.raw.poll(0.1)
        for error in reversed(self.errors):
            if error.code() == KafkaError._AUTHENTICATION:
                return f"login refused for {self.user or '(no user)'} ({self.mechanism}): {error.str()}"
            if error.code() == KafkaError._SSL:
                return f"TLS handshake refused: {error.str()}"
        return None

    def _why(self, exc: BaseException) -> str:
        from confluent_kafka import KafkaException
        if isinstance(exc, KafkaException):
            error = exc.args[0]
            if error.code() in _TIMEOUT_CODES():
                return self.login_refused() or f"no answer within {self.timeout:g} s ({error.str()})"
            return error.str()
        if isinstance(exc, FutureTimeout):
            return self.login_refused() or f"no answer within {self.timeout:g} s"
        return f"{type(exc).__name__}: {exc}"

    def settle(self, futures: Mapping[K, Any], done_if: frozenset[int] = frozenset()) -> tuple[dict[K, Any], dict[K, str]]:
        """Each item's result, or why it failed (a code in `done_if`: as asked, None), by one deadline for all."""
        from confluent_kafka import KafkaException
        results, failures = {}, {}  # type: dict[K, Any], dict[K, str]
        deadline = time.monotonic() + self.timeout + 1  # a silent broker costs the time-out once, not per item
        for key, future in futures.items():
            try:
                results[key] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except KafkaException as exc:
                if exc.args[0].code() in done_if:
                    results[key] = None
                else:
                    failures[key] = self._why(exc)
            except Exception as exc:  # noqa: BLE001 - a time-out or a client error: named, never swallowed
                failures[key] = self._why(exc)
        return results, failures

    def _all_failed(self, keys: Iterable[K], exc: BaseException) -> dict[K, str]:
        why = self._why(exc)
        return {k: why for k in keys}

    # --- ACL bindings --------------------------------------------------------------------------------

    def list_acls(self) -> frozenset[AclBinding]:
        """Every binding on the cluster (none without an authorizer); AdminError if they cannot be listed."""
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType,
                                           ResourceType)
        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                      AclOperation.ANY, AclPermissionType.ANY)
        try:
            future = self.raw.describe_acls(everything, request_timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001
            raise AdminError(f"could not list the ACLs: {self._why(exc)}") from None
        results, failures = self.settle({"acls": future}, done_if=frozenset({KafkaError.SECURITY_DISABLED}))
        if failures:
            raise AdminError(f"could not list the ACLs: {failures['acls']}")
        return frozenset(from_kafka(k) for k in results["acls"] or ())

    def create_acls(self, bindings: Iterable[AclBinding]) -> dict[AclBinding, str]:
        """Create each binding (one that exists is a no-op), in requests of CHUNK; the failures, by binding."""
        failures: dict[AclBinding, str] = {}
        for chunk in _chunks(sorted(set(bindings)), CHUNK):
            wanted = {to_kafka(b): b for b in chunk}
            try:
                futures = self.raw.create_acls(list(wanted), request_timeout=self.timeout)
            except Exception as exc:  # noqa: BLE001 - e.g. a binding librdkafka itself refuses
                failures.update(self._all_failed(chunk, exc))
                continue
            _, failed = self.settle(futures)
            failures.update({wanted[k]: why for k, why in failed.items()})
        return failures

    def delete_acls(self, bindings: Iterable[AclBinding]) -> dict[AclBinding, str]:
        """Delete exactly each binding (filters naming every field; one already gone is as asked), in requests of
        CHUNK; the failures, by binding."""
        failures: dict[AclBinding, str] = {}
        for chunk in _chunks(sorted(set(bindings)), CHUNK):
            filters = {filter_of(to_kafka(b)): b for b in chunk}
            try:
                futures = self.raw.delete_acls(list(filters), request_timeout=self.timeout)
            except Exception as exc:  # noqa: BLE001
                failures.update(self._all_failed(chunk, exc))
                continue
            results, failed = self.settle(futures)
            failures.update({filters[f]: why for f, why in failed.items()})
            for f, deleted in results.items():
                if deleted is not None and len(deleted) > 1:  # exact filters match one binding at most
                    failures[filters[f]] = f"the filter matched {len(deleted)} bindings, not 1"
        return failures

    def cluster_operations(self) -> frozenset[str] | None:
        """The operations this login may do on the cluster resource (e.g. ALTER: change ACLs and SCRAM users),
        as confluent-kafka's AclOperation names; None if the brokers did not say."""
        try:
            description = self.raw.describe_cluster(include_authorized_operations=True,
                                                    request_timeout=self.timeout).result(timeout=self.timeout + 1)
        except Exception:  # noqa: BLE001 - not said: the caller decides without it
            return None
        operations = getattr(description, "authorized_operations", None)
        return None if operations is None else frozenset(op.name for op in operations)

    # --- SCRAM users --------------------------------------------------------------------------------

    @staticmethod
    def _mechanism(name: str) -> Any:
        from confluent_kafka.admin import ScramMechanism
        return ScramMechanism[name.replace("-", "_")]

    def scram_users(self, users: Iterable[str], mechanism: str) -> frozenset[str]:
        """Of `users`, those with a credential of `mechanism` on the cluster; AdminError if they cannot be read."""
        from confluent_kafka import KafkaError
        users = sorted(set(users))
        if not users:
            return frozenset()
        try:
            futures = self.raw.describe_user_scram_credentials(users, request_timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001
            raise AdminError(f"could not describe the SCRAM users: {self._why(exc)}") from None
        results, failures = self.settle(futures, done_if=frozenset({KafkaError.RESOURCE_NOT_FOUND}))
        if failures:
            raise AdminError("could not describe the SCRAM users: " +
                             "; ".join(f"{u}: {why}" for u, why in sorted(failures.items())))
        wanted = self._mechanism(mechanism)
        return frozenset(u for u, info in results.items()
                         if info is not None and any(i.mechanism == wanted for i in info.scram_credential_infos))

    def upsert_scram(self, passwords: Mapping[str, str], mechanism: str) -> dict[str, str]:
        """Set each user's credential; the failures, by user."""
        from confluent_kafka.admin import ScramCredentialInfo, UserScramCredentialUpsertion
        if not passwords:
            return {}
        info = ScramCredentialInfo(self._mechanism(mechanism), SCRAM_ITERATIONS)
        changes = [UserScramCredentialUpsertion(u, info, passwords[u].encode()) for u in sorted(passwords)]
        return self._alter_scram(changes, list(passwords))

    def delete_scram(self, users: Iterable[str], mechanism: str) -> dict[str, str]:
        """Delete each user's credential of `mechanism` (one already gone is as asked); the failures, by user."""
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import UserScramCredentialDeletion
        users = sorted(set(users))
        if not users:
            return {}
        changes = [UserScramCredentialDeletion(u, self._mechanism(mechanism)) for u in users]
        return self._alter_scram(changes, users, frozenset({KafkaError.RESOURCE_NOT_FOUND}))

    def _alter_scram(self, changes: list[Any], users: list[str], done_if: frozenset[int] = frozenset()) -> dict[str, str]:
        try:
            futures = self.raw.alter_user_scram_credentials(changes, request_timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001
            return self._all_failed(users, exc)
        _, failures = self.settle(futures, done_if)
        return failures


def _TIMEOUT_CODES() -> frozenset[int]:  # noqa: N802 - a constant that needs confluent_kafka imported
    from confluent_kafka import KafkaError as E
    return frozenset({E._TIMED_OUT, E._TRANSPORT, E.REQUEST_TIMED_OUT, E._ALL_BROKERS_DOWN})


def lines(failures: Mapping[Any, str], name: Any = str) -> list[str]:
    """One sorted line per failure: `<item>: <why>`."""
    return sorted(f"{name(item)}: {why}" for item, why in failures.items())

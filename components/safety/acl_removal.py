"""Delete the bindings `access.unmanagedBindings: remove` names, exactly those, with the stack's own login.

These bindings were never Pulumi resources (they touch what the stack manages but were made by
hand or by another tool), so the engine cannot plan their deletion: the program deletes them
itself, in `up` only, after every check of the run has passed and before any resource is
declared. Each delete filter names every field of its binding (principal, host, operation,
permission, resource type, name, pattern), so it can match that binding and nothing else; the
preview lists them first, as access lost.
"""

from __future__ import annotations

from typing import Any

from components.config.stack_config import StackConfig
from components.model.acl_bindings import AclBinding
from components.safety.live_cluster import client_settings, spelled


def delete(config: StackConfig, bindings: list[AclBinding]) -> list[str]:
    """Delete each binding; the problems, one per binding that was not deleted exactly."""
    from confluent_kafka.admin import AdminClient
    timeout = config.cluster.live_check_timeout_seconds
    admin = AdminClient(client_settings(config, timeout))
    return [f"{b.import_id}: {result}" if isinstance(result, str) else f"{b.import_id}: {result} bindings matched, not 1"
            for b, result in delete_exactly(admin, bindings, timeout * 3) if result != 1]


def delete_exactly(admin: Any, bindings: list[AclBinding], timeout: float) -> list[tuple[AclBinding, int | str]]:
    """One DeleteAcls request whose filters name every field of their binding; per binding, how many bindings
    it deleted (1, or 0 if it was gone already) or why Kafka refused (also used by resources/kafka_admin.py)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AclBindingFilter
    filters = [AclBindingFilter(*spelled(b)) for b in bindings]
    outcome: list[tuple[AclBinding, int | str]] = []
    for binding, future in zip(bindings, admin.delete_acls(filters, request_timeout=timeout).values()):
        try:
            outcome.append((binding, len(future.result(timeout=timeout + 1))))
        except KafkaException as exc:
            outcome.append((binding, exc.args[0].str()))
        except Exception as exc:  # noqa: BLE001 - a timeout: named, never swallowed
            outcome.append((binding, repr(exc)))
    return outcome

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
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AclBindingFilter, AdminClient
    timeout = config.cluster.live_check_timeout_seconds
    admin = AdminClient(client_settings(config, timeout))
    filters = [AclBindingFilter(*spelled(b)) for b in bindings]
    problems = []
    for binding, (_, future) in zip(bindings, admin.delete_acls(filters, request_timeout=timeout * 3).items()):
        try:
            deleted: list[Any] = future.result(timeout=timeout * 3 + 1)
        except KafkaException as exc:
            problems.append(f"{binding.import_id}: {exc.args[0].str()}")
            continue
        if len(deleted) != 1:
            problems.append(f"{binding.import_id}: {len(deleted)} bindings matched, not 1")
    return problems

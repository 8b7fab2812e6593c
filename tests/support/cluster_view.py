"""What a test's stack holds on a cluster, read as the cluster's admin: its ACL bindings and its SCRAM users."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient

from components.kafka import admin as adapter
from components.model.acl_bindings import AclBinding
from tools.cluster import secure_cluster as cluster_tool


def admin_of(info: dict) -> adapter.Admin:
    return adapter.client(cluster_tool.client_config(info), 20, shared=False)


def ours(info: dict, users: str, names: str | None = None) -> set[AclBinding]:
    """Every binding of a test: its principals' (users starting with `users`), and any on its names (`names`)."""
    names = users if names is None else names
    return {b for b in admin_of(info).list_acls()
            if b.principal.startswith(f"User:{users}") or b.resource_name.startswith(names)}


def users_of(info: dict, prefix: str) -> set[str]:
    raw = AdminClient({**cluster_tool.client_config(info), "log_level": 0})
    return {u for u in raw.describe_user_scram_credentials().result(30) if u.startswith(prefix)}

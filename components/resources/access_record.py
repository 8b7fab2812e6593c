"""The stack's record of every ACL binding and SCRAM user it may have on the cluster, written before any of them.

The engine writes a resource's state only when its operation ends. A run killed while a role resource
was creating bindings (SIGKILL, a crashed runner) leaves bindings on the cluster that no state
records, so a principal removed before the next successful run would keep its grants. This resource
(`access-record`, type pulumi-python:dynamic/evidentsource:AccessRecord) is that record: it holds
what this run declares plus what earlier runs may have left on the cluster (safety/access_plan.py),
it touches nothing on the cluster when created or updated, and the role resources and the SCRAM users
resource depend on it, so its state is written before any of them acts. The next run retires what it
holds and no longer declares.

Its provider is the role resources' (resources/kafka_admin.RoleAclsProvider, with `record: true`), so
a release that does not know this resource (a rollback) deletes it as a role resource with an empty
`bindings` list: nothing on the cluster. `pulumi destroy` deletes everything it holds.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi import dynamic

from components.model.acl_bindings import AclBinding, as_grants
from components.resources.kafka_admin import RoleAclsProvider


class AccessRecord(dynamic.Resource, module="evidentsource", name="AccessRecord"):
    """Every binding and user the stack may have on the cluster (type pulumi-python:dynamic/evidentsource:AccessRecord)."""

    def __init__(self, name: str, grants: set[AclBinding], users: set[str], mechanism: str | None, connection: Any,
                 timeout_seconds: float, opts: pulumi.ResourceOptions):
        super().__init__(RoleAclsProvider(), name, {
            "record": True, "role": "record", "grants": as_grants(grants), "users": sorted(users),
            "mechanism": mechanism, "bindings": [], "connection": connection, "timeoutSeconds": timeout_seconds,
        }, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["connection"])))

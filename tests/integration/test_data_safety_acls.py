"""ACL changes never leave a role without access mid-update: the new binding exists before the old goes.

Each role's bindings are one resource (resources/kafka_acls.py); its update creates the new set
(one CreateAcls) before it deletes what left it (one DeleteAcls). One `up` on the secure broker
changes both kinds of binding change the program can make:
- bindings whose target changes (the async-responses topic is renamed, with the data loss
  accepted): the server's eight and the consumer's Read move to the new name;
- a binding that changes its pattern's name (the external consumers' group prefix changes).
Proven twice: from the engine's own event stream (the role resources are updated in place,
never replaced or deleted), and by polling the broker's ACLs throughout the `up` (no moment
where a role has neither binding).
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
from pulumi import automation as auto

from components.model.names import NAMESPACE
from components.kafka.admin import from_kafka
from tests.support.stack_configs import secure_stack
from tools.cluster import broker
from test_data_safety_messages import Events, delete_topics, teardown

pytestmark = pytest.mark.timeout(600)
NS = NAMESPACE
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"


def settings(secure_broker: dict, prefix: str, consumer_groups: str, topics: dict | None = None) -> dict:
    return secure_stack(
        secure_broker["bootstrap_servers"],
        topics={"namePrefix": prefix, "partitions": 1, "replicationFactor": 1, "protect": False, **(topics or {})},
        access={"server": {"principals": [f"User:{prefix}server"]},
                "externalConsumers": {"principals": [f"User:{prefix}consumer"], "groupPrefix": consumer_groups},
                "externalProducers": {"principals": [f"User:{prefix}producer"]}})


class AclPoller(threading.Thread):
    """Snapshots of the test's bindings, as the broker has them, every 50 ms until stopped."""

    def __init__(self, admin, prefix: str):
        super().__init__(daemon=True)
        self.admin, self.prefix = admin, prefix
        self.snapshots: list[set[str]] = []
        self.done = threading.Event()

    def run_once(self) -> None:
        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                      AclOperation.ANY, AclPermissionType.ANY)
        bindings = self.admin.describe_acls(everything, request_timeout=15).result()
        self.snapshots.append({from_kafka(b).import_id for b in bindings if b.principal.startswith(f"User:{self.prefix}")})

    def run(self) -> None:
        while not self.done.is_set():
            self.run_once()
            time.sleep(0.05)


def test_acl_changes_create_the_new_binding_before_deleting_the_old(project, secure_broker, secure_admin, prefix):
    old_groups, new_groups = f"{prefix}ext-", f"{prefix}ext2-"
    responses, renamed = f"{prefix}evidentsource-async-responses", f"{prefix}responses-v2"
    stack = project.stack(settings(secure_broker, prefix, old_groups))
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(
        broker.jaas(secure_broker["admin_password"]), secret=True))
    server_read = f"User:{prefix}server|*|Read|Allow|Topic|{{}}|Literal"
    consumer_group = f"User:{prefix}consumer|*|Read|Allow|Group|{{}}|Prefixed"
    poller = AclPoller(secure_admin, prefix)
    try:
        stack.up()
        changed = settings(secure_broker, prefix, new_groups, {"perTopic": {"asyncResponses": {"name": renamed}},
                                                                 "acceptDataLoss": ["asyncResponses"]})
        for key in ("topics", "access"):
            stack.set_config(f"{NS}:{key}", auto.ConfigValue(json.dumps(changed[key])))
        events = Events()
        poller.start()
        stack.up(on_event=events)
        poller.done.set()
        poller.join(30)

        # The server (its eight operations on the renamed topic) and the consumers (Read on it, the new group
        # prefix) change in place; the producers' binding does not change at all.
        updated = sorted(urn.rsplit("::", 1)[-1] for k, op, urn in events.steps
                         if (k, op) == ("done", "update") and f"${ROLE_ACLS}::" in urn)
        assert updated == ["acls-externalConsumers", "acls-server"], events.steps
        assert set(events.ops(ROLE_ACLS)) <= {"update", "same"}, events.ops(ROLE_ACLS)

        assert len(poller.snapshots) >= 3
        for seen in poller.snapshots:  # at every moment each role had the old or the new binding
            assert seen & {server_read.format(responses), server_read.format(renamed)}, seen
            assert seen & {consumer_group.format(old_groups), consumer_group.format(new_groups)}, seen
        final = poller.snapshots[-1]
        assert server_read.format(renamed) in final and server_read.format(responses) not in final
        assert consumer_group.format(new_groups) in final and consumer_group.format(old_groups) not in final
    finally:
        poller.done.set()
        teardown(stack)
        delete_topics(broker.client_config(secure_broker), [responses, renamed])

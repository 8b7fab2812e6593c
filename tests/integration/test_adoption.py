"""Adopting what the seed's own shell commands created: no topic recreated, no message lost.

Each test replays the seed document's exact kafka-topics.sh and kafka-acls.sh commands (only
the broker address and the replication factor adapted to the local one-node secure broker)
through the broker's own admin command classes, produces known keyed messages to every topic,
and adopts with one of the two ways:
- the stack setting `adopt: {topics: true, acls: true}`: the first `up` imports the topics,
  takes the bindings over (each role's resource creates its set, and Kafka creates an existing
  binding as a no-op) and changes only the real differences in place (the 1-day retention the
  seed's commands forgot, the durable defaults);
- tools/ops/adopt.py writes a `pulumi import --file` document, `pulumi import` records it, and
  the next preview shows only in-place updates.
Asserted each time: zero creates, replaces and deletes of topics; the same topic ids (Kafka
gives a recreated topic a new id); the retentions as the seed's table says; every message
byte for byte; the seed's bindings that the program does not declare left in place.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from confluent_kafka.admin import (AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   ResourcePatternType, ResourceType)
from pulumi import automation as auto

from bench import seed
from components.model.catalog import CATALOG
from components.model.names import NAMESPACE
from components.kafka.admin import from_kafka
from tests.support.stack_configs import secure_stack
from tools.cluster import broker
from test_data_safety_messages import (Events, count, delete_topics, produce_known, record, refused, snapshot,
                                       teardown, topic_config, topic_facts)

pytestmark = pytest.mark.timeout(900)
NS = NAMESPACE
TOPIC = "kafka:index/topic:Topic"
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"
NAMES = {s.key: s.default_name for s in CATALOG}
PRINCIPALS = ("User:evidentsource", "User:external-consumer", "User:external-producer")
ADOPT_TOOL = [sys.executable, "-m", "tools.ops.adopt"]

# The program's bindings that the seed's commands also made (consumer Read, producer Write): adopted.
ADOPTED_ACLS = 3


def replay_seed(secure_broker: dict) -> None:
    """Each of the seed's eleven commands (bench/seed.py: its order and spelling, the local address,
    replication factor 1) through the broker's own admin classes.

    The topic commands run first (the ACLs name the topics), each group a few at a time: every
    command is a JVM start, and they do not depend on one another.
    """
    def run(command: tuple[str, list[str]]) -> None:
        tool, args = command
        done = broker.admin(tool, args, dir=secure_broker["dir"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{tool} {' '.join(args)}\n{done.stdout}{done.stderr}"

    commands = seed.seed_commands("", secure_broker["bootstrap_servers"])
    with ThreadPoolExecutor(max_workers=4) as pool:
        for tool in ("topics", "acls"):
            list(pool.map(run, [c for c in commands if c[0] == tool]))


def live_acls(admin: AdminClient) -> set[str]:
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                  AclOperation.ANY, AclPermissionType.ANY)
    return {from_kafka(b).import_id for b in admin.describe_acls(everything, request_timeout=15).result()
            if b.principal in PRINCIPALS}


def clean_up(admin: AdminClient, client: dict) -> None:
    delete_topics(client, list(NAMES.values()))
    filters = [AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, p, None, AclOperation.ANY,
                                AclPermissionType.ANY) for p in PRINCIPALS]
    for future in admin.delete_acls(filters, request_timeout=15).values():
        future.result()


def staging_shape(secure_broker: dict, adopt: dict | None = None) -> dict:
    """The staging stack's shape (SCRAM, Kafka ACLs, the seed's principals), on the local broker."""
    config = secure_stack(
        secure_broker["bootstrap_servers"],
        topics={"partitions": 3, "replicationFactor": 1},  # protected and retained: a real, adopted stack
        access={"server": {"principals": ["User:evidentsource"]},
                "externalConsumers": {"principals": ["User:external-consumer"]},
                "externalProducers": {"principals": ["User:external-producer"]}})
    return {**config, "adopt": adopt} if adopt else config


def login(stack, secure_broker: dict) -> None:
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(
        broker.jaas(secure_broker["admin_password"]), secret=True))


@pytest.fixture
def seeded(secure_broker, secure_admin):
    """The seed's topics and ACLs, with known messages in every topic; removed afterwards."""
    client = broker.client_config(secure_broker)
    clean_up(secure_admin, client)
    replay_seed(secure_broker)
    produce_known(client, NAMES)
    state = {"client": client, "messages": snapshot(client, list(NAMES.values())),
             "ids": topic_facts(client, list(NAMES.values())), "acls": live_acls(secure_admin)}
    assert count(state["messages"]) == 120 and len(state["acls"]) == 4 + 2 * 2 + 2
    assert topic_config(client, NAMES["transactionProposals"])["retention.ms"] == "604800000"  # the seed's omission
    yield state
    clean_up(secure_admin, client)


def assert_adopted(seeded: dict, secure_admin: AdminClient, way: str) -> None:
    client = seeded["client"]
    assert topic_facts(client, list(NAMES.values())) == seeded["ids"], "a topic was recreated"
    retention = {key: topic_config(client, name)["retention.ms"] for key, name in NAMES.items()}
    assert retention == {"transactionProposals": "86400000", "databaseEvents": "604800000",
                         "asyncCommands": "86400000", "asyncResponses": "86400000"}
    assert topic_config(client, NAMES["databaseEvents"])["min.insync.replicas"] == "1"
    after = snapshot(client, list(NAMES.values()))
    assert after == seeded["messages"]
    # The seed's bindings the program does not declare (All for the server, Describe) are left in place.
    assert seeded["acls"] <= live_acls(secure_admin)
    record("test_adoption", "adoption", way, count(seeded["messages"]), count(after),
           "adopted: 0 topic creates/replaces/deletes, retention applied in place, messages byte for byte")


# What the seed's commands grant and the program does not declare: the server's `All` on each topic, and the
# external roles' Describe (implied by their Read and Write). Transcribed from the seed's kafka-acls.sh lines.
LEFTOVERS = [*(("User:evidentsource", "All", name) for name in NAMES.values()),
             ("User:external-consumer", "Describe", NAMES["databaseEvents"]),
             ("User:external-consumer", "Describe", NAMES["asyncResponses"]),
             ("User:external-producer", "Describe", NAMES["asyncCommands"])]


def assert_leftovers_named(output: str) -> None:
    """Each leftover binding named once in the run's diagnostics, on its own line, and nothing else called unmanaged."""
    diagnostics = output.split("Diagnostics:", 1)[-1].split("Resources:", 1)[0]
    named = [line for line in diagnostics.splitlines() if "[access:unmanaged]" in line]
    for principal, operation, topic in LEFTOVERS:
        line = f"[access:unmanaged] on the cluster, not in the stack: {principal} Allow {operation} on Topic '{topic}'"
        assert sum(line in n for n in named) == 1, (line, output[-4000:])
    assert len(named) == len(LEFTOVERS), named


def test_adopt_setting_imports_then_updates_in_place(project, secure_broker, secure_admin, seeded):
    stack = project.stack(staging_shape(secure_broker, {"topics": True, "acls": True}))
    login(stack, secure_broker)
    try:
        lines: list[str] = []
        preview = stack.preview(on_output=lines.append).stdout
        assert_leftovers_named(preview)
        events = Events()
        result = stack.up(on_event=events, on_output=lines.append)
        assert_leftovers_named(result.stdout)
        topic_ops = events.ops(TOPIC)
        assert sorted(topic_ops) == ["import"] * 4 + ["update"] * 4, topic_ops
        # The bindings the seed made and the program declares are taken over by their roles' resources, as they are.
        assert sorted(events.ops(ROLE_ACLS)) == ["create"] * 4, events.ops(ROLE_ACLS)
        assert f"adopting {ADOPTED_ACLS} existing ACL binding(s)" in result.stdout
        assert result.summary.resource_changes["import"] == 4
        assert_adopted(seeded, secure_admin, "stack setting adopt.topics + adopt.acls (first `up`)")
        assert set(stack.preview().change_summary) == {"same"}  # adopted and converged in one run
    finally:
        teardown(stack)


def test_adopt_tool_writes_an_import_document(project, secure_broker, secure_admin, seeded, tmp_path):
    stack = project.stack(staging_shape(secure_broker))
    login(stack, secure_broker)
    try:
        assert "already exists on the cluster but not in this stack's state" in refused(stack)
        document = tmp_path / "adopt.json"
        stack_file = project.root / f"Pulumi.{stack.name}.yaml"
        settings_before = stack_file.read_text()
        tool = subprocess.run([*ADOPT_TOOL, "--stack", stack.name, "--project-dir",
                               str(project.root), "--out", str(document)],
                              env=os.environ, capture_output=True, text=True, timeout=300)
        assert tool.returncode == 0, tool.stdout + tool.stderr
        assert stack_file.read_text() == settings_before  # it planned on a copy: adopt.importDocument is not left
        assert tool.stdout.count("import   topic ") == 4 and tool.stdout.count("adopt    ACL ") == ADOPTED_ACLS
        assert "leave    ACL User:evidentsource|*|All|Allow|Topic|evidentsource-database-events|Literal" in tool.stdout
        imported = subprocess.run(["pulumi", "import", "--stack", stack.name, "--file", str(document), "--yes",
                                   "--generate-code=false", "--non-interactive"], cwd=project.root, env=os.environ,
                                  capture_output=True, text=True, timeout=300)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        assert topic_facts(seeded["client"], list(NAMES.values())) == seeded["ids"]

        events = Events()
        preview = stack.preview(on_event=events)
        assert sorted(events.ops(TOPIC)) == ["update"] * 4, events.ops(TOPIC)  # only real differences, in place
        assert not {"replace", "delete"} & set(preview.change_summary), preview.change_summary
        events = Events()
        stack.up(on_event=events)
        assert sorted(events.ops(TOPIC)) == ["update"] * 4
        assert_adopted(seeded, secure_admin, "tools/ops/adopt.py + pulumi import --file, then `up`")
    finally:
        teardown(stack)




def test_unmanaged_bindings_remove_deletes_exactly_the_seeds_leftovers_then_every_role_verifies(
        project, secure_broker, secure_admin, seeded):
    config = staging_shape(secure_broker, {"topics": True, "acls": True})
    config["access"] = {**config["access"], "createScramUsers": True}
    stack = project.stack(config)
    login(stack, secure_broker)
    for principal in PRINCIPALS:
        stack.set_config(f"{NS}:principalPasswords.{principal.removeprefix('User:')}",
                         auto.ConfigValue(f"pw-{principal.removeprefix('User:')}-7", secret=True), path=True)
    leftover_ids = {f"{p}|*|{op}|Allow|Topic|{topic}|Literal" for p, op, topic in LEFTOVERS}
    try:
        stack.up()  # adopted, leftovers reported
        assert leftover_ids <= live_acls(secure_admin)
        stack.set_config(f"{NS}:access", auto.ConfigValue(json.dumps({**config["access"],
                                                                       "unmanagedBindings": "remove"})))
        before = live_acls(secure_admin)
        plain = stack.preview()
        assert_leftovers_named(plain.stdout)
        preview = " ".join(plain.stdout.split())  # (lines wrap)
        planned = stack.preview(diff=True)
        # The seed's leftovers are on the stack's own topics: the plan deletes them, as the first role's update.
        assert preview.count("access.unmanagedBindings is remove, so the plan deletes it") >= len(LEFTOVERS)
        assert planned.change_summary.get("update") == 1, planned.change_summary
        removal = planned.stdout.split("RoleAcls::acls-server]", 1)[1].split("removeUnmanaged", 1)[1].split("retire")[0]
        for principal, operation, topic in LEFTOVERS:
            assert f"{principal}: Allow {operation} on Topic {topic}" in removal, removal
        assert live_acls(secure_admin) == before  # a preview deletes nothing
        result = stack.up()
        assert_leftovers_named(result.stdout)
        assert result.summary.resource_changes.get("update") == 1, result.summary.resource_changes
        assert live_acls(secure_admin) == before - leftover_ids  # exactly those seven, nothing else
        assert "[access:unmanaged]" not in stack.preview().stdout  # nothing left over
        verified = subprocess.run([sys.executable, "-m", "tools.ops.verify", "--stack", stack.name, "--project-dir",
                                   str(project.root)], env=os.environ, capture_output=True, text=True, timeout=600)
        assert verified.returncode == 0 and "UNEXPECTED" not in verified.stdout, verified.stdout + verified.stderr
        assert {line.split()[0] for line in verified.stdout.splitlines()[1:-1]} == {
            "server", "externalConsumers", "externalProducers"}, verified.stdout
    finally:
        teardown(stack)

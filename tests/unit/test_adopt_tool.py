"""tools/ops/adopt.py without an engine: the program's planned creates + the live cluster -> an import document
(topics) and a report (topics, ACL bindings taken over or created by their role's resource on `up`, SCRAM users)."""

from __future__ import annotations

import json

import pulumi
import pytest

from components.config import load
from components.model.acl_bindings import acl_bindings, by_role
from components.safety.check import DataSafetyError
from components.safety.live_cluster import LiveCluster, LiveTopic
from configs import SCRAM, merged
from mocking import fresh_mocks, run_program
from tools.ops import adopt

CONSUMER = {"access": {"externalConsumers": {"principals": ["User:consumer-a"]}}}
PASSWORDS = {"access": {"createScramUsers": True},
             "principalPasswords": {"evidentsource": "s-pw", "streams-lambda": "l-pw", "consumer-a": "c-pw",
                                    "producer-a": "p-pw"}}
READ = "User:consumer-a|*|Read|Allow|Topic|evidentsource-database-events|Literal"  # declared, and on the cluster
SEED_ALL = "User:evidentsource|*|All|Allow|Topic|evidentsource-async-commands|Literal"  # on the cluster only
STRANGER = "User:someone-else|*|Read|Allow|Topic|other-topic|Literal"  # neither the stack's principal nor topic


def planned(raw: dict) -> dict:
    """What `pulumi preview --import-file` writes for a new stack of this config, as the tool asks for it: the
    program's own registrations in a preview with adopt.importDocument, each listed as the engine lists a create
    (pulumi's buildImportFile: components flagged, providers with their inputs, other resources with a
    placeholder id; parents and providers by name)."""
    recording = fresh_mocks(preview=True)
    try:
        run_program(merged(raw, {"adopt": {"importDocument": True}}))
    finally:
        pulumi.runtime.set_all_config({}, [])
    resources = []
    for r in recording.registrations:
        entry = {"type": r.type, "name": r.name}
        if r.parent and not r.parent.split("::")[-2].endswith("pulumi:pulumi:Stack"):
            entry["parent"] = r.parent.rsplit("::", 1)[-1]
        if r.provider:
            entry["provider"] = r.provider.split("::")[-2]
        if r.type.startswith("evidentsource:"):
            entry["component"] = True
        elif r.type.startswith("pulumi:providers:"):
            entry["inputs"] = {"bootstrapServers": r.plain("bootstrapServers")}
        else:
            entry["id"] = "<PLACEHOLDER>"
        resources.append(entry)
    return {"resources": resources}


def acl_lines(report: list[str]) -> list[str]:
    return [line for line in report if " ACL " in line]


def test_existing_topics_are_imported_and_existing_bindings_are_taken_over_on_up_not_imported():
    raw = merged(merged(SCRAM, CONSUMER), PASSWORDS)
    config = load.parse(raw)
    plan = planned(raw)
    assert len([e for e in plan["resources"] if e["type"] == adopt.ROLE_ACLS]) == 4  # the program's shape
    live = LiveCluster(True, brokers=3, topics={
        "evidentsource-database-events": LiveTopic("evidentsource-database-events", 3, 3),
        "evidentsource-async-commands": LiveTopic("evidentsource-async-commands", 3, 3)},
        acl_ids=frozenset({READ, SEED_ALL, STRANGER}))
    document, report = adopt.fill_in(plan, config, live)

    # The document imports the two topics (with the provider and their component), nothing of the access layer.
    ids = {r["name"]: r.get("id") for r in document["resources"]}
    assert ids == {"evidentsource": None, "kafka": None,
                   "evidentsource-database-events": "evidentsource-database-events",
                   "evidentsource-async-commands": "evidentsource-async-commands"}
    provider = next(r for r in plan["resources"] if r["name"] == "kafka")
    assert provider in document["resources"]  # the provider's inputs as the program's preview wrote them
    assert "import   topic evidentsource-database-events (3 partitions, replication factor 3)" in report
    assert "create   topic evidentsource-transaction-proposals (not on the cluster; `pulumi up` creates it)" in report

    # Every declared binding is named once, by the role resource that holds it: the one on the cluster as adopted.
    declared = {b.import_id: role for role, held in by_role(config.access_model()).items() for b in held}
    assert len(acl_lines(report)) == len(declared) + 1  # and the seed's leftover
    assert (f"adopt    ACL {READ} (exists; taken over by acls-externalConsumers on up, not recreated)"
            in report)
    for import_id, role in declared.items():
        if import_id != READ:
            assert f"create   ACL {import_id} (not on the cluster; acls-{role} creates it on up)" in report
    assert not any(line.startswith("import   ACL") for line in report)
    assert f"leave    ACL {SEED_ALL} (on the cluster, not declared by the program: left untouched)" in report
    assert not any("someone-else" in line for line in report)
    assert sorted(line for line in report if "SCRAM" in line) == [
        f"create   SCRAM user {u} (a password cannot be imported; `pulumi up` sets it)"
        for u in sorted(PASSWORDS["principalPasswords"])]


def test_bindings_on_the_cluster_alone_make_no_document_and_are_still_reported_as_taken_over():
    raw = merged(SCRAM, CONSUMER)
    document, report = adopt.fill_in(planned(raw), load.parse(raw),
                                     LiveCluster(True, brokers=3, acl_ids=frozenset({READ})))
    assert document == {}  # no topic to import, and bindings are never imported
    assert f"adopt    ACL {READ} (exists; taken over by acls-externalConsumers on up, not recreated)" in report


def test_bindings_are_never_said_to_be_missing_when_the_cluster_s_bindings_could_not_be_listed():
    raw = merged(SCRAM, CONSUMER)
    live = LiveCluster(True, brokers=3, acls_why="ClusterAuthorizationException: DESCRIBE_ACLS denied")
    _, report = adopt.fill_in(planned(raw), load.parse(raw), live)
    assert (f"create   ACL {READ} (acls-externalConsumers creates it on up, or takes it over if it exists: the "
            "cluster's bindings could not be listed: ClusterAuthorizationException: DESCRIBE_ACLS denied)" in report)
    assert not any("not on the cluster" in line for line in acl_lines(report))


def test_nothing_to_adopt_writes_no_document():
    config = load.parse(SCRAM)
    document, report = adopt.fill_in(planned(SCRAM), config, LiveCluster(True, brokers=1, acl_ids=frozenset()))
    assert document == {}
    assert report and all(line.startswith("create") for line in report)


def test_acl_resources_of_the_earlier_shape_are_never_imported():
    """A plan that still lists per-binding kafka.Acl resources (and their component): none reaches the document."""
    raw = merged(SCRAM, CONSUMER)
    plan = planned(raw)
    plan["resources"] += [{"type": adopt.ACL, "name": f"acls-{suffix}", "id": "<PLACEHOLDER>", "parent": "acls",
                           "provider": "kafka"} for suffix in acl_bindings(load.parse(raw).access_model())]
    live = LiveCluster(True, brokers=3, topics={"evidentsource-async-commands": LiveTopic(
        "evidentsource-async-commands", 3, 3)}, acl_ids=frozenset({READ}))
    document, report = adopt.fill_in(plan, load.parse(raw), live)
    assert {r["type"] for r in document["resources"]} == {"pulumi:providers:kafka", "evidentsource:kafka:Topics",
                                                         adopt.TOPIC}
    assert "drop     kafka:index/acl:Acl acls-consumer-a-read-topic-databaseEvents (the earlier per-binding shape: " \
           "its binding is held by its role's resource, never imported)" in report


def test_the_command_says_the_existing_bindings_are_taken_over_by_up(monkeypatch, tmp_path, capsys):
    raw = merged(SCRAM, CONSUMER)
    monkeypatch.setattr(adopt, "stack_settings", lambda *_: load.parse(raw))
    monkeypatch.setattr(adopt.live_cluster, "read", lambda *_, **__: LiveCluster(True, brokers=3, acl_ids=frozenset(
        {READ}), topics={"evidentsource-async-commands": LiveTopic("evidentsource-async-commands", 3, 3)}))
    monkeypatch.setattr(adopt, "planned_creates", lambda *_: planned(raw))
    out = tmp_path / "adopt.json"
    assert adopt.main(["--stack", "staging", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "then `pulumi up` creates what is missing; it also takes over the 1 existing ACL binding(s) marked " \
           "adopt, without recreating them" in printed
    written = json.loads(out.read_text())
    assert [r["id"] for r in written["resources"] if "id" in r] == ["evidentsource-async-commands"]
    assert not any("Acl" in r["type"] for r in written["resources"])

    monkeypatch.setattr(adopt.live_cluster, "read", lambda *_, **__: LiveCluster(True, brokers=3, acl_ids=frozenset(
        {READ})))
    out.unlink()
    assert adopt.main(["--stack", "staging", "--out", str(out)]) == 0
    assert "nothing on the cluster to import: `pulumi up` creates what is missing; it also takes over the 1 " \
           "existing ACL binding(s)" in capsys.readouterr().out
    assert not out.exists()


def test_the_stack_file_is_found_for_qualified_names_and_a_stack_config_dir(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    assert adopt.stack_file("myorg/p/staging", tmp_path) == tmp_path / "." / "Pulumi.staging.yaml"
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: stacks\n")
    assert adopt.stack_file("staging", tmp_path) == tmp_path / "stacks" / "Pulumi.staging.yaml"
    with pytest.raises(adopt.AdoptError, match=r"stacks/Pulumi.staging.yaml is missing") as refused:
        adopt.planning_settings("staging", tmp_path, tmp_path / "copy.yaml", {})
    assert refused.value.status == 2 and not (tmp_path / "copy.yaml").exists()
    # The setting the copy gets is part of the stack schema, and means "plan the import document".
    assert load.parse({**SCRAM, "adopt": {"importDocument": True}}).adopt.import_document is True


def test_the_import_document_setting_is_refused_in_up_and_plans_creates_in_preview():
    settings = merged(SCRAM, {"adopt": {"topics": True, "acls": True, "importDocument": True}})
    fresh_mocks()  # an update (`pulumi up`): not a preview
    with pytest.raises(DataSafetyError, match=r"\[adopt:import-document-in-up\] .*adopt.importDocument"):
        run_program(settings)

    recording = fresh_mocks(preview=True)
    run_program(settings)  # the cluster cannot be read (stub), yet nothing is refused: every topic is a create
    assert len(recording.of_type("kafka:index/topic:Topic")) == 4
    pulumi.runtime.set_all_config({}, [])

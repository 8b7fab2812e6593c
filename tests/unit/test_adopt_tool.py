"""tools/ops/adopt.py without an engine: the program's planned creates + the live cluster -> an import document."""

from __future__ import annotations

import pulumi
import pytest

from components.config import load
from components.model.acl_bindings import acl_bindings
from components.safety.check import DataSafetyError
from components.safety.live_cluster import LiveCluster, LiveTopic
from configs import SCRAM, merged
from mocking import fresh_mocks, run_program
from tools.ops import adopt

PROVIDER = {"type": "pulumi:providers:kafka", "name": "kafka", "inputs": {"bootstrapServers": "[\"b:9096\"]"}}
TOPICS = {"type": "evidentsource:kafka:Topics", "name": "evidentsource", "component": True}
ACLS = {"type": "evidentsource:kafka:Acls", "name": "acls", "component": True}


def planned(config) -> dict:
    """What `pulumi preview --import-file` writes for a new stack of this config."""
    resources = [TOPICS, PROVIDER, ACLS]
    for name in ("transaction-proposals", "database-events", "async-commands", "async-responses"):
        resources.append({"type": adopt.TOPIC, "name": f"evidentsource-{name}", "id": "<PLACEHOLDER>",
                          "parent": "evidentsource", "provider": "kafka", "version": "3.13.3"})
    for suffix in acl_bindings(config.access_model()):
        resources.append({"type": adopt.ACL, "name": f"acls-{suffix}", "id": "<PLACEHOLDER>", "parent": "acls",
                          "provider": "kafka", "version": "3.13.3"})
    resources.append({"type": adopt.SCRAM_USER, "name": "scram-users-x", "id": "<PLACEHOLDER>"})
    return {"resources": resources}


def test_existing_topics_and_bindings_get_their_ids_and_the_rest_is_left_to_up():
    config = load.parse(merged(SCRAM, {"access": {"externalConsumers": {"principals": ["User:consumer-a"]}}}))
    read = "User:consumer-a|*|Read|Allow|Topic|evidentsource-database-events|Literal"
    seed_all = "User:evidentsource|*|All|Allow|Topic|evidentsource-async-commands|Literal"
    stranger = "User:someone-else|*|Read|Allow|Topic|other-topic|Literal"
    live = LiveCluster(True, brokers=3, topics={
        "evidentsource-database-events": LiveTopic("evidentsource-database-events", 3, 3),
        "evidentsource-async-commands": LiveTopic("evidentsource-async-commands", 3, 3)},
        acl_ids=frozenset({read, seed_all, stranger}))
    document, report = adopt.fill_in(planned(config), config, live)
    ids = {r["name"]: r.get("id") for r in document["resources"]}
    assert ids == {"evidentsource": None, "kafka": None, "acls": None,
                   "evidentsource-database-events": "evidentsource-database-events",
                   "evidentsource-async-commands": "evidentsource-async-commands",
                   "acls-consumer-a-read-topic-databaseEvents": read}
    assert "import   topic evidentsource-database-events (3 partitions, replication factor 3)" in report
    assert "create   topic evidentsource-transaction-proposals (not on the cluster; `pulumi up` creates it)" in report
    assert any(line.startswith("create   SCRAM user") for line in report)
    assert f"leave    ACL {seed_all} (on the cluster, not declared by the program: left untouched)" in report
    assert not any("someone-else" in line for line in report)
    assert document["resources"][1] == PROVIDER  # the provider's inputs as the program's preview wrote them


def test_nothing_to_adopt_writes_no_document():
    config = load.parse(SCRAM)
    document, report = adopt.fill_in(planned(config), config, LiveCluster(True, brokers=1, acl_ids=frozenset()))
    assert document == {}
    assert all(line.startswith("create") for line in report)


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

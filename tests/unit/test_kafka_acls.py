"""Kafka ACL enforcer: the vendor's server grants, least privilege for the others, group Read, stable names."""

from __future__ import annotations

import pulumi
import pulumi_kafka as kafka

from components.config import load
from components.model.acl_bindings import acl_bindings
from components.resources.kafka_acls import KafkaAcls, KafkaAclsArgs
from configs import SCRAM, merged
from mocking import deploy


def model_of(raw):
    return load.parse(raw).access_model()


def as_tuples(bindings):
    return {(b.principal, b.operation, b.resource_type, b.resource_name, b.pattern) for b in bindings.values()}


EXPECTED = {
    *{("User:evidentsource", op, "Topic", f"evidentsource-{t}", "Literal")  # the vendor's `All`, written out
      for op in ("Read", "Write", "Create", "Delete", "Alter", "Describe", "DescribeConfigs", "AlterConfigs")
      for t in ("transaction-proposals", "database-events", "async-commands", "async-responses")},
    ("User:evidentsource", "Read", "Group", "evidentsource-server-", "Prefixed"),
    ("User:evidentsource", "Write", "TransactionalID", "evidentsource-tx-", "Prefixed"),
    ("User:streams-lambda", "Write", "Topic", "evidentsource-database-events", "Literal"),
    *{(c, "Read", "Topic", f"evidentsource-{t}", "Literal")
      for c in ("User:consumer-a", "User:consumer-b") for t in ("database-events", "async-responses")},
    ("User:consumer-a", "Read", "Group", "ext-", "Prefixed"),
    ("User:consumer-b", "Read", "Group", "ext-", "Prefixed"),
    ("User:producer-a", "Write", "Topic", "evidentsource-async-commands", "Literal"),
}


def test_the_acl_set_is_the_vendors_for_the_server_least_privilege_for_the_others_with_consumer_groups():
    bindings = acl_bindings(model_of(SCRAM))
    assert as_tuples(bindings) == EXPECTED
    assert len(bindings) == len(EXPECTED) == 42
    assert {(b.host, b.permission) for b in bindings.values()} == {("*", "Allow")}
    assert not any(b.principal == "User:*" for b in bindings.values())
    # Nothing on the cluster: IdempotentWrite is not needed on brokers >= 2.8; the vendor grants none either.
    assert "Cluster" not in {b.resource_type for b in bindings.values()}
    # External roles never touch the internal topic.
    assert not any(b.resource_name.endswith("transaction-proposals") and b.principal != "User:evidentsource"
                   for b in bindings.values())


def test_names_come_from_stable_keys_so_reordering_changes_nothing():
    reordered = merged(SCRAM, {"access": {"externalConsumers": {"principals": ["User:consumer-b", "User:consumer-a"]}}})
    assert acl_bindings(model_of(reordered)) == acl_bindings(model_of(SCRAM))
    assert "consumer-a-read-topic-databaseEvents" in acl_bindings(model_of(SCRAM))
    assert "consumer-a-read-group-ext-*" in acl_bindings(model_of(SCRAM))


def test_a_topic_rename_keeps_the_acl_identity_and_changes_its_target():
    renamed = acl_bindings(model_of(merged(SCRAM, {"topics": {"namePrefix": "stg-"}})))
    original = acl_bindings(model_of(SCRAM))
    assert renamed.keys() == original.keys()
    assert renamed["producer-a-write-topic-asyncCommands"].resource_name == "stg-evidentsource-async-commands"


def test_a_binding_shared_by_two_roles_is_declared_once():
    both = merged(SCRAM, {"access": {"externalConsumers": {"principals": ["User:evidentsource"]}}})
    bindings = acl_bindings(model_of(both))
    names = [s for s, b in bindings.items() if b.principal == "User:evidentsource" and b.resource_type == "Topic"
             and b.resource_name == "evidentsource-database-events" and b.operation == "Read"]
    assert names == ["evidentsource-read-topic-databaseEvents"]
    # ...while the consumers' group (a different binding) is added for the same principal.
    assert "evidentsource-read-group-ext-*" in bindings


def test_import_ids_follow_the_providers_format():
    binding = acl_bindings(model_of(SCRAM))["producer-a-write-topic-asyncCommands"]
    assert binding.import_id == "User:producer-a|*|Write|Allow|Topic|evidentsource-async-commands|Literal"


def test_the_component_declares_one_acl_per_binding_through_the_stacks_provider(monitor):
    model = model_of(SCRAM)

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["b:9096"])
        acls = KafkaAcls("acls", KafkaAclsArgs(acl_bindings(model)), pulumi.ResourceOptions(providers=[provider]))
        return {"provider": provider.urn, "component": acls.urn,
                "principals": {s: a.acl_principal for s, a in acls.acls.items()}}

    result = deploy(program)
    acls = monitor.of_type("kafka:index/acl:Acl")
    assert len(acls) == 42
    assert {r.name for r in acls} == {f"acls-{s}" for s in acl_bindings(model)}
    assert result["principals"]["producer-a-write-topic-asyncCommands"] == "User:producer-a"
    for acl in acls:
        assert acl.provider.startswith(result["provider"] + "::")
        assert acl.parent == result["component"]
        # Replace-on-change with Pulumi's default create-before-delete: access never lapses.
        assert acl.delete_before_replace is False
    group = monitor.named("acls-consumer-b-read-group-ext-*").inputs
    assert group == {"aclPrincipal": "User:consumer-b", "aclHost": "*", "aclOperation": "Read",
                     "aclPermissionType": "Allow", "aclResourceType": "Group", "aclResourceName": "ext-",
                     "resourcePatternTypeFilter": "Prefixed"}

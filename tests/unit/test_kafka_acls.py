"""Kafka ACL enforcer: the vendor's server grants, least privilege for the others, group Read, stable names."""

from __future__ import annotations

import pulumi
import pulumi_kafka as kafka

from components.config import load
from components.model.acl_bindings import from_grants, AclBinding, acl_bindings, by_role, from_input
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


ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"


def held(registration):
    return from_grants(registration.inputs["grants"])


def test_the_component_declares_one_authoritative_resource_per_role_holding_its_bindings(monitor):
    model = model_of(SCRAM)
    connection = {"bootstrap.servers": "b:9096", "sasl.password": "admin-pw"}

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["b:9096"])
        acls = KafkaAcls("acls", KafkaAclsArgs(by_role(model), pulumi.Output.secret(connection)),
                         pulumi.ResourceOptions(providers=[provider]))
        return {"component": acls.urn, "roles": sorted(acls.roles)}

    result = deploy(program)
    roles = {r.name: r for r in monitor.of_type(ROLE_ACLS)}
    assert set(roles) == {"acls-server", "acls-dynamodbStreamsLambda", "acls-externalConsumers",
                          "acls-externalProducers"}
    assert not monitor.of_type("kafka:index/acl:Acl")  # no resource per binding any more
    # Together they hold exactly the model's bindings, each once.
    assert sorted(b for r in roles.values() for b in held(r)) == sorted(acl_bindings(model).values())
    assert held(roles["acls-externalProducers"]) == {
        AclBinding("User:producer-a", "Write", "Topic", "evidentsource-async-commands", "Literal")}
    # Keyed by the binding in words, so `preview --diff` names each binding gained or lost.
    grants = roles["acls-externalConsumers"].inputs["grants"]
    assert grants["User:consumer-b: Allow Read on Group prefix ext-"] == "User:consumer-b|*|Read|Allow|Group|ext-|Prefixed"
    assert roles["acls-externalConsumers"].inputs["bindings"] == []  # what the previous release reads: deletes nothing
    for role in roles.values():
        assert role.parent == result["component"]
        assert role.secret("connection") and role.plain("connection") == connection  # the password stays secret
        assert "connection" in role.additional_secret_outputs
        # Nothing to delete on a first run: deletions are only what the plan names.
        assert role.inputs["retire"] == {} and role.inputs["removeUnmanaged"] == {} and role.inputs["missing"] == {}


def test_a_binding_two_roles_need_is_held_by_the_first_of_them():
    both = model_of(merged(SCRAM, {"access": {"externalConsumers": {"principals": ["User:evidentsource"]}}}))
    owners = by_role(both)
    shared = AclBinding("User:evidentsource", "Read", "Topic", "evidentsource-database-events", "Literal")
    assert shared in owners["server"] and shared not in owners["externalConsumers"]
    assert AclBinding("User:evidentsource", "Read", "Group", "ext-", "Prefixed") in owners["externalConsumers"]


def test_the_earlier_shape_is_declared_once_more_retained_until_a_role_resource_holds_its_binding(monitor):
    model = model_of(SCRAM)
    kept = AclBinding("User:producer-a", "Write", "Topic", "evidentsource-async-commands", "Literal")
    gone = AclBinding("User:old", "Read", "Topic", "evidentsource-async-commands", "Literal")
    legacy = {"acls-producer-a-write-topic-asyncCommands": kept, "acls-old-read-topic-asyncCommands": gone}

    def program():
        provider = kafka.Provider("kafka", bootstrap_servers=["b:9096"])
        KafkaAcls("acls", KafkaAclsArgs(by_role(model), pulumi.Output.secret({}), legacy=legacy),
                  pulumi.ResourceOptions(providers=[provider]))
        return {}

    deploy(program)
    (acl,) = monitor.of_type("kafka:index/acl:Acl")  # a binding no longer declared is not kept: it goes
    assert acl.name == "acls-producer-a-write-topic-asyncCommands" and acl.retain_on_delete is True
    assert (acl.inputs["aclPrincipal"], acl.inputs["aclOperation"]) == ("User:producer-a", "Write")


def test_principals_that_differ_only_where_names_are_slugged_are_both_kept_never_a_crash():
    raw = merged(SCRAM, {"access": {"externalConsumers": {"principals": ["User:app one", "User:app_one"]}}})
    found = acl_bindings(model_of(raw))
    consumers = {b.principal for b in found.values() if b.principal.startswith("User:app")}
    assert consumers == {"User:app one", "User:app_one"}
    held = by_role(model_of(raw))["externalConsumers"]
    assert {b.principal for b in held} == {"User:app one", "User:app_one"}

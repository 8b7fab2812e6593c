"""The access model: roles and grants derived from the catalogue's access patterns."""

from __future__ import annotations

from components.config import load, schema
from components.model.access_model import ROLE_BY_KEY, Grant
from components.model.catalog import CATALOG, Access
from configs import IAM, PLAINTEXT, SCRAM, merged

ALL = ("transactionProposals", "databaseEvents", "asyncCommands", "asyncResponses")


def test_roles_follow_the_seeds_access_table():
    assert ROLE_BY_KEY["server"].consumes == ALL and ROLE_BY_KEY["server"].produces == ALL
    assert ROLE_BY_KEY["dynamodbStreamsLambda"].consumes == ()
    assert ROLE_BY_KEY["dynamodbStreamsLambda"].produces == ("databaseEvents",)
    assert ROLE_BY_KEY["externalConsumers"].consumes == ("databaseEvents", "asyncResponses")
    assert ROLE_BY_KEY["externalConsumers"].produces == ()
    assert ROLE_BY_KEY["externalProducers"].consumes == ()
    assert ROLE_BY_KEY["externalProducers"].produces == ("asyncCommands",)


def test_external_roles_are_derived_from_the_catalogue_not_listed_by_hand():
    public_read = tuple(t.key for t in CATALOG if t.access is Access.PUBLIC_READ)
    public_write = tuple(t.key for t in CATALOG if t.access is Access.PUBLIC_WRITE)
    assert ROLE_BY_KEY["externalConsumers"].consumes == public_read
    assert ROLE_BY_KEY["externalProducers"].produces == public_write
    internal = {t.key for t in CATALOG if t.access is Access.INTERNAL}
    for key in ("dynamodbStreamsLambda", "externalConsumers", "externalProducers"):
        role = ROLE_BY_KEY[key]
        assert not internal & set(role.consumes + role.produces), f"{key} touches an internal topic"


def test_grants_use_configured_names_and_add_the_consumers_group():
    config = load.parse(merged(SCRAM, {"topics": {"namePrefix": "stg-"}}))
    consumers = config.access_model().role("externalConsumers")
    assert consumers.principals == ("User:consumer-a", "User:consumer-b")
    assert consumers.grants == (
        Grant("group", "ext-", "ext-", True, "consume"),
        Grant("topic", "asyncResponses", "stg-evidentsource-async-responses", False, "consume"),
        Grant("topic", "databaseEvents", "stg-evidentsource-database-events", False, "consume"),
    )
    assert not consumers.produces


def test_the_server_gets_every_group_unless_a_group_prefix_narrows_it_and_transactional_ids_only_when_set():
    configured = load.parse(SCRAM).access_model().role("server")
    kinds = {(g.resource_type, g.name) for g in configured.grants if g.resource_type != "topic"}
    assert kinds == {("group", "evidentsource-server-"), ("transactional-id", "evidentsource-tx-"),
                     ("cluster", "kafka-cluster")}
    assert [(g.resource_type, g.name, g.prefixed) for g in configured.removed] == [("group", "*", False)]
    bare = merged(SCRAM, {"access": {"server": {"principals": ["User:evidentsource"]}}})
    bare["access"]["server"] = {"principals": ["User:evidentsource"]}
    server = load.parse(bare).access_model().role("server")
    assert {(g.resource_type, g.name, g.prefixed) for g in server.grants if g.resource_type != "topic"} == {
        ("group", "*", False), ("cluster", "kafka-cluster", False)}
    assert len([g for g in server.grants if g.resource_type == "topic"]) == 12  # read, write, manage x 4 topics
    assert server.removed == ()


def test_narrow_to_read_write_removes_the_vendors_extras_and_says_which():
    raw = merged(SCRAM, {"access": {"server": {"narrowToReadWrite": True}}})
    server = load.parse(raw).access_model().role("server")
    assert {g.action for g in server.grants if g.resource_type == "topic"} == {"consume", "produce"}
    assert {(g.resource_type, g.action) for g in server.removed} == {
        ("topic", "manage"), ("cluster", "describe"), ("group", "consume")}


def test_producers_never_get_groups_and_consumers_never_transactional_ids():
    model = load.parse(SCRAM).access_model()
    assert {g.resource_type for g in model.role("externalProducers").grants} == {"topic"}
    assert {g.resource_type for g in model.role("dynamodbStreamsLambda").grants} == {"topic"}


def test_principals_map_to_their_roles():
    raw = merged(SCRAM, {"access": {"externalConsumers": {"principals": ["User:evidentsource", "User:consumer-a"]}}})
    held = load.parse(raw).access_model().principals()
    assert held["User:evidentsource"] == ("server", "externalConsumers")
    assert held["User:consumer-a"] == ("externalConsumers",)


def test_the_enforcer_comes_from_the_stack():
    assert load.parse(SCRAM).access_model().enforcer == "kafka-acls"
    assert load.parse(IAM).access_model().enforcer == "msk-iam"
    assert load.parse(PLAINTEXT).access_model().enforcer == "none"


def test_the_access_settings_have_one_section_per_role():
    sections = {f.alias for n, f in schema.AccessConfig.model_fields.items() if n not in ("create_scram_users", "unmanaged_bindings", "accept_access_loss")}
    assert sections == set(ROLE_BY_KEY) == set(schema.AccessConfig().roles())

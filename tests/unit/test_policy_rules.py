"""Each guardrail of the policy pack as a plain function: compliant, violating, not applicable.

Each rule gets the smallest resource that shows it; the pack wrapper is tested with a
collecting report callback, as pulumi-policy calls it.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from mocking import CLUSTER_ARN

from guardrails import (RULES, iam_confined_to_cluster, no_open_ingress, no_wildcard_principal,
                        production_durability, resource_policy, topics_protected)
from guardrails.model import Resource, StackContext

DEV = StackContext("dev", {"topics": {"partitions": 3}})
PROD = StackContext("prod", {"msk": {"clusterArn": CLUSTER_ARN}})
ARN_HEAD, NAME_UUID = CLUSTER_ARN.split(":cluster/")
TOPIC_ARN = f"{ARN_HEAD}:topic/{NAME_UUID}/evidentsource-database-events"
KAFKA_TOPIC = "kafka:index/topic:Topic"
MSK_TOPIC = "aws:msk/topic:Topic"


def topic(protect=True, name="evidentsource-database-events", kind=KAFKA_TOPIC, **props) -> Resource:
    return Resource(kind, name, {"name": "evidentsource-database-events", **props}, protect)


def policy(*statements: dict) -> Resource:
    return Resource("aws:iam/policy:Policy", "msk-iam-server",
                    {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})})


def allow(resources, actions=("kafka-cluster:ReadData",), sid="Read") -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources}


def test_every_rule_has_a_kebab_case_name_and_a_description():
    assert [r.NAME for r in RULES] == ["topics-protected", "no-wildcard-principal", "iam-confined-to-cluster",
                                       "no-open-ingress", "production-durability"]
    assert all(r.DESCRIPTION.endswith(".") for r in RULES)


# --- topics-protected -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [KAFKA_TOPIC, MSK_TOPIC])
def test_topics_protected(kind):
    assert topics_protected.validate(topic(True, kind=kind), DEV) == []
    (message,) = topics_protected.validate(topic(False, kind=kind), DEV)
    assert "'evidentsource-database-events' (evidentsource-database-events) is not protected" in message
    assert "topics.acceptDataLoss" in message
    assert topics_protected.validate(Resource("kafka:index/acl:Acl", "a", {}), DEV) is None


def test_topics_protected_lets_go_only_of_the_databases_the_bridge_section_releases_or_accepts():
    stack = StackContext("dev", {"bridge": {"releaseDatabases": ["legacy"], "acceptDataLoss": ["gone"]}})
    assert topics_protected.validate(topic(False, name="evidentsource-db-legacy"), stack) == []
    assert topics_protected.validate(topic(False, name="evidentsource-db-gone"), stack) == []
    assert topics_protected.validate(topic(False, name="evidentsource-db-orders"), stack) != []
    assert topics_protected.validate(topic(False, name="evidentsource-db-x-db-legacy"), stack) != []
    released = StackContext("dev", {"topics": {"releaseTopics": ["databaseEvents"]}})
    assert topics_protected.validate(topic(False), released) == []


def test_iam_confined_refuses_every_topic_of_the_cluster_but_takes_a_prefix():
    assert iam_confined_to_cluster.validate(policy(allow([f"{ARN_HEAD}:topic/{NAME_UUID}/evidentsource.*"])), PROD) == []
    (message,) = iam_confined_to_cluster.validate(policy(allow([f"{ARN_HEAD}:topic/{NAME_UUID}/*"])), PROD)
    assert "every topic of the cluster" in message


def test_topics_protected_allows_only_the_topics_whose_loss_is_accepted():
    stack = StackContext("dev", {"topics": {"acceptDataLoss": ["databaseEvents"]}})
    assert topics_protected.validate(topic(False), stack) == []
    assert topics_protected.validate(topic(False, name="evidentsource-async-commands"), stack) != []


# --- no-wildcard-principal ----------------------------------------------------------------------

@pytest.mark.parametrize("principal, fires", [("User:evidentsource", False), ("User:*", True), ("*", True),
                                              ("User:ANONYMOUS", True), ("User:anonymous-reporting", False)])
def test_no_wildcard_principal_on_acls(principal, fires):
    acl = Resource("kafka:index/acl:Acl", "acls-x", {"aclPrincipal": principal, "aclOperation": "Read"})
    assert bool(no_wildcard_principal.validate(acl, DEV)) is fires


ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"  # as the program registers it (kafka_acls.RoleAcls)


def binding(principal="User:evidentsource", operation="Read", topic_name="evidentsource-database-events") -> dict:
    """One binding of a role resource's `bindings`, with the field names of pulumi-kafka's Acl."""
    return {"aclPrincipal": principal, "aclHost": "*", "aclOperation": operation, "aclPermissionType": "Allow",
            "aclResourceType": "Topic", "aclResourceName": topic_name, "resourcePatternTypeFilter": "Literal"}


def role_acls(*bindings: dict, name="acls-externalConsumers") -> Resource:
    return Resource(ROLE_ACLS, name, {"role": name.removeprefix("acls-"), "bindings": list(bindings), "keep": [],
                                      "connection": {"bootstrap.servers": "b:9096"}, "timeoutSeconds": 30})


def test_the_role_acls_type_and_fields_are_the_ones_the_program_registers():
    """The pack spells the type and the binding fields itself (it never imports the program): they must match
    the program's resource class and the inputs it gives it."""
    from components.model.acl_bindings import AclBinding, as_input
    from components.resources.kafka_acls import RoleAcls
    assert no_wildcard_principal.ROLE_ACLS == ROLE_ACLS == f"pulumi-python:{RoleAcls._resource_type_name}"
    program = as_input(AclBinding("User:*", "Read", "Topic", "evidentsource-database-events", "Literal"))
    assert program == binding("User:*")
    assert no_wildcard_principal.validate(role_acls(program), DEV)


@pytest.mark.parametrize("principal, fires", [("User:evidentsource", False), ("User:*", True), ("*", True),
                                              ("User:ANONYMOUS", True), ("User:anonymous-reporting", False)])
def test_no_wildcard_principal_on_a_role_resource_checks_each_binding(principal, fires):
    resource = role_acls(binding(), binding(principal, "Write", "evidentsource-async-commands"))
    assert bool(no_wildcard_principal.validate(resource, DEV)) is fires


def test_a_role_resource_gets_one_message_per_offending_binding_as_the_earlier_shape_words_it():
    resource = role_acls(binding("User:*"), binding(),
                         binding("User:ANONYMOUS", "Write", "evidentsource-async-commands"),
                         binding("User:*", "Describe", "evidentsource-async-responses"))
    assert no_wildcard_principal.validate(resource, DEV) == [
        "ACL acls-externalConsumers (on Topic evidentsource-database-events) grants Read to User:*, i.e. every user: "
        "grant named principals (User:<name>) only",
        "ACL acls-externalConsumers (on Topic evidentsource-async-commands) grants Write to User:ANONYMOUS, i.e. "
        "every unauthenticated client: grant named principals (User:<name>) only",
        "ACL acls-externalConsumers (on Topic evidentsource-async-responses) grants Describe to User:*, i.e. every "
        "user: grant named principals (User:<name>) only"]
    # The earlier shape (one kafka.Acl per binding) says the same of its one binding.
    (legacy,) = no_wildcard_principal.validate(Resource("kafka:index/acl:Acl", "acls-x", binding("User:*")), DEV)
    assert legacy == "ACL acls-x grants Read to User:*, i.e. every user: grant named principals (User:<name>) only"


def test_a_role_resource_with_only_named_principals_or_no_bindings_complies():
    assert no_wildcard_principal.validate(role_acls(binding(), binding("User:consumer-a", "Describe")), DEV) == []
    assert no_wildcard_principal.validate(role_acls(), DEV) == []  # a role with no principals holds nothing
    # Only `bindings` grants: `keep` lists what the other roles' resources hold, checked there.
    kept = Resource(ROLE_ACLS, "acls-server", {"bindings": [], "keep": ["User:*|*|Read|Allow|Topic|t|Literal"]})
    assert no_wildcard_principal.validate(kept, DEV) == []
    unknown = Resource(ROLE_ACLS, "acls-server", {"role": "server"})  # bindings not known yet
    assert no_wildcard_principal.validate(unknown, DEV) is None


def test_no_wildcard_principal_through_the_pack_on_a_role_resource(monkeypatch):
    """As pulumi-policy calls it for the dynamic resource: every offending binding reported."""
    monkeypatch.setenv("PULUMI_STACK", "staging")
    reported: list[str] = []
    args = SimpleNamespace(resource_type=ROLE_ACLS, name="acls-server",
                           props={"role": "server", "bindings": [binding("User:*"), binding(), binding("*", "Write")]},
                           opts=SimpleNamespace(protect=False), not_applicable=lambda: reported.append("n/a"))
    resource_policy(no_wildcard_principal).validate(args, reported.append)
    assert len(reported) == 2 and all(m.startswith("ACL acls-server (on Topic ") for m in reported)
    assert "grants Write to *, i.e. every user" in reported[1]


def test_no_wildcard_principal_on_resource_policies():
    def role(principal) -> Resource:
        return Resource("aws:iam/role:Role", "r", {"assumeRolePolicy": json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})})
    assert no_wildcard_principal.validate(role({"Service": "ec2.amazonaws.com"}), PROD) == []
    assert no_wildcard_principal.validate(role({"AWS": "*"}), PROD)
    assert no_wildcard_principal.validate(role("*"), PROD)
    assert no_wildcard_principal.validate(Resource("aws:iam/role:Role", "r", {}), PROD) is None  # not known yet
    assert no_wildcard_principal.validate(topic(), PROD) is None


# --- iam-confined-to-cluster ---------------------------------------------------------------------

def test_iam_statements_naming_the_cluster_its_topics_and_groups_comply():
    document = policy(allow([CLUSTER_ARN], ["kafka-cluster:Connect"], "Connect"), allow([TOPIC_ARN]),
                      allow([f"{ARN_HEAD}:group/{NAME_UUID}/evidentsource-*"], ["kafka-cluster:AlterGroup"], "G"),
                      allow(["*"], ["s3:GetObject"], "NotKafka"))
    assert iam_confined_to_cluster.validate(document, PROD) == []


@pytest.mark.parametrize("resource", [
    "*",
    f"{ARN_HEAD}:cluster/other/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5",
    f"{ARN_HEAD}:cluster/{NAME_UUID.split('/')[0]}/*",  # the seed's form: any cluster of that name
    f"{ARN_HEAD}:topic/other-cluster/uuid/evidentsource-database-events",
    "arn:aws:kafka:eu-west-1:123456789012:topic/" + NAME_UUID + "/x",
])
def test_iam_statements_reaching_outside_the_cluster_violate(resource):
    (message,) = iam_confined_to_cluster.validate(policy(allow([resource])), PROD)
    assert "outside the configured cluster" in message and CLUSTER_ARN in message


def test_iam_statements_need_a_configured_cluster_and_no_not_resource():
    (message,) = iam_confined_to_cluster.validate(policy(allow([TOPIC_ARN])), DEV)
    assert "has no evidentsource-kafka:msk.clusterArn" in message
    statement = {"Effect": "Allow", "Action": "kafka-cluster:*", "NotResource": [TOPIC_ARN]}
    assert any("NotResource" in m for m in iam_confined_to_cluster.validate(policy(statement), PROD))
    assert iam_confined_to_cluster.validate(topic(), PROD) is None


# --- no-open-ingress --------------------------------------------------------------------------------

@pytest.mark.parametrize("props, fires", [
    ({"referencedSecurityGroupId": "sg-11111111", "fromPort": 9098}, False),
    ({"cidrIpv4": "10.0.0.0/16"}, False),
    ({"cidrIpv4": "0.0.0.0/0"}, True),
    ({"cidrIpv6": "::/0"}, True),
])
def test_no_open_ingress_rules(props, fires):
    rule = Resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "msk-ingress-x", props)
    assert bool(no_open_ingress.validate(rule, PROD)) is fires


def test_no_open_ingress_in_every_form():
    legacy = Resource("aws:ec2/securityGroupRule:SecurityGroupRule", "r", {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"]})
    egress = Resource("aws:ec2/securityGroupRule:SecurityGroupRule", "r", {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]})
    group = Resource("aws:ec2/securityGroup:SecurityGroup", "g", {"ingress": [{"ipv6CidrBlocks": ["::/0"]}]})
    assert no_open_ingress.validate(legacy, PROD) and no_open_ingress.validate(group, PROD)
    assert no_open_ingress.validate(egress, PROD) == []
    assert no_open_ingress.validate(topic(), PROD) is None


# --- production-durability ------------------------------------------------------------------------------

def test_production_topics_need_three_replicas_and_two_in_sync():
    good = topic(replicationFactor=3, config={"min.insync.replicas": "2"})
    assert production_durability.validate(good, PROD) == []
    messages = production_durability.validate(topic(replicationFactor=2, config={}), PROD)
    assert len(messages) == 2 and "replication factor 2" in messages[0] and "min.insync.replicas unset" in messages[1]
    msk = topic(kind=MSK_TOPIC, replicationFactor=3, configs=json.dumps({"min.insync.replicas": "1"}))
    assert production_durability.validate(msk, PROD) == [
        "topic 'evidentsource-database-events' has min.insync.replicas 1 in production stack 'prod': use "
        "replication factor 3 (the program then sets 2) or evidentsource-kafka:topics.minInsyncReplicas 2 or more"]


@pytest.mark.parametrize("stack, applies", [("prod", True), ("production", True), ("prod-eu", True),
                                            ("production.us-east-1", True), ("dev", False), ("staging", False),
                                            ("producer-tests", False), ("preprod", False)])
def test_production_is_told_by_the_stack_name(stack, applies):
    result = production_durability.validate(topic(replicationFactor=1, config={}), StackContext(stack))
    assert (result is not None) is applies


# --- the pack wrapper -------------------------------------------------------------------------------------

def test_the_pack_reports_each_violation_through_the_callback(monkeypatch):
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"evidentsource-kafka:topics": json.dumps({"partitions": 3})}))
    policy_object = resource_policy(production_durability)
    assert policy_object.name == "production-durability"
    reported: list[str] = []
    args = SimpleNamespace(resource_type=KAFKA_TOPIC, name="evidentsource-database-events",
                           props={"name": "t", "replicationFactor": 1, "config": {"min.insync.replicas": "1"}},
                           opts=SimpleNamespace(protect=True), not_applicable=lambda: reported.append("n/a"))
    policy_object.validate(args, reported.append)
    assert len(reported) == 2 and all("production stack 'prod'" in r for r in reported)
    args.resource_type = "kafka:index/acl:Acl"
    reported.clear()
    policy_object.validate(args, reported.append)
    assert reported == ["n/a"]

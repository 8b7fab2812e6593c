"""MSK IAM enforcer: policy JSON per role, checked against a published IAM action catalogue."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest
from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from components.config import load
from components.model.iam_policies import policy_document, policy_json
from components.resources.msk_iam import MskIamArgs, MskIamPolicies
from configs import IAM, merged
from mocking import ACCOUNT, CLUSTER_ARN, deploy

UUID = "6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"
BASE = f"arn:aws:kafka:us-east-1:{ACCOUNT}"
TOPIC = f"{BASE}:topic/evidentsource-prod/{UUID}/"
KAFKA_CLUSTER_ACTIONS = set(get_actions_for_service("kafka-cluster"))


def documents(raw=IAM) -> dict[str, dict]:
    config = load.parse(raw)
    model = config.access_model()
    return {r.role.key: policy_document(r, config.msk.arn) for r in model.roles}


def actions_of(document: dict) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


def catalogue_resource_type(action: str) -> str:
    """'topic', 'group', ... as policy_sentry's published ARN format for the action says."""
    (entry,) = get_action_data("kafka-cluster", action.split(":")[1])["kafka-cluster"]
    return entry["resource_arn_format"].split(":")[-1].split("/")[0]


def resource_type(arn: str) -> str:
    return arn.split(":")[5].split("/")[0]


def test_policy_sentry_works_offline_and_knows_all_19_actions():
    assert len(KAFKA_CLUSTER_ACTIONS) == 19


def test_external_consumers_read_two_topics_with_their_groups_only():
    assert documents()["externalConsumers"] == {"Version": "2012-10-17", "Statement": [
        {"Sid": "Connect", "Effect": "Allow", "Action": ["kafka-cluster:Connect"], "Resource": [CLUSTER_ARN]},
        {"Sid": "ReadTopics", "Effect": "Allow", "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
         "Resource": [TOPIC + "evidentsource-async-responses", TOPIC + "evidentsource-database-events"]},
        # The seed allowed every group of the cluster; only the consumers' prefix here.
        {"Sid": "ConsumerGroups", "Effect": "Allow", "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
         "Resource": [f"{BASE}:group/evidentsource-prod/{UUID}/evidentsource-external-*"]},
    ]}


def test_producing_roles_get_write_data_idempotently_on_the_cluster():
    docs = documents()
    assert docs["externalProducers"]["Statement"] == [
        {"Sid": "Connect", "Effect": "Allow", "Action": ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
         "Resource": [CLUSTER_ARN]},
        {"Sid": "WriteTopics", "Effect": "Allow", "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
         "Resource": [TOPIC + "evidentsource-async-commands"]},
    ]
    assert docs["dynamodbStreamsLambda"]["Statement"][1]["Resource"] == [TOPIC + "evidentsource-database-events"]
    for role in ("server", "dynamodbStreamsLambda", "externalProducers"):
        assert "kafka-cluster:WriteDataIdempotently" in docs[role]["Statement"][0]["Action"]
    assert "kafka-cluster:WriteDataIdempotently" not in actions_of(docs["externalConsumers"])


def test_the_server_keeps_the_vendors_actions_on_exact_topic_arns_and_nothing_else_administrative():
    server = documents()["server"]
    topics = next(s for s in server["Statement"] if s["Sid"] == "ReadWriteTopics")
    assert len(topics["Resource"]) == 4 and not any(arn.endswith("*") for arn in topics["Resource"])
    assert "kafka-cluster:CreateTopic" in topics["Action"]
    assert not actions_of(server) & {"kafka-cluster:DeleteTopic", "kafka-cluster:AlterCluster",
                                     "kafka-cluster:DeleteGroup", "kafka-cluster:AlterTopic"}


def test_the_servers_transactional_ids_when_configured():
    server = documents(merged(IAM, {"access": {"server": {"transactionalIdPrefix": "es-tx-"}}}))["server"]
    assert server["Statement"][-1] == {
        "Sid": "TransactionalIds", "Effect": "Allow",
        "Action": ["kafka-cluster:AlterTransactionalId", "kafka-cluster:DescribeTransactionalId"],
        "Resource": [f"{BASE}:transactional-id/evidentsource-prod/{UUID}/es-tx-*"]}


CASES = {"iam": IAM, "iam-with-transactions": merged(IAM, {"access": {"server": {"transactionalIdPrefix": "tx-"}}}),
         "iam-renamed-topics": merged(IAM, {"topics": {"namePrefix": "prod."}})}


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_every_action_is_real_and_fits_the_resource_type_it_is_granted_on(raw):
    for role, document in documents(raw).items():
        for statement in document["Statement"]:
            for action in statement["Action"]:
                assert action in KAFKA_CLUSTER_ACTIONS, f"{role}: {action} is not a kafka-cluster action"
                for arn in statement["Resource"]:
                    assert resource_type(arn) == catalogue_resource_type(action), f"{role}: {action} on {arn}"


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_the_catalogues_dependent_actions_are_granted_too(raw):
    for role, document in documents(raw).items():
        granted = actions_of(document)
        for action in granted:
            (entry,) = get_action_data("kafka-cluster", action.split(":")[1])["kafka-cluster"]
            missing = set(entry["dependent_actions"]) - granted
            assert not missing, f"{role}: {action} needs {missing}"


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_no_wildcard_outside_the_clusters_own_arn_space(raw):
    arn = load.parse(raw).msk.arn
    for role, document in documents(raw).items():
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            for resource in statement["Resource"]:
                kind = resource_type(resource)
                assert resource == arn.cluster or resource.startswith(arn.space(kind) + "/"), resource
                head, star, tail = resource.partition("*")
                assert not star or (tail == "" and kind in ("group", "transactional-id")), f"{role}: {resource}"


def test_the_policy_text_is_deterministic():
    config = load.parse(IAM)
    server = config.access_model().role("server")
    assert policy_json(server, config.msk.arn) == policy_json(server, config.msk.arn)
    assert json.loads(policy_json(server, config.msk.arn)) == policy_document(server, config.msk.arn)


def test_the_component_creates_one_policy_per_role_and_attaches_it_by_role_name(monitor):
    config = load.parse(IAM)
    model = config.access_model()

    def program():
        provider = aws.Provider("aws", region="us-east-1")
        policies = MskIamPolicies("msk-iam", MskIamArgs(model, config.msk.arn, config.iam),
                                  pulumi.ResourceOptions(providers=[provider]))
        return {"arns": policies.policy_arns, "documents": policies.documents, "provider": provider.urn}

    result = deploy(program)
    policies = {r.name: r for r in monitor.of_type("aws:iam/policy:Policy")}
    assert set(policies) == {"msk-iam-server", "msk-iam-dynamodbStreamsLambda", "msk-iam-externalConsumers",
                             "msk-iam-externalProducers"}
    assert json.loads(policies["msk-iam-externalConsumers"].inputs["policy"]) == documents()["externalConsumers"]
    assert policies["msk-iam-server"].inputs["namePrefix"] == "evidentsource-kafka-server-"
    assert result["arns"]["server"] == f"arn:aws:iam::{ACCOUNT}:policy/evidentsource-kafka-server-mock"
    attachments = {r.name: r.inputs for r in monitor.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert attachments == {
        "msk-iam-server-evidentsource-server": {
            "role": "evidentsource-server", "policyArn": result["arns"]["server"]},
        "msk-iam-dynamodbStreamsLambda-streams-lambda": {  # from the role ARN, path dropped
            "role": "streams-lambda", "policyArn": result["arns"]["dynamodbStreamsLambda"]},
        "msk-iam-externalConsumers-analytics-consumer": {
            "role": "analytics-consumer", "policyArn": result["arns"]["externalConsumers"]},
    }
    for registration in monitor.of_type("aws:iam/policy:Policy") + monitor.of_type(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        assert registration.provider.startswith(result["provider"] + "::")

"""The EvidentSource server gets what its vendor documents: tables transcribed from the seed, by hand.

The seed (../shared/seed/kafka-prerequisites.txt, "Access Control") grants the server:
- Kafka ACLs: `kafka-acls.sh --add --allow-principal User:evidentsource --operation All --topic <t>`
  for each of the four topics;
- MSK IAM: Connect + DescribeCluster on the cluster; ReadData, WriteData, DescribeTopic, CreateTopic on
  `topic/CLUSTER_NAME/*/evidentsource-*`; AlterGroup + DescribeGroup on `group/CLUSTER_NAME/*`.
The tables below are that text, not the program's output; the program's declarations are compared with them.
Narrowing the server is possible only on purpose (`access.server.narrowToReadWrite`, a groupPrefix), and
then the accessEnforcement output lists what was removed.
"""

from __future__ import annotations

from components.config import load
from components.model.acl_bindings import acl_bindings
from components.model.iam_policies import policy_document
from components.outputs import enforcement
from configs import IAM, SCRAM, merged

SEED_TOPICS = ("evidentsource-transaction-proposals", "evidentsource-database-events", "evidentsource-async-commands",
               "evidentsource-async-responses")
# Kafka's `All` on a topic resource, one operation per line (AclOperation, topic column of Kafka's ACL table).
SEED_KAFKA_ALL_ON_TOPIC = {"Read", "Write", "Create", "Delete", "Alter", "Describe", "DescribeConfigs", "AlterConfigs"}
SEED_IAM = {
    "cluster": {"kafka-cluster:Connect", "kafka-cluster:DescribeCluster"},
    "topic": {"kafka-cluster:ReadData", "kafka-cluster:WriteData", "kafka-cluster:DescribeTopic",
              "kafka-cluster:CreateTopic"},
    "group": {"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"},
}
# The one action the program adds for every producing role: idempotent producers (the clients' default) need it.
ADDED_ON_PURPOSE = {"cluster": {"kafka-cluster:WriteDataIdempotently"}}


def vendor(raw: dict) -> dict:
    """The stack with the server as the vendor's docs leave it: no groupPrefix, not narrowed."""
    raw = merged(raw, {})
    raw["access"]["server"] = {"principals": raw["access"]["server"]["principals"]}
    return raw


def test_kafka_acls_give_the_server_all_on_each_topic_written_out_and_every_group():
    bindings = acl_bindings(load.parse(vendor(SCRAM)).access_model())
    server = [b for b in bindings.values() if b.principal == "User:evidentsource"]
    on_topics = {}
    for b in server:
        if b.resource_type == "Topic":
            on_topics.setdefault(b.resource_name, set()).add(b.operation)
    assert on_topics == {t: SEED_KAFKA_ALL_ON_TOPIC for t in SEED_TOPICS}
    assert "All" not in {b.operation for b in server}  # written out, so each one shows in a preview
    groups = {(b.resource_name, b.pattern, b.operation) for b in server if b.resource_type == "Group"}
    assert groups == {("*", "Literal", "Read")}  # every group: a consumer in any group needs Read on it


def test_iam_gives_the_server_the_seeds_actions_on_exact_arns():
    config = load.parse(vendor(IAM))
    document = policy_document(config.access_model().role("server"), config.msk.arn)
    by_kind: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        for arn in statement["Resource"]:
            kind = arn.split(":")[5].split("/")[0]
            by_kind.setdefault(kind, set()).update(statement["Action"])
            if kind == "topic":
                assert arn.rsplit("/", 1)[1] in SEED_TOPICS  # exact names, not the seed's evidentsource-* wildcard
            if kind == "group":
                assert arn.endswith("/*")  # every group of this cluster, as the seed grants
    assert {kind: actions - ADDED_ON_PURPOSE.get(kind, set()) for kind, actions in by_kind.items()} == SEED_IAM


def test_narrowing_the_server_is_said_in_the_output_with_what_was_removed():
    raw = merged(vendor(SCRAM), {"access": {"server": {"narrowToReadWrite": True, "groupPrefix": "es-"}}})
    model = load.parse(raw).access_model()
    removed = enforcement(model)["User:evidentsource"]["narrowedFromVendor"]
    assert sorted(removed) == sorted(
        [f"{op} on topic {t}" for t in SEED_TOPICS
         for op in SEED_KAFKA_ALL_ON_TOPIC - {"Read", "Write"}] + ["Read on group * (every group)"])
    iam = load.parse(merged(vendor(IAM), {"access": {"server": {"narrowToReadWrite": True}}})).access_model()
    assert "kafka-cluster:DescribeCluster on the cluster" in enforcement(iam)[iam.role("server").principals[0]][
        "narrowedFromVendor"]
    assert "narrowedFromVendor" not in enforcement(load.parse(vendor(SCRAM)).access_model())["User:evidentsource"]

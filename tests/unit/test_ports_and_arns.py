"""MSK listener ports (one table) and the ARNs derived from a cluster ARN."""

from __future__ import annotations

import pytest

from components.model.arns import MskClusterArn, iam_role_account, iam_role_name
from components.model.listeners import MSK_LISTENERS, msk_listener
from mocking import ACCOUNT, CLUSTER_ARN


@pytest.mark.parametrize("protocol, mechanism, private, public", [
    ("PLAINTEXT", None, 9092, None),
    ("SSL", None, 9094, 9194),
    ("SASL_SSL", "SCRAM-SHA-512", 9096, 9196),
    ("SASL_SSL", "AWS_MSK_IAM", 9098, 9198),  # the seed said 9096 for IAM
])
def test_msk_ports_by_auth_mode(protocol, mechanism, private, public):
    listener = msk_listener(protocol, mechanism)
    assert (listener.port(public=False), listener.port(public=True)) == (private, public)


@pytest.mark.parametrize("protocol, mechanism", [("SASL_SSL", "PLAIN"), ("SASL_SSL", "SCRAM-SHA-256"),
                                                 ("SASL_PLAINTEXT", "SCRAM-SHA-512")])
def test_msk_has_no_listener_for(protocol, mechanism):
    assert msk_listener(protocol, mechanism) is None


def test_every_port_is_in_the_table_once():
    ports = [p for lst in MSK_LISTENERS for p in (lst.private_port, lst.public_port) if p]
    assert len(ports) == len(set(ports)) == 7


def test_arns_derive_from_the_cluster_arn():
    arn = MskClusterArn.parse(CLUSTER_ARN)
    base = f"arn:aws:kafka:us-east-1:{ACCOUNT}"
    uuid = "6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5"
    assert (arn.region, arn.account, arn.name, arn.uuid) == ("us-east-1", ACCOUNT, "evidentsource-prod", uuid)
    assert arn.cluster == CLUSTER_ARN
    assert arn.topic("evidentsource-database-events") == f"{base}:topic/evidentsource-prod/{uuid}/evidentsource-database-events"
    assert arn.group_prefix("ext-") == f"{base}:group/evidentsource-prod/{uuid}/ext-*"
    assert arn.transactional_id_prefix("tx-") == f"{base}:transactional-id/evidentsource-prod/{uuid}/tx-*"


def test_other_partitions_keep_their_partition():
    arn = MskClusterArn.parse(CLUSTER_ARN.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1"))
    assert arn.topic("t").startswith("arn:aws-cn:kafka:cn-north-1:")


@pytest.mark.parametrize("text", [
    CLUSTER_ARN.rsplit("/", 1)[0],  # no uuid: the seed's "cluster/CLUSTER_NAME/*" form
    CLUSTER_ARN.replace(":kafka:", ":msk:"),
    CLUSTER_ARN.replace("cluster/", "topic/"),
    CLUSTER_ARN + "/extra",
])
def test_malformed_cluster_arns(text):
    with pytest.raises(ValueError, match="an MSK cluster ARN looks like"):
        MskClusterArn.parse(text)


def test_role_names_from_names_and_arns():
    assert iam_role_name("evidentsource-server") == "evidentsource-server"
    assert iam_role_name(f"arn:aws:iam::{ACCOUNT}:role/service-role/streams") == "streams"
    assert iam_role_account(f"arn:aws:iam::{ACCOUNT}:role/x") == ACCOUNT
    assert iam_role_account("x") is None

"""Data safety as pure decisions: what is refused, with which message, and how each topic is declared.

`assess()` gets the stack's settings, what the stack's state recorded and what the live cluster
holds; these tests give it each situation directly (no engine, no cluster).
"""

from __future__ import annotations

import pytest

from components.config import load
from components.model.acl_bindings import AclBinding
from components.model.catalog import CATALOG
from components.safety import check, refusals
from components.safety.acl_adoption import adopted
from components.safety.assess import assess
from components.safety.topic_plan import Wanted, wanted_topics
from components.safety.live_cluster import LiveCluster, LiveTopic
from components.safety.validate import Rejected
from components.safety.prior_state import PriorState, PriorTopic, from_resource_outputs
from configs import DELETE, IAM, PLAINTEXT, SCRAM, merged, problems
from mocking import CLUSTER_ARN

EVENTS = "evidentsource-database-events"
ALL_KEYS = [spec.key for spec in CATALOG]
UNREACHABLE = LiveCluster.unavailable("127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused")


def config(patch: dict | None = None, base: dict = PLAINTEXT):
    return load.parse(merged(base, patch or {}))


def wanted(cfg) -> list[Wanted]:
    return wanted_topics(cfg)


def live(*topics: tuple[str, int, int], brokers: int = 1, acls: frozenset[str] | None = None) -> LiveCluster:
    return LiveCluster(True, brokers=brokers, topics={n: LiveTopic(n, p, rf) for n, p, rf in topics}, acl_ids=acls)


def prior(*topics: tuple[str, str, int, int], unprotected: tuple[str, ...] = ()) -> PriorState:
    return PriorState(topics={f"evidentsource-{r}": PriorTopic(n, p, rf) for r, n, p, rf in topics},
                      unprotected=frozenset(unprotected))


def all_live(cfg, partitions: int = 3, rf: int = 1) -> list[tuple[str, int, int]]:
    return [(name, partitions, rf) for name in cfg.topic_names().values()]


def all_prior(cfg, partitions: int = 3, rf: int = 1) -> list[tuple[str, str, int, int]]:
    return [(w.resource_name.removeprefix("evidentsource-"), w.name, partitions, rf) for w in wanted(cfg)]


# --- a stack that changes nothing destructive ------------------------------------------------

def test_a_new_stack_creates_protected_retained_topics():
    cfg = config()
    result = assess(cfg, wanted(cfg), PriorState(), live())
    assert result.refusals == []
    assert {(p.protect, p.import_id, p.delete_before_replace) for p in result.topics.values()} == {(True, None, False)}
    assert [(p.name, p.partitions, p.replication_factor, p.configs) for p in result.topics.values()] == [
        (w.name, w.partitions, w.replication_factor, w.configs) for w in wanted(cfg)]  # declared exactly as asked
    assert result.unprotected == []


def test_an_unchanged_stack_is_quiet():
    cfg = config()
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), live(*all_live(cfg)))
    assert (result.refusals, result.warnings) == ([], [])


def test_throwaway_stacks_are_unprotected_and_say_so():
    cfg = config({"topics": {"protect": False}})
    result = assess(cfg, wanted(cfg), PriorState(), live())
    assert result.unprotected == ["asyncCommands", "asyncResponses", "databaseEvents", "transactionProposals"]
    assert any("throwaway" in n for n in result.notes)


# --- partition decrease -------------------------------------------------------------------------

def test_a_partition_decrease_is_refused_with_what_why_and_the_override():
    cfg = config({"topics": {"perTopic": {"databaseEvents": {"partitions": 2}}}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), live(*all_live(cfg)))
    (refusal,) = result.refusals
    assert refusal.startswith(f"[data-loss:partition-decrease] databaseEvents: partitions 3 -> 2 asked for '{EVENTS}' "
                              "(topics.perTopic.databaseEvents.partitions; the cluster has 3)")
    assert "Kafka can only add partitions" in refusal and "destroying every message" in refusal
    assert "add databaseEvents to evidentsource-kafka:topics.acceptDataLoss" in refusal
    assert "run `pulumi up` twice" in refusal


def test_the_cluster_wins_over_the_state_when_it_can_be_read():
    cfg = config()  # asks 3; the state says 3; the cluster has 6 (partitions added by hand)
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), live(*all_live(cfg, partitions=6)))
    assert len(result.refusals) == 4 and all("partitions 6 -> 3" in r for r in result.refusals)


def test_an_unreachable_cluster_falls_back_to_the_state():
    cfg = config({"topics": {"partitions": 2}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=3)), UNREACHABLE)
    assert len(result.refusals) == 4
    assert "the stack's state has 3; the cluster could not be read: 127.0.0.1:1/bootstrap" in result.refusals[0]


def test_an_accepted_decrease_first_only_lifts_protection_and_keeps_the_topic():
    cfg = config({"topics": {"perTopic": {"asyncCommands": {"partitions": 2}}, "acceptDataLoss": ["asyncCommands"]}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), live(*all_live(cfg)))
    assert result.refusals == []
    plan = result.topics["asyncCommands"]
    assert (plan.protect, plan.name, plan.partitions, plan.replication_factor) == (
        False, "evidentsource-async-commands", 3, 1)  # held as it is
    assert result.unprotected == ["asyncCommands"]
    assert any("only lifts the protection" in w and "the next `pulumi up` will delete" in w for w in result.warnings)


def test_an_accepted_decrease_replaces_the_topic_once_unprotected_deleting_first():
    cfg = config({"topics": {"perTopic": {"asyncCommands": {"partitions": 2}}, "acceptDataLoss": ["asyncCommands"]}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg), unprotected=("asyncCommands",)), live(*all_live(cfg)))
    plan = result.topics["asyncCommands"]
    assert (plan.protect, plan.delete_before_replace, plan.name, plan.partitions) == (
        False, True, "evidentsource-async-commands", 2)  # declared as asked
    assert any("this run will delete 'evidentsource-async-commands' and create it again, empty, with 2 partitions"
               in w for w in result.warnings)
    assert result.topics["databaseEvents"].protect  # only the named topic


# --- rename -------------------------------------------------------------------------------------

def test_a_rename_is_refused_from_the_state_even_when_the_cluster_is_unreachable():
    cfg = config({"topics": {"namePrefix": "new-"}})
    before = [(r, n.removeprefix("new-"), p, rf) for r, n, p, rf in all_prior(cfg)]
    for cluster in (live(*[(n, 3, 1) for _, n, _, _ in before]), UNREACHABLE):
        result = assess(cfg, wanted(cfg), prior(*before), cluster)
        assert len(result.refusals) == 4
        assert result.refusals[1].startswith(
            f"[data-loss:rename] databaseEvents: rename '{EVENTS}' -> 'new-{EVENTS}' asked (topics.namePrefix). "
            "Kafka cannot rename")
        assert f"Keep the old name (topics.perTopic.databaseEvents.name: {EVENTS})" in result.refusals[1]


def test_an_accepted_rename_keeps_the_old_name_then_creates_before_deleting():
    cfg = config({"topics": {"perTopic": {"asyncResponses": {"name": "responses-v2"}},
                             "acceptDataLoss": ["asyncResponses"]}})
    before = prior(*[(r, "evidentsource-async-responses" if r == "async-responses" else n, p, rf)
                     for r, n, p, rf in all_prior(cfg)])
    first = assess(cfg, wanted(cfg), before, live(("evidentsource-async-responses", 3, 1)))
    held = first.topics["asyncResponses"]
    assert (held.name, held.partitions, held.replication_factor) == ("evidentsource-async-responses", 3, 1)
    assert first.declared_names["asyncResponses"] == "evidentsource-async-responses"  # ACLs follow the kept name
    second = assess(cfg, wanted(cfg), PriorState(before.topics, unprotected=frozenset({"asyncResponses"})),
                    live(("evidentsource-async-responses", 3, 1)))
    plan = second.topics["asyncResponses"]
    assert (plan.name, plan.delete_before_replace, plan.protect) == ("responses-v2", False, False)  # create, then delete
    assert second.declared_names["asyncResponses"] == "responses-v2"


def test_a_rename_onto_an_existing_topic_is_refused_even_when_accepted():
    cfg = config({"topics": {"perTopic": {"asyncResponses": {"name": "taken"}}, "acceptDataLoss": ["asyncResponses"]}})
    result = assess(cfg, wanted(cfg), prior(("async-responses", "evidentsource-async-responses", 3, 1)),
                    live(("taken", 1, 1)))
    assert result.refusals == ["[data-loss:rename-target-exists] asyncResponses: rename 'evidentsource-async-responses' -> 'taken' asked, but a topic "
                               "'taken' already exists on the cluster, so Pulumi cannot create it: choose another name"]


# --- replication factor ---------------------------------------------------------------------------

def test_more_replicas_than_brokers_is_refused_without_an_override():
    cfg = config({"topics": {"replicationFactor": 2}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, rf=1)), live(*all_live(cfg, rf=1), brokers=1))
    assert len(result.refusals) == 4
    assert result.refusals[0] == (
        "[impossible:replication-above-brokers] topics.replicationFactor = 2: the cluster has 1 broker(s) running "
        "(transactionProposals: replicationFactor 1 -> 2 asked for 'evidentsource-transaction-proposals'; with no "
        "topics section a stack gets the production default 3). Kafka places each replica on a different running "
        "broker, so this cannot be done at all. Use at most 1, or add (or restart) brokers first.")
    new = assess(cfg, wanted(cfg), PriorState(), live(brokers=1))  # a new topic too: creating it would fail
    assert len(new.refusals) == 4 and "replicationFactor 2 asked" in new.refusals[0]


def test_too_few_brokers_for_the_replication_factor_names_the_setting_and_the_clusters_fact():
    # RF 3 (min ISR 2) on a cluster where one broker answers and no other is listed: one broker, or two stopped.
    cfg = config({"topics": {"replicationFactor": 3}})
    (refusal,) = assess(cfg, wanted(cfg), PriorState(), live(brokers=1)).refusals
    assert refusal.startswith("[impossible:cluster-degraded] topics.replicationFactor = 3 (so min.insync.replicas "
                              "= 2): only 1 broker(s) answer and the cluster lists no other: if it has only 1, use "
                              "a replication factor of at most 1; if brokers are stopped, start them")
    down = LiveCluster(True, brokers=1, silent=("b2:9092", "b3:9092"))
    (refusal,) = assess(cfg, wanted(cfg), PriorState(), down).refusals
    assert "only 1 broker(s) answer (2 listed do not: b2:9092, b3:9092)" in refusal
    explicit = config({"topics": {"replicationFactor": 3, "minInsyncReplicas": 3}})
    (refusal,) = assess(explicit, wanted(explicit), PriorState(), live(brokers=2)).refusals
    assert refusal.startswith("[impossible:cluster-degraded] topics.minInsyncReplicas = 3: only 2 broker(s) answer")


def test_a_broker_down_under_an_unchanged_replication_factor_is_a_warning_not_a_refusal():
    cfg = config({"topics": {"replicationFactor": 3}})  # found on the three-node cluster with one node stopped
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, rf=3)), live(*all_live(cfg, rf=3), brokers=2))
    assert result.refusals == []
    assert result.warnings[0] == ("transactionProposals: 'evidentsource-transaction-proposals' has replicationFactor 3 "
                                  "but only 2 broker(s) answer: its replicas on the others are offline until they "
                                  "return (the topic itself is unchanged)")


def test_a_replication_change_on_the_kafka_backend_is_done_in_place():
    cfg = config({"topics": {"replicationFactor": 3}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, rf=1)), live(*all_live(cfg, rf=1), brokers=3))
    assert result.refusals == []
    assert any("done in place by partition reassignment" in n for n in result.notes)


def test_a_replication_change_on_the_msk_backend_is_a_replacement():
    cfg = config({"topics": {"replicationFactor": 2}}, base=IAM)
    refused = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=6, rf=3)),
                     LiveCluster.unavailable("AWS_MSK_IAM clusters are not read (no IAM token signer here)"))
    assert len(refused.refusals) == 4
    assert "The MSK topic API cannot change a replication factor" in refused.refusals[0]
    assert "the stack's state has 3; the cluster could not be read: AWS_MSK_IAM" in refused.refusals[0]
    accepted = config({"topics": {"replicationFactor": 2, "acceptDataLoss": ["databaseEvents"]}}, base=IAM)
    result = assess(accepted, wanted(accepted), prior(*all_prior(accepted, partitions=6, rf=3),
                                                        unprotected=("databaseEvents",)), UNREACHABLE)
    assert result.topics["databaseEvents"].delete_before_replace and len(result.refusals) == 3


def test_moving_msk_topics_to_another_cluster_is_refused():
    cfg = config(base=IAM)
    other = CLUSTER_ARN.replace("evidentsource-prod", "old-cluster")
    before = PriorState(topics={w.resource_name: PriorTopic(w.name, 6, 3, other) for w in wanted(cfg)})
    result = assess(cfg, wanted(cfg), before, UNREACHABLE)
    assert len(result.refusals) == 4 and "would be created on the other cluster and deleted from this one" \
        in result.refusals[0]
    same = PriorState(topics={w.resource_name: PriorTopic(w.name, 6, 3, CLUSTER_ARN) for w in wanted(cfg)})
    assert assess(cfg, wanted(cfg), same, UNREACHABLE).refusals == []


# --- adoption -------------------------------------------------------------------------------------

def test_an_existing_topic_outside_the_state_is_refused_unless_adopted():
    cfg = config()
    result = assess(cfg, wanted(cfg), PriorState(), live(*all_live(cfg)))
    assert len(result.refusals) == 4
    assert ("a topic 'evidentsource-transaction-proposals' already exists on the cluster but not in this stack's "
            "state, so creating it would fail. Adopt it: set evidentsource-kafka:adopt.topics to true, or write an "
            "import document with tools/ops/adopt.py") in result.refusals[0]
    assert {refusals.code_of(r) for r in result.refusals} == {refusals.EXISTS_NOT_IN_STATE}


def test_adopting_imports_existing_topics_by_name_and_creates_the_others():
    cfg = config({"adopt": {"topics": True}})
    result = assess(cfg, wanted(cfg), PriorState(), live((EVENTS, 3, 1)))
    assert result.topics["databaseEvents"].import_id == EVENTS
    assert result.topics["asyncCommands"].import_id is None
    assert result.topics["databaseEvents"].protect  # adopted topics are protected like the others


def test_adopting_still_refuses_what_the_import_would_turn_into_a_replacement():
    cfg = config({"adopt": {"topics": True}})
    result = assess(cfg, wanted(cfg), PriorState(), live((EVENTS, 6, 1)))
    assert len(result.refusals) == 1 and "partitions 6 -> 3" in result.refusals[0]


def test_adopting_needs_the_cluster_except_through_the_msk_api():
    cfg = config({"adopt": {"topics": True}})
    result = assess(cfg, wanted(cfg), PriorState(), UNREACHABLE)
    assert len(result.refusals) == 4 and "adopt.topics needs to see which topics exist" in result.refusals[0]
    msk = config({"adopt": {"topics": True}}, base=IAM)
    result = assess(msk, wanted(msk), PriorState(), UNREACHABLE)
    assert result.refusals == [] and result.topics["databaseEvents"].import_id == f"{CLUSTER_ARN},{EVENTS}"


def test_planning_an_import_document_lists_existing_topics_as_creates():
    cfg = config({"adopt": {"topics": True}})
    result = assess(cfg, wanted(cfg), PriorState(), live(*all_live(cfg)), import_document=True)
    assert result.refusals == [] and {p.import_id for p in result.topics.values()} == {None}


def test_acl_adoption_takes_over_what_exists_and_is_not_managed_yet():
    read = AclBinding("User:c", "Read", "Topic", EVENTS, "Literal")
    write = AclBinding("User:p", "Write", "Topic", "evidentsource-async-commands", "Literal")
    group = AclBinding("User:c", "Read", "Group", "ext-", "Prefixed")
    bindings = {"c-read": read, "p-write": write, "c-group": group}
    cluster = live(acls=frozenset({read.import_id, write.import_id}))
    found, refused = adopted(bindings, PriorState(acl_ids=frozenset({write.import_id})), cluster)
    assert (found, refused) == ([read.import_id], [])
    assert adopted(bindings, PriorState(), UNREACHABLE)[1][0].startswith(
        "[adopt:acls-unreadable] evidentsource-kafka:adopt.acls needs to list the cluster's ACLs")


# --- what the state and the cluster disagree on -------------------------------------------------

def test_after_an_interrupted_update_a_plain_up_leaves_alone_what_the_cluster_already_has():
    cfg = config({"topics": {"partitions": 4}})  # the cluster got 4 before the update broke off; the state says 3
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=3)), live(*all_live(cfg, partitions=4)))
    assert result.refusals == []
    assert {p.ignore_changes for p in result.topics.values()} == {("partitions",)}
    assert len(result.warnings) == 4
    assert result.warnings[0] == (
        "transactionProposals: the cluster has partitions 4 (the state says 3) for "
        "'evidentsource-transaction-proposals', after an interrupted update or a change made by hand; this run leaves "
        "partitions as the cluster has it, as asked (`pulumi refresh` records it in the state)")


def test_a_stale_state_with_yet_another_value_asked_changes_from_what_the_cluster_has():
    cfg = config({"topics": {"partitions": 6, "acceptKeyRemap": ALL_KEYS}})  # state 3, cluster 4 (by hand), asked 6
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=3)), live(*all_live(cfg, partitions=4)))
    assert result.refusals == []
    assert {p.ignore_changes for p in result.topics.values()} == {()}
    assert any(w.endswith("the change asked for goes from what the cluster has (`pulumi refresh` records it in the "
                          "state)") for w in result.warnings)


def test_a_state_ahead_of_the_cluster_is_refused_with_refresh_as_the_way_on():
    # the state recorded 4, Kafka never got them: Pulumi would plan nothing
    cfg = config({"topics": {"partitions": 4, "acceptKeyRemap": ALL_KEYS}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=4)), live(*all_live(cfg, partitions=3)))
    assert len(result.refusals) == 4
    assert result.refusals[0] == (
        "[stale-state:state-ahead-of-cluster] transactionProposals: the stack's state says partitions 4 for 'evidentsource-transaction-proposals' but the "
        "cluster has 3 (an update interrupted or failed before Kafka applied it, or a change made by hand). Pulumi plans from its "
        "state, so `up` would not change the partitions at all: run `pulumi refresh` (it records what the cluster "
        "has), then `pulumi up` makes it 4")


def test_a_state_ahead_of_a_cluster_that_has_the_asked_value_is_refused_too():
    """A failed `up` against a stopped broker recorded 4; the stack asks 3 again, which the cluster has. Leaving the
    property alone would keep the state's 4 and ask Kafka for it; only a refresh brings the state back."""
    cfg = config({"topics": {"partitions": 3}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=4)), live(*all_live(cfg, partitions=3)))
    assert len(result.refusals) == 4 and result.warnings == []
    assert refusals.code_of(result.refusals[0]) == refusals.STATE_AHEAD
    assert ("so `up` would ask Kafka for 4 again, although the cluster already has the 3 asked: run `pulumi "
            "refresh`") in result.refusals[0]
    assert "partitions 4 -> 3" not in " ".join(result.refusals)  # not mistaken for a decrease: the cluster has 3


def test_nothing_is_left_alone_when_state_and_cluster_agree():
    cfg = config({"topics": {"partitions": 4, "acceptKeyRemap": ALL_KEYS}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=3)), live(*all_live(cfg, partitions=3)))
    assert {p.ignore_changes for p in result.topics.values()} == {()}


def test_out_of_band_deletion_is_warned_about():
    cfg = config({"topics": {"partitions": 6}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=3)), live((EVENTS, 6, 1)))
    assert result.refusals == []
    assert sum("not on the cluster (deleted out of band?)" in w for w in result.warnings) == 3


def test_a_partition_increase_on_a_keyed_topic_is_refused_naming_the_key_and_the_safe_way():
    cfg = config({"topics": {"perTopic": {"databaseEvents": {"partitions": 6}}}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), live(*all_live(cfg)))
    assert result.refusals == [
        f"[ordering:key-remap] databaseEvents: partitions 3 -> 6 asked for '{EVENTS}' "
        "(topics.perTopic.databaseEvents.partitions; the cluster has 3). Its messages are keyed by database name and "
        "Kafka picks a key's partition from the partition count: after the change most keys go to another "
        "partition, so a consumer can read a key's new messages before its older ones, and partitions can never be "
        "removed again. Keep 3; to add partitions safely, stop the producers, let the consumers drain every "
        "partition, then add databaseEvents to evidentsource-kafka:topics.acceptKeyRemap (in Pulumi.<stack>.yaml, "
        "topics: acceptKeyRemap: [databaseEvents]), run `pulumi up`, restart the producers, and remove it from the "
        "list again."]


def test_a_partition_increase_is_refused_from_the_state_when_the_cluster_cannot_be_read():
    cfg = config({"topics": {"partitions": 4}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), LiveCluster.unavailable("timed out"))
    assert len(result.refusals) == 4
    assert all(refusals.code_of(r) == refusals.KEY_REMAP and "the stack's state has 3; the cluster could not be "
               "read: timed out" in r for r in result.refusals)


def test_an_accepted_key_remap_is_applied_in_place_with_a_warning_and_only_for_the_named_topic():
    cfg = config({"topics": {"partitions": 4, "acceptKeyRemap": ["asyncCommands"]}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), live(*all_live(cfg)))
    assert [refusals.code_of(r) for r in result.refusals] == [refusals.KEY_REMAP] * 3
    assert "asyncCommands" not in " ".join(result.refusals)
    accepted = [w for w in result.warnings if refusals.code_of(w) == refusals.ACCEPTED_KEY_REMAP]
    assert accepted == ["[accepted:key-remap] asyncCommands: accepted key remap (evidentsource-kafka:topics."
                        "acceptKeyRemap): partitions 3 -> 4 for 'evidentsource-async-commands'; keys (correlation ID) "
                        "move to other partitions, so producers should be stopped and consumers drained first. Remove "
                        "it from the list once the change is done"]
    assert result.topics["asyncCommands"].partitions == 4 and result.topics["asyncCommands"].protect


# --- settings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("patch, expected", [
    ({"topics": {"acceptDataLoss": ["databaseEvents", "databaseEvents"]}}, "each topic key at most once"),
    ({"topics": {"acceptDataLoss": ["databaseEvent"]}}, "Input should be 'transactionProposals'"),
    ({"topics": {"acceptKeyRemap": ["asyncCommands", "asyncCommands"]}}, "each topic key at most once"),
    ({"adopt": {"acls": True}}, "adopt.acls = True: securityProtocol PLAINTEXT authenticates no one"),
    ({"adopt": {"topic": True}}, "did you mean 'topics'"),
])
def test_bad_adoption_and_override_settings(patch, expected):
    (line,) = problems(merged(PLAINTEXT, patch))
    assert expected in line


def test_acl_adoption_is_for_kafka_acl_stacks():
    assert problems(merged(SCRAM, {"adopt": {"acls": True, "topics": True}})) == []
    (line,) = problems(merged(IAM, {"adopt": {"acls": True}}))
    assert "IAM policies govern access" in line


def test_the_state_is_read_from_the_engines_resource_outputs():
    outputs = {
        "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s": {"type": "pulumi:pulumi:Stack",
                                                      "outputs": {"unprotectedTopics": ["asyncCommands"]}},
        "urn:pulumi:s::p::evidentsource:kafka:Topics$kafka:index/topic:Topic::evidentsource-database-events": {
            "type": "kafka:index/topic:Topic",
            "outputs": {"name": EVENTS, "partitions": 3.0, "replicationFactor": 1.0, "id": EVENTS}},
        "urn:pulumi:s::p::evidentsource:kafka:Topics$aws:msk/topic:Topic::evidentsource-async-commands": {
            "type": "aws:msk/topic:Topic", "outputs": {"name": "cmds", "partitionCount": 6, "replicationFactor": 3}},
        "urn:pulumi:s::p::evidentsource:kafka:Acls$kafka:index/acl:Acl::acls-x-read-topic-databaseEvents": {
            "type": "kafka:index/acl:Acl", "outputs": {  # the earlier shape: one resource per binding
                "aclPrincipal": "User:x", "aclHost": "*", "aclOperation": "Read", "aclPermissionType": "Allow",
                "aclResourceType": "Topic", "aclResourceName": EVENTS, "resourcePatternTypeFilter": "Literal"}},
        "urn:pulumi:s::p::evidentsource:kafka:Acls$pulumi-python:dynamic/evidentsource:RoleAcls::acls-server": {
            "type": "pulumi-python:dynamic/evidentsource:RoleAcls", "outputs": {"role": "server", "bindings": [
                {"aclPrincipal": "User:y", "aclHost": "*", "aclOperation": "Write", "aclPermissionType": "Allow",
                 "aclResourceType": "Topic", "aclResourceName": EVENTS, "resourcePatternTypeFilter": "Literal"}]}},
        "urn:pulumi:s::p::evidentsource:kafka:ScramUsers$kafka:index/userScramCredential:UserScramCredential::"
        "scram-users-x": {"type": "kafka:index/userScramCredential:UserScramCredential",
                          "outputs": {"username": "x", "scramMechanism": "SCRAM-SHA-512"}},
    }
    state = from_resource_outputs(outputs)
    assert state.topics == {"evidentsource-database-events": PriorTopic(EVENTS, 3, 1),
                            "evidentsource-async-commands": PriorTopic("cmds", 6, 3)}
    legacy = AclBinding("User:x", "Read", "Topic", EVENTS, "Literal")
    assert state.legacy_acls == {"acls-x-read-topic-databaseEvents": legacy}
    assert state.acl_ids == {legacy.import_id, f"User:y|*|Write|Allow|Topic|{EVENTS}|Literal"}
    assert state.legacy_scram_users == {"scram-users-x": "x"} and state.unprotected == {"asyncCommands"}


def test_refusals_are_reported_together_without_a_stack_trace():
    error = check.DataSafetyError("x")
    assert isinstance(error, check.pulumi.RunError)


def test_fewer_brokers_answering_than_the_min_isr_refuses_the_whole_run_once():
    cfg = config({"topics": {"replicationFactor": 3}})  # min ISR 2; found with two of three nodes stopped
    degraded = LiveCluster(True, brokers=1, silent=("10.0.0.2:9092", "10.0.0.3:9092"),
                           topics={t.name: t for t in live(*all_live(cfg, rf=3)).topics.values()})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, rf=3)), degraded)
    assert result.refusals == [
        "[impossible:cluster-degraded] topics.replicationFactor = 3 (so min.insync.replicas = 2): only 1 broker(s) "
        "answer (2 listed do not: 10.0.0.2:9092, 10.0.0.3:9092). Below 2 in-sync replicas producers with acks=all are "
        "refused and the controllers may have no quorum, so a change could fail half-way or be applied after this "
        "run gave up. Nothing was changed: bring the brokers back, or lower the setting, then run again."]
    assert result.warnings == []  # no follow-on line per topic
    two = LiveCluster(True, brokers=2, topics=degraded.topics)
    assert assess(cfg, wanted(cfg), prior(*all_prior(cfg, rf=3)), two).refusals == []


# --- what the brokers said to validate-only requests ---------------------------------------------

def test_a_change_the_brokers_reject_is_refused_naming_the_setting_and_kafkas_words():
    cfg = config({"topics": {"perTopic": {"databaseEvents": {"configs": {"message.format.version": "3.0"}}}}})
    said = "its config change: Unknown topic config name: message.format.version"
    cluster = LiveCluster(True, brokers=1, topics={n: LiveTopic(n, p, rf) for n, p, rf in all_live(cfg)},
                          rejected={EVENTS: Rejected(said, ("retention.ms", "message.format.version"))})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), cluster)
    assert result.refusals == [
        f"[invalid:kafka-rejects] databaseEvents: the brokers reject {said} (for '{EVENTS}', from "
        "topics.perTopic.databaseEvents.configs.message.format.version; asked with a validate-only request, so "
        "nothing was changed). Change that setting to a value the cluster accepts"]


def test_a_change_the_login_may_not_make_is_refused_before_up_could_fail_half_way():
    cfg = config({"topics": {"partitions": 4, "replicationFactor": 1, "acceptKeyRemap": ALL_KEYS}}, base=SCRAM)
    cluster = LiveCluster(True, brokers=1, topics={n: LiveTopic(n, p, rf) for n, p, rf in all_live(cfg)},
                          denied={EVENTS: "Alter"})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg)), cluster)
    assert result.refusals == [
        f"[connection:not-authorized] databaseEvents: this stack's own login '{cfg.login.username}' may not add "
        f"partitions to '{EVENTS}' (Kafka denied Alter to a validate-only request, so nothing was changed; `up` "
        "would have failed half-way). Give the login Alter on the stack's topics, or use an admin login"]


# --- bindings on the cluster that the stack does not declare ------------------------------------

def test_bindings_that_touch_the_stack_and_are_not_declared_are_named_and_others_are_not():
    from components.model.acl_bindings import acl_bindings
    from components.safety.acl_adoption import unmanaged
    cfg = config(base=SCRAM)
    model = cfg.access_model()
    declared = acl_bindings(model)
    seed_all = f"User:evidentsource|*|All|Allow|Topic|{EVENTS}|Literal"
    live_ids = {b.import_id for b in declared.values()} | {
        seed_all,
        "User:consumer-a|*|Describe|Allow|Topic|evidentsource-async-responses|Literal",  # a stack principal
        "User:someone|*|Read|Allow|Topic|evidentsource-|Prefixed",  # reaches the stack's topics
        "User:someone|*|Read|Allow|Group|ext-team-|Prefixed",  # under the consumers' group prefix
        "User:someone|*|Read|Allow|Topic|other-app|Literal",  # not the stack's: left alone, unnamed
        "User:someone|*|Read|Allow|Group|other-|Prefixed",
    }
    found = [b.import_id for b in unmanaged(declared, live_ids, model, cfg.topic_names().values())]
    assert found == sorted([seed_all, "User:consumer-a|*|Describe|Allow|Topic|evidentsource-async-responses|Literal",
                            "User:someone|*|Read|Allow|Topic|evidentsource-|Prefixed",
                            "User:someone|*|Read|Allow|Group|ext-team-|Prefixed"])
    assert AclBinding.from_import_id(seed_all).import_id == seed_all


def test_an_accept_key_remap_left_listed_after_the_change_is_warned_about():
    cfg = config({"topics": {"partitions": 4, "acceptKeyRemap": ["asyncCommands"]}})
    result = assess(cfg, wanted(cfg), prior(*all_prior(cfg, partitions=4)), live(*all_live(cfg, partitions=4)))
    assert result.refusals == []
    assert result.warnings == ["asyncCommands: evidentsource-kafka:topics.acceptKeyRemap lists it but this run adds no "
                               "partitions to 'evidentsource-async-commands': remove it from the list, or a later "
                               "increase would move keys without a word"]


def test_a_stack_without_a_topics_section_is_told_the_default_replication_factor_is_the_cause():
    cfg = config({"topics": DELETE})
    (refusal,) = assess(cfg, wanted(cfg), PriorState(), live(brokers=1)).refusals
    assert refusal.startswith("[impossible:cluster-degraded] topics.replicationFactor = 3 (the default: the stack "
                              "sets none) (so min.insync.replicas = 2): only 1 broker(s) answer")

"""The access plan (safety/access_plan.py): drift, retirements, unmanaged removals within what the stack owns,
access lost, and the record, from the model, the stack's state and the live cluster (pure)."""

from __future__ import annotations

from components.config import load
from components.model.acl_bindings import AclBinding, by_role
from components.safety import access_plan
from components.safety.prior_state import PriorState
from configs import SCRAM, merged

TOPICS = ["evidentsource-transaction-proposals", "evidentsource-database-events", "evidentsource-async-commands",
          "evidentsource-async-responses"]
EVENTS = "evidentsource-database-events"


def model_of(raw):
    return load.parse(raw).access_model()


MODEL = model_of(SCRAM)
HELD = by_role(MODEL)
DECLARED = {b for found in HELD.values() for b in found}
CONSUMER_READ = AclBinding("User:consumer-a", "Read", "Topic", EVENTS, "Literal")
GONE = AclBinding("User:consumer-old", "Read", "Topic", EVENTS, "Literal")


def plan(prior=PriorState(), live=frozenset(DECLARED), remove=False):
    return access_plan.plan_acls(MODEL, HELD, prior, live, TOPICS, remove)


def test_a_declared_binding_missing_from_the_cluster_is_drift_of_its_role():
    result = plan(live=frozenset(DECLARED - {CONSUMER_READ}))
    assert result.missing == {"externalConsumers": {CONSUMER_READ}}
    assert plan().missing == {} and plan(live=None).missing == {}


def test_what_the_stack_held_and_no_longer_declares_is_retired_by_the_role_that_held_it():
    prior = PriorState(role_held={"externalConsumers": frozenset({CONSUMER_READ, GONE})})
    assert plan(prior, live=frozenset(DECLARED | {GONE})).retire == {"externalConsumers": {GONE}}
    # ...only if it is still on the cluster (read), or whatever the cluster has when it could not be read
    assert plan(prior).retire == {}
    assert plan(prior, live=None).retire == {"externalConsumers": {GONE}}


def test_a_binding_of_a_role_no_longer_declared_or_only_in_the_record_goes_to_the_first_role():
    prior = PriorState(role_held={"someOldRole": frozenset({GONE})})
    assert plan(prior, live=frozenset(DECLARED | {GONE})).retire == {"server": {GONE}}
    recorded = PriorState(recorded_acls=frozenset({GONE}))  # a run killed after the record was written
    result = plan(recorded, live=frozenset(DECLARED | {GONE}))
    assert result.retire == {"server": {GONE}}
    assert result.record_acls == frozenset(DECLARED)  # retired this run: not kept in the record


def test_a_binding_that_moves_between_roles_is_never_retired():
    prior = PriorState(role_held={"server": frozenset({CONSUMER_READ})})
    assert plan(prior).retire == {}


def test_unmanaged_bindings_are_removed_only_on_what_the_stack_owns():
    on_our_topic = AclBinding("User:someone", "Read", "Topic", EVENTS, "Literal")
    under_our_prefix = AclBinding("User:someone", "Read", "Group", "ext-reports", "Literal")
    wildcard = AclBinding("User:other-team", "Read", "Topic", "*", "Literal")
    wider_prefix = AclBinding("User:other-team", "Read", "Topic", "evidentsource-", "Prefixed")
    theirs = AclBinding("User:consumer-a", "Read", "Topic", "other-team-orders", "Literal")
    live = frozenset(DECLARED | {on_our_topic, under_our_prefix, wildcard, wider_prefix, theirs})
    result = plan(live=live, remove=True)
    assert set(result.unmanaged) == {on_our_topic, under_our_prefix, wildcard, wider_prefix, theirs}
    assert result.remove_unmanaged == {"server": {on_our_topic, under_our_prefix}}
    said = "\n".join(result.warnings)
    assert said.count("the plan deletes it") == 2 and said.count("reported, never deleted") == 3
    assert plan(live=live).remove_unmanaged == {}  # report (the default) deletes nothing


def test_owned_is_exact():
    prefixes = {"group": {"ext-"}, "transactional-id": set()}
    assert access_plan.owned(AclBinding("U", "Read", "Group", "ext-", "Prefixed"), set(), prefixes)
    assert not access_plan.owned(AclBinding("U", "Read", "Group", "ex", "Prefixed"), set(), prefixes)
    assert not access_plan.owned(AclBinding("U", "Read", "Group", "*", "Literal"), set(), prefixes)
    assert not access_plan.owned(AclBinding("U", "Read", "Cluster", "kafka-cluster", "Literal"), {"x"}, prefixes)
    assert not access_plan.owned(AclBinding("U", "Read", "Topic", "x", "Prefixed"), {"x"}, prefixes)


def test_a_listed_principal_stripped_of_every_grant_or_its_login_is_access_lost_unless_accepted():
    prior = PriorState(role_held={"externalConsumers": frozenset({CONSUMER_READ})}, scram_users=frozenset({"consumer-a"}))
    # createScramUsers switched off: consumer-a keeps its grants but loses its login
    refusals = access_plan.lost(MODEL, HELD, prior, scram_declared=[], accepted=[])
    assert len(refusals) == 1 and refusals[0].startswith("[access:lost] User:consumer-a is still listed")
    assert "its SCRAM login" in refusals[0] and "access.acceptAccessLoss" in refusals[0]
    assert access_plan.lost(MODEL, HELD, prior, scram_declared=[], accepted=["User:consumer-a"]) == []
    # every ACL grant gone while the principal is still listed (e.g. the enforcer's bindings no longer declared)
    lost = access_plan.lost(MODEL, {}, prior, scram_declared=["consumer-a"], accepted=[])
    assert lost == [lost[0]] and "all 1 of its ACL bindings" in lost[0]
    assert access_plan.lost(MODEL, HELD, prior, scram_declared=["consumer-a"], accepted=[]) == []


def test_users_missing_retired_and_recorded():
    prior = PriorState(scram_users=frozenset({"a", "old"}), scram_not_deleted=frozenset({"stuck"}),
                       recorded_users=frozenset({"killed"}))
    missing, retire, record = access_plan.plan_users(["a", "b"], prior, frozenset({"a"}))
    assert (missing, retire, record) == ({"b"}, {"old", "stuck", "killed"}, {"a", "b"})
    _, retire, _ = access_plan.plan_users(["a", "old", "stuck", "killed"], prior, None)
    assert retire == frozenset()


def test_removal_with_another_principal_set_still_never_reaches_beyond_the_stack():
    raw = merged(SCRAM, {"access": {"unmanagedBindings": "remove"}})
    assert load.parse(raw).access.unmanaged_bindings == "remove"


def test_the_stacks_own_logins_grants_are_never_unmanaged_so_never_removed():
    deployer = [AclBinding("User:pulumi-deployer", "All", "Topic", "evidentsource-", "Prefixed"),
                AclBinding("User:pulumi-deployer", "Alter", "Topic", EVENTS, "Literal")]
    live = frozenset(DECLARED | set(deployer))
    result = access_plan.plan_acls(MODEL, HELD, PriorState(), live, TOPICS, True, login="pulumi-deployer")
    assert result.unmanaged == [] and result.remove_unmanaged == {}
    # ...whereas another user's grant on the stack's topic is
    other = access_plan.plan_acls(MODEL, HELD, PriorState(), live, TOPICS, True, login="admin")
    assert set(other.unmanaged) == set(deployer) and other.remove_unmanaged == {"server": {deployer[1]}}


def test_the_server_left_without_a_principal_is_refused_unless_accepted_by_name():
    empty = model_of(merged(SCRAM, {"access": {"server": {"principals": []}}}))
    (refusal,) = access_plan.roles_left_empty(empty, PriorState(role_held={"server": frozenset({CONSUMER_READ})}), [])
    assert refusal.startswith("[access:lost] access.server.principals is empty: EvidentSource's own server had grants "
                              "until this run and would have no access at all")
    assert access_plan.roles_left_empty(empty, PriorState(), [])  # other roles have principals: still refused
    assert access_plan.roles_left_empty(empty, PriorState(), ["server"]) == []
    assert access_plan.roles_left_empty(MODEL, PriorState(), []) == []
    nobody = model_of(merged(SCRAM, {"access": {"server": {"principals": []}, "dynamodbStreamsLambda": {"principals": []},
                                                "externalConsumers": {"principals": []},
                                                "externalProducers": {"principals": []}}}))
    assert access_plan.roles_left_empty(nobody, PriorState(), []) == []  # a stack of topics only

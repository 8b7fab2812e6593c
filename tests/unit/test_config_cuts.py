"""Config changes that make Kafka delete messages: found, measured, refused unless nothing would go or accepted."""

from __future__ import annotations

import pytest

from components.config import load
from components.safety.assess import assess
from components.safety.config_cuts import Cut, Stake, cuts, human_ms
from components.safety.live_cluster import LiveCluster, LiveTopic
from components.safety.prior_state import PriorState, PriorTopic
from components.safety.topic_plan import wanted_topics
from configs import PLAINTEXT, merged

EVENTS = "evidentsource-database-events"
SEVEN_DAYS, ONE_DAY = "604800000", "86400000"


@pytest.mark.parametrize("current, wanted, found", [
    ({"retention.ms": SEVEN_DAYS}, {"retention.ms": ONE_DAY}, [Cut("retention.ms", SEVEN_DAYS, ONE_DAY, 86400000)]),
    ({"retention.ms": "-1"}, {"retention.ms": SEVEN_DAYS}, [Cut("retention.ms", "-1", SEVEN_DAYS, 604800000)]),
    ({"retention.ms": ONE_DAY}, {"retention.ms": SEVEN_DAYS}, []),  # longer keeps more
    ({"retention.ms": ONE_DAY}, {"retention.ms": "-1"}, []),
    ({}, {"retention.bytes": "1048576"}, [Cut("retention.bytes", "-1", "1048576")]),  # Kafka's default: unlimited
    ({"cleanup.policy": "compact", "retention.ms": ONE_DAY}, {"cleanup.policy": "delete", "retention.ms": ONE_DAY},
     [Cut("cleanup.policy", "compact", "delete", 86400000)]),
    ({"cleanup.policy": "compact"}, {"cleanup.policy": "compact,delete", "retention.ms": "-1"},
     [Cut("cleanup.policy", "compact", "compact,delete", None)]),
    ({"cleanup.policy": "delete"}, {"cleanup.policy": "compact"},
     [Cut("cleanup.policy", "delete", "compact", compaction_on=True)]),  # superseded keys go
    ({"cleanup.policy": "compact,delete"}, {"cleanup.policy": "compact"}, []),
])
def test_which_changes_delete_messages(current, wanted, found):
    assert cuts(current, wanted) == found


def test_durations_read_as_people_write_them():
    assert [human_ms(v) for v in (604800000, 86400000, 1000, 5400000, -1, 12)] == \
        ["7 d", "1 d", "1 s", "1.5 h", "unlimited", "12 ms"]


def one_day_events():
    return load.parse(merged(PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"retention": "1d"}}}}))


IN_STATE = PriorState(topics={"evidentsource-database-events": PriorTopic(EVENTS, 3, 1, None,
                                                                         {"retention.ms": SEVEN_DAYS})})


def live_events(stake: Stake | None, retention: str = SEVEN_DAYS) -> LiveCluster:
    return LiveCluster(True, brokers=1, topics={EVENTS: LiveTopic(EVENTS, 3, 1, {"retention.ms": retention},
                                                                  {"retention.ms": stake})})


def test_a_retention_cut_is_refused_saying_what_would_go():
    cfg = one_day_events()
    result = assess(cfg, wanted_topics(cfg), IN_STATE, live_events(Stake(120, 500, 3 * 86400000)))
    assert result.refusals == [
        "[data-loss:retention-cut] databaseEvents: retention.ms 604800000 (7 d) -> 86400000 (1 d) asked for "
        "'evidentsource-database-events' (topics.perTopic.databaseEvents.retention): Kafka deletes every message "
        "older than the new limit, at once, with no way back. On the cluster now: up to 120 of its 500 message(s) "
        "are older than 1 d, the oldest 3 d old. Keep the current value, or, only if losing them is intended, add "
        "databaseEvents to evidentsource-kafka:topics.acceptDataLoss (topics: acceptDataLoss: [databaseEvents]); "
        "the change is then made in place."]


def test_a_retention_cut_that_deletes_nothing_is_allowed_with_a_note():
    cfg = one_day_events()
    result = assess(cfg, wanted_topics(cfg), IN_STATE, live_events(Stake(0, 500, 3600000)))
    assert result.refusals == []
    assert ("databaseEvents: retention.ms 604800000 (7 d) -> 86400000 (1 d) for 'evidentsource-database-events': "
            "allowed, as every one of its 500 message(s) on the cluster is younger than 1 d, so this change deletes "
            "none") in result.notes


def test_a_retention_cut_the_cluster_cannot_measure_is_refused():
    cfg = one_day_events()
    prior = IN_STATE
    unread = assess(cfg, wanted_topics(cfg), prior, LiveCluster.unavailable("Connection refused"))
    assert len(unread.refusals) == 1 and "The cluster could not be read (Connection refused)" in unread.refusals[0]
    no_offsets = assess(cfg, wanted_topics(cfg), prior, live_events(None))
    assert "The topic's offsets could not be read" in no_offsets.refusals[0]


def test_an_accepted_retention_cut_is_made_in_place_with_a_warning():
    cfg = load.parse(merged(PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {"retention": "1d"}},
                                                   "acceptDataLoss": ["databaseEvents"]}}))
    result = assess(cfg, wanted_topics(cfg), IN_STATE, live_events(Stake(120, 500, 3 * 86400000)))
    assert result.refusals == []
    assert result.warnings[0].startswith("[accepted:data-loss] databaseEvents: accepted data loss")
    assert result.topics["databaseEvents"].configs["retention.ms"] == ONE_DAY


def test_the_catalogue_default_is_named_when_adoption_would_cut_retention():
    # The seed's topics were made with the broker's 7 days; the catalogue says 1 day for three of them.
    cfg = load.parse(merged(PLAINTEXT, {"adopt": {"topics": True}}))
    live = LiveCluster(True, brokers=1, topics={
        "evidentsource-async-commands": LiveTopic("evidentsource-async-commands", 3, 1, {"retention.ms": SEVEN_DAYS},
                                                  {"retention.ms": Stake(4, 4, 2 * 86400000)})})
    result = assess(cfg, wanted_topics(cfg), PriorState(), live)
    assert [r.split(" asked for")[0] for r in result.refusals] == [
        "[data-loss:retention-cut] asyncCommands: retention.ms 604800000 (7 d) -> 86400000 (1 d)"]
    assert "(the catalogue's retention for asyncCommands)" in result.refusals[0]


def test_turning_compaction_on_is_refused_like_a_cut():
    cfg = load.parse(merged(PLAINTEXT, {"topics": {"perTopic": {"databaseEvents": {
        "configs": {"cleanup.policy": "compact"}}}}}))
    cluster = LiveCluster(True, brokers=1, topics={EVENTS: LiveTopic(EVENTS, 3, 1, {"retention.ms": SEVEN_DAYS,
                                                                                  "cleanup.policy": "delete"})})
    (refusal,) = assess(cfg, wanted_topics(cfg), IN_STATE, cluster).refusals
    assert refusal.startswith("[data-loss:compaction-on] databaseEvents: cleanup.policy delete -> compact asked for "
                              "'evidentsource-database-events' (topics.perTopic.databaseEvents.configs.cleanup.policy): "
                              "Kafka deletes every message that has a newer one with the same key"), refusal

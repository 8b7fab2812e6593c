"""Never lose a message: decide, before any resource is declared, what each topic may become (pure).

The kafka provider plans a partition decrease or a rename as delete + create, and the AWS
MSK API can only change a replication factor by replacing the topic: each would destroy
every message in it. `assess()` compares what the stack asks for (topic_plan.wanted_topics)
with
- the live cluster (live_cluster.py: partitions, replication factor, brokers, ACLs), and
- the stack's own state (prior_state.py: which name each logical topic had),
and refuses such changes at preview time, naming the one override that accepts the loss:
`topics.acceptDataLoss: [<topic key>]`. It also plans adoption (import) of topics that
already exist, and the protection of every topic.

The override takes two `up`s on purpose: the engine decides whether a replacement may delete
from the protect and retain-on-delete flags in the state, so the first run only lifts them,
declaring the topic as it is; the next run (the state now shows them lifted, see
names.UNPROTECTED_TOPICS) replaces it. A move to another MSK cluster has no override: that
is another stack.

What is compared with what:
- partitions and replication factor: the cluster when it can be read; otherwise (unreachable
  within `cluster.liveCheckTimeoutSeconds`, or an AWS_MSK_IAM cluster) the stack's state;
- a rename: always the stack's state (the cluster cannot tell a rename from a new topic).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.config.stack_config import StackConfig
from components.model import bridge
from components.safety import config_cuts, messages, release
from components.safety.live_cluster import LiveCluster, LiveTopic
from components.safety.prior_state import PriorState, PriorTopic
from components.safety.topic_plan import TopicPlan, Wanted, plan_as_asked, plan_as_it_is


@dataclass
class Assessment:
    topics: dict[str, TopicPlan] = field(default_factory=dict)  # topic key -> how this run declares it
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prior: PriorState = field(default_factory=PriorState)
    live: LiveCluster = field(default_factory=lambda: LiveCluster.unavailable("not read"))

    @property
    def declared_names(self) -> dict[str, str]:
        """Topic key -> the name declared in this run."""
        return {key: plan.name for key, plan in self.topics.items()}

    @property
    def unprotected(self) -> list[str]:
        """Topic keys declared unprotected and not retained: names.UNPROTECTED_TOPICS."""
        return sorted(k for k, plan in self.topics.items() if not plan.protect and plan.retain is not True)

    @property
    def released(self) -> list[str]:
        """Topic keys declared unprotected but retained on delete: names.RELEASED_TOPICS."""
        return sorted(k for k, plan in self.topics.items() if not plan.protect and plan.retain is True)


def assess(config: StackConfig, wanted: list[Wanted], prior: PriorState, live: LiveCluster,
           import_document: bool = False) -> Assessment:
    """Refusals, warnings and the plan of each topic. `import_document`: this run plans an import document
    (tools/ops/adopt.py), so topics that exist are listed as creates, neither refused nor imported."""
    a = Assessment(prior=prior, live=live)
    # The topic that needs the most in-sync replicas (the four topics' and the databases' may differ).
    most = max(wanted, key=lambda w: int(w.configs.get("min.insync.replicas", "1")), default=None)
    min_isr = int(most.configs.get("min.insync.replicas", "1")) if most else 0
    if live.reachable and config.topics.backend == "kafka" and live.brokers < min_isr:
        t, b = config.topics, config.bridge
        own = b.min_insync_replicas is not None if most.section == "bridge" else False
        a.refusals.append(messages.cluster_degraded(
            live.brokers, live.silent, min_isr, most.replication_factor, own or t.min_insync_replicas is not None,
            most.replication_from == "topics.replicationFactor" and "replication_factor" not in t.model_fields_set,
            most.replication_from, "bridge.minInsyncReplicas" if own else "topics.minInsyncReplicas"))
        return a  # every per-topic finding would follow from this one
    for w in wanted:
        plan = release.plan(w, prior, a) if w.released else _plan_topic(config, w, prior, live, import_document, a)
        if plan is not None:
            a.topics[w.key] = plan
    a.refusals += release.dropped(wanted, prior, config.shapes)
    if not config.topics.protect:
        a.notes.append("topics.protect is false: a throwaway stack, whose topics are deleted with it")
    return a


def _plan_topic(config: StackConfig, w: Wanted, prior: PriorState, live: LiveCluster, import_document: bool,
                a: Assessment) -> TopicPlan:
    msk = config.topics.backend == "msk"
    cluster_arn = config.msk.cluster_arn if config.msk else None
    accepted = w.loss_accepted
    protect = config.topics.protect and not accepted
    before = prior.topics.get(w.resource_name)
    now = live.topics.get(w.name) if live.reachable else None
    if msk and before is not None and before.cluster_arn and cluster_arn and before.cluster_arn != cluster_arn:
        a.refusals.append(messages.cluster_move(w, before.cluster_arn, cluster_arn))
        return plan_as_asked(w, protect=protect)

    if before is not None and before.name != w.name:
        return _plan_rename(w, before, now, live, prior, accepted, a) or plan_as_asked(w, protect=protect)

    current, from_live = (now, True) if now is not None else (before, False)
    if before is not None and now is None and live.reachable:
        a.warnings.append(f"{w.key}: {w.name!r} is in the stack's state but not on the cluster (deleted out of "
                          "band?): `pulumi up --refresh` records that and creates it again")
        current = None
    replace = []
    if current is not None and w.partitions < current.partitions:
        if accepted:
            replace.append(f"{w.partitions} partitions")
        else:
            a.refusals.append(messages.decrease(w, current.partitions,
                                                messages.where(live.why, from_live, current.partitions)))
    elif current is not None and w.partitions > current.partitions:
        if w.remap_accepted:
            a.warnings.append(messages.key_remap_accepted(w, current.partitions))
        else:
            a.refusals.append(messages.key_remap(w, current.partitions,
                                                 messages.where(live.why, from_live, current.partitions)))
    if msk and current is not None and w.replication_factor != current.replication_factor:
        if accepted:
            replace.append(f"replication factor {w.replication_factor}")
        else:
            a.refusals.append(messages.msk_replication(w, current.replication_factor, messages.where(
                live.why, from_live, current.replication_factor)))
    unchanged_rf = current is not None and w.replication_factor == current.replication_factor
    if live.reachable and w.replication_factor > live.brokers and unchanged_rf:
        a.warnings.append(messages.replicas_offline(w, live.brokers))  # a broker is down: nothing to refuse
    elif live.reachable and w.replication_factor > live.brokers:
        a.refusals.append(messages.replication_above_brokers(w, live.brokers,
                                                             current.replication_factor if current else None))
    elif not msk and current is not None and w.replication_factor != current.replication_factor:
        a.notes.append(f"{w.key}: replicationFactor {current.replication_factor} -> {w.replication_factor} is done "
                       "in place by partition reassignment (messages are copied between brokers)")
    if replace:  # the same name: the old topic must be gone before Kafka can create it again
        return _accepted_loss(w, prior, (w.name, current.partitions, current.replication_factor),
                              f"delete {w.name!r} and create it again, empty, with {' and '.join(replace)}", True, a)

    _config_cuts(config, w, before, now, live, accepted, a)
    _kafka_verdicts(config, w, live, a)
    if w.remap_accepted and not (current is not None and w.partitions > current.partitions):
        a.warnings.append(messages.remap_still_listed(w))
    if accepted:
        a.warnings.append(messages.still_listed(w))
    ignored = _stale_state(w, before, now, msk, a)
    import_id = None
    if before is None and not import_document:
        import_id = _adoption(config, w, now, live, a)
    elif before is None and now is not None:
        a.notes.append(f"{w.key}: {w.name!r} exists; it goes into the import document")
    return plan_as_asked(w, import_id=import_id, protect=protect, ignore_changes=ignored)


def _config_cuts(config: StackConfig, w: Wanted, before: PriorTopic | None, now: LiveTopic | None, live: LiveCluster,
                 accepted: bool, a: Assessment) -> None:
    """A config change that deletes messages is data loss: refused, unless the cluster shows nothing would go
    (allowed, with a note) or the stack accepted the loss by name (a warning)."""
    if now is not None and now.configs:
        current, from_live = now.configs, True
    elif before is not None and before.configs:
        current, from_live = before.configs, False
    else:
        return  # a new topic (nothing to delete), or configs the cluster would not show (then Kafka keeps them)
    for cut in config_cuts.cuts(current, w.configs):
        origin = _config_origin(config, w, cut.config)
        stake = now.stakes.get(cut.config) if from_live and now is not None else None
        if accepted:
            a.warnings.append(messages.accepted_now(w, f"apply {config_cuts.describe(cut)}, deleting the messages it "
                                                       "no longer keeps"))
        elif stake is not None and stake.would_go == 0:
            a.notes.append(messages.cut_deletes_nothing(w, cut, stake))
        else:
            why = None if from_live else (live.why if not live.reachable else "its configs could not be read")
            a.refusals.append(messages.config_cut(w, cut, origin, stake, why))


def _kafka_verdicts(config: StackConfig, w: Wanted, live: LiveCluster, a: Assessment) -> None:
    """What the brokers said, asked validate-only, of this topic's change (live_cluster.read, validate.py)."""
    if w.name in live.denied:
        login = config.login.username if config.login else "(the stack's TLS or anonymous login)"
        a.refusals.append(messages.change_not_permitted(w, login, live.denied[w.name]))
    elif w.name in live.rejected:
        rejected = live.rejected[w.name]
        named = sorted((name for name in rejected.configs if name in rejected.why), key=len)[-1:]
        origins = [_config_origin(config, w, name) for name in named or rejected.configs]
        origin = ", ".join([o for o in origins if o.startswith("topics.")] or origins) or w.partitions_from
        a.refusals.append(messages.kafka_rejects(w, rejected.why, origin))


def _config_origin(config: StackConfig, w: Wanted, name: str) -> str:
    database = bridge.database_of(w.key)
    own = config.bridge.per_database.get(database) if database else config.topics.per_topic.get(w.key)  # type: ignore
    if own is not None and name in own.configs:
        return f"{w.settings_path}.configs.{name}"
    if name == "retention.ms" and own is not None and own.retention is not None:
        return f"{w.settings_path}.retention"
    if name == "retention.ms" and database and config.bridge.retention is not None:
        return "bridge.retention"
    if name == "retention.ms":
        return f"the catalogue's retention for {w.key}" if not database else "the bridge's default retention (7d)"
    if name == "min.insync.replicas" and database and config.bridge.min_insync_replicas is not None:
        return "bridge.minInsyncReplicas"
    return f"the program's default {name}"


def _plan_rename(w: Wanted, before: PriorTopic, now: LiveTopic | None, live: LiveCluster, prior: PriorState,
                 accepted: bool, a: Assessment) -> TopicPlan | None:
    """A rename is a new topic and the old one deleted: refused, or (accepted) planned create-before-delete."""
    if live.reachable and w.replication_factor > live.brokers:
        a.refusals.append(messages.replication_above_brokers(w, live.brokers, None))
    if not accepted:
        a.refusals.append(messages.rename(w, before.name))
    elif now is not None:
        a.refusals.append(messages.rename_target_exists(w, before.name))
    else:  # create-before-delete: the new topic exists before the old one is deleted
        return _accepted_loss(w, prior, (before.name, before.partitions, before.replication_factor),
                              f"create {w.name!r} and delete {before.name!r} with its messages", False, a)
    return None


def _accepted_loss(w: Wanted, prior: PriorState, as_it_is: tuple[str, int, int], what: str,
                   delete_first: bool, a: Assessment) -> TopicPlan:
    """Two runs, on purpose: the state's protect and retain-on-delete flags govern a replacement, so the first
    run only lifts them (keeping the topic as it is); the next one replaces it, destroying its messages."""
    if w.key in prior.unprotected:
        a.warnings.append(messages.accepted_now(w, what))
        return plan_as_asked(w, protect=False, delete_before_replace=delete_first)
    a.warnings.append(messages.accepted_first_run(w, as_it_is[0], what))
    return plan_as_it_is(w, *as_it_is, protect=False)


def _stale_state(w: Wanted, before: PriorTopic | None, now: LiveTopic | None, msk: bool,
                 a: Assessment) -> tuple[str, ...]:
    """The stack's state and the cluster disagree (an interrupted update, or a change made by hand).

    Pulumi plans from its state, the provider's change goes to the cluster. Per property:
    - the cluster already has the asked value and the state is behind it (an increase Kafka applied): the
      provider would ask Kafka for it again and Kafka refuses ("already has 3 partitions"), so the property
      is left alone in this run (returned, for ignore_changes) and a plain `up` converges;
    - the state is ahead of the cluster (it recorded a value Kafka never applied, e.g. a failed `up` against a
      stopped broker): if the state has the asked value, Pulumi would plan nothing and the cluster would stay
      short, silently; if the cluster has it, Pulumi would ask Kafka for the state's value again (ignoring the
      property keeps the state's value, so that cannot help). Both refused, with `pulumi refresh` as the way on
      (not `up --refresh`: it refreshes resource by resource while the program runs, after this program read
      the saved state);
    - all three differ: the change Pulumi plans reaches the asked value from what the cluster has."""
    if msk or before is None or now is None:
        return ()
    ignored, stale = [], []
    for what, prop, live, recorded, asked in (
            ("partitions", "partitions", now.partitions, before.partitions, w.partitions),
            ("replication factor", "replicationFactor", now.replication_factor, before.replication_factor,
             w.replication_factor)):
        if live == recorded or (prop == "partitions" and live > asked):  # fewer partitions: refused above
            continue
        if recorded == asked or recorded > live == asked:
            a.refusals.append(messages.state_ahead(w, what, recorded, live, asked))
            continue
        stale.append(f"{what} {live} (the state says {recorded})")
        if live == asked:
            ignored.append(prop)
    if stale:
        a.warnings.append(f"{w.key}: the cluster has {' and '.join(stale)} for {w.name!r}, after an interrupted "
                          "update or a change made by hand; "
                          + ("this run leaves " + " and ".join(ignored) + " as the cluster has it, as asked"
                             if ignored else "the change asked for goes from what the cluster has")
                          + " (`pulumi refresh` records it in the state)")
    return tuple(ignored)


def _adoption(config: StackConfig, w: Wanted, now: LiveTopic | None, live: LiveCluster,
              a: Assessment) -> str | None:
    adopt = config.adopt.topics
    if now is not None and adopt:
        a.notes.append(f"{w.key}: adopting the existing topic {w.name!r} ({now.partitions} partitions, "
                       f"replication factor {now.replication_factor}); only real differences are changed, in place")
        return w.name
    if now is not None:
        a.refusals.append(messages.exists_not_in_state(w))
    elif adopt and not live.reachable and config.topics.backend == "msk":
        # The AWS API reads it on import; a missing topic fails clearly there.
        return f"{config.msk.cluster_arn if config.msk else ''},{w.name}"
    elif adopt and not live.reachable:
        a.refusals.append(messages.adopt_unreadable(w, live.why))
    return None

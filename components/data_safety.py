"""Never lose a message: decide, before any resource is declared, what each topic may become.

The kafka provider plans a partition decrease or a rename as delete + create, and the AWS
MSK API can only change a replication factor by replacing the topic: each would destroy
every message in it. This module compares what the stack asks for with
- the live cluster (live_cluster.py: partitions, replication factor, brokers, ACLs), and
- the stack's own state (prior_state.py: which name each logical topic had),
and refuses such changes at preview time, naming the one override that accepts the loss:
`topics.acceptDataLoss: [<topic key>]`. It also plans adoption (import) of topics and ACL
bindings that already exist, and the protection of every topic.

The override takes two `up`s on purpose: the engine decides whether a replacement may delete
from the protect and retain-on-delete flags in the state, so the first run only lifts them,
declaring the topic as it is; the next run (the state now shows them lifted, see
outputs.UNPROTECTED_TOPICS) replaces it. A move to another MSK cluster has no override: that
is another stack.

What is compared with what:
- partitions and replication factor: the cluster when it can be read; otherwise (unreachable
  within `cluster.liveCheckTimeoutSeconds`, or an AWS_MSK_IAM cluster) the stack's state;
- a rename: always the stack's state (the cluster cannot tell a rename from a new topic).
`assess()` is pure (tested without an engine); `check()` gathers the facts and reports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pulumi

from components import live_cluster, prior_state
from components.catalog import CATALOG
from components.config_schema import NAMESPACE, StackConfig, TopicSettings
from components.kafka_acls import AclBinding, acl_resource_name
from components.live_cluster import LiveCluster
from components.prior_state import PriorState
from components.topics import TopicPlan, partitions_of, topic_resource_name

# Set by tools/adopt.py while it plans a `pulumi import --file` document: existing topics are then
# listed as creates (the document imports them) instead of being refused or imported by `up`.
PLANNING_IMPORT_ENV = "EVIDENTSOURCE_KAFKA_PLANNING_IMPORT"
OVERRIDE = f"{NAMESPACE}:topics.acceptDataLoss"


@dataclass(frozen=True)
class Wanted:
    """One topic as the stack's settings ask for it, with the keys that decided its name and partitions."""

    key: str
    resource_name: str
    name: str
    partitions: int
    replication_factor: int
    name_from: str = "topics.namePrefix"
    partitions_from: str = "topics.partitions"


@dataclass
class Assessment:
    topics: dict[str, TopicPlan] = field(default_factory=dict)
    declared_names: dict[str, str] = field(default_factory=dict)  # topic key -> the name declared in this run
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    prior: PriorState = field(default_factory=PriorState)
    live: LiveCluster = field(default_factory=lambda: LiveCluster.unavailable("not read"))

    @property
    def unprotected(self) -> list[str]:
        """Topic keys declared unprotected and not retained: outputs.UNPROTECTED_TOPICS."""
        return sorted(k for k, plan in self.topics.items() if not plan.protect and not plan.retain_on_delete)


class DataSafetyError(pulumi.RunError):
    """Raised with every refusal listed; pulumi shows it without a stack trace."""


def _how_to_accept(key: str) -> str:
    return (f"Only if losing them is intended, add {key} to {OVERRIDE} (in Pulumi.<stack>.yaml, topics: "
            f"acceptDataLoss: [{key}]) and run `pulumi up` twice: the first run only lifts the topic's protection")


def _refuse_rename(w: Wanted, old: str) -> str:
    return (f"{w.key}: rename {old!r} -> {w.name!r} asked ({w.name_from}). Kafka cannot rename a topic: Pulumi "
            f"would create {w.name!r} empty and delete {old!r} with every message in it. Keep the old name "
            f"(topics.perTopic.{w.key}.name: {old}), or copy the messages first. {_how_to_accept(w.key)}, "
            f"the second creates {w.name!r} and deletes {old!r}.")


def _refuse_decrease(w: Wanted, have: int, where: str) -> str:
    return (f"{w.key}: partitions {have} -> {w.partitions} asked for {w.name!r} ({w.partitions_from}; {where}). "
            f"Kafka can only add partitions: a decrease is planned as delete + create of the topic, destroying "
            f"every message in it. Keep {have} or more. {_how_to_accept(w.key)}, the second deletes {w.name!r} "
            f"and creates it again, empty, with {w.partitions} partitions.")


def _refuse_msk_rf(w: Wanted, have: int, where: str) -> str:
    return (f"{w.key}: replicationFactor {have} -> {w.replication_factor} asked for {w.name!r} "
            f"(topics.replicationFactor; {where}). The MSK topic API cannot change a replication factor: the "
            f"topic would be replaced, destroying every message in it. Keep {have}, or reassign the partitions "
            f"with kafka-reassign-partitions.sh. {_how_to_accept(w.key)}, the second deletes {w.name!r} and creates "
            f"it again, empty, with replication factor {w.replication_factor}.")


def _refuse_rf_brokers(w: Wanted, brokers: int, have: int | None) -> str:
    change = f"replicationFactor {have} -> {w.replication_factor}" if have else \
        f"replicationFactor {w.replication_factor}"
    return (f"{w.key}: {change} asked for {w.name!r} (topics.replicationFactor), but the cluster has {brokers} "
            f"broker(s): Kafka places each replica on a different broker, so this cannot be done at all. Use at "
            f"most {brokers}, or add brokers first.")


def _where(live: LiveCluster, from_live: bool, have: int) -> str:
    return f"the cluster has {have}" if from_live else \
        f"the stack's state has {have}; the cluster could not be read: {live.why}"


def assess(config: StackConfig, wanted: list[Wanted], prior: PriorState, live: LiveCluster,
           planning_import: bool = False, msk_cluster_arn: str | None = None) -> Assessment:
    """Refusals, warnings and a plan per topic (pure)."""
    a = Assessment(prior=prior, live=live)
    for w in wanted:
        plan = _plan_topic(config, w, prior, live, planning_import, msk_cluster_arn, a)
        a.topics[w.key] = plan
        a.declared_names[w.key] = plan.hold[0] if plan.hold else w.name
    if not config.topics.protect:
        a.notes.append("topics.protect is false: a throwaway stack, whose topics are deleted with it")
    return a


def _plan_topic(config: StackConfig, w: Wanted, prior: PriorState, live: LiveCluster, planning_import: bool,
                msk_cluster_arn: str | None, a: Assessment) -> TopicPlan:
    msk = config.topics.backend == "msk"
    accepted = w.key in config.topics.accept_data_loss
    protect = config.topics.protect and not accepted
    before = prior.topics.get(w.resource_name)
    now = live.topics.get(w.name) if live.reachable else None
    if msk and before is not None and before.cluster_arn and msk_cluster_arn and before.cluster_arn != msk_cluster_arn:
        a.refusals.append(f"{w.key}: msk.clusterArn {before.cluster_arn} -> {msk_cluster_arn} asked: {w.name!r} would "
                          "be created on the other cluster and deleted from this one, with every message in it. Another "
                          "cluster is another stack (pulumi stack init); copy the messages with MirrorMaker if needed.")
        return TopicPlan(protect=protect, retain_on_delete=protect)

    if before is not None and before.name != w.name:
        return _plan_rename(w, before, now, live, prior, accepted, a) or TopicPlan(protect=protect,
                                                                                   retain_on_delete=protect)

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
            a.refusals.append(_refuse_decrease(w, current.partitions, _where(live, from_live, current.partitions)))
    elif current is not None and w.partitions > current.partitions:
        a.warnings.append(f"{w.key}: partitions {current.partitions} -> {w.partitions} for {w.name!r}: keys hash to "
                          "new partitions, so per-key ordering is not kept across the change; drain consumers first")
    if msk and current is not None and w.replication_factor != current.replication_factor:
        if accepted:
            replace.append(f"replication factor {w.replication_factor}")
        else:
            a.refusals.append(_refuse_msk_rf(w, current.replication_factor,
                                             _where(live, from_live, current.replication_factor)))
    if live.reachable and w.replication_factor > live.brokers:
        a.refusals.append(_refuse_rf_brokers(w, live.brokers, current.replication_factor if current else None))
    elif not msk and current is not None and w.replication_factor != current.replication_factor:
        a.notes.append(f"{w.key}: replicationFactor {current.replication_factor} -> {w.replication_factor} is done "
                       "in place by partition reassignment (messages are copied between brokers)")
    if replace:  # the same name: the old topic must be gone before Kafka can create it again
        return _accepted_loss(w, prior, (w.name, current.partitions, current.replication_factor),
                              f"delete {w.name!r} and create it again, empty, with {' and '.join(replace)}", True, a)

    if accepted:
        a.warnings.append(f"{w.key}: {OVERRIDE} lists it, so {w.name!r} is unprotected and could lose its messages; "
                          "remove it from the list once the change it was added for is done")
    ignored = _stale_state(w, before, now, msk, a)
    import_id = None
    if before is None and not planning_import:
        import_id = _adoption(config, w, now, live, msk_cluster_arn, a)
    elif before is None and now is not None:
        a.notes.append(f"{w.key}: {w.name!r} exists; it goes into the import document")
    return TopicPlan(import_id, protect, protect, ignore_changes=ignored)


def _plan_rename(w: Wanted, before, now, live: LiveCluster, prior: PriorState, accepted: bool,
                 a: Assessment) -> TopicPlan | None:
    """A rename is a new topic and the old one deleted: refused, or (accepted) planned create-before-delete."""
    if live.reachable and w.replication_factor > live.brokers:
        a.refusals.append(_refuse_rf_brokers(w, live.brokers, None))
    if not accepted:
        a.refusals.append(_refuse_rename(w, before.name))
    elif now is not None:
        a.refusals.append(f"{w.key}: rename {before.name!r} -> {w.name!r} asked, but a topic {w.name!r} already "
                          "exists on the cluster, so Pulumi cannot create it: choose another name")
    else:  # create-before-delete: the new topic exists before the old one is deleted
        return _accepted_loss(w, prior, (before.name, before.partitions, before.replication_factor),
                              f"create {w.name!r} and delete {before.name!r} with its messages", False, a)
    return None


def _accepted_loss(w: Wanted, prior: PriorState, as_it_is: tuple[str, int, int], what: str,
                   delete_first: bool, a: Assessment) -> TopicPlan:
    """Two runs, on purpose: the state's protect and retain-on-delete flags govern a replacement, so the first
    run only lifts them (keeping the topic as it is); the next one replaces it, destroying its messages."""
    if w.key in prior.unprotected:
        a.warnings.append(f"{w.key}: accepted data loss ({OVERRIDE}): this run will {what}")
        return TopicPlan(protect=False, retain_on_delete=False, delete_before_replace=delete_first)
    a.warnings.append(f"{w.key}: accepted data loss ({OVERRIDE}): this run only lifts the protection of "
                      f"{as_it_is[0]!r} and leaves it as it is; the next `pulumi up` will {what}")
    return TopicPlan(protect=False, retain_on_delete=False, hold=as_it_is)


def _stale_state(w: Wanted, before, now, msk: bool, a: Assessment) -> tuple[str, ...]:
    """The stack's state and the cluster disagree (an interrupted update, or a change made by hand).

    Pulumi plans from its state, the provider's change goes to the cluster. Per property:
    - the cluster already has the asked value: the provider would ask Kafka for it again and Kafka
      refuses ("already has 3 partitions"), so the property is left alone in this run (returned, for
      ignore_changes) and a plain `up` converges;
    - the state already has the asked value but the cluster does not: Pulumi would plan nothing and the
      cluster would stay short, silently; refused, with `pulumi refresh` as the way on (not `up --refresh`:
      it refreshes resource by resource while the program runs, after this program read the saved state);
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
        if recorded == asked:
            a.refusals.append(f"{w.key}: the stack's state says {what} {recorded} for {w.name!r} but the cluster has "
                              f"{live} (an update interrupted before Kafka applied it, or a change made by hand). "
                              f"Pulumi plans from its state, so `up` would not change the {what} at all: run "
                              f"`pulumi refresh` (it records what the cluster has), then `pulumi up` makes it {asked}")
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


def _adoption(config: StackConfig, w: Wanted, now, live: LiveCluster, msk_cluster_arn: str | None,
              a: Assessment) -> str | None:
    adopt = config.adopt.topics
    if now is not None and adopt:
        a.notes.append(f"{w.key}: adopting the existing topic {w.name!r} ({now.partitions} partitions, "
                       f"replication factor {now.replication_factor}); only real differences are changed, in place")
        return w.name
    if now is not None:
        a.refusals.append(f"{w.key}: a topic {w.name!r} already exists on the cluster but not in this stack's "
                          f"state, so creating it would fail. Adopt it: set {NAMESPACE}:adopt.topics to true, or "
                          "write an import document with tools/adopt.py")
    elif adopt and not live.reachable and config.topics.backend == "msk":
        return f"{msk_cluster_arn},{w.name}"  # the AWS API reads it on import; a missing topic fails clearly there
    elif adopt and not live.reachable:
        a.refusals.append(f"{w.key}: {NAMESPACE}:adopt.topics needs to see which topics exist, but the cluster could "
                          f"not be read: {live.why}")
    return None


def acl_adoption(acl_names: dict[str, tuple[str, AclBinding]], prior: PriorState,
                 live: LiveCluster) -> tuple[dict[str, str], list[str]]:
    """(suffix -> import id of each declared binding that exists but is not in state yet, refusals) (pure)."""
    if not live.reachable or live.acl_ids is None:
        return {}, [f"{NAMESPACE}:adopt.acls needs to list the cluster's ACLs, but they could not be read: "
                    f"{live.why or 'not listed'}"]
    imports = {suffix: binding.import_id for resource_name, (suffix, binding) in sorted(acl_names.items())
               if resource_name not in prior.acls and binding.import_id in live.acl_ids}
    return imports, []


# --- gathering the facts ------------------------------------------------------------------

def wanted_topics(config: StackConfig, component: str) -> list[Wanted]:
    result = []
    for spec in CATALOG:
        own = config.topics.per_topic.get(spec.key, TopicSettings())  # type: ignore[arg-type]
        result.append(Wanted(
            spec.key, topic_resource_name(component, spec), config.topics.name_of(spec.key),
            partitions_of(spec, config.topics), config.topics.replication_factor,
            name_from=f"topics.perTopic.{spec.key}.name" if own.name else "topics.namePrefix",
            partitions_from=f"topics.perTopic.{spec.key}.partitions" if own.partitions else "topics.partitions"))
    return result


def _under_mocks() -> bool:
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import get_monitor
    return isinstance(get_monitor(), MockMonitor)


def _report(notes: list[str], warnings: list[str], refusals: list[str]) -> None:
    for line in notes:
        pulumi.log.info(line)
    for line in warnings:
        pulumi.log.warn(line)
    if refusals:
        raise DataSafetyError(f"Refused ({len(refusals)}); nothing was changed:\n  - " + "\n  - ".join(refusals))


def check(config: StackConfig, topics_component: str) -> Assessment:
    """Read the stack's state and the cluster, report, and raise DataSafetyError listing every refusal."""
    mocks = _under_mocks()
    live = (LiveCluster.unavailable("not read under unit-test mocks") if mocks
            else live_cluster.read(config, with_acls=config.adopt.acls))
    prior = prior_state.read()
    if not prior.readable:
        pulumi.log.warn(f"{prior.why}: a rename cannot be detected in this run")
    if not live.reachable and not mocks:
        pulumi.log.info(f"the cluster was not read ({live.why}): partition counts are compared with the stack's state")
    assessment = assess(config, wanted_topics(config, topics_component), prior, live, _planning_import(),
                        config.msk.cluster_arn if config.msk else None)
    _report(assessment.notes, assessment.warnings, assessment.refusals)
    return assessment


def adopt_acls(config: StackConfig, assessment: Assessment, bindings: dict[str, AclBinding],
               acls_component: str) -> dict[str, str]:
    """The ACL bindings to import (adopt.acls), as suffix -> import id; raises if they cannot be listed."""
    if not config.adopt.acls or _planning_import() or _under_mocks():
        return {}
    names = {acl_resource_name(acls_component, suffix): (suffix, b) for suffix, b in bindings.items()}
    imports, refusals = acl_adoption(names, assessment.prior, assessment.live)
    _report([f"adopting {len(imports)} existing ACL binding(s)"] if imports else [], [], refusals)
    return imports


def _planning_import() -> bool:
    return os.environ.get(PLANNING_IMPORT_ENV) == "1"

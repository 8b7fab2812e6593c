"""What data safety refuses, in words, each with its stable code (refusals.py), and its warnings about losses.

A refusal names what was asked and from which setting, why Kafka (or the MSK API) cannot do it without destroying
messages or access, what to do instead, and the one override that accepts it. Codes: refusals.py; decisions: assess.py.
"""

from __future__ import annotations

from components.model.names import NAMESPACE
from components.safety import refusals
from components.safety.config_cuts import Cut, Stake, code_key, describe, human_ms
from components.safety.refusals import coded
from components.safety.topic_plan import Wanted

def override(w: Wanted, remap: bool = False) -> str:  # topics.acceptDataLoss, or bridge.acceptKeyRemap, ...
    return f"{NAMESPACE}:{w.section}.{'acceptKeyRemap' if remap else 'acceptDataLoss'}"


def how_to_accept(w: Wanted) -> str:
    return (f"Only if losing them is intended, add {w.item} to {override(w)} (in Pulumi.<stack>.yaml, {w.section}: "
            f"acceptDataLoss: [{w.item}]) and run `pulumi up` twice: the first run only lifts the topic's protection")


def where(live_why: str, from_live: bool, have: int) -> str:
    return f"the cluster has {have}" if from_live else \
        f"the stack's state has {have}; the cluster could not be read: {live_why}"


def cluster_move(w: Wanted, before: str, after: str) -> str:
    return coded(refusals.CLUSTER_MOVE, (
        f"{w.key}: msk.clusterArn {before} -> {after} asked: {w.name!r} would be created on the other cluster and "
        "deleted from this one, with every message in it. Another cluster is another stack (pulumi stack init); "
        "copy the messages with MirrorMaker if needed."))


def rename(w: Wanted, old: str) -> str:
    keep = f"{w.settings_path}.name: {old}" if w.section == "topics" else "bridge.topicPrefix as it was"
    return coded(refusals.RENAME, (
        f"{w.key}: rename {old!r} -> {w.name!r} asked ({w.name_from}). Kafka cannot rename a topic: Pulumi "
        f"would create {w.name!r} empty and delete {old!r} with every message in it. Keep the old name "
        f"({keep}), or copy the messages first. {how_to_accept(w)}, "
        f"the second creates {w.name!r} and deletes {old!r}."))


def topic_dropped(resource: str, name: str, database: str | None, shapes: tuple[str, ...]) -> str:
    if database is None:
        return coded(refusals.TOPIC_DROPPED, (
            f"shapes: fourTopics removed, but the stack's state holds {name!r} ({resource}): Pulumi would delete it "
            f"with every message in it. Keep fourTopics in shapes; or list its key in {NAMESPACE}:topics.releaseTopics "
            "to stop managing it and leave it, with its messages, on the cluster (two `up`s)"))
    if "bridge" not in shapes:
        return coded(refusals.TOPIC_DROPPED, (
            f"shapes: bridge removed, but the stack's state holds {database!r}'s topic {name!r}: Pulumi would delete "
            f"it with every message in it. Put bridge back in {NAMESPACE}:shapes, list each database in "
            "bridge.releaseDatabases and run `pulumi up` twice, then remove the shape"))
    return coded(refusals.TOPIC_DROPPED, (
        f"bridge.databases: {database!r} removed, but the stack's state holds its topic {name!r}: Pulumi would "
        f"delete it with every message in it. Keep {database} in bridge.databases; or list it in {NAMESPACE}:"
        f"bridge.releaseDatabases to stop managing the topic and leave it, with its messages, on the cluster (two "
        f"`up`s); or, only if losing them is intended, in both releaseDatabases and acceptDataLoss"))


def rename_target_exists(w: Wanted, old: str) -> str:
    return coded(refusals.RENAME_TARGET_EXISTS, (
        f"{w.key}: rename {old!r} -> {w.name!r} asked, but a topic {w.name!r} already exists on the cluster, so "
        "Pulumi cannot create it: choose another name"))


def decrease(w: Wanted, have: int, where_: str) -> str:
    return coded(refusals.PARTITION_DECREASE, (
        f"{w.key}: partitions {have} -> {w.partitions} asked for {w.name!r} ({w.partitions_from}; {where_}). "
        f"Kafka can only add partitions: a decrease is planned as delete + create of the topic, destroying "
        f"every message in it. Keep {have} or more. {how_to_accept(w)}, the second deletes {w.name!r} "
        f"and creates it again, empty, with {w.partitions} partitions."))


def key_remap(w: Wanted, have: int, where_: str) -> str:
    return coded(refusals.KEY_REMAP, (
        f"{w.key}: partitions {have} -> {w.partitions} asked for {w.name!r} ({w.partitions_from}; {where_}). "
        f"Its messages are keyed by {w.partition_key} and Kafka picks a key's partition from the partition "
        f"count: after the change most keys go to another partition, so a consumer can read a key's new "
        f"messages before its older ones, and partitions can never be removed again. Keep {have}; to add "
        f"partitions safely, stop the producers, let the consumers drain every partition, then add {w.item} to "
        f"{override(w, True)} (in Pulumi.<stack>.yaml, {w.section}: acceptKeyRemap: [{w.item}]), run `pulumi up`, "
        "restart the producers, and remove it from the list again."))


def key_remap_accepted(w: Wanted, have: int) -> str:
    return coded(refusals.ACCEPTED_KEY_REMAP, (
        f"{w.key}: accepted key remap ({override(w, True)}): partitions {have} -> {w.partitions} for {w.name!r}; "
        f"keys ({w.partition_key}) move to other partitions, so producers should be stopped and consumers "
        "drained first. Remove it from the list once the change is done"))


def remap_still_listed(w: Wanted) -> str:
    return (f"{w.key}: {override(w, True)} lists it but this run adds no partitions to {w.name!r}: remove it from the "
            "list, or a later increase would move keys without a word")


def msk_replication(w: Wanted, have: int, where_: str) -> str:
    return coded(refusals.REPLICATION_REPLACE, (
        f"{w.key}: replicationFactor {have} -> {w.replication_factor} asked for {w.name!r} "
        f"({w.replication_from}; {where_}). The MSK topic API cannot change a replication factor: the "
        f"topic would be replaced, destroying every message in it. Keep {have}, or reassign the partitions "
        f"with kafka-reassign-partitions.sh. {how_to_accept(w)}, the second deletes {w.name!r} and creates "
        f"it again, empty, with replication factor {w.replication_factor}."))


def replication_above_brokers(w: Wanted, brokers: int, have: int | None) -> str:
    change = f"replicationFactor {have} -> {w.replication_factor}" if have else \
        f"replicationFactor {w.replication_factor}"
    return coded(refusals.REPLICATION_ABOVE_BROKERS, (
        f"{w.replication_from} = {w.replication_factor}: the cluster has {brokers} broker(s) running "
        f"({w.key}: {change} asked for {w.name!r}; with no topics section a stack gets the production default 3). "
        f"Kafka places each replica on a different running broker, so this cannot be done at all. Use at most "
        f"{brokers}, or add (or restart) brokers first."))


def cluster_degraded(answering: int, silent: tuple[str, ...], min_isr: int, rf: int, explicit: bool, default_rf=False,
                     rf_key: str = "topics.replicationFactor", isr_key: str = "topics.minInsyncReplicas") -> str:
    """Named from the setting, then the cluster's fact; listing no other broker, it may be that small: both said."""
    setting = (f"{isr_key} = {min_isr}" if explicit else
               f"{rf_key} = {rf}{' (the default: the stack sets none)' if default_rf else ''} (so "
               f"min.insync.replicas = {min_isr})")
    fact = (f"only {answering} broker(s) answer ({len(silent)} listed do not: {', '.join(silent)})" if silent else
            f"only {answering} broker(s) answer and the cluster lists no other: if it has only {answering}, use a "
            f"replication factor of at most {answering}; if brokers are stopped, start them")
    return coded(refusals.CLUSTER_DEGRADED, (
        f"{setting}: {fact}. Below {min_isr} in-sync replicas producers with acks=all are refused and the "
        "controllers may have no quorum, so a change could fail half-way or be applied after this run gave up. "
        "Nothing was changed: bring the brokers back, or lower the setting, then run again."))


def replicas_offline(w: Wanted, brokers: int) -> str:
    return (f"{w.key}: {w.name!r} has replicationFactor {w.replication_factor} but only {brokers} broker(s) answer: "
            "its replicas on the others are offline until they return (the topic itself is unchanged)")


def state_ahead(w: Wanted, what: str, recorded: int, live: int, asked: int) -> str:
    would = (f"would not change the {what} at all: run `pulumi refresh` (it records what the cluster has), then "
             f"`pulumi up` makes it {asked}") if recorded == asked else (
        f"would ask Kafka for {recorded} again, although the cluster already has the {asked} asked: run "
        "`pulumi refresh` (it records what the cluster has), then `pulumi up` has nothing left to change")
    return coded(refusals.STATE_AHEAD, (
        f"{w.key}: the stack's state says {what} {recorded} for {w.name!r} but the cluster has {live} (an update "
        f"interrupted or failed before Kafka applied it, or a change made by hand). Pulumi plans from its state, "
        f"so `up` {would}"))


def exists_not_in_state(w: Wanted) -> str:
    return coded(refusals.EXISTS_NOT_IN_STATE, (
        f"{w.key}: a topic {w.name!r} already exists on the cluster but not in this stack's state, so creating it "
        f"would fail. Adopt it: set {NAMESPACE}:adopt.topics to true, or write an import document with "
        "tools/ops/adopt.py"))


def adopt_unreadable(w: Wanted, why: str) -> str:
    return coded(refusals.ADOPT_UNREADABLE, (
        f"{w.key}: {NAMESPACE}:adopt.topics needs to see which topics exist, but the cluster could not be read: "
        f"{why}"))


def state_unreadable(why: str) -> str:
    return coded(refusals.STATE_UNREADABLE, (
        f"{why}: this stack declares ACL bindings or SCRAM users, and without its state `up` cannot tell which "
        "resources of an earlier version of the program to keep, so it could delete them from the cluster; "
        "nothing was changed. Make the state backend readable (login, passphrase, network) and run again"))


def acls_unreadable(why: str) -> str:
    return coded(refusals.ADOPT_ACLS_UNREADABLE, (
        f"{NAMESPACE}:adopt.acls needs to list the cluster's ACLs, but they could not be read: {why or 'not listed'}"))


def accepted_now(w: Wanted, what: str) -> str:
    return coded(refusals.ACCEPTED_DATA_LOSS, f"{w.key}: accepted data loss ({override(w)}): this run will {what}")


def accepted_first_run(w: Wanted, name: str, what: str) -> str:
    return coded(refusals.ACCEPTED_DATA_LOSS, (
        f"{w.key}: accepted data loss ({override(w)}): this run only lifts the protection of {name!r} and leaves it "
        f"as it is; the next `pulumi up` will {what}"))


def still_listed(w: Wanted) -> str:
    return coded(refusals.ACCEPTED_DATA_LOSS, (
        f"{w.key}: {override(w)} lists it, so {w.name!r} is unprotected and could lose its messages; remove it from "
        "the list once the change it was added for is done"))


def import_document_preview() -> str:
    return (f"{NAMESPACE}:adopt.importDocument is set: this preview plans an import document (tools/ops/adopt.py), "
            "so topics and bindings that exist show as creates; `pulumi up` refuses the setting")


def import_document_in_up() -> str:
    return coded(refusals.IMPORT_DOCUMENT_IN_UP, (
        f"{NAMESPACE}:adopt.importDocument is only for the preview tools/ops/adopt.py runs to plan an import "
        "document; in `pulumi up` it would try to create what already exists: remove it from the stack's settings"))


def connection_refused(kind: str, brokers: str, login: str, why: str) -> str:
    """The brokers answered and refused this stack's connection: nothing can be read, planned or changed."""
    if kind == "tls":
        return coded(refusals.CONNECTION_TLS, (
            f"the TLS connection to the brokers ({brokers}) failed, so nothing can be read or changed: {why}"))
    return coded(refusals.CONNECTION_LOGIN, (
        f"the brokers ({brokers}) rejected this stack's own login {login}: {why}. Set the right one with "
        f"`pulumi config set --secret {NAMESPACE}:saslJaasConfig '<login module> required username=\"...\" "
        "password=\"...\";'`"))


def _at_stake(cut: Cut, stake: Stake | None, why: str | None) -> str:
    if why is not None:
        return f"The cluster could not be read ({why}), so what would go is unknown."
    if cut.compaction_on:
        return ("Which keys repeat cannot be read without consuming the topic, so what would go is unknown; "
                "for an event log keyed by its entity, compaction keeps only each key's latest message.")
    if cut.config == "retention.bytes":
        return ("Kafka deletes the oldest segments of each partition beyond that size; partition sizes are not "
                "read here (Kafka's clients have no log-dir sizes), so what would go is unknown.")
    if cut.older_than_ms is None:
        return "With retention.ms unlimited nothing expires by age, but the policy change is still refused."
    if stake is None:
        return "The topic's offsets could not be read, so what would go is unknown."
    oldest = f", the oldest {human_ms(stake.oldest_age_ms)} old" if stake.oldest_age_ms is not None else ""
    return (f"On the cluster now: up to {stake.would_go} of its {stake.total} message(s) are older than "
            f"{human_ms(cut.older_than_ms)}{oldest}.")


def config_cut(w: Wanted, cut: Cut, origin: str, stake: Stake | None, why: str | None) -> str:
    """A config change that makes Kafka delete messages that exist, refused like a partition decrease."""
    effect = {"retention.ms": "deletes every message older than the new limit, at once",
              "retention.bytes": "deletes the oldest messages beyond the new size, at once",
              "cleanup.policy": "deletes the messages compaction kept once they are older than retention.ms",
              "compaction-on": "deletes every message that has a newer one with the same key, at its next log-cleaner "
                               "pass"}
    key = code_key(cut)
    return coded(refusals.CONFIG_CUT[key], (
        f"{w.key}: {describe(cut)} asked for {w.name!r} ({origin}): Kafka {effect[key]}, with no way "
        f"back. {_at_stake(cut, stake, why)} Keep the current value, or, only if losing them is intended, add "
        f"{w.item} to {override(w)} ({w.section}: acceptDataLoss: [{w.item}]); the change is then made in place."))


def cut_deletes_nothing(w: Wanted, cut: Cut, stake: Stake) -> str:
    held = (f"every one of its {stake.total} message(s) on the cluster is younger than "
            f"{human_ms(cut.older_than_ms or 0)}") if stake.total else "it holds no message on the cluster"
    return f"{w.key}: {describe(cut)} for {w.name!r}: allowed, as {held}, so this change deletes none"


def not_authorized(login: str, topics: tuple[str, ...]) -> str:
    return coded(refusals.CONNECTION_NOT_AUTHORIZED, (
        f"this stack's own login {login!r} may not describe {', '.join(repr(t) for t in topics)}: Kafka hides a "
        "topic from a login without Describe on it, so the program cannot tell whether it exists (nor keep its "
        "messages safe). Give the login Describe, DescribeConfigs, Create, Alter and AlterConfigs on the stack's "
        "topics (or use an admin login); nothing was changed"))


def kafka_rejects(w: Wanted, why: str, origin: str) -> str:
    return coded(refusals.KAFKA_REJECTS, (
        f"{w.key}: the brokers reject {why} (for {w.name!r}, from {origin}; asked with a validate-only request, so "
        "nothing was changed). Change that setting to a value the cluster accepts"))


def change_not_permitted(w: Wanted, login: str, operation: str) -> str:
    need = {"Create": "create", "AlterConfigs": "change the configs of", "Alter": "add partitions to"}[operation]
    return coded(refusals.CONNECTION_NOT_AUTHORIZED, (
        f"{w.key}: this stack's own login {login!r} may not {need} {w.name!r} (Kafka denied {operation} to a "
        f"validate-only request, so nothing was changed; `up` would have failed half-way). Give the login "
        f"{operation} on the stack's topics, or use an admin login"))


def unreachable(brokers: str, why: str, preview: bool) -> str:
    what = ("this preview could not compare the stack with the cluster; where a runner has no path to the brokers "
            f"(a CI preview), set {NAMESPACE}:cluster.previewOffline: true to preview from the stack's state alone"
            ) if preview else "`up` changes nothing it cannot first read"
    return coded(refusals.CONNECTION_UNREACHABLE, f"no broker answered at {brokers}: {why}. Nothing was changed: {what}")


def offline_preview(why: str) -> str:
    return (f"OFFLINE PREVIEW (cluster.previewOffline): the cluster could not be read ({why}), so this preview "
            "compares the settings with the stack's state only; `up` will read the cluster first")

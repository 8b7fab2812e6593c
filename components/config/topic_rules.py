"""Rules of the topics section: names legal and distinct, min ISR within the replication factor."""

from __future__ import annotations

from components.config.rules import Draft, Problems, check
from components.config.schema import topic_name
from components.model import topic_configs
from components.model.catalog import CATALOG


# --- topics -------------------------------------------------------------------------

@check("topics.minInsyncReplicas", "topics.replicationFactor")
def min_isr_fits(d: Draft, p: Problems) -> None:
    t = d.topics
    if t.min_insync_replicas is not None and t.min_insync_replicas > t.replication_factor:
        p.add("topics.minInsyncReplicas", t.min_insync_replicas,
              f"at most replicationFactor ({t.replication_factor}), or producers with acks=all could never write")


@check("topics.namePrefix")
def topic_names_legal_and_distinct(d: Draft, p: Problems) -> None:
    seen: dict[str, str] = {}
    illegal = []
    for spec in CATALOG:
        if not d.ok(f"topics.perTopic.{spec.key}.name"):
            continue  # its name is reported already
        name = d.topics.name_of(spec.key)
        try:
            topic_name(name)
        except ValueError as exc:
            illegal.append((name, exc))  # only prefixed names can be: explicit ones were checked alone
        if name in seen:
            p.add(f"topics.perTopic.{spec.key}.name", name, f"already the name of {seen[name]}; each topic needs its own")
        seen[name] = spec.key
    if illegal:
        p.add("topics.namePrefix", d.topics.name_prefix,
              f"makes the topic name {illegal[0][0]!r}{' (and more)' if len(illegal) > 1 else ''} illegal: {illegal[0][1]}")


# Settings that are Kafka topic configs under another name: setting both would let one silently win.
CONFIG_ALIASES = {"retention": "retention.ms"}


@check("topics.perTopic")
def one_setting_per_kafka_config(d: Draft, p: Problems) -> None:
    for key, own in d.topics.per_topic.items():
        for setting, config in CONFIG_ALIASES.items():
            if getattr(own, setting) is not None and config in own.configs:
                p.add(f"topics.perTopic.{key}.configs.{config}", own.configs[config],
                      f"sets the same Kafka config as topics.perTopic.{key}.{setting} ({getattr(own, setting)!r}), "
                      "and one would silently win: keep one of the two")
    t = d.topics
    for key, own in t.per_topic.items():
        isr = own.configs.get("min.insync.replicas", "")
        if isr.isdigit() and int(isr) > t.replication_factor:
            p.add(f"topics.perTopic.{key}.configs.min.insync.replicas", isr, f"at most topics.replicationFactor "
                  f"({t.replication_factor}), or producers with acks=all could never write to it")
    if t.min_insync_replicas is not None:
        for key, own in t.per_topic.items():
            if "min.insync.replicas" in own.configs:
                p.add(f"topics.perTopic.{key}.configs.min.insync.replicas", own.configs["min.insync.replicas"],
                      f"sets the same Kafka config as topics.minInsyncReplicas ({t.min_insync_replicas}), and one "
                      "would silently win: keep one of the two")


@check("topics.partitions", "topics.maxPartitions", "topics.perTopic")
def partitions_within_bound(d: Draft, p: Problems) -> None:
    t = d.topics
    why = (f"at most topics.maxPartitions ({t.max_partitions}): partitions can never be removed, so a mistyped "
           "count would stay for good; raise topics.maxPartitions if this many is meant")
    if t.partitions > t.max_partitions:
        p.add("topics.partitions", t.partitions, why)
    for key, own in t.per_topic.items():
        if own.partitions is not None and own.partitions > t.max_partitions:
            p.add(f"topics.perTopic.{key}.partitions", own.partitions, why)


@check("topics.perTopic")
def topic_configs_kafka_accepts(d: Draft, p: Problems) -> None:
    for key, own in d.topics.per_topic.items():
        for name, value in own.configs.items():
            allowed = topic_configs.problem(name, value)
            if allowed is not None:
                p.add(f"topics.perTopic.{key}.configs.{name}", value, allowed)

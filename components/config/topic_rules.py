"""Rules of the topics section: names legal and distinct, min ISR within the replication factor."""

from __future__ import annotations

from components.config.rules import Draft, Problems, check
from components.config.schema import topic_name
from components.model.catalog import CATALOG


# --- topics -------------------------------------------------------------------------

@check("topics")
def min_isr_fits(d: Draft, p: Problems) -> None:
    t = d.topics
    if t.min_insync_replicas is not None and t.min_insync_replicas > t.replication_factor:
        p.add("topics.minInsyncReplicas", t.min_insync_replicas,
              f"at most replicationFactor ({t.replication_factor}), or producers with acks=all could never write")


@check("topics")
def topic_names_legal_and_distinct(d: Draft, p: Problems) -> None:
    seen: dict[str, str] = {}
    illegal = []
    for spec in CATALOG:
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

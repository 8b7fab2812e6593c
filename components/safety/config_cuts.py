"""Topic config changes that make Kafka delete messages that exist: what they are, and what is at stake.

Kafka applies a topic config change at once, and some changes delete messages with it:
- `retention.ms` lowered (or set where it was unlimited, -1): every message older than the new
  limit goes, at the next log-cleaner pass;
- `retention.bytes` lowered (or set where it was unlimited): the oldest segments of each partition
  beyond the new size go;
- `cleanup.policy` away from `compact` (or `compact` -> `compact,delete`): the messages that
  compaction kept go once they are older than `retention.ms`;
- `cleanup.policy` to `compact` where it was not: the log cleaner deletes every message that has a
  newer one with the same key (all four topics are keyed: an event log would keep one event per key).
Pure: the values come from the cluster or the stack's state; the stake (how many messages would
go, how old the oldest is) is read by live_cluster.py.
"""

from __future__ import annotations

from dataclasses import dataclass

UNLIMITED = -1
# Kafka's own defaults, for a topic whose value is not set (describe_configs reports these too).
DEFAULTS = {"retention.ms": "604800000", "retention.bytes": "-1", "cleanup.policy": "delete"}
WATCHED = tuple(DEFAULTS)


@dataclass(frozen=True)
class Cut:
    """One config change that deletes messages; `older_than_ms`: the age beyond which messages go (time cuts)."""

    config: str
    before: str
    after: str
    older_than_ms: int | None = None
    compaction_on: bool = False  # cleanup.policy gains `compact` (else a cleanup.policy cut turns it off)


@dataclass(frozen=True)
class Stake:
    """What a time cut would delete on the cluster now: messages older than the limit, of how many, the oldest's age."""

    would_go: int
    total: int
    oldest_age_ms: int | None


def _limit(value: str) -> int:
    number = int(value)
    return UNLIMITED if number < 0 else number


def _lowered(before: str, after: str) -> bool:
    old, new = _limit(before), _limit(after)
    return new != UNLIMITED and (old == UNLIMITED or new < old)


def _compacted(policy: str) -> set[str]:
    return {p.strip() for p in policy.split(",") if p.strip()}


def cuts(current: dict[str, str], wanted: dict[str, str]) -> list[Cut]:
    """The message-deleting changes from `current` to `wanted` (missing keys: Kafka's defaults)."""
    now = {k: current.get(k, DEFAULTS[k]) for k in WATCHED}
    asked = {k: wanted.get(k, DEFAULTS[k]) for k in WATCHED}
    found: list[Cut] = []
    try:
        if _lowered(now["retention.ms"], asked["retention.ms"]):
            found.append(Cut("retention.ms", now["retention.ms"], asked["retention.ms"], _limit(asked["retention.ms"])))
        if _lowered(now["retention.bytes"], asked["retention.bytes"]):
            found.append(Cut("retention.bytes", now["retention.bytes"], asked["retention.bytes"]))
    except ValueError:
        pass  # not a number: the broker's validation reports it
    old_policy, new_policy = _compacted(now["cleanup.policy"]), _compacted(asked["cleanup.policy"])
    if "compact" in new_policy and "compact" not in old_policy:
        found.append(Cut("cleanup.policy", now["cleanup.policy"], asked["cleanup.policy"], compaction_on=True))
    elif "compact" in old_policy and "delete" not in old_policy and "delete" in new_policy:
        limit = _limit(asked["retention.ms"]) if asked["retention.ms"].lstrip("-").isdigit() else None
        found.append(Cut("cleanup.policy", now["cleanup.policy"], asked["cleanup.policy"],
                         None if limit == UNLIMITED else limit))
    return found


def code_key(cut: Cut) -> str:
    """The key of the cut's refusal code in refusals.CONFIG_CUT."""
    return "compaction-on" if cut.compaction_on else cut.config


def human_ms(ms: int) -> str:
    """'7 d', '1 d 2 h', '90 s', 'unlimited'."""
    if ms < 0:
        return "unlimited"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if ms >= size:
            whole, rest = divmod(ms, size)
            shown = f"{whole}" if rest == 0 or whole >= 10 else f"{ms / size:.1f}".removesuffix(".0")
            return f"{shown} {unit}"
    return f"{ms} ms"


def describe(cut: Cut) -> str:
    """'retention.ms 604800000 (7 d) -> 1000 (1 s)' and the like."""
    if cut.config == "retention.ms":
        return (f"retention.ms {cut.before} ({human_ms(_limit(cut.before))}) -> "
                f"{cut.after} ({human_ms(_limit(cut.after))})")
    if cut.config == "retention.bytes":
        return f"retention.bytes {cut.before}{' (unlimited)' if _limit(cut.before) < 0 else ''} -> {cut.after}"
    return f"cleanup.policy {cut.before} -> {cut.after}"

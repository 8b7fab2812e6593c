"""The formats of single values in the stack settings: names, prefixes, durations, strict numbers, patterns.

Each raises ValueError with what is allowed, which load.py reports as one line naming the key and the value.
schema.py builds the sections from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from components.model.catalog import DAY_MS

PLACEHOLDER = "REPLACE_ME"

TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
PREFIX = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS}


def topic_name(value: str) -> str:
    if not TOPIC_NAME.match(value) or value in (".", ".."):
        raise ValueError("a Kafka topic name is 1-249 characters of A-Z a-z 0-9 . _ - and not '.' or '..'")
    return value


DURATION_FORM = "a duration is a positive number with a unit (ms, s, m, h, d), e.g. '1d' or '12h', or 'infinite'"
DURATION_JSON = WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^([1-9]\d*(ms|s|m|h|d)|infinite|-1)$"},
                                           {"const": -1}, {"type": "null"}], "description": DURATION_FORM})


def duration_ms(value: str | int) -> int:
    """'7d' -> 604800000; -1 or 'infinite' keeps messages forever (Kafka's -1)."""
    if type(value) in (int, str) and value in (-1, "-1", "infinite"):  # not True, not -1.0
        return -1
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(DURATION_FORM)
    return int(match.group(1)) * UNIT_MS[match.group(2)]


def retention_check(value: Any) -> Any:
    """A retention setting, checked as a whole: one message for any wrong value, not one per member of its union."""
    if value is not None:
        duration_ms(value)
    return value


def min_isr_for(replication_factor: int) -> int:
    """The durable default that scales with RF: RF 1 -> 1, RF 2 -> 1, RF >= 3 -> 2."""
    return min(2, max(1, replication_factor - 1))


def number(allowed: str, ok: Callable[[Any], bool], *types: type) -> BeforeValidator:
    """Strict numbers: of `types` only (never true/false, a decimal where a whole number belongs, or a quoted
    number), and `ok`; otherwise one message, `allowed`, saying why where the type is wrong."""
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, types):
            why = ("true/false is not a number" if isinstance(value, bool) else "a decimal is not a whole number"
                   if isinstance(value, float) else "a quoted value is text, not a number" if isinstance(value, str)
                   else "not a number")
            raise ValueError(f"{allowed}; {why}")
        if not ok(value):
            raise ValueError(allowed)
        return value
    return BeforeValidator(check)


Count = Annotated[int, number("a whole number, at least 1", lambda v: v >= 1, int), WithJsonSchema({"type": "integer", "minimum": 1})]  # partitions, replicas, timeouts


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and PLACEHOLDER in value


def pattern(regex: re.Pattern, allowed: str):
    # Placeholders pass here: they get their own message, and the relational checks still run.
    def check(value: str | None) -> str | None:
        if value is not None and not is_placeholder(value) and not regex.match(value):
            raise ValueError(allowed)
        return value
    return check


prefix_check = pattern(PREFIX, "1-200 characters of A-Z a-z 0-9 . _ - (kept plain so ACLs and IAM ARNs match exactly)")


def distinct(what: str) -> Callable[[list], list]:
    """A list validator: each `what` (topic key, database, shape) at most once."""
    def check(values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError(f"each {what} at most once, not {values}")
        return values
    return check


# A prefix grant on `_` would reach __consumer_offsets, __transaction_state and MSK's __amazon_msk_* topics.
BRIDGE_PREFIX = re.compile(r"^[A-Za-z0-9.-][A-Za-z0-9._-]{0,199}$")
DATABASE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
DATABASE_FORM = ("a database name: 1-200 characters of A-Z a-z 0-9 _ - (no '.': the bridge's topic is "
                 "<topicPrefix><database>.events, and a '.' in the name would make two databases' topics collide)")

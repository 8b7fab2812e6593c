"""The stable codes of the program's refusals, and how they are written into its messages.

Every refusal the program raises at preview, and every warning that a stack accepted data
loss on purpose, starts with its code in brackets: `[data-loss:partition-decrease] ...`.
The preview report (tools/preview/) matches on these codes, never on the English after
them, so the wording can improve without blinding the report. Standard library only: the
report imports this module without the project's venv.
"""

from __future__ import annotations

import re

DATA_LOSS = "data-loss"  # the family whose changes would destroy a topic's messages
ACCEPTED_DATA_LOSS = "accepted:data-loss"  # a warning: the stack accepted that loss by name
UNMANAGED_BINDING = "access:unmanaged"  # a warning: a binding on the cluster that touches the stack, not declared

PARTITION_DECREASE = "data-loss:partition-decrease"
RENAME = "data-loss:rename"
RENAME_TARGET_EXISTS = "data-loss:rename-target-exists"
REPLICATION_REPLACE = "data-loss:replication-replace"  # the MSK API replaces a topic to change its RF
CLUSTER_MOVE = "data-loss:cluster-move"
CONFIG_CUT = {"retention.ms": "data-loss:retention-cut", "retention.bytes": "data-loss:retention-bytes-cut",
              "compaction-on": "data-loss:compaction-on",
              "cleanup.policy": "data-loss:compaction-off"}  # topic config changes that make Kafka delete messages
KEY_REMAP = "ordering:key-remap"  # a partition increase on a keyed topic: keys move to other partitions
ACCEPTED_KEY_REMAP = "accepted:key-remap"  # a warning: the stack accepted that remap by name
WARNING_CODES = frozenset({ACCEPTED_DATA_LOSS, ACCEPTED_KEY_REMAP, UNMANAGED_BINDING})  # not refusals
KAFKA_REJECTS = "invalid:kafka-rejects"  # the brokers, asked validate-only, would reject the change
REPLICATION_ABOVE_BROKERS = "impossible:replication-above-brokers"
CLUSTER_DEGRADED = "impossible:cluster-degraded"  # fewer brokers answer than the topics' min ISR
STATE_AHEAD = "stale-state:state-ahead-of-cluster"
STATE_UNREADABLE = "stale-state:state-unreadable"  # `up` of a stack with access resources, its own state unread
EXISTS_NOT_IN_STATE = "adopt:exists-not-in-state"
ADOPT_UNREADABLE = "adopt:cluster-unreadable"
ADOPT_ACLS_UNREADABLE = "adopt:acls-unreadable"
IMPORT_DOCUMENT_IN_UP = "adopt:import-document-in-up"
CONNECTION_TLS = "connection:tls"  # the brokers answered, and the TLS handshake failed
CONNECTION_LOGIN = "connection:login"  # the brokers answered, and rejected the stack's own login
CONNECTION_NOT_AUTHORIZED = "connection:not-authorized"  # the login may not see the stack's topics
ACCESS_LOST = "access:lost"  # a principal the stack still lists would lose every grant or login it had
ACCESS_NOT_EXACT = "access:not-exact"  # after an up: what Kafka refused to create or delete, recorded for the next up
ACCESS_RIGHTS = "connection:access-rights"  # the stack's login may not change ACLs or SCRAM users (Alter on the cluster)
CONNECTION_UNREACHABLE = "connection:unreachable"  # no broker answered (a preview may go on if the stack allows it)

_CODED = re.compile(r"^\[(?P<code>[a-z-]+:[a-z-]+)\] ")


def coded(code: str, text: str) -> str:
    return f"[{code}] {text}"


def code_of(line: str) -> str | None:
    """The code a refusal or warning line starts with, or None."""
    match = _CODED.match(line.strip())
    return match.group("code") if match else None


def is_data_loss(line: str) -> bool:
    return (code_of(line) or "").startswith(DATA_LOSS + ":")


def text_of(line: str) -> str:
    """The line without its code."""
    return _CODED.sub("", line.strip(), count=1)

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
TOPIC_DROPPED = "data-loss:topic-dropped"  # a topic in the state the stack no longer declares (a database, a shape)
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

# The one table of refusals: code -> (what is refused, the override), in the order the handbook lists them
# (docs/reference/refusals.md is generated from it by tools/docs/reference.py; a test keeps both equal).
TABLE: dict[str, tuple[str, str]] = {
    'data-loss:partition-decrease': ('fewer partitions than the topic has (Kafka can only add)',
                                     "`topics.acceptDataLoss: [<key>]`: two `up`s, the first lifts the topic's protection, the second replaces it, empty"),
    'data-loss:rename': ('a new name for a topic (Kafka cannot rename: a new empty topic, the old one deleted)',
                         '`acceptDataLoss`: create-before-delete over two `up`s'),
    'data-loss:rename-target-exists': ('a rename onto a name that already exists',
                                       'none: choose another name'),
    'data-loss:replication-replace': ('an RF change on the `msk` backend (the AWS API replaces the topic)',
                                      '`acceptDataLoss`'),
    'data-loss:cluster-move': ('`msk.clusterArn` changed under existing topics',
                               'none: another cluster is another stack'),
    'data-loss:topic-dropped': ('a topic in the state the stack no longer declares: a database removed from `bridge.databases`, or a shape from `shapes`',
                                '`bridge.releaseDatabases: [<database>]` or, without fourTopics, `topics.releaseTopics: [<key>]` (the topic stays on the cluster, no longer managed), with `acceptDataLoss` too to delete it; two `up`s'),
    'data-loss:retention-cut': ('`retention.ms` lowered (or set where it was unlimited): says how many messages are older than the new limit and how old the oldest is; **allowed with a note** when the cluster shows none would go; refused when it cannot be read',
                                '`acceptDataLoss`: applied in place, with a warning'),
    'data-loss:retention-bytes-cut': ('`retention.bytes` lowered or newly set (partition sizes cannot be read, so always refused)',
                                      '`acceptDataLoss`'),
    'data-loss:compaction-on': ('`cleanup.policy` gaining `compact` (the log cleaner deletes every message that has a newer one with the same key: an event log keeps one event per key; which keys repeat cannot be read, so always refused)',
                                '`acceptDataLoss`'),
    'data-loss:compaction-off': ('`cleanup.policy` away from `compact` (the messages compaction kept expire)',
                                 '`acceptDataLoss`'),
    'ordering:key-remap': ("more partitions on a topic (all four are keyed: most keys would move to another partition, so a consumer could read a key's new messages before its old ones, and the partitions can never be removed)",
                           '`topics.acceptKeyRemap: [<key>]`, after stopping producers and draining consumers: applied in place, with an `[accepted:key-remap]` warning'),
    'impossible:replication-above-brokers': ('a new topic, or an RF change, with more replicas than brokers running (an unchanged RF with a broker down is only a warning)',
                                             'none: add or restart brokers'),
    'impossible:cluster-degraded': ("any run while fewer brokers answer than the topics' `min.insync.replicas` (Kafka would take a change and apply it after `up` gave up)",
                                    'none: bring the brokers back'),
    'stale-state:state-ahead-of-cluster': ('the state records partitions or RF Kafka never applied (an interrupted or failed `up`)',
                                           'none: `pulumi refresh`, then `up`'),
    'stale-state:state-unreadable': ('an `up` of a stack with ACL bindings or SCRAM users whose own state the program could not read (it could not tell which resources of an earlier version to keep on the cluster; a preview only warns)',
                                     'none: make the state backend readable'),
    'adopt:exists-not-in-state': ('a topic that exists on the cluster but not in the state',
                                  '`adopt.topics: true`, or an import document (`tools/ops/adopt.py`)'),
    'adopt:cluster-unreadable': ('adoption asked while the cluster (or its ACLs) cannot be read',
                                 'none: make it readable'),
    'adopt:acls-unreadable': ('adoption asked while the cluster (or its ACLs) cannot be read',
                              'none: make it readable'),
    'adopt:import-document-in-up': ("`adopt.importDocument` in an `up` (it is for the adoption tool's preview)",
                                    'none: remove it'),
    'connection:tls': ('the TLS handshake failed: a `caCert` that did not sign the brokers, a host name their certificate does not cover, an expired `clientCert`, a TLS file that does not exist, each named',
                       'none: fix the named setting'),
    'connection:login': ('the brokers rejected the stack\'s own login (e.g. a wrong admin password: this used to "succeed")',
                         'none: set the right `saslJaasConfig`'),
    'connection:not-authorized': ('the stack\'s login may not see its topics (they used to be reported as "deleted out of band"), or the brokers deny it a change this run makes (Create, AlterConfigs, Alter, asked validate-only: `up` would have failed half-way)',
                                  'none: grant the login, or use an admin login'),
    'connection:access-rights': ("the stack's login may not change ACLs or SCRAM users (the brokers' authorized operations on the cluster lack Alter): `up` would fail half-way",
                                 'none: give the login Alter and Describe on the cluster, or use an admin login'),
    'access:lost': ('a principal the stack still lists would lose every ACL binding, or the SCRAM login, it had (e.g. `access.createScramUsers` switched off, a role emptied); or the server role left with no principal in a stack that manages access',
                    '`access.acceptAccessLoss: [<principal>]` (for the server role: `[server]`)'),
    'access:not-exact': ('after an `up`: bindings or SCRAM users Kafka refused to create or delete; the state records each and the next `up` retries exactly those (not a refusal: the run applied everything else and exits non-zero)',
                         'none: fix the cause named, run `up` again'),
    'invalid:kafka-rejects': ("a change the brokers themselves reject, asked with Kafka's validate-only requests before anything is touched (e.g. a config name Kafka 4 removed, tiered storage on a cluster without it, a broker or policy limit); names the setting and quotes Kafka",
                              'none: change the setting'),
    'connection:unreachable': ('any `up`, and any preview, while no broker answers (both used to exit 0 with an info line)',
                               "previews only: `cluster.previewOffline: true` (for CI runners with no path to the brokers) compares with the stack's state and says so at the top; `up` always reads the cluster first"),
}

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

"""Ask the brokers whether they would take this run's topic changes, without making them.

Kafka's create-topics, alter-configs and create-partitions requests have a validate-only
form: the brokers check everything (config names and values, partition counts, and whether
the login may do it) and change nothing. The program asks before any resource is declared,
so a value only the cluster knows to be wrong (a broker-side limit, a policy), or a login
that may read but not change, is refused at preview, not half-way through an `up`.

Asked only for what this run changes: topics to create, configs that differ from the
cluster's, and partition increases the stack accepted (topics.acceptKeyRemap); a run that
changes nothing costs no request.
"""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from components.safety.topic_plan import Wanted

@dataclass(frozen=True)
class Rejected:
    why: str  # what was asked, and Kafka's words
    configs: tuple[str, ...]  # the configs the request set (none for partitions)


# Kafka errors that mean the login may not do it, rather than that the change is wrong.
_DENIED = ("TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED")
# Errors the program reports itself, in its own words (assess.py): not repeated from Kafka.
_SAID_ELSEWHERE = ("INVALID_REPLICATION_FACTOR", "TOPIC_ALREADY_EXISTS")


def changes(admin: Any, wanted: list[Wanted], live: dict[str, Any], changed: dict[str, dict[str, str]],
            remap: set[str], brokers: int, timeout: float) -> tuple[dict[str, Rejected], dict[str, str]]:
    """(topic name -> why Kafka rejects its change, topic name -> the operation the login may not do)."""
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, NewTopic, \
        ResourceType
    asked: list[tuple[str, str, tuple[str, ...], Any]] = []  # (topic, operation, configs it sets, future)
    new = [NewTopic(w.name, w.partitions, w.replication_factor, config=dict(w.configs))
           for w in wanted if w.name not in live and w.replication_factor <= brokers]
    if new:
        futures = admin.create_topics(new, validate_only=True, request_timeout=timeout)
        configs = {w.name: tuple(w.configs) for w in wanted}
        asked += [(name, "Create", configs[name], future) for name, future in futures.items()]
    alters = [ConfigResource(ResourceType.TOPIC, w.name, incremental_configs=[
        ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in changed[w.name].items()])
        for w in wanted if changed.get(w.name)]
    if alters:
        futures = admin.incremental_alter_configs(alters, validate_only=True, request_timeout=timeout)
        asked += [(r.name, "AlterConfigs", tuple(changed[r.name]), future) for r, future in futures.items()]
    more = [NewPartitions(w.name, w.partitions) for w in wanted
            if w.name in live and w.name in remap and w.partitions > live[w.name].partitions]
    if more:
        futures = admin.create_partitions(more, validate_only=True, request_timeout=timeout)
        asked += [(name, "Alter", (), future) for name, future in futures.items()]
    return _verdicts(asked, timeout)


def _verdicts(asked: list[tuple[str, str, tuple[str, ...], Any]],
              timeout: float) -> tuple[dict[str, Rejected], dict[str, str]]:
    from confluent_kafka import KafkaException
    rejected: dict[str, Rejected] = {}
    denied: dict[str, str] = {}
    what = {"Create": "creating it", "AlterConfigs": "its config change", "Alter": "its partition increase"}
    for topic, operation, configs, future in asked:
        try:
            future.result(timeout=timeout + 1)
        except KafkaException as exc:
            error = exc.args[0]
            if error.name() in _DENIED:
                denied.setdefault(topic, operation)
            elif error.name() not in _SAID_ELSEWHERE:
                rejected.setdefault(topic, Rejected(f"{what[operation]}: {error.str()}", configs))
        except FutureTimeout:
            continue  # not validated within the timeout: the change itself will say what Kafka thinks
    return rejected, denied

"""production-durability: production topics survive the loss of a broker without losing acknowledged writes.

Applies to topics of both backends, in production stacks only (the stack is named prod or
production, optionally followed by -, _ or . and more: prod-eu). There they need replication
factor >= 3 and min.insync.replicas >= 2 set on the topic (a topic that leaves it unset gets
the broker default, 1 unless changed), so that acks=all writes are on two brokers at least.
"""

from __future__ import annotations

from guardrails.model import Resource, StackContext, json_document

NAME = "production-durability"
DESCRIPTION = "In production stacks, topics have replication factor >= 3 and min.insync.replicas >= 2."
MIN_RF, MIN_ISR = 3, 2


def _configs(resource: Resource) -> dict:
    if resource.type == "aws:msk/topic:Topic":
        return json_document(resource.props.get("configs")) or {}
    return resource.props.get("config") or {}


def validate(resource: Resource, stack: StackContext) -> list[str] | None:
    if resource.type not in ("kafka:index/topic:Topic", "aws:msk/topic:Topic") or not stack.production:
        return None
    topic = resource.props.get("name", resource.name)
    problems = []
    rf = resource.props.get("replicationFactor")
    if isinstance(rf, (int, float)) and rf < MIN_RF:
        problems.append(f"topic {topic!r} has replication factor {rf:g} in production stack {stack.name!r}: "
                        f"set evidentsource-kafka:topics.replicationFactor to {MIN_RF} or more")
    isr = _configs(resource).get("min.insync.replicas")
    try:
        isr_value = int(isr) if isr is not None else None
    except ValueError:
        isr_value = None
    if isr_value is None or isr_value < MIN_ISR:
        problems.append(f"topic {topic!r} has min.insync.replicas {isr if isr is not None else 'unset'} in "
                        f"production stack {stack.name!r}: use replication factor 3 (the program then sets 2) or "
                        f"evidentsource-kafka:topics.minInsyncReplicas {MIN_ISR} or more")
    return problems

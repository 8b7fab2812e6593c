"""topics-protected: a topic holds the database's events; the engine must never delete or replace it.

Applies to topics of both backends (pulumi-kafka and the AWS MSK API). Compliant when the
resource is protected, or when the stack names its topic key in `topics.acceptDataLoss`
(the program's one override for changes that destroy a topic's messages), or, for a database's topic (the
bridge shape), its database in `bridge.acceptDataLoss` or `bridge.releaseDatabases`.
"""

from __future__ import annotations

from pydantic.alias_generators import to_snake

from guardrails.model import Resource, StackContext

NAME = "topics-protected"
DESCRIPTION = "Every Kafka topic is protected (protect: true) unless topics.acceptDataLoss names it."
TOPIC_TYPES = ("kafka:index/topic:Topic", "aws:msk/topic:Topic")


def _kebab(key: str) -> str:
    """`databaseEvents` -> `database-events`, as the program names topic resources (pydantic's converter,
    not the program's code: the pack stays independent of what it guards)."""
    return to_snake(key).replace("_", "-")


def validate(resource: Resource, stack: StackContext) -> list[str] | None:
    if resource.type not in TOPIC_TYPES:
        return None
    if resource.protect:
        return []
    topics = stack.section("topics")
    accepted = [*(topics.get("acceptDataLoss") or []), *(topics.get("releaseTopics") or [])]
    if any(resource.name.endswith(f"-{_kebab(key)}") for key in accepted if isinstance(key, str)):
        return []
    # The bridge shape's topics are named `<component>-db-<database>`: released or accepted by database.
    bridge = stack.section("bridge")
    let_go = [*(bridge.get("acceptDataLoss") or []), *(bridge.get("releaseDatabases") or [])]
    database = resource.name.split("-db-", 1)[1] if "-db-" in resource.name else None
    if database is not None and database in let_go:
        return []
    topic = resource.props.get("name", resource.name)
    return [f"topic {topic!r} ({resource.name}) is not protected, so a delete or replace would destroy its "
            "messages: remove evidentsource-kafka:topics.protect: false (it is for throwaway test stacks), "
            "or, for a deliberate change, name its key in evidentsource-kafka:topics.acceptDataLoss"]

"""Rules of the shapes and the bridge section: a shape's settings only where the stack declares that shape; the
bridge's topics legal, apart from every other role's topics and groups, and each override naming a database."""

from __future__ import annotations

from pydantic.alias_generators import to_snake

from components.config.rules import INVALID, Draft, Problems, check
from components.config.schema import topic_name
from components.config.topic_rules import CONFIG_ALIASES
from components.model import bridge, topic_configs
from components.model.access_model import ROLES
from components.model.catalog import CATALOG

SHAPE_OF_ROLE = {role.key: role.shape for role in ROLES}


@check("shapes")
def settings_of_a_declared_shape(d: Draft, p: Problems) -> None:
    shapes = d.shapes.root
    if "bridge" not in shapes and d.bridge_given:
        p.add("bridge", "{...}", f"the bridge shape is not declared (shapes: {shapes}): add bridge to "
              f"{_ns('shapes')}, or remove the bridge section")
    if "bridge" not in shapes and d.network not in (None, INVALID) and d.network.bridge_security_group_id:
        p.add("network.bridgeSecurityGroupId", d.network.bridge_security_group_id, "the bridge shape is not declared "
              f"(shapes: {shapes}): add bridge to {_ns('shapes')}, or remove it")
    for role, principals in d.role_principals().items():
        shape = SHAPE_OF_ROLE[role]
        if principals and shape not in shapes:
            p.add(f"access.{role}.principals", principals, f"access.{role} belongs to the {shape} shape, which this "
                  f"stack does not declare (shapes: {shapes}): add {shape} to {_ns('shapes')}, or remove them")
    if "bridge" not in shapes:
        for role in ("bridge", "bridgeConsumers"):
            settings = getattr(d.access, to_snake(role))
            set_here = sorted(settings.key(f) for f in settings.model_fields_set if f != "principals")
            if set_here:
                p.add(f"access.{role}.{set_here[0]}", getattr(settings, to_snake(set_here[0])), f"access.{role} belongs "
                      f"to the bridge shape, which this stack does not declare (shapes: {shapes}): add bridge to "
                      f"{_ns('shapes')}, or remove it")
    released = d.topics.release_topics
    if "fourTopics" in shapes and released:
        p.add("topics.releaseTopics", released, "the four topics are still declared (fourTopics is in shapes): "
              "release them only with fourTopics taken out of shapes")
    if "fourTopics" not in shapes:
        for field in ("name_prefix", "per_topic", "accept_key_remap"):
            if field in d.topics.model_fields_set and not released:
                key = d.topics.key(field)
                p.add(f"topics.{key}", getattr(d.topics, field), f"governs the four topics, which this stack does not "
                      f"declare (shapes: {shapes}): remove it, or add fourTopics to {_ns('shapes')}")
        for i, key in enumerate(d.topics.accept_data_loss):
            if key not in released:
                p.add(f"topics.acceptDataLoss[{i}]", key, f"the four topics are not declared (shapes: {shapes}): only "
                      "a topic listed in topics.releaseTopics may be named here")


def _ns(key: str) -> str:
    return f"evidentsource-kafka:{key}"


@check("shapes", "bridge.topicPrefix", "bridge.databases", "topics.namePrefix", "topics.perTopic")
def bridge_topics_legal_and_apart(d: Draft, p: Problems) -> None:
    if "bridge" not in d.shapes.root:
        return
    prefix = d.bridge.topic_prefix
    for i, db in enumerate(d.bridge.databases):
        try:
            topic_name(bridge.topic_name(prefix, db))
        except ValueError as exc:
            p.add(f"bridge.databases[{i}]", db, f"makes the topic name {bridge.topic_name(prefix, db)!r} illegal: {exc}")
    four = [d.topics.name_of(t.key) for t in CATALOG] if "fourTopics" in d.shapes.root else []
    # Kafka refuses a topic whose name differs from another's only by '.' against '_' (their metrics collide).
    seen = {name.replace(".", "_"): name for name in four}
    for i, db in enumerate(d.bridge.databases):
        name = bridge.topic_name(prefix, db)
        if seen.get(name.replace(".", "_"), name) != name:
            p.add(f"bridge.databases[{i}]", db, f"its topic {name!r} collides with {seen[name.replace('.', '_')]!r}: "
                  "Kafka refuses two topic names that differ only by '.' against '_'")
        seen.setdefault(name.replace(".", "_"), name)
    if four:
        inside = [name for name in four if name.startswith(prefix)]
        if inside:
            p.add("bridge.topicPrefix", prefix, f"the four topics' {inside[0]!r} starts with it, so the bridge (and its "
                  "consumers) would be granted that topic too: use a prefix none of topics.* names start with")


@check("shapes", "bridge.databases", "bridge.perDatabase", "bridge.acceptDataLoss", "bridge.acceptKeyRemap",
       "bridge.releaseDatabases", "access.bridgeConsumers.databases")
def overrides_name_databases(d: Draft, p: Problems) -> None:
    b, known = d.bridge, set(d.bridge.databases)
    listed = f"bridge.databases: {sorted(known)}"
    for db in b.per_database:
        if db not in known:
            p.add(f"bridge.perDatabase.{db}", "{...}", f"not a database of this stack ({listed}): add it there, or "
                  "remove these settings")
    for key, values, allowed in (("acceptKeyRemap", b.accept_key_remap, known),
                                 ("acceptDataLoss", b.accept_data_loss, known | set(b.release_databases)),
                                 ("bridgeConsumers", d.access.bridge_consumers.databases, known)):
        path = "access.bridgeConsumers.databases" if key == "bridgeConsumers" else f"bridge.{key}"
        for i, db in enumerate(values):
            if db not in allowed:
                p.add(f"{path}[{i}]", db, f"not a database of this stack ({listed})")
    for i, db in enumerate(b.release_databases):
        if db in known:
            p.add(f"bridge.releaseDatabases[{i}]", db, "still in bridge.databases: a database is either declared (its "
                  "topic managed) or released (its topic left on the cluster, no longer managed), not both")


@check("shapes", "bridge.perDatabase", "bridge.partitions", "bridge.minInsyncReplicas", "bridge.replicationFactor",
       "topics.maxPartitions", "topics.replicationFactor", "topics.minInsyncReplicas")
def database_topics_within_bounds(d: Draft, p: Problems) -> None:
    b, t = d.bridge, d.topics
    why = (f"at most topics.maxPartitions ({t.max_partitions}): partitions can never be removed, so a mistyped count "
           "would stay for good; raise topics.maxPartitions if this many is meant")
    for key, count in [("bridge.partitions", b.partitions)] + [
            (f"bridge.perDatabase.{db}.partitions", own.partitions) for db, own in b.per_database.items()]:
        if count is not None and count > t.max_partitions:
            p.add(key, count, why)
    rf = b.replication_factor or t.replication_factor
    min_isr, key = (b.min_insync_replicas, "bridge.minInsyncReplicas") if b.min_insync_replicas is not None else \
        (t.min_insync_replicas, "topics.minInsyncReplicas")
    if min_isr is not None and min_isr > rf:
        p.add(key, min_isr, f"at most the per-database topics' replication factor ({rf}"
              f"{', bridge.replicationFactor' if b.replication_factor else ''}), or producers with acks=all could "
              "never write to them; set bridge.minInsyncReplicas")
    for db, own in b.per_database.items():
        for name, value in own.configs.items():
            if (allowed := topic_configs.problem(name, value)) is not None:
                p.add(f"bridge.perDatabase.{db}.configs.{name}", value, allowed)
        for setting, config in CONFIG_ALIASES.items():
            if getattr(own, setting) is not None and config in own.configs:
                p.add(f"bridge.perDatabase.{db}.configs.{config}", own.configs[config],
                      f"sets the same Kafka config as bridge.perDatabase.{db}.{setting}; keep one of the two")
        isr = own.configs.get("min.insync.replicas", "")
        if isr.isdigit() and int(isr) > rf:
            p.add(f"bridge.perDatabase.{db}.configs.min.insync.replicas", isr, f"at most the topic's replication "
                  f"factor ({rf}), or producers with acks=all could never write to it")
        elif "min.insync.replicas" in own.configs and (b.min_insync_replicas or t.min_insync_replicas) is not None:
            p.add(f"bridge.perDatabase.{db}.configs.min.insync.replicas", own.configs["min.insync.replicas"],
                  "sets the same Kafka config as bridge.minInsyncReplicas (or topics.minInsyncReplicas); keep one")


@check("shapes", "access.bridgeConsumers.groupPrefix", "access.externalConsumers.groupPrefix", "access.server.groupPrefix")
def bridge_consumer_groups_apart(d: Draft, p: Problems) -> None:
    if "bridge" not in d.shapes.root:
        return
    mine = d.access.bridge_consumers.group_prefix
    four = "fourTopics" in d.shapes.root
    others = {"access.externalConsumers.groupPrefix": d.access.external_consumers.group_prefix if four else None,
              "access.server.groupPrefix": d.access.server.group_prefix if four else None}
    for key, other in others.items():
        if other is not None and (other.startswith(mine) or mine.startswith(other)):
            p.add("access.bridgeConsumers.groupPrefix", mine, f"overlaps {key} ({other!r}): one role's consumers could "
                  "join the other's groups and take their partitions; use prefixes neither of which starts the other")

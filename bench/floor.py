"""The floor: the same topics, ACL bindings and SCRAM users as one batched admin request each.

confluent_kafka's AdminClient sends one CreateTopics, one CreateAcls and one
AlterUserScramCredentials request: what the wire needs, and the denominator of every
ratio in the report. For a stack, the work is derived with the program's own pure
functions (config.load.parse, StackConfig.access_model, model.acl_bindings.acl_bindings,
safety.topic_plan.wanted_topics), so it is exactly what `pulumi up` creates.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   NewTopic, ResourcePatternType, ResourceType, ScramCredentialInfo,
                                   ScramMechanism, UserScramCredentialDeletion, UserScramCredentialUpsertion)

from bench import measure, stacks
from bench.seed import REPLICATION_FACTOR, SEED_ACLS, SEED_PARTITIONS, SEED_TOPICS

TIMEOUT_S = 60


@dataclass(frozen=True)
class Work:
    """What a procedure creates: topics (name -> (partitions, configs)), ACL bindings, SCRAM users."""

    topics: dict[str, tuple[int, dict[str, str]]]
    bindings: list[AclBinding]
    users: dict[str, str]  # name -> password
    prefix: str  # every name above starts with it (principals: User:<prefix>...)
    replication_factor: int = REPLICATION_FACTOR

    @property
    def items(self) -> int:
        return len(self.topics) + len(self.bindings) + len(self.users)


def seed_work(prefix: str) -> Work:
    topics = {prefix + name: (SEED_PARTITIONS, dict([extra[1].split("=", 1)]) if extra else {})
              for name, extra in SEED_TOPICS}
    bindings = [AclBinding(ResourceType.TOPIC, prefix + topic, ResourcePatternType.LITERAL, principal, "*",
                           AclOperation[op.upper()], AclPermissionType.ALLOW)
                for principal, operations, topic in SEED_ACLS for op in operations]
    return Work(topics, bindings, {}, prefix)


def stack_work(bootstrap: str, prefix: str, consumers: int) -> Work:
    """What `pulumi up` of the benchmark's ACL stack with `consumers` external consumers creates."""
    from components.config import load
    from components.model.acl_bindings import acl_bindings
    from components.kafka.admin import to_kafka
    from components.safety.topic_plan import wanted_topics

    config = stacks.acl_stack_config(bootstrap, prefix, consumers)
    users = stacks.passwords(config)
    login = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";'
    parsed = load.parse({**config, "saslJaasConfig": login, "principalPasswords": users})
    topics = {w.name: (w.partitions, w.configs) for w in wanted_topics(parsed)}
    bindings = [to_kafka(b) for b in acl_bindings(parsed.access_model()).values()]
    return Work(topics, bindings, users if parsed.access.create_scram_users else {}, prefix,
                parsed.topics.replication_factor)


def _wait(futures: dict, what: str) -> None:
    for key, future in futures.items():
        try:
            future.result(timeout=TIMEOUT_S)
        except Exception as exc:  # name the item that failed
            raise RuntimeError(f"{what} {key}: {exc}") from exc


def create_batched(client_config: dict, work: Work) -> measure.Sample:
    """One CreateTopics, one CreateAcls and (if any users) one AlterUserScramCredentials request."""
    def create() -> None:
        admin = AdminClient({**client_config, "log_level": 0})
        topics = [NewTopic(name, partitions, work.replication_factor, config=configs)
                  for name, (partitions, configs) in work.topics.items()]
        _wait(admin.create_topics(topics, request_timeout=TIMEOUT_S), "topic")
        _wait(admin.create_acls(work.bindings, request_timeout=TIMEOUT_S), "acl")
        if work.users:
            upserts = [UserScramCredentialUpsertion(user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                                                    password.encode()) for user, password in work.users.items()]
            _wait(admin.alter_user_scram_credentials(upserts, request_timeout=TIMEOUT_S), "user")
    return measure.timed(create)


def remove_prefixed(client_config: dict, prefix: str) -> int:
    """Delete every topic, ACL and SCRAM user a run named with prefix (untimed clean-up); how many."""
    admin = AdminClient({**client_config, "log_level": 0})
    topics = [t for t in admin.list_topics(timeout=TIMEOUT_S).topics if t.startswith(prefix)]
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                  AclOperation.ANY, AclPermissionType.ANY)
    acls = [b for b in admin.describe_acls(everything, request_timeout=TIMEOUT_S).result()
            if b.name.startswith(prefix) or b.principal.startswith(f"User:{prefix}")]
    users = [u for u in admin.describe_user_scram_credentials(request_timeout=TIMEOUT_S).result()
             if u.startswith(prefix)]
    if topics:
        _wait(admin.delete_topics(topics, request_timeout=TIMEOUT_S), "delete topic")
    if acls:
        filters = [AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host,
                                    b.operation, b.permission_type) for b in acls]
        _wait(admin.delete_acls(filters, request_timeout=TIMEOUT_S), "delete acl")
    if users:
        deletions = [UserScramCredentialDeletion(u, ScramMechanism.SCRAM_SHA_512) for u in users]
        _wait(admin.alter_user_scram_credentials(deletions, request_timeout=TIMEOUT_S), "delete user")
    return len(topics) + len(acls) + len(users)

"""The stack settings' schema: typed sections, their formats and defaults.

Keys are camelCase in Pulumi.<stack>.yaml under the `evidentsource-kafka:` namespace
(pydantic's alias generator turns the Python names into them); unknown keys are refused as
typos, and types are strict (`true` is not 1, 2.0 is not 2, "3" is not 3, "yes" is not true). Rules
relating settings are in rules.py; stack_config.py is the validated whole; load.py reads and reports.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, field_validator
from pydantic.alias_generators import to_camel

from components.config.formats import (BRIDGE_PREFIX, DATABASE, DATABASE_FORM, DURATION_JSON, PLACEHOLDER, Count,
                                       distinct, duration_ms, is_placeholder, min_isr_for, number, pattern, prefix_check,
                                       retention_check, topic_name)
from components.model import access_model, bridge
from components.model.arns import IAM_ROLE_ARN, MskClusterArn
from components.model.catalog import BY_KEY

SECRET_KEYS = ("saslPassword", "saslJaasConfig", "principalPasswords")

TopicKey = Literal[tuple(BY_KEY)]  # type: ignore[valid-type]  # the catalogue's keys, in its order
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "AWS_MSK_IAM"]


class _Model(BaseModel):
    """Strict: unknown keys are typos, no value is converted (`true` is not 1, 2.0 is not 2); keys are camelCase."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, strict=True)

    @classmethod
    def key(cls, field_name: str) -> str:  # the YAML key of a field: `aws_region` -> `awsRegion`
        return cls.model_fields[field_name].alias or field_name


# --- cluster: how Pulumi and clients reach the brokers ----------------------------

def _host_port(server: str) -> str:
    match = re.match(r"^[A-Za-z0-9.\-\[\]:]+:(\d{1,5})$", server)
    if not is_placeholder(server) and (not match or not 0 < int(match.group(1)) < 65536):
        raise ValueError("a bootstrap server is host:port (port 1-65535), e.g. broker-1.example.internal:9096")
    return server


class ClusterConfig(_Model):
    bootstrap_servers: Annotated[list[Annotated[str, AfterValidator(_host_port)]], Field(min_length=1)]
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None  # with the secret saslPassword; or give saslJaasConfig instead
    skip_tls_verify: bool = False
    ca_cert: str | None = None  # PEM file path (or PEM text) of a private CA; SSL/SASL_SSL only
    client_cert: str | None = None  # mTLS client certificate (file path); SSL/SASL_SSL only
    client_key: str | None = None  # its private key (file path)
    timeout_seconds: Count = 120
    # A preview may go on without the cluster (from the stack's state, said at the top) only where the
    # stack allows it: CI runners with no path to the brokers. `up` always reads the cluster first.
    preview_offline: bool = False
    # How long the program waits for the cluster it reads before declaring anything (safety/live_cluster.py).
    live_check_timeout_seconds: Annotated[float, number("a number of seconds, more than 0 and at most 60",
                                                         lambda v: 0 < v <= 60, int, float)] = 5
    aws_region: str | None = None  # AWS_MSK_IAM only: defaults to the region of msk.clusterArn
    aws_role_arn: str | None = None  # AWS_MSK_IAM only: role Pulumi assumes to reach the brokers
    aws_profile: str | None = None  # AWS_MSK_IAM only

    _region = field_validator("aws_region")(pattern(re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"), "an AWS region such as us-east-1"))
    _role = field_validator("aws_role_arn")(pattern(IAM_ROLE_ARN, "an IAM role ARN: arn:aws:iam::<account>:role/<name>"))

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


# --- topics ------------------------------------------------------------------------

class TopicTuning(_Model):
    """What a stack may set of one topic: the four topics' (topics.perTopic) and each database's (bridge.perDatabase)."""

    partitions: Count | None = None
    retention: Annotated[str | int | None, DURATION_JSON] = None
    configs: dict[str, str] = {}

    _retention = field_validator("retention", mode="before")(retention_check)

    @field_validator("configs", mode="before")
    @classmethod
    def _configs_are_strings(cls, v: Any) -> Any:
        # Kafka topic configs are strings; numbers in this map broke pulumi-kafka's topic waits.
        if isinstance(v, dict):
            bad = [k for k, x in v.items() if not isinstance(x, str)]
            if bad:
                raise ValueError(f"topic config values must be quoted strings (e.g. \"{bad[0]}\": \"...\"); not: {bad}")
        return v


class TopicSettings(TopicTuning):
    name: str | None = None

    _name = field_validator("name")(lambda v: v if v is None else topic_name(v))


class TopicsConfig(_Model):
    backend: Literal["kafka", "msk"] = "kafka"
    name_prefix: str = ""
    partitions: Count = 3
    max_partitions: Count = 100  # partitions can never be removed: more (a typo's extra zero) is refused
    replication_factor: Count = 3
    min_insync_replicas: Count | None = None
    protect: bool = True  # false only in throwaway test stacks: removing them then deletes their topics
    per_topic: dict[TopicKey, TopicSettings] = {}
    # The named override for changes Kafka cannot make in place (partition decrease, rename, an MSK
    # replication-factor change): the logical keys of the topics whose messages may be destroyed.
    accept_data_loss: list[TopicKey] = []
    accept_key_remap: list[TopicKey] = []  # all topics are keyed: an increase is refused unless listed here
    release_topics: list[TopicKey] = []  # shapes without fourTopics: the stack lets go of these, which stay

    _distinct = field_validator("accept_data_loss", "accept_key_remap", "release_topics")(distinct("topic key"))

    def effective_min_isr(self) -> int:
        """Durable default that scales with RF: RF 1 -> 1, RF 2 -> 1, RF >= 3 -> 2."""
        if self.min_insync_replicas is not None:
            return self.min_insync_replicas
        return min_isr_for(self.replication_factor)

    def name_of(self, key: str) -> str:
        explicit = self.per_topic.get(key, TopicSettings()).name  # type: ignore[arg-type]
        return explicit or f"{self.name_prefix}{BY_KEY[key].default_name}"


# --- msk, access, iam, network ---------------------------------------------------------

class MskConfig(_Model):
    cluster_arn: str
    public_access: bool = False  # clients use MSK's public endpoints (ports 919x)

    @field_validator("cluster_arn")
    @classmethod
    def _arn(cls, v: str) -> str:
        if not is_placeholder(v):
            MskClusterArn.parse(v)
        return v

    @property
    def arn(self) -> MskClusterArn | None:
        """None only while the ARN is still a placeholder (such a config never gets past parse())."""
        return None if is_placeholder(self.cluster_arn) else MskClusterArn.parse(self.cluster_arn)


class RoleSettings(_Model):
    # Kafka principals (User:name) on SASL/TLS clusters; IAM role names or ARNs on AWS_MSK_IAM ones.
    principals: list[str] = []

    def for_model(self) -> access_model.RoleSettings:
        """These settings as the access model takes them."""
        return access_model.RoleSettings(tuple(self.principals))


class ServerSettings(RoleSettings):
    group_prefix: str | None = None  # unset: every group, as the vendor documents; set: only these groups
    transactional_id_prefix: str | None = None  # its transactional producers, if any
    narrow_to_read_write: bool = False  # below the vendor's grants on purpose: Read/Write on its topics only

    _prefixes = field_validator("group_prefix", "transactional_id_prefix")(prefix_check)

    def for_model(self) -> access_model.RoleSettings:
        return access_model.RoleSettings(tuple(self.principals), self.group_prefix, self.transactional_id_prefix,
                                         self.narrow_to_read_write)


class ExternalConsumersSettings(RoleSettings):
    group_prefix: str = "evidentsource-external-"  # every external consumer group id starts with it

    _prefix = field_validator("group_prefix")(prefix_check)

    def for_model(self) -> access_model.RoleSettings:
        return access_model.RoleSettings(tuple(self.principals), self.group_prefix)


class BridgeSettings(RoleSettings):
    create_topics: bool = False  # Create and Describe on the bridge's topic prefix too (it then creates new databases' topics)

    def for_model(self) -> access_model.RoleSettings:
        return access_model.RoleSettings(tuple(self.principals), create_topics=self.create_topics)


class BridgeConsumersSettings(ExternalConsumersSettings):
    group_prefix: str = "evidentsource-bridge-"  # every consumer group id of the per-database topics starts with it
    databases: list[str] = []  # only these databases' topics; empty: every topic on the bridge's prefix

    def for_model(self) -> access_model.RoleSettings:
        return access_model.RoleSettings(tuple(self.principals), self.group_prefix, databases=tuple(self.databases))


class AccessConfig(_Model):
    create_scram_users: bool = False  # each principal's SCRAM credential, from principalPasswords
    unmanaged_bindings: Literal["report", "remove"] = "report"  # undeclared bindings on the stack's resources
    accept_access_loss: list[str] = []  # listed principals that may lose every grant or login they had ([access:lost])
    server: ServerSettings = ServerSettings()
    dynamodb_streams_lambda: RoleSettings = RoleSettings()
    external_consumers: ExternalConsumersSettings = ExternalConsumersSettings()
    external_producers: RoleSettings = RoleSettings()
    bridge: BridgeSettings = BridgeSettings()  # the bridge shape's roles (model/bridge.py)
    bridge_consumers: BridgeConsumersSettings = BridgeConsumersSettings()

    def roles(self) -> dict[str, RoleSettings]:
        """Role key, as in the YAML and the access model (`dynamodbStreamsLambda`) -> its settings."""
        return {self.key(name): getattr(self, name) for name in type(self).model_fields
                if isinstance(getattr(self, name), RoleSettings)}


class IamConfig(_Model):
    policy_name_prefix: str = "evidentsource-kafka-"
    policy_path: str = "/"

    _name = field_validator("policy_name_prefix")(pattern(re.compile(r"^[\w+=,.@-]{1,96}$"), "1-96 characters of A-Z a-z 0-9 + = , . @ _ -"))
    _path = field_validator("policy_path")(pattern(re.compile(r"^/(?:[\w+=,.@-]+/)*$"), "'/' or '/a/b/' (starts and ends with /)"))


_sg = pattern(re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"), "a security-group id: sg- and 8 or 17 hex digits")


class NetworkConfig(_Model):
    msk_security_group_id: str
    cluster_security_group_id: str | None = None  # the EvidentSource cluster's instances
    lambda_security_group_id: str | None = None  # EvidentSource's KafkaAccessSecurityGroup
    bridge_security_group_id: str | None = None  # the Kafka bridge's tasks (the bridge shape)

    _ids = field_validator("msk_security_group_id", "cluster_security_group_id", "lambda_security_group_id",
                           "bridge_security_group_id")(_sg)

    def sources(self) -> dict[str, str]:
        """Stable key -> source security group; the key names the ingress rule."""
        found = {"evidentsource-cluster": self.cluster_security_group_id, "lambda": self.lambda_security_group_id,
                 "bridge": self.bridge_security_group_id}
        return {k: v for k, v in found.items() if v}


# --- adopt: what already exists on the cluster -------------------------------------------

class AdoptConfig(_Model):
    """Import what the stack declares and the cluster already has (e.g. from the seed's shell commands),
    instead of creating it: the first `up` records it in state and changes only real differences in place."""

    topics: bool = False  # the four topics, where they exist under the expected names
    acls: bool = False  # the declared ACL bindings that exist exactly (Kafka-ACL stacks only)
    # Set only by tools/ops/adopt.py, in a temporary copy of the stack file for its preview: the run plans an
    # import document, so what exists is declared as a create (neither refused nor imported) and
    # `pulumi preview --import-file` lists it. Refused in `pulumi up`.
    import_document: bool = False


# --- the bridge shape (model/bridge.py) ------------------------------------------------------

class Shapes(RootModel[Annotated[list[Literal[bridge.SHAPES]], Field(min_length=1)]]):  # type: ignore[valid-type]
    """`shapes`: the four topics of the BYOK page (`fourTopics`), the bridge's per-database topics (`bridge`), or both."""

    model_config = ConfigDict(frozen=True, strict=True)
    root: Annotated[list[Literal[bridge.SHAPES]], Field(min_length=1)] = list(bridge.DEFAULT_SHAPES)  # type: ignore[valid-type]
    _distinct = field_validator("root")(distinct("shape"))


Database = Annotated[str, AfterValidator(pattern(DATABASE, DATABASE_FORM))]


class BridgeConfig(_Model):
    topic_prefix: str = bridge.DEFAULT_PREFIX  # each database's topic is <topicPrefix><database>.events
    databases: list[Database] = []  # the databases the stack knows, one topic each (A-Z a-z 0-9 _ -, no '.')
    partitions: Count | None = None  # default: topics.partitions
    replication_factor: Count | None = None  # default: topics.replicationFactor
    min_insync_replicas: Count | None = None  # default: as the four topics' (topics.minInsyncReplicas, or from the RF)
    retention: Annotated[str | int | None, DURATION_JSON] = None  # default: 7d
    per_database: dict[Database, TopicTuning] = {}
    accept_data_loss: list[str] = []  # as topics.acceptDataLoss, by database
    accept_key_remap: list[str] = []  # as topics.acceptKeyRemap, by database (keys are <stream>:<subject>)
    release_databases: list[Database] = []  # no longer in `databases`: the stack lets go of their topics, which stay

    _prefix = field_validator("topic_prefix")(pattern(BRIDGE_PREFIX, "1-200 characters of A-Z a-z 0-9 . _ -, not starting "
                                                      "with '_' (Kafka's and MSK's internal topics do), e.g. evidentsource."))
    _names = field_validator("databases", "accept_data_loss", "accept_key_remap", "release_databases")(distinct("database"))
    _retention = field_validator("retention", mode="before")(retention_check)


SECTIONS: dict[str, type[BaseModel]] = {"cluster": ClusterConfig, "topics": TopicsConfig, "msk": MskConfig,
                                        "access": AccessConfig, "iam": IamConfig, "network": NetworkConfig,
                                        "adopt": AdoptConfig, "shapes": Shapes, "bridge": BridgeConfig}

"""The stack settings' schema: typed sections, their formats and defaults.

Keys are camelCase in Pulumi.<stack>.yaml under the `evidentsource-kafka:` namespace
(pydantic's alias generator turns the Python names into them); unknown keys are refused as
typos, and types are strict (`true` is not 1, 2.0 is not 2, "3" is not 3, "yes" is not true). Rules
relating settings are in rules.py; stack_config.py is the validated whole; load.py reads and reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel

from components.model import access_model
from components.model.arns import IAM_ROLE_ARN, MskClusterArn
from components.model.catalog import BY_KEY, DAY_MS

PLACEHOLDER = "REPLACE_ME"
SECRET_KEYS = ("saslPassword", "saslJaasConfig", "principalPasswords")

TopicKey = Literal[tuple(BY_KEY)]  # type: ignore[valid-type]  # the catalogue's keys, in its order
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "AWS_MSK_IAM"]

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_PREFIX = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS}


def topic_name(value: str) -> str:
    if not _TOPIC_NAME.match(value) or value in (".", ".."):
        raise ValueError("a Kafka topic name is 1-249 characters of A-Z a-z 0-9 . _ - and not '.' or '..'")
    return value


_DURATION_FORM = "a duration is a positive number with a unit (ms, s, m, h, d), e.g. '1d' or '12h', or 'infinite'"
_DURATION_JSON = WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^([1-9]\d*(ms|s|m|h|d)|infinite|-1)$"},
                                           {"const": -1}, {"type": "null"}], "description": _DURATION_FORM})

def duration_ms(value: str | int) -> int:
    """'7d' -> 604800000; -1 or 'infinite' keeps messages forever (Kafka's -1)."""
    if type(value) in (int, str) and value in (-1, "-1", "infinite"):  # not True, not -1.0
        return -1
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValueError(_DURATION_FORM)
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def _number(allowed: str, ok: Callable[[Any], bool], *types: type) -> BeforeValidator:
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


Count = Annotated[int, _number("a whole number, at least 1", lambda v: v >= 1, int), WithJsonSchema({"type": "integer", "minimum": 1})]  # partitions, replicas, timeouts


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and PLACEHOLDER in value


def _pattern(regex: re.Pattern, allowed: str):
    # Placeholders pass here: they get their own message, and the relational checks still run.
    def check(value: str | None) -> str | None:
        if value is not None and not _is_placeholder(value) and not regex.match(value):
            raise ValueError(allowed)
        return value
    return check


class _Model(BaseModel):
    """Strict: unknown keys are typos, no value is converted (`true` is not 1, 2.0 is not 2); keys are camelCase."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True, strict=True)

    @classmethod
    def key(cls, field_name: str) -> str:  # the YAML key of a field: `aws_region` -> `awsRegion`
        return cls.model_fields[field_name].alias or field_name


# --- cluster: how Pulumi and clients reach the brokers ----------------------------

def _host_port(server: str) -> str:
    match = re.match(r"^[A-Za-z0-9.\-\[\]:]+:(\d{1,5})$", server)
    if not _is_placeholder(server) and (not match or not 0 < int(match.group(1)) < 65536):
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
    live_check_timeout_seconds: Annotated[float, _number("a number of seconds, more than 0 and at most 60",
                                                         lambda v: 0 < v <= 60, int, float)] = 5
    aws_region: str | None = None  # AWS_MSK_IAM only: defaults to the region of msk.clusterArn
    aws_role_arn: str | None = None  # AWS_MSK_IAM only: role Pulumi assumes to reach the brokers
    aws_profile: str | None = None  # AWS_MSK_IAM only

    _region = field_validator("aws_region")(_pattern(re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"), "an AWS region such as us-east-1"))
    _role = field_validator("aws_role_arn")(_pattern(IAM_ROLE_ARN, "an IAM role ARN: arn:aws:iam::<account>:role/<name>"))

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


# --- topics ------------------------------------------------------------------------

class TopicSettings(_Model):
    name: str | None = None
    partitions: Count | None = None
    retention: Annotated[str | int | None, _DURATION_JSON] = None
    configs: dict[str, str] = {}

    _name = field_validator("name")(lambda v: v if v is None else topic_name(v))

    @field_validator("retention", mode="before")
    @classmethod
    def _retention(cls, v: Any) -> Any:
        if v is not None:
            duration_ms(v)  # one message for any wrong value, not one per member of the union
        return v

    @field_validator("configs", mode="before")
    @classmethod
    def _configs_are_strings(cls, v: Any) -> Any:
        # Kafka topic configs are strings; numbers in this map broke pulumi-kafka's topic waits.
        if isinstance(v, dict):
            bad = [k for k, x in v.items() if not isinstance(x, str)]
            if bad:
                raise ValueError(f"topic config values must be quoted strings (e.g. \"{bad[0]}\": \"...\"); not: {bad}")
        return v


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

    @field_validator("accept_data_loss", "accept_key_remap")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"each topic key at most once, not {v}")
        return v

    def effective_min_isr(self) -> int:
        """Durable default that scales with RF: RF 1 -> 1, RF 2 -> 1, RF >= 3 -> 2."""
        if self.min_insync_replicas is not None:
            return self.min_insync_replicas
        return min(2, max(1, self.replication_factor - 1))

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
        if not _is_placeholder(v):
            MskClusterArn.parse(v)
        return v

    @property
    def arn(self) -> MskClusterArn | None:
        """None only while the ARN is still a placeholder (such a config never gets past parse())."""
        return None if _is_placeholder(self.cluster_arn) else MskClusterArn.parse(self.cluster_arn)


_prefix_check = _pattern(_PREFIX, "1-200 characters of A-Z a-z 0-9 . _ - (kept plain so ACLs and IAM ARNs match exactly)")


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

    _prefixes = field_validator("group_prefix", "transactional_id_prefix")(_prefix_check)

    def for_model(self) -> access_model.RoleSettings:
        return access_model.RoleSettings(tuple(self.principals), self.group_prefix, self.transactional_id_prefix,
                                         self.narrow_to_read_write)


class ExternalConsumersSettings(RoleSettings):
    group_prefix: str = "evidentsource-external-"  # every external consumer group id starts with it

    _prefix = field_validator("group_prefix")(_prefix_check)

    def for_model(self) -> access_model.RoleSettings:
        return access_model.RoleSettings(tuple(self.principals), self.group_prefix)


class AccessConfig(_Model):
    create_scram_users: bool = False  # each principal's SCRAM credential, from principalPasswords
    unmanaged_bindings: Literal["report", "remove"] = "report"  # undeclared bindings on the stack's resources
    accept_access_loss: list[str] = []  # listed principals that may lose every grant or login they had ([access:lost])
    server: ServerSettings = ServerSettings()
    dynamodb_streams_lambda: RoleSettings = RoleSettings()
    external_consumers: ExternalConsumersSettings = ExternalConsumersSettings()
    external_producers: RoleSettings = RoleSettings()

    def roles(self) -> dict[str, RoleSettings]:
        """Role key, as in the YAML and the access model (`dynamodbStreamsLambda`) -> its settings."""
        return {self.key(name): getattr(self, name) for name in type(self).model_fields
                if isinstance(getattr(self, name), RoleSettings)}


class IamConfig(_Model):
    policy_name_prefix: str = "evidentsource-kafka-"
    policy_path: str = "/"

    _name = field_validator("policy_name_prefix")(_pattern(re.compile(r"^[\w+=,.@-]{1,96}$"), "1-96 characters of A-Z a-z 0-9 + = , . @ _ -"))
    _path = field_validator("policy_path")(_pattern(re.compile(r"^/(?:[\w+=,.@-]+/)*$"), "'/' or '/a/b/' (starts and ends with /)"))


_sg = _pattern(re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"), "a security-group id: sg- and 8 or 17 hex digits")


class NetworkConfig(_Model):
    msk_security_group_id: str
    cluster_security_group_id: str | None = None  # the EvidentSource cluster's instances
    lambda_security_group_id: str | None = None  # EvidentSource's KafkaAccessSecurityGroup

    _ids = field_validator("msk_security_group_id", "cluster_security_group_id", "lambda_security_group_id")(_sg)

    def sources(self) -> dict[str, str]:
        """Stable key -> source security group; the key names the ingress rule."""
        found = {"evidentsource-cluster": self.cluster_security_group_id, "lambda": self.lambda_security_group_id}
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


SECTIONS: dict[str, type[_Model]] = {"cluster": ClusterConfig, "topics": TopicsConfig, "msk": MskConfig,
                                     "access": AccessConfig, "iam": IamConfig, "network": NetworkConfig,
                                     "adopt": AdoptConfig}

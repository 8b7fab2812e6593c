"""Typed, validated stack configuration: the only module that reads `pulumi.Config`.

Every problem in a stack's settings is reported at once, before any resource is
declared, each as one line naming the key, the value given and what is allowed.
Field types and formats are checked here (pydantic); rules that relate settings to
each other are one small function each in config_checks.py.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args, get_origin

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from components.arns import IAM_ROLE_ARN, MskClusterArn
from components.catalog import BY_KEY, CATALOG, DAY_MS

NAMESPACE = "evidentsource-kafka"
PLACEHOLDER = "REPLACE_ME"
SECRET_KEYS = ("saslPassword", "saslJaasConfig", "principalPasswords")

TopicKey = Literal["transactionProposals", "databaseEvents", "asyncCommands", "asyncResponses"]
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "AWS_MSK_IAM"]
Enforcer = Literal["kafka-acls", "msk-iam", "none"]

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_PREFIX = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS}


class ConfigError(pulumi.RunError):
    """Raised with every problem listed; pulumi shows it without a stack trace."""


def topic_name(value: str) -> str:
    if not _TOPIC_NAME.match(value) or value in (".", ".."):
        raise ValueError("a Kafka topic name is 1-249 characters of A-Z a-z 0-9 . _ - and not '.' or '..'")
    return value


def duration_ms(value: str | int) -> int:
    """'7d' -> 604800000; -1 or 'infinite' keeps messages forever (Kafka's -1)."""
    if value in (-1, "-1", "infinite"):
        return -1
    match = _DURATION.match(str(value))
    if not match or int(match.group(1)) == 0:
        raise ValueError("a duration is a positive number with a unit (ms, s, m, h, d), e.g. '1d' or '12h', or 'infinite'")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def _pattern(regex: re.Pattern, allowed: str):
    def check(value: str | None) -> str | None:
        if value is not None and not regex.match(value):
            raise ValueError(allowed)
        return value
    return check


class _Model(BaseModel):
    """Strict: unknown keys are typos and are refused; keys are camelCase in YAML."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


# --- cluster: how Pulumi and clients reach the brokers ----------------------------

class ClusterConfig(_Model):
    bootstrap_servers: Annotated[list[str], Field(min_length=1)]
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None  # with the secret saslPassword; or give saslJaasConfig instead
    skip_tls_verify: bool = False
    ca_cert: str | None = None  # PEM file path (or PEM text) of a private CA; SSL/SASL_SSL only
    client_cert: str | None = None  # mTLS client certificate (file path); SSL/SASL_SSL only
    client_key: str | None = None  # its private key (file path)
    timeout_seconds: Annotated[int, Field(ge=1)] = 120
    aws_region: str | None = None  # AWS_MSK_IAM only: defaults to the region of msk.clusterArn
    aws_role_arn: str | None = None  # AWS_MSK_IAM only: role Pulumi assumes to reach the brokers
    aws_profile: str | None = None  # AWS_MSK_IAM only

    _region = field_validator("aws_region")(_pattern(re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$"), "an AWS region such as us-east-1"))
    _role = field_validator("aws_role_arn")(_pattern(IAM_ROLE_ARN, "an IAM role ARN: arn:aws:iam::<account>:role/<name>"))

    @field_validator("bootstrap_servers")
    @classmethod
    def _host_port(cls, v: list[str]) -> list[str]:
        for s in v:
            match = re.match(r"^[A-Za-z0-9.\-\[\]:]+:(\d{1,5})$", s)
            if not match or not 0 < int(match.group(1)) < 65536:
                raise ValueError(f"each bootstrap server is host:port (port 1-65535); not: {s!r}")
        return v

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


# --- topics ------------------------------------------------------------------------

class TopicSettings(_Model):
    name: str | None = None
    partitions: Annotated[int, Field(ge=1)] | None = None
    retention: str | int | None = None
    configs: dict[str, str] = {}

    _name = field_validator("name")(lambda v: v if v is None else topic_name(v))

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: str | int | None) -> str | int | None:
        if v is not None:
            duration_ms(v)
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
    partitions: Annotated[int, Field(ge=1)] = 3
    replication_factor: Annotated[int, Field(ge=1)] = 3
    min_insync_replicas: Annotated[int, Field(ge=1)] | None = None
    protect: bool = True
    per_topic: dict[TopicKey, TopicSettings] = {}

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
        MskClusterArn.parse(v)
        return v

    @property
    def arn(self) -> MskClusterArn:
        return MskClusterArn.parse(self.cluster_arn)


_prefix_check = _pattern(_PREFIX, "1-200 characters of A-Z a-z 0-9 . _ - (kept plain so ACLs and IAM ARNs match exactly)")


class RoleSettings(_Model):
    # Kafka principals (User:name) on SASL/TLS clusters; IAM role names or ARNs on AWS_MSK_IAM ones.
    principals: list[str] = []


class ServerSettings(RoleSettings):
    group_prefix: str | None = None  # the server's own consumer groups, if it uses any
    transactional_id_prefix: str | None = None  # its transactional producers, if any

    _prefixes = field_validator("group_prefix", "transactional_id_prefix")(_prefix_check)


class ExternalConsumersSettings(RoleSettings):
    group_prefix: str = "evidentsource-external-"  # every external consumer group id starts with it

    _prefix = field_validator("group_prefix")(_prefix_check)


class AccessConfig(_Model):
    create_scram_users: bool = False  # create each principal's SCRAM credential from principalPasswords
    server: ServerSettings = ServerSettings()
    dynamodb_streams_lambda: RoleSettings = RoleSettings()
    external_consumers: ExternalConsumersSettings = ExternalConsumersSettings()
    external_producers: RoleSettings = RoleSettings()


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


SECTIONS: dict[str, type[_Model]] = {"cluster": ClusterConfig, "topics": TopicsConfig, "msk": MskConfig,
                                     "access": AccessConfig, "iam": IamConfig, "network": NetworkConfig}


# --- secrets -----------------------------------------------------------------------

class Secret:
    """A secret value: redacted whenever printed, a secret Output whenever given to Pulumi."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def __repr__(self) -> str:
        return "Secret(***)"

    def reveal(self) -> str:
        return self._value

    def output(self) -> pulumi.Output[str]:
        return pulumi.Output.secret(self._value)


@dataclass(frozen=True)
class SaslLogin:
    username: str
    password: Secret


# --- the validated whole ----------------------------------------------------------------

@dataclass(frozen=True)
class StackConfig:
    cluster: ClusterConfig
    topics: TopicsConfig = TopicsConfig()
    access: AccessConfig = AccessConfig()
    msk: MskConfig | None = None
    iam: IamConfig = IamConfig()
    network: NetworkConfig | None = None
    login: SaslLogin | None = None  # Pulumi's own identity on SASL/PLAIN and SASL/SCRAM clusters
    principal_passwords: dict[str, Secret] = field(default_factory=dict)  # SCRAM/PLAIN user name -> password

    @property
    def enforcer(self) -> Enforcer:
        return enforcer_for(self.cluster)

    def topic_names(self) -> dict[str, str]:
        return {t.key: self.topics.name_of(t.key) for t in CATALOG}

    @property
    def needs_aws(self) -> bool:
        return self.topics.backend == "msk" or self.enforcer == "msk-iam" or self.network is not None

    @property
    def needs_kafka_provider(self) -> bool:
        return self.topics.backend == "kafka" or self.enforcer == "kafka-acls" or self.access.create_scram_users


def enforcer_for(cluster: ClusterConfig) -> Enforcer:
    """AWS_MSK_IAM clients are governed by IAM policies (Kafka ACLs do not apply to them);
    SASL and TLS clients by Kafka ACLs; PLAINTEXT identifies no one, so nothing can be enforced."""
    if cluster.sasl_mechanism == "AWS_MSK_IAM":
        return "msk-iam"
    return "none" if cluster.security_protocol == "PLAINTEXT" else "kafka-acls"


class Problems:
    """Collects one line per problem: key, value given, what is allowed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, value: Any, message: str) -> None:
        self.lines.append(f"{NAMESPACE}:{key} = {value!r}: {message}")

    def missing(self, key: str, message: str) -> None:
        self.lines.append(f"{NAMESPACE}:{key}: missing; {message}")


def _known_keys(loc: tuple, model: Any) -> list[str]:
    """The keys allowed at the place of an unknown key, for 'did you mean'."""
    for part in loc[:-1]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            fields = {f.alias or n: f.annotation for n, f in model.model_fields.items()}
            model = fields.get(part)
        elif get_origin(model) is dict:
            model = get_args(model)[1]
        while get_origin(model) is not None and get_origin(model) is not dict:  # Optional[...] etc.
            model = next((a for a in get_args(model) if a is not type(None)), None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or n for n, f in model.model_fields.items()]
    return []


def _value_at(raw: Any, loc: tuple) -> Any:
    for part in loc:
        if isinstance(raw, dict):
            raw = raw.get(part)
        elif isinstance(raw, list) and isinstance(part, int) and part < len(raw):
            raw = raw[part]
        else:
            return None
    return raw


def _dotted(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _report_validation(section: str, model: type[_Model], raw: dict, exc: ValidationError,
                       skip: set[str], problems: Problems) -> None:
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if p != "[key]")
        key = _dotted((section, *loc))
        if any(key == s or key.startswith(s + ".") or key.startswith(s + "[") for s in skip):
            continue  # already reported as a placeholder
        if error["type"] == "extra_forbidden":
            known = _known_keys(loc, model)
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.add(key, _value_at(raw, loc), f"unknown key (a typo?); {hint}known keys: {', '.join(known)}")
        elif error["type"] == "missing":
            problems.missing(key, "required")
        else:
            problems.add(key, _value_at(raw, loc), error["msg"].removeprefix("Value error, "))


def _without_unknown_keys(model: type[_Model], raw: Any, exc: ValidationError) -> Any:
    """The section with its typos dropped, if that is its only fault, so that the
    relational checks still run; INVALID otherwise."""
    if any(e["type"] != "extra_forbidden" for e in exc.errors()):
        return INVALID
    trimmed = json.loads(json.dumps(raw))
    for error in exc.errors():
        *parents, last = error["loc"]
        container = _value_at(trimmed, tuple(parents))
        if isinstance(container, dict):
            container.pop(last, None)
    try:
        return model.model_validate(trimmed)
    except ValidationError:
        return INVALID


def _placeholders(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if PLACEHOLDER in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{path}[{i}]")]
    return []


INVALID: Any = object()  # a section that failed validation; checks that need it are skipped


def parse(raw: dict[str, Any]) -> StackConfig:
    """Validate a stack's raw settings (as in Pulumi.<stack>.yaml, without the namespace)."""
    from components import config_checks  # the relational rules; they need the models above

    problems = Problems()
    for key in raw:
        if key not in SECTIONS and key not in SECRET_KEYS:
            close = difflib.get_close_matches(key, [*SECTIONS, *SECRET_KEYS], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.add(key, "..." if key in SECRET_KEYS else raw[key],
                         f"unknown key (a typo?); {hint}known keys: {', '.join([*SECTIONS, *SECRET_KEYS])}")
    placeholders = [p for k in SECTIONS if k in raw for p in _placeholders(raw[k], k)]
    for path in placeholders:
        problems.add(path, _value_at(raw, _parse_path(path)), config_checks.placeholder_hint(path))
    sections: dict[str, Any] = {}
    for key, model in SECTIONS.items():
        if key not in raw:
            sections[key] = None
            continue
        try:
            sections[key] = model.model_validate(raw[key])
        except ValidationError as exc:
            _report_validation(key, model, raw[key], exc, set(placeholders), problems)
            sections[key] = _without_unknown_keys(model, raw[key], exc)
    if sections["cluster"] is None:
        problems.missing("cluster", "every stack names its brokers: cluster.bootstrapServers and cluster.securityProtocol")
        sections["cluster"] = INVALID
    draft = config_checks.Draft(raw=raw, **sections)
    config_checks.run_all(draft, problems)
    if problems.lines:
        raise ConfigError(f"Invalid stack configuration ({len(problems.lines)} problem(s)); nothing was changed:\n  - "
                          + "\n  - ".join(problems.lines))
    return StackConfig(
        cluster=draft.cluster, topics=draft.topics or TopicsConfig(), access=draft.access or AccessConfig(),
        msk=draft.msk, iam=draft.iam or IamConfig(), network=draft.network,
        login=draft.login(), principal_passwords=draft.principal_passwords())


def _parse_path(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path))


def load() -> StackConfig:
    """Read and validate the current stack's configuration."""
    return parse(raw_stack_config())


def raw_stack_config() -> dict[str, Any]:
    """Every `evidentsource-kafka:*` value of the stack, objects decoded from JSON."""
    # The engine passes config in the environment; mocks and inline programs set it in-process.
    values = {**pulumi.runtime.get_config_env(), **runtime_config.CONFIG.get()}
    raw: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    for full_key, value in values.items():
        if full_key.startswith(prefix):
            key = full_key[len(prefix):]
            try:
                raw[key] = json.loads(value) if key in SECTIONS or key == "principalPasswords" else value
            except ValueError:
                raw[key] = value
    return raw

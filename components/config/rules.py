"""How the rules that relate one stack setting to another are written and run.

Each rule is one small function in a *_rules.py module of this package, registered with
`@check(<sections it needs>)`. It reports through `Problems` (key, value, what is allowed)
and is skipped when a section it needs already failed its own validation, so one mistake
gives one message. Secrets are validated too, but never printed (secret_rules.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from components.config.schema import AccessConfig, AdoptConfig, TopicsConfig
from components.config.secrets import SaslLogin, Secret
from components.model import jaas
from components.model.names import NAMESPACE

INVALID: Any = object()  # a section that failed its own validation; checks that need it are skipped


class Problems:
    """Collects one line per problem: key, value given, what is allowed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, value: Any, message: str) -> None:
        self.lines.append(f"{NAMESPACE}:{key} = {value!r}: {message}")

    def missing(self, key: str, message: str) -> None:
        self.lines.append(f"{NAMESPACE}:{key}: missing; {message}")


_HINTS = {
    "msk.clusterArn": "the ARN from `aws kafka list-clusters --query 'ClusterInfoList[].ClusterArn'`",
    "cluster.bootstrapServers": "the brokers from `aws kafka get-bootstrap-brokers --cluster-arn <arn>` (or your own)",
    "SecurityGroupId": "the sg-... id from `aws ec2 describe-security-groups`",
    "principals": "the principal (User:<name>, or an IAM role name/ARN on AWS_MSK_IAM clusters)",
}


def placeholder_hint(path: str) -> str:
    hint = next((h for k, h in _HINTS.items() if k in path), "your own value")
    return f"still the example's placeholder: replace it with {hint}"


@dataclass
class Draft:
    """The sections as validated so far: a model, None (absent) or INVALID."""

    raw: dict
    cluster: Any
    topics: Any
    msk: Any
    access: Any
    iam: Any
    network: Any
    adopt: Any = None

    def __post_init__(self) -> None:
        self.iam_given = self.iam is not None
        self.topics = TopicsConfig() if self.topics is None else self.topics
        self.access = AccessConfig() if self.access is None else self.access
        self.adopt = AdoptConfig() if self.adopt is None else self.adopt

    def secret_text(self, key: str) -> str | None:
        value = self.raw.get(key)
        return value if isinstance(value, str) else None

    def login(self) -> SaslLogin | None:
        """Pulumi's own SASL login: from saslJaasConfig, or saslUsername + saslPassword."""
        if self.cluster.sasl_mechanism in (None, "AWS_MSK_IAM"):
            return None
        if (text := self.secret_text("saslJaasConfig")) is not None:
            options = jaas.parse(text).options
            return SaslLogin(options["username"], Secret(options["password"]))
        return SaslLogin(self.cluster.sasl_username, Secret(self.raw["saslPassword"]))

    def principal_passwords(self) -> dict[str, Secret]:
        return {k: Secret(v) for k, v in (self.raw.get("principalPasswords") or {}).items()}

    def role_principals(self) -> dict[str, list[str]]:
        """Role key (as in the YAML) -> its principals."""
        return {key: settings.principals for key, settings in self.access.roles().items()}


Check = Callable[[Draft, Problems], None]
CHECKS: list[Check] = []


def check(*sections: str) -> Callable[[Check], Check]:
    """Register a check that runs only when `sections` passed their own validation."""
    def register(fn: Check) -> Check:
        @functools.wraps(fn)
        def guarded(d: Draft, p: Problems) -> None:
            if all(getattr(d, s) is not INVALID for s in sections):
                fn(d, p)
        CHECKS.append(guarded)
        return guarded
    return register


def run_all(d: Draft, p: Problems, order: Sequence[ModuleType]) -> None:
    """Every registered rule, module by module in `order` (causes before consequences: the cluster's
    problems before those of the principals it cannot tell apart), each module's rules as written."""
    for module in order:
        for fn in CHECKS:
            if fn.__module__ == module.__name__:
                fn(d, p)


def auth_consistent(c: Any) -> bool:
    """Whether protocol and mechanism fit; if not, checks built on them stay quiet (one message)."""
    sasl = c.security_protocol.startswith("SASL_")
    return sasl == (c.sasl_mechanism is not None) and (c.sasl_mechanism != "AWS_MSK_IAM" or c.security_protocol == "SASL_SSL")

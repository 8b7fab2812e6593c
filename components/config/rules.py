"""How the rules that relate one stack setting to another are written and run.

Each rule is one small function in a *_rules.py module of this package, registered with
`@check(<the key paths it reads>)`. It reports through `Problems` (key, value, what is allowed)
and is skipped when a key it reads is not sound: it failed its own validation (schema.py), is
missing, or an earlier rule already reported it. So every section is checked, whatever is wrong
elsewhere, and one mistake gives one message, not its consequences too. Secrets are validated
too, but never printed: `Problems` masks them by value in every line (secret_rules.py).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

from components.config.schema import SECRET_KEYS, AccessConfig, AdoptConfig, BridgeConfig, Shapes, TopicsConfig
from components.config.secrets import SaslLogin, Secret
from components.model import jaas
from components.model.names import NAMESPACE

INVALID: Any = object()  # a section that is not an object at all (or the missing cluster): nothing in it is read
MASKED = "***"
_MASK_BY_SUBSTRING = 4  # shorter secrets are masked only where they are the whole value


def related(a: str, b: str) -> bool:
    """Whether one key path is the other, or inside it (`cluster` and `cluster.saslMechanism`)."""
    return a == b or any(x.startswith(y) and x[len(y)] in ".[" for x, y in ((a, b), (b, a)) if len(x) > len(y))


class Problems:
    """One line per key: the key, the value given (secrets masked), what is allowed."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._found: dict[str, tuple[str | None, list[str]]] = {}
        self._secrets = sorted({s for s in secrets if isinstance(s, str) and s}, key=len, reverse=True)

    def add(self, key: str, value: Any, message: str) -> None:
        shown = MASKED if isinstance(value, str) and value in self._secrets else value
        self._put(key, self.mask(repr(shown)), message)

    def missing(self, key: str, message: str) -> None:
        self._put(key, None, message)

    def _put(self, key: str, shown: str | None, message: str) -> None:
        _, messages = self._found.setdefault(key, (shown, []))
        if message not in messages:
            messages.append(message)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if len(secret) >= _MASK_BY_SUBSTRING:
                text = text.replace(secret, MASKED).replace(repr(secret)[1:-1], MASKED)
        return text

    @property
    def keys(self) -> list[str]:
        return list(self._found)

    @property
    def lines(self) -> list[str]:
        return [self.mask(f"{NAMESPACE}:{key}" + (": missing; " if shown is None else f" = {shown}: ") + "; ".join(messages))
                for key, (shown, messages) in self._found.items()]


def dotted(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def value_at(raw: Any, loc: tuple) -> Any:
    for part in loc:
        if isinstance(raw, dict):
            raw = raw.get(part)
        elif isinstance(raw, list) and isinstance(part, int) and part < len(raw):
            raw = raw[part]
        else:
            return None
    return raw


def unknown_key(problems: Problems, key: str, value: Any, known: list[str]) -> str | None:
    """Report a typo; return the known key it most likely meant."""
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    secret_like = bool(close) and close[0] in SECRET_KEYS  # a mistyped password is still a password
    problems.add(key, "***" if secret_like else value, f"unknown key (a typo?); {hint}known keys: {', '.join(known)}")
    return close[0] if close else None


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
    """The sections as validated so far: a model (missing only what failed validation), None (absent)
    or INVALID; `unsound` the key paths that are not to be read (see `ok`)."""

    raw: dict
    cluster: Any
    topics: Any
    msk: Any
    access: Any
    iam: Any
    network: Any
    adopt: Any = None
    shapes: Any = None
    bridge: Any = None
    unsound: set[str] = field(default_factory=set)  # failed validation, placeholders, missing sections
    secret_keys: frozenset[str] | None = None  # keys the engine holds encrypted; None: not known (unit tests, tools)
    stack: str | None = None
    reported: Callable[[], list[str]] = list  # the keys problems were reported for so far

    def __post_init__(self) -> None:
        self.iam_given = self.iam is not None
        self.topics = TopicsConfig() if self.topics is None else self.topics
        self.access = AccessConfig() if self.access is None else self.access
        self.adopt = AdoptConfig() if self.adopt is None else self.adopt
        self.bridge_given = self.bridge is not None
        self.shapes = Shapes() if self.shapes in (None, INVALID) else self.shapes
        self.bridge = BridgeConfig() if self.bridge is None else self.bridge

    def ok(self, *paths: str) -> bool:
        """Whether every one of these key paths may be read: valid, and not reported by an earlier rule."""
        bad = [*self.unsound, *self.reported()]
        return not any(related(path, b) for path in paths for b in bad)

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


def check(*paths: str) -> Callable[[Check], Check]:
    """Register a check that runs only when the key paths it reads are sound (`Draft.ok`)."""
    def register(fn: Check) -> Check:
        @functools.wraps(fn)
        def guarded(d: Draft, p: Problems) -> None:
            if d.ok(*paths):
                fn(d, p)
        CHECKS.append(guarded)
        return guarded
    return register


def run_all(d: Draft, p: Problems, order: Sequence[ModuleType]) -> None:
    """Every registered rule, module by module in `order` (causes before consequences: the cluster's
    problems before those of the principals it cannot tell apart), each module's rules as written."""
    d.reported = lambda: p.keys
    for module in order:
        for fn in CHECKS:
            if fn.__module__ == module.__name__:
                fn(d, p)


def auth_consistent(c: Any) -> bool:
    """Whether protocol and mechanism fit; if not, checks built on them stay quiet (one message)."""
    sasl = c.security_protocol.startswith("SASL_")
    return sasl == (c.sasl_mechanism is not None) and (c.sasl_mechanism != "AWS_MSK_IAM" or c.security_protocol == "SASL_SSL")

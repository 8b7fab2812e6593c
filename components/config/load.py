"""Read and validate a stack's settings: the only module that reads `pulumi.Config`.

Every problem in a stack's settings is reported at once, before any resource is
declared, each as one line naming the key, the value given and what is allowed
(secrets redacted). The schema is in schema.py, the relational rules in the
*_rules.py modules (run in the order of `RULES`), the result in stack_config.py.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, get_args, get_origin

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import BaseModel, ValidationError

from components.config import access_rules, adopt_rules, cluster_rules, rules, secret_rules, topic_rules
from components.config.rules import INVALID, Problems
from components.config.schema import PLACEHOLDER, SECRET_KEYS, SECTIONS, AccessConfig, IamConfig, TopicsConfig, _Model
from components.config.stack_config import StackConfig
from components.model.names import NAMESPACE


# The relational rules, in the order their problems are listed: a cause before its consequences.
RULES = (cluster_rules, topic_rules, access_rules, secret_rules, adopt_rules)


class ConfigError(pulumi.RunError):
    """Raised with every problem listed; pulumi shows it without a stack trace."""


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


def parse(raw: dict[str, Any], secret_keys: frozenset[str] = frozenset()) -> StackConfig:
    """Validate a stack's raw settings (as in Pulumi.<stack>.yaml, without the namespace).

    `secret_keys` are the keys set with --secret: a typo in one of them must not print it.
    """
    problems = Problems()
    for key in raw:
        if key not in SECTIONS and key not in SECRET_KEYS:
            close = difflib.get_close_matches(key, [*SECTIONS, *SECRET_KEYS], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.add(key, "***" if key in secret_keys else raw[key],
                         f"unknown key (a typo?); {hint}known keys: {', '.join([*SECTIONS, *SECRET_KEYS])}")
    placeholders = [p for k in SECTIONS if k in raw for p in _placeholders(raw[k], k)]
    for path in placeholders:
        problems.add(path, _value_at(raw, _parse_path(path)), rules.placeholder_hint(path))
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
    draft = rules.Draft(raw=raw, **sections)
    rules.run_all(draft, problems, RULES)
    if problems.lines:
        raise ConfigError(f"Invalid stack configuration ({len(problems.lines)} problem(s)); nothing was changed:\n  - "
                          + "\n  - ".join(problems.lines))
    return StackConfig(
        cluster=draft.cluster, topics=draft.topics or TopicsConfig(), access=draft.access or AccessConfig(),
        msk=draft.msk, iam=draft.iam or IamConfig(), network=draft.network, adopt=draft.adopt,
        login=draft.login(), principal_passwords=draft.principal_passwords())


def _parse_path(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path))


def load() -> StackConfig:
    """Read and validate the current stack's configuration."""
    raw = raw_stack_config()
    from_engine = set(runtime_config.get_config_secret_keys_env())
    secret = {k for k in raw if f"{NAMESPACE}:{k}" in from_engine or runtime_config.is_config_secret(f"{NAMESPACE}:{k}")}
    return parse(raw, frozenset(secret))


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

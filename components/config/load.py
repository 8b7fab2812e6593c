"""Read and validate a stack's settings: the only module that reads `pulumi.Config`.

Every problem in a stack's settings is reported at once, before any resource is declared, each
as one line naming the key, the value given and what is allowed (secrets masked by value). Every
section is checked whatever is wrong in another; a mistake is reported once, not with its
consequences: a section with a bad value keeps the rest of it (validated field by field) for the
relational rules, and the bad key paths are marked unsound, so rules that read them stay quiet (rules.py).
A password the engine does not hold encrypted is refused, with the command that encrypts it. The schema
is in schema.py, the relational rules in the *_rules.py modules (run in the order of `RULES`), the result
in stack_config.py.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from pathlib import Path
from typing import Any, get_args, get_origin

import pulumi
import pulumi.runtime.config as runtime_config
import yaml
from pydantic import BaseModel, ValidationError

from components.config import access_rules, adopt_rules, bridge_rules, cluster_rules, rules, secret_rules, topic_rules
from components.config.rules import INVALID, Problems, dotted, related, unknown_key, value_at
from components.config.schema import PLACEHOLDER, SECRET_KEYS, SECTIONS, AccessConfig, IamConfig, TopicsConfig
from components.config.stack_config import StackConfig
from components.model.names import NAMESPACE


# The relational rules, in the order their problems are listed: a cause before its consequences.
RULES = (cluster_rules, topic_rules, bridge_rules, access_rules, secret_rules, adopt_rules)


class ConfigError(pulumi.RunError):
    """Raised with every problem listed; pulumi shows it without a stack trace."""


# --- a section's own validation (schema.py): its problems, and what of it is still sound ---------------

# What is allowed, for pydantic's own error types (rules and validators say it themselves).
_ALLOWED = {
    "bool_type": "true or false (unquoted)",
    "string_type": "a string",
    "list_type": "a list, e.g. [a, b]",
    "dict_type": "an object of key: value settings",
    "model_type": "an object of key: value settings",
    "model_attributes_type": "an object of key: value settings",
    "too_short": "at least one entry",
}


def _model_at(model: Any, loc: tuple) -> Any:
    """The model class at `loc` (dict keys and list indices stepped over), or None."""
    for part in loc:
        while get_origin(model) is not None and get_origin(model) not in (dict, list):  # Optional[...], Annotated
            model = next((a for a in get_args(model) if a is not type(None)), None)
        if isinstance(model, type) and issubclass(model, BaseModel):
            fields = {f.alias or n: f.annotation for n, f in model.model_fields.items()}
            model = fields.get(part)
        elif get_origin(model) in (dict, list):
            model = get_args(model)[-1]
    while get_origin(model) is not None and get_origin(model) not in (dict, list):
        model = next((a for a in get_args(model) if a is not type(None)), None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _known_keys(model: Any, parent: tuple) -> list[str]:
    found = _model_at(model, parent)
    return [f.alias or n for n, f in found.model_fields.items()] if found else []


def _meant(name: str, model: Any, raw: Any, loc: tuple) -> str | None:
    """The known key an unknown one is a typo of, if that key is not set: its absence is the typo's doing."""
    close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc[:-1]), n=1)
    parent = value_at(raw, loc[:-1])
    return dotted((name, *loc[:-1], close[0])) if close and isinstance(parent, dict) and close[0] not in parent else None


def _cut(raw: dict, loc: tuple) -> tuple | None:
    """Remove from `raw` the entry that holds the bad value at `loc` (a whole list if the value is in one);
    return the path of what was removed, or None if nothing is there."""
    container, cut = raw, None
    for i, part in enumerate(loc):
        if not isinstance(container, dict) or part not in container:
            break
        cut = loc[:i + 1]
        if isinstance(container[part], list):
            break
        container = container[part]
    if cut is None:
        return None
    parent = value_at(raw, cut[:-1])
    parent.pop(cut[-1], None)
    return cut


def _section(name: str, model: type[BaseModel], raw: Any, problems: Problems, skip: set[str]) -> tuple[Any, set[str]]:
    """Validate one section: report its problems (except under the paths in `skip`, reported already)
    and return the section as far as it is sound (None if it is not an object) with its unsound paths."""
    try:
        return model.model_validate(raw), set()
    except ValidationError as exc:
        errors = exc.errors()
    unsound: set[str] = set()
    kept = copy.deepcopy(raw) if isinstance(raw, dict) else None
    locs = [tuple(p for p in e["loc"] if p != "[key]") for e in errors]
    meant = {m for e, loc in zip(errors, locs) if e["type"] == "extra_forbidden" and (m := _meant(name, model, raw, loc))}
    for error, loc in zip(errors, locs):
        key = dotted((name, *loc))
        if kept is not None and error["type"] != "missing":
            cut = _cut(kept, loc)
            unsound.add(dotted((name, *cut)) if cut else key)
        if error["type"] == "missing":
            unsound.add(key)
        if any(related(key, s) for s in skip) or key in meant:
            continue  # reported already: a placeholder, or the typo of this key
        if error["type"] == "extra_forbidden":
            unknown_key(problems, key, value_at(raw, loc), _known_keys(model, loc[:-1]))
        elif error["type"] == "missing":
            problems.missing(key, "required")
        else:
            message = _ALLOWED.get(error["type"]) or error["msg"].removeprefix("Value error, ")
            problems.add(key, value_at(raw, loc), message)
    unsound |= meant
    if kept is None:
        return None, unsound | {name}
    return _field_by_field(name, model, kept, unsound), unsound


def _field_by_field(name: str, model: type[BaseModel], kept: dict, unsound: set[str]) -> BaseModel:
    """The section with each sound field validated on its own; unsound ones keep their default (or stay unset)."""
    partial = model.model_construct()
    names = {f.alias or n: n for n, f in model.model_fields.items()}
    for alias, value in kept.items():
        if alias in names:
            try:
                model.__pydantic_validator__.validate_assignment(partial, names[alias], value)
            except ValidationError:
                unsound.add(f"{name}.{alias}")
    return partial



def _placeholders(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if PLACEHOLDER in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{path}[{i}]")]
    return []


def parse(raw: dict[str, Any], secret_keys: frozenset[str] | None = None, stack: str | None = None) -> StackConfig:
    """Validate a stack's raw settings (as in Pulumi.<stack>.yaml, without the namespace).

    `secret_keys`: the key paths the engine holds encrypted (set with --secret); their values are never
    shown, and a password outside them is refused as plain text. None when not known (tests and tools
    that parse settings themselves): then nothing is refused for that. `stack` names the stack in commands.
    """
    problems = Problems(secret_rules.secret_values(raw, secret_keys or frozenset()))
    unsound: set[str] = set()
    known = [*SECTIONS, *SECRET_KEYS]
    for key in raw:
        if key not in known:
            shown = "***" if key in (secret_keys or ()) else raw[key]
            if (meant := unknown_key(problems, key, shown, known)) is not None and meant not in raw:
                unsound.add(meant)  # its absence is the typo's doing, not a problem of its own
    placeholders = [p for k in SECTIONS if k in raw for p in _placeholders(raw[k], k)]
    for path in placeholders:
        problems.add(path, value_at(raw, _parse_path(path)), rules.placeholder_hint(path))
    unsound.update(placeholders)
    sections: dict[str, Any] = {}
    for key, model in SECTIONS.items():
        if key not in raw:
            sections[key] = None
            continue
        section, bad = _section(key, model, raw[key], problems, set(placeholders))
        sections[key] = INVALID if section is None else section
        unsound |= bad
    if sections["cluster"] is None:
        if "cluster" not in unsound:
            problems.missing("cluster", "every stack names its brokers: cluster.bootstrapServers and cluster.securityProtocol")
        sections["cluster"] = INVALID
        unsound.add("cluster")
    draft = rules.Draft(raw=raw, **sections, unsound=unsound, secret_keys=secret_keys, stack=stack)
    rules.run_all(draft, problems, RULES)
    if problems.lines:
        raise ConfigError(f"Invalid stack configuration ({len(problems.lines)} problem(s)); nothing was changed:\n  - "
                          + "\n  - ".join(problems.lines))
    return StackConfig(
        cluster=draft.cluster, topics=draft.topics or TopicsConfig(), access=draft.access or AccessConfig(),
        msk=draft.msk, iam=draft.iam or IamConfig(), network=draft.network, adopt=draft.adopt,
        shapes=tuple(draft.shapes.root), bridge=draft.bridge,
        login=draft.login(), principal_passwords=draft.principal_passwords())


def _parse_path(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path))


def load() -> StackConfig:
    """Read and validate the current stack's configuration."""
    raw = raw_stack_config()
    from_engine = set(runtime_config.get_config_secret_keys_env())
    secret = {k for k in raw if f"{NAMESPACE}:{k}" in from_engine or runtime_config.is_config_secret(f"{NAMESPACE}:{k}")}
    stack = pulumi.get_stack()
    return parse(raw, frozenset(_refined(secret, raw, stack)), stack)


def raw_stack_config() -> dict[str, Any]:
    """Every `evidentsource-kafka:*` value of the stack, objects decoded from JSON."""
    # The engine passes config in the environment; mocks and inline programs set it in-process.
    return decode({**pulumi.runtime.get_config_env(), **runtime_config.CONFIG.get()})


def decode(values: dict[str, Any]) -> dict[str, Any]:
    """The `evidentsource-kafka:*` values of a stack's configuration as the engine passes them (full keys, objects
    as JSON text), without the namespace and with objects decoded. Also read by the access providers (configure)."""
    raw: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    for full_key, value in values.items():
        if full_key.startswith(prefix):
            key = full_key[len(prefix):]
            try:
                raw[key] = json.loads(value) if isinstance(value, str) and (
                    key in SECTIONS or key == "principalPasswords") else value
            except ValueError:
                raw[key] = value
    return raw


def _refined(secret: set[str], raw: dict[str, Any], stack: str) -> set[str]:
    """The engine marks a whole object secret when any value in it is: where the stack file holds some of the
    principals' passwords encrypted and some in plain text (the same values the engine gave), only the
    encrypted ones count as secret."""
    passwords = raw.get("principalPasswords")
    if "principalPasswords" not in secret or not isinstance(passwords, dict):
        return secret
    in_file = (_stack_file(stack) or {}).get(f"{NAMESPACE}:principalPasswords")
    if not isinstance(in_file, dict):
        return secret
    plain = {u for u, v in in_file.items() if isinstance(v, str) and passwords.get(u) == v}
    if not plain:
        return secret
    return secret - {"principalPasswords"} | {f"principalPasswords.{u}" for u in passwords if u not in plain}


def _stack_file(stack: str) -> dict | None:
    """The `config` of Pulumi.<stack>.yaml, where the project keeps stack files; None if there is none to read."""
    root = pulumi.runtime.get_root_directory() if hasattr(pulumi.runtime, "get_root_directory") else None
    try:
        project = yaml.safe_load((Path(root) / "Pulumi.yaml").read_text()) or {}
        path = Path(root) / project.get("stackConfigDir", ".") / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"
        return (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    except (OSError, TypeError, yaml.YAMLError, AttributeError):
        return None

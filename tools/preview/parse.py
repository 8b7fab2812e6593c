"""A `pulumi preview --json` result, in either of its two shapes, as plain data.

- The digest: one JSON object (config, steps, diagnostics, changeSummary), what
  `pulumi preview --json` prints by default.
- The event stream: one engine event per line, what it prints with
  PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true. Only this shape carries policy
  violations: the digest drops every policy event.

Secrets: the engine writes "[secret]" for every secret value unless --show-secrets is
given; a secret envelope ({"4dabf18193072939515e22adb298388d": ...}, as in state files
or a --show-secrets run) is masked here as well, before anything else sees it.
Standard library only, so the renderer runs on any CI without the project's venv.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

SECRET = "[secret]"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's "known after apply" in previews
# Engine bookkeeping, and the pickled code reference of a Python dynamic provider (`__provider`).
HIDDEN_INPUTS = ("__defaults", "__internal", "__meta", "__provider")

# Engine step ops -> what the reader sees. A replacement can arrive as up to three steps.
OPS = {"create": "create", "update": "update", "delete": "delete", "replace": "replace",
       "create-replacement": "replace", "delete-replaced": "replace", "discard": "delete",
       "discard-replaced": "replace", "import": "import", "import-replacement": "replace",
       "same": "same", "read": "same", "refresh": "same", "read-replacement": "same"}


def mask(value: Any) -> Any:
    """The value with every secret replaced by "[secret]"."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return SECRET
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


@dataclass
class Step:
    op: str  # create, update, replace, delete, import, same
    urn: str
    type: str
    custom: bool = True
    old: dict | None = None  # inputs before (None for a create)
    new: dict | None = None  # inputs after (None for a delete)
    old_outputs: dict = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    # The old resource is only dropped from the state, never deleted (`delete[retain]`): retainOnDelete in its
    # old state, which is what the engine goes by, or a resource the stack only read.
    retained: bool = False
    diffs: tuple[str, ...] = ()
    replace_keys: tuple[str, ...] = ()
    detailed: dict[str, dict] = field(default_factory=dict)  # property path -> {kind, inputDiff}
    dependencies: dict[str, list[str]] = field(default_factory=dict)  # property -> URNs

    @property
    def name(self) -> str:
        return self.urn.split("::")[-1]

    def inputs(self) -> dict:
        return self.new if self.new is not None else (self.old or {})

    @property
    def keeps_old(self) -> bool:
        """A delete or replace that leaves the old resource where it is (shown as `delete[retain]`)."""
        return self.retained and self.op in ("delete", "replace")


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # error, warning, info, info#err
    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Violation:
    pack: str
    policy: str
    level: str  # mandatory, advisory, remediate, disabled
    message: str
    urn: str | None = None


@dataclass
class Preview:
    steps: list[Step]
    diagnostics: list[Diagnostic]
    violations: list[Violation]
    changes: dict[str, int]  # the engine's own count: create, update, replace, delete, same
    failed: bool
    stack: str | None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def _inputs(state: dict | None) -> dict | None:
    if not state:
        return None
    return {k: v for k, v in mask(state.get("inputs") or {}).items() if k not in HIDDEN_INPUTS}


def _step(op: str, urn: str, type_: str, old: dict | None, new: dict | None, diffs, keys, detailed) -> Step:
    either = new or old or {}
    return Step(
        op=OPS.get(op, op), urn=urn, type=type_ or either.get("type", ""), custom=bool(either.get("custom", True)),
        old=_inputs(old), new=_inputs(new) if op not in ("delete", "discard") else None,
        old_outputs=mask((old or {}).get("outputs") or {}),
        protect=bool((old or {}).get("protect") or (new or {}).get("protect")),
        retain_on_delete=bool((old or {}).get("retainOnDelete") or (new or {}).get("retainOnDelete")),
        retained=bool((old or {}).get("retainOnDelete")) or op in ("discard", "discard-replaced"),
        diffs=tuple(diffs or ()), replace_keys=tuple(keys or ()),
        detailed={k: {"kind": v.get("kind") or v.get("diffKind") or "update", "inputDiff": v.get("inputDiff", False)}
                  for k, v in (detailed or {}).items()},
        dependencies=(new or old or {}).get("propertyDependencies") or {},
    )


def _strip_prefix(message: str) -> str:
    return re.sub(r"^(error|warning|info): ", "", message)


def _merge(steps: list[Step]) -> list[Step]:
    """One step per resource: the parts of a replacement become one replace."""
    by_urn: dict[str, Step] = {}
    for step in steps:
        seen = by_urn.get(step.urn)
        if seen is None:
            by_urn[step.urn] = step
        elif step.op == "replace" or seen.op == "replace":
            keep = step if step.old is not None and step.new is not None else seen
            other = seen if keep is step else step
            keep.op = "replace"
            keep.old = keep.old if keep.old is not None else other.old
            keep.new = keep.new if keep.new is not None else other.new
            keep.old_outputs = keep.old_outputs or other.old_outputs
            keep.replace_keys = keep.replace_keys or other.replace_keys
            keep.diffs = keep.diffs or other.diffs
            keep.detailed = keep.detailed or other.detailed
            keep.protect = keep.protect or other.protect
            keep.retained = keep.retained or other.retained
            by_urn[step.urn] = keep
        else:
            by_urn[step.urn] = step
    return list(by_urn.values())


def _stack_of(steps: list[Step]) -> str | None:
    for step in steps:
        if step.urn.startswith("urn:pulumi:"):
            return step.urn.split("::")[0].removeprefix("urn:pulumi:")
    return None


def from_digest(doc: dict) -> Preview:
    steps = [_step(s.get("op", ""), s.get("urn", ""), (s.get("newState") or s.get("oldState") or {}).get("type", ""),
                   s.get("oldState"), s.get("newState"), s.get("diffReasons"), s.get("replaceReasons"),
                   s.get("detailedDiff"))
             for s in doc.get("steps") or []]
    diagnostics = [Diagnostic(d.get("severity", "info"), _strip_prefix(d.get("message", "")), d.get("urn"))
                   for d in doc.get("diagnostics") or []]
    changes = dict(doc.get("changeSummary") or {})
    failed = any(d.severity == "error" for d in diagnostics)
    return Preview(_merge(steps), diagnostics, [], changes, failed, _stack_of(steps))


def from_events(events: list[dict]) -> Preview:
    steps, diagnostics, violations, changes, failed = [], [], [], {}, False
    for event in events:
        if meta := (event.get("resourcePreEvent") or {}).get("metadata"):
            steps.append(_step(meta.get("op", ""), meta.get("urn", ""), meta.get("type", ""), meta.get("old"),
                               meta.get("new"), meta.get("diffs"), meta.get("keys"), meta.get("detailedDiff")))
        elif diag := event.get("diagnosticEvent"):
            if diag.get("severity") != "debug" and not diag.get("ephemeral"):
                diagnostics.append(Diagnostic(diag.get("severity", "info"), diag.get("message", ""), diag.get("urn")))
        elif policy := event.get("policyEvent"):
            violations.append(Violation(policy.get("policyPackName", ""), policy.get("policyName", ""),
                                        policy.get("enforcementLevel", ""), policy.get("message", ""),
                                        policy.get("resourceUrn")))
        elif summary := event.get("summaryEvent"):
            changes = dict(summary.get("resourceChanges") or {})
            failed = summary.get("result") == "failed"
    failed = failed or any(d.severity == "error" for d in diagnostics)
    return Preview(_merge(steps), diagnostics, violations, changes, failed, _stack_of(steps))


def parse(text: str) -> Preview:
    """Either shape, told apart by its content; ValueError if it is neither."""
    text = text.strip()
    if not text:
        raise ValueError("the preview output is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and ("steps" in doc or "changeSummary" in doc or "diagnostics" in doc):
        return from_digest(doc)
    try:
        events = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise ValueError(f"not the JSON of `pulumi preview --json` ({exc})") from None
    if not events or not all(isinstance(e, dict) and "sequence" in e for e in events):
        raise ValueError("not the JSON of `pulumi preview --json` (neither a digest nor engine events)")
    return from_events(events)


# --- property paths and values -------------------------------------------------

_PATH_PART = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([^.\[\]]+)')


def split_path(path: str) -> tuple[str | int, ...]:
    """`config["retention.ms"]` -> ("config", "retention.ms"); `a.b[0]` -> ("a", "b", 0)."""
    parts: list[str | int] = []
    for quoted, index, plain in _PATH_PART.findall(path):
        if quoted:
            parts.append(json.loads(f'"{quoted}"'))
        elif index:
            parts.append(int(index))
        else:
            parts.append(plain)
    return tuple(parts)


MISSING = object()


def lookup(value: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(value, str) and value not in (SECRET, UNKNOWN):
            value = as_json(value)  # into a JSON document kept in a string (aws.msk.Topic configs)
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return MISSING
    return value


def as_json(value: Any) -> Any:
    """A string holding a JSON object or array, decoded; anything else unchanged."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return mask(json.loads(value))
        except json.JSONDecodeError:
            return value
    return value


def leaf_changes(old: Any, new: Any, path: tuple = ()) -> list[tuple[tuple, Any, Any]]:
    """(path, old, new) for every leaf that differs; JSON kept in strings is compared as JSON."""
    old, new = as_json(old), as_json(new)
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new), key=str):
            found += leaf_changes(old.get(key, MISSING), new.get(key, MISSING), (*path, key))
        return found
    return [(path, old, new)]

"""What a rule sees: a resource as plain data, and the stack it belongs to."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = "evidentsource-kafka"
# Stacks whose name says production: prod, production, prod-eu, production.us-east-1, ...
PRODUCTION = re.compile(r"^(prod|production)([-_.].*)?$")


def plain(value: Any) -> Any:
    """pulumi-policy's read-only proxies as dicts and lists, recursively."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Resource:
    type: str
    name: str  # the Pulumi resource name (the last part of its URN)
    props: dict[str, Any]  # its inputs
    protect: bool = False


@dataclass(frozen=True)
class StackContext:
    name: str
    config: dict[str, Any] = field(default_factory=dict)  # evidentsource-kafka:* settings, objects decoded

    @classmethod
    def from_environment(cls) -> "StackContext":
        """The stack as the engine describes it to the policy pack (PULUMI_STACK, PULUMI_CONFIG)."""
        raw = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
        config = {}
        for key, value in raw.items():
            if key.startswith(f"{NAMESPACE}:"):
                try:
                    config[key.split(":", 1)[1]] = json.loads(value)
                except (TypeError, ValueError):
                    config[key.split(":", 1)[1]] = value
        return cls(os.environ.get("PULUMI_STACK", ""), config)

    def section(self, key: str) -> dict[str, Any]:
        value = self.config.get(key)
        return value if isinstance(value, dict) else {}

    @property
    def production(self) -> bool:
        return bool(PRODUCTION.match(self.name))


def json_document(value: Any) -> dict | None:
    """An IAM-style policy given as JSON text or as an object; None if not known yet (or not JSON)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(document: dict) -> list[dict]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]

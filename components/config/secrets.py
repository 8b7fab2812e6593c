"""Secret settings as values that never print themselves and reach Pulumi only as secret Outputs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


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

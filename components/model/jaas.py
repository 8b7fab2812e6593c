"""Kafka `sasl.jaas.config` strings: read the seed's KafkaSaslJaasConfig, write new ones.

The seed hands EvidentSource one JAAS line such as
`org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`.
We accept that same string for Pulumi's own login and render it for outputs. Quoting
follows Kafka's parser (double quotes, backslash escapes), which shlex also follows.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
IAM_MODULE = "software.amazon.msk.auth.iam.IAMLoginModule"
IAM_CALLBACK_HANDLER = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
MODULE_FOR_MECHANISM = {"PLAIN": PLAIN_MODULE, "SCRAM-SHA-256": SCRAM_MODULE, "SCRAM-SHA-512": SCRAM_MODULE}
_FLAGS = ("required", "requisite", "sufficient", "optional")
_PASSWORD = re.compile(r'(password\s*=\s*)("(?:[^"\\]|\\.)*"|[^\s;]+)')


@dataclass(frozen=True)
class JaasConfig:
    module: str
    flag: str
    options: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print a password by accident
        shown = {k: ("***" if k == "password" else v) for k, v in self.options.items()}
        return f"JaasConfig({self.module!r}, {self.flag!r}, {shown!r})"


def parse(text: str) -> JaasConfig:
    """Parse one login-module entry; ValueError (never quoting a password) if it is not one."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True  # split on blanks and unquoted ';' only, as Kafka does
    try:
        tokens = list(lexer)
    except ValueError:
        raise ValueError("unbalanced quotes") from None
    if not tokens or tokens[-1] != ";":
        raise ValueError("a JAAS entry ends with ';'")
    tokens = tokens[:-1]
    if ";" in tokens:
        raise ValueError("sasl.jaas.config takes exactly one login module")
    if len(tokens) < 2 or tokens[1] not in _FLAGS:
        raise ValueError(f"expected '<LoginModule class> {'|'.join(_FLAGS)} key=\"value\" ...;'")
    options = {}
    for token in tokens[2:]:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise ValueError(f"option {key!r} is not key=\"value\"")
        options[key] = value
    return JaasConfig(tokens[0], tokens[1], options)


def redact(text: str) -> str:
    """The JAAS string with its password replaced, safe for error messages."""
    return _PASSWORD.sub(r'\1"***"', text)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(mechanism: str, username: str, password: str) -> str:
    """A JAAS line for PLAIN or SCRAM, as EvidentSource's KafkaSaslJaasConfig expects it."""
    module = MODULE_FOR_MECHANISM[mechanism]
    return f"{module} required username={_quote(username)} password={_quote(password)};"

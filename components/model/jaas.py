"""Kafka `sasl.jaas.config` strings: read the seed's KafkaSaslJaasConfig, write new ones.

The seed hands EvidentSource one JAAS line such as
`org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`.
We accept that same string for Pulumi's own login and render it for outputs. Tokens follow
Kafka's parser (java.io.StreamTokenizer in JaasConfig): blanks separate words, `=` and `;` stand
alone, values in double or single quotes with backslash escapes.

A JAAS string is a secret, and a malformed one cannot be trusted to show where its password ends:
`redact` shows only what is known not to be secret (the login module, the flag, the known option
names and the user name) and masks every other token; errors never quote the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
IAM_MODULE = "software.amazon.msk.auth.iam.IAMLoginModule"
IAM_CALLBACK_HANDLER = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
MODULE_FOR_MECHANISM = {"PLAIN": PLAIN_MODULE, "SCRAM-SHA-256": SCRAM_MODULE, "SCRAM-SHA-512": SCRAM_MODULE}
_FLAGS = ("required", "requisite", "sufficient", "optional")
KNOWN_OPTIONS = ("username", "password", "tokenauth")  # the options of the PLAIN and SCRAM login modules
_SHOWN_VALUES = ("username", "tokenauth")
_MODULE_SHAPE = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+LoginModule$")
_TOKEN = re.compile(r"""\s*(?:(?P<semi>;)|(?P<eq>=)|(?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
                    r"""|(?P<open>["'].*)|(?P<word>[^\s;="']+))""", re.S)
MASK = '"***"'


@dataclass(frozen=True)
class JaasConfig:
    module: str
    flag: str
    options: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print a password by accident
        shown = {k: ("***" if k == "password" else v) for k, v in self.options.items()}
        return f"JaasConfig({self.module!r}, {self.flag!r}, {shown!r})"


def _lex(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: semi, eq, quoted, open (a quote never closed: the rest of the string), word."""
    tokens, pos = [], 0
    while (match := _TOKEN.match(text, pos)) and match.end() > pos:
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        pos = match.end()
    return tokens


def _unquote(kind: str, token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1], flags=re.S) if kind == "quoted" else token


def parse(text: str) -> JaasConfig:
    """Parse one login-module entry; ValueError (never quoting the string) if it is not one."""
    tokens = _lex(text)
    if any(kind == "open" for kind, _ in tokens):
        raise ValueError("unbalanced quotes")
    if not tokens or tokens[-1][0] != "semi":
        raise ValueError("a JAAS entry ends with ';'")
    tokens = tokens[:-1]
    if any(kind == "semi" for kind, _ in tokens):
        raise ValueError("sasl.jaas.config takes exactly one login module")
    if len(tokens) < 2 or tokens[0][0] != "word" or tokens[1][0] != "word" or tokens[1][1] not in _FLAGS:
        raise ValueError(f"expected '<LoginModule class> {'|'.join(_FLAGS)} key=\"value\" ...;'")
    options: dict[str, str] = {}
    rest = tokens[2:]
    while rest:
        (kind, key), *after = rest
        if kind != "word" or len(after) < 2 or after[0][0] != "eq" or after[1][0] not in ("word", "quoted"):
            named = f"option {key!r}" if kind == "word" and key in KNOWN_OPTIONS else "an option"
            where = f" after {list(options)[-1]}=\"...\"" if options else ""
            raise ValueError(f"{named}{where} is not key=\"value\" (a value with blanks or ; needs quotes)")
        options[key] = _unquote(*after[1])
        rest = after[2:]
    return JaasConfig(tokens[0][1], tokens[1][1], options)


def redact(text: str) -> str:
    """The JAAS string as it can be shown: every token that may be secret, or that a malformed string
    may have put where a known-safe one belongs, is masked."""
    out: list[str] = []
    state, key = "module", ""
    for kind, token in _lex(text):
        if kind == "open":
            out.append(MASK)
            break
        if kind == "semi":
            out.append(";")
            state = "module"
        elif state == "module":
            out.append(token if kind == "word" and _MODULE_SHAPE.match(token) else MASK)
            state = "flag"
        elif state == "flag":
            out.append(token if kind == "word" and token in _FLAGS else MASK)
            state = "key"
        elif state == "key" and kind == "word":
            key = token if token in KNOWN_OPTIONS else ""
            out.append(key or "***")
            state = "eq"
        elif state == "eq" and kind == "eq":
            out.append("=")
            state = "value"
        elif state == "value" and kind in ("word", "quoted"):
            out.append(token if key in _SHOWN_VALUES else MASK)
            state = "key"
        else:
            out.append(MASK)
            state = "key"
    return re.sub(r" ?= ?", "=", " ".join(out)).replace(" ;", ";")


def password_candidates(text: str) -> list[str]:
    """What may be the password in a JAAS string, parsed or not: to mask it by value wherever it could show."""
    tokens = _lex(text)
    found = [_unquote(*tokens[i + 2]) for i in range(len(tokens) - 2)
             if tokens[i] == ("word", "password") and tokens[i + 1][0] == "eq" and tokens[i + 2][0] in ("word", "quoted")]
    found += [token[1:].strip() for kind, token in tokens if kind == "open"]
    return [f for f in found if f]


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(mechanism: str, username: str, password: str) -> str:
    """A JAAS line for PLAIN or SCRAM, as EvidentSource's KafkaSaslJaasConfig expects it."""
    module = MODULE_FOR_MECHANISM[mechanism]
    return f"{module} required username={_quote(username)} password={_quote(password)};"

"""Rules of the secret settings: Pulumi's own SASL login (saslJaasConfig, or saslUsername + saslPassword)
and the principals' passwords. A secret is never printed: `Problems` masks every secret value (and what may
be the password of a malformed JAAS string) in every line; a JAAS string is shown redacted, others as ***.
A secret the engine does not hold encrypted (set without --secret) is refused, with the command that fixes it."""

from __future__ import annotations

from typing import Any

from components.config.rules import INVALID, Draft, Problems, auth_consistent, check
from components.config.schema import SECRET_KEYS
from components.model import jaas
from components.model.names import NAMESPACE


def secret_values(raw: dict[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """Every value a message must not show: the passwords, by value, and whatever the engine holds as secret."""
    found: list[Any] = [raw.get("saslPassword")]
    if isinstance(text := raw.get("saslJaasConfig"), str):
        found += jaas.password_candidates(text)
    if isinstance(passwords := raw.get("principalPasswords"), dict):
        found += passwords.values()
    for key in secret_keys:
        found += _strings(raw.get(key.split(".", 1)[0]))
    return [v for v in found if isinstance(v, str) and v]


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def plain_text(key: str, secret_keys: frozenset[str]) -> bool:
    """Whether a secret key path (`saslJaasConfig`, `principalPasswords.alice`) is not held encrypted."""
    parts = key.split(".")
    return not any(".".join(parts[:i]) in secret_keys for i in range(1, len(parts) + 1))


def config_path(key: str) -> str:
    """The key as `pulumi config --path` takes it (a user name with a dot in brackets)."""
    section, _, user = key.partition(".")
    return f"{NAMESPACE}:{section}" + (f'["{user}"]' if "." in user else f".{user}" if user else "")


def encrypt_command(key: str, stack: str | None) -> str:
    """The commands that encrypt a value set in plain text, without typing it again."""
    where = f" --stack {stack}" if stack else ""
    path = f" --path '{config_path(key)}'" if "." in key else f" {NAMESPACE}:{key}"
    return f"pulumi config get{where}{path} | pulumi config set{where} --secret{path}"


@check()
def secrets_are_encrypted(d: Draft, p: Problems) -> None:
    if d.secret_keys is None:
        return  # not known (a test or tool that parses settings itself)
    keys = [k for k in SECRET_KEYS if k in d.raw]
    if isinstance(d.raw.get("principalPasswords"), dict):
        keys = [k for k in keys if k != "principalPasswords"] + [f"principalPasswords.{u}" for u in d.raw["principalPasswords"]]
    for key in keys:
        if plain_text(key, d.secret_keys):
            value = d.raw.get(key) if "." not in key else "***"
            p.add(key, _shown(key, value), "a password in plain text in the stack file (anyone who can read the file "
                  "or its repository has it): only an encrypted one is allowed; encrypt it without typing it again: "
                  f"{encrypt_command(key, d.stack)}")


@check("cluster.securityProtocol", "cluster.saslMechanism", "cluster.saslUsername")
def login_fits_mechanism(d: Draft, p: Problems) -> None:
    if not auth_consistent(d.cluster):
        return
    mechanism, text = d.cluster.sasl_mechanism, d.raw.get("saslJaasConfig")
    password, username = d.raw.get("saslPassword"), d.cluster.sasl_username
    if mechanism in (None, "AWS_MSK_IAM"):
        why = "AWS_MSK_IAM logs in with AWS credentials" if mechanism else f"{d.cluster.security_protocol} has no SASL login"
        for key, value in (("saslJaasConfig", text), ("saslPassword", password), ("cluster.saslUsername", username)):
            if value is not None:
                p.add(key, _shown(key, value), f"not used: {why}")
        return
    if text is not None:
        _check_jaas(text, mechanism, p)
        for key, value in (("saslPassword", password), ("cluster.saslUsername", username)):
            if value is not None:
                p.add(key, _shown(key, value), "give either saslJaasConfig or cluster.saslUsername + saslPassword, not both")
    elif password is None or username is None:
        if not d.ok(missing := "saslPassword" if username else "saslJaasConfig"):
            return  # set under a mistyped key: the typo is the one message
        p.missing(missing,
                  f"{mechanism} needs Pulumi's own login: pulumi config set --secret {NAMESPACE}:saslJaasConfig "
                  f"'{jaas.MODULE_FOR_MECHANISM[mechanism]} required username=\"admin\" password=\"...\";' "
                  f"(or cluster.saslUsername plus pulumi config set --secret {NAMESPACE}:saslPassword)")
    elif not isinstance(password, str) or not password:
        p.add("saslPassword", "***", "a non-empty string")


def _check_jaas(text: Any, mechanism: str, p: Problems) -> None:
    want = jaas.MODULE_FOR_MECHANISM[mechanism]
    form = f'{want} required username="..." password="...";'
    if not isinstance(text, str):
        p.add("saslJaasConfig", "***", f"a string: {form}")
        return
    try:
        parsed = jaas.parse(text)
    except ValueError as exc:
        p.add("saslJaasConfig", jaas.redact(text), f"not a JAAS entry ({exc}); expected {form}")
        return
    wrong = [f"{mechanism} needs the login module {want}"] if parsed.module != want else []
    wrong += [f"has no {option}=\"...\"" for option in ("username", "password") if not parsed.options.get(option)]
    if wrong:
        p.add("saslJaasConfig", jaas.redact(text), "; ".join([*wrong, f"expected {form}"]))


@check("cluster.securityProtocol", "cluster.saslMechanism", "access.createScramUsers")
def principal_passwords(d: Draft, p: Problems) -> None:
    given = d.raw.get("principalPasswords")
    if given is not None and (not isinstance(given, dict) or not all(isinstance(v, str) and v for v in given.values())):
        p.add("principalPasswords", "***", "an object of user name -> non-empty password, set one by one with "
              f"pulumi config set --secret --path '{NAMESPACE}:principalPasswords.<user>' -- <password>")
        return
    given = given or {}
    mechanism = d.cluster.sasl_mechanism
    if given and mechanism in (None, "AWS_MSK_IAM"):
        p.add("principalPasswords", sorted(given), f"not used: {mechanism or d.cluster.security_protocol} has no passwords")
        return
    users = _users(d)
    if users is None:
        return  # a role's principals are not a list of names: which users there are is not known
    server_empty = d.access is not INVALID and not d.access.server.principals and "fourTopics" in d.shapes.root
    for user in sorted(set(given) - set(users)):
        cause = (" If User:{u} was the server's principal, access.server.principals is now empty: EvidentSource's own "
                 "server would have no access at all".format(u=user) if server_empty and users else "")
        p.add(f"principalPasswords.{user}", "***", f"no role has the principal User:{user} (a typo?); principals: "
              f"{users}.{cause}")
    if not d.access.create_scram_users:
        return
    if mechanism not in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
        p.add("access.createScramUsers", True, f"SCRAM users need saslMechanism SCRAM-SHA-256 or SCRAM-SHA-512, not {mechanism}")
        return
    if d.msk not in (None, INVALID):
        p.add("access.createScramUsers", True, "MSK does not take SCRAM users through the Kafka API: it reads them "
              "from AWS Secrets Manager (aws kafka batch-associate-scram-secret); turn this off")
        return
    for user in users:
        if user not in given and d.ok(*_paths_of(d, user)):
            p.missing(f"principalPasswords.{user}", "createScramUsers needs each principal's password: "
                      f"pulumi config set --secret --path '{config_path(f'principalPasswords.{user}')}' -- <password>")


def _users(d: Draft) -> list[str] | None:
    """The SCRAM user names of the principals as written (a stray blank is the principal's own problem, reported
    with it), or None where a role's principals could not be read."""
    access = d.raw.get("access") if isinstance(d.raw.get("access"), dict) else {}
    names = []
    for role in d.access.roles():
        principals = (access.get(role) or {}).get("principals", []) if isinstance(access.get(role) or {}, dict) else None
        if not isinstance(principals, list) or not all(isinstance(pr, str) for pr in principals):
            return None
        names += [pr.strip().removeprefix("User:").strip() for pr in principals]
    return sorted(set(names))


def _paths_of(d: Draft, user: str) -> list[str]:
    return [f"access.{role}.principals[{i}]" for role, prs in d.role_principals().items()
            for i, pr in enumerate(prs) if pr.strip().removeprefix("User:").strip() == user]


def _shown(key: str, value: Any) -> Any:
    if key == "saslJaasConfig" and isinstance(value, str):
        return jaas.redact(value)
    return "***" if key in ("saslPassword", "saslJaasConfig") or key.startswith("principalPasswords") else value

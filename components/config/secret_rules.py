"""Rules of the secret settings: Pulumi's own SASL login (saslJaasConfig, or saslUsername + saslPassword)
and the principals' passwords. A secret is never printed: a JAAS string is shown redacted, others as ***."""

from __future__ import annotations

from typing import Any

from components.config.rules import INVALID, Draft, Problems, auth_consistent, check
from components.model import jaas
from components.model.names import NAMESPACE


# --- secrets --------------------------------------------------------------------------

@check("cluster")
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
        p.missing("saslPassword" if username else "saslJaasConfig",
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
    if parsed.module != want:
        p.add("saslJaasConfig", jaas.redact(text), f"{mechanism} needs the login module {want}")
    for option in ("username", "password"):
        if not parsed.options.get(option):
            p.add("saslJaasConfig", jaas.redact(text), f"has no {option}=\"...\"; expected {form}")


@check("cluster", "access")
def principal_passwords(d: Draft, p: Problems) -> None:
    given = d.raw.get("principalPasswords")
    if given is not None and (not isinstance(given, dict) or not all(isinstance(v, str) and v for v in given.values())):
        p.add("principalPasswords", "***", "an object of user name -> non-empty password, set one by one with "
              f"pulumi config set --secret --path '{NAMESPACE}:principalPasswords.<user>' <password>")
        return
    given = given or {}
    mechanism = d.cluster.sasl_mechanism
    users = sorted({pr.removeprefix("User:") for prs in d.role_principals().values() for pr in prs})
    if given and mechanism in (None, "AWS_MSK_IAM"):
        p.add("principalPasswords", sorted(given), f"not used: {mechanism or d.cluster.security_protocol} has no passwords")
        return
    for user in sorted(set(given) - set(users)):
        p.add(f"principalPasswords.{user}", "***", f"no role has the principal User:{user} (a typo?); principals: {users}")
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
        if user not in given:
            p.missing(f"principalPasswords.{user}", "createScramUsers needs each principal's password: "
                      f"pulumi config set --secret --path '{NAMESPACE}:principalPasswords.{user}' <password>")


def _shown(key: str, value: Any) -> Any:
    if key == "saslJaasConfig" and isinstance(value, str):
        return jaas.redact(value)
    return "***" if key == "saslPassword" else value

"""Rules that relate one stack setting to another, one small function each.

Each check reports through `Problems` (key, value, what is allowed) and is skipped when a
section it needs already failed its own validation, so one mistake gives one message.
Secrets are validated here too, but never printed: a JAAS string is shown redacted.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable

from components import jaas
from components.arns import IAM_ROLE_ARN, IAM_ROLE_FORM, IAM_ROLE_NAME, iam_role_account
from components.catalog import CATALOG
from components.config_schema import (NAMESPACE, PLACEHOLDER, AccessConfig, AdoptConfig, RoleSettings, SaslLogin, Secret,
                                      TopicsConfig, enforcer_for, topic_name)
from components.ports import MSK_LISTENERS, describe_msk_listeners, msk_listener

INVALID: Any = object()  # a section that failed its own validation; checks that need it are skipped


class Problems:
    """Collects one line per problem: key, value given, what is allowed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, value: Any, message: str) -> None:
        self.lines.append(f"{NAMESPACE}:{key} = {value!r}: {message}")

    def missing(self, key: str, message: str) -> None:
        self.lines.append(f"{NAMESPACE}:{key}: missing; {message}")


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
    """The sections as validated so far: a model, None (absent) or INVALID."""

    raw: dict
    cluster: Any
    topics: Any
    msk: Any
    access: Any
    iam: Any
    network: Any
    adopt: Any = None

    def __post_init__(self) -> None:
        self.iam_given = self.iam is not None
        self.topics = TopicsConfig() if self.topics is None else self.topics
        self.access = AccessConfig() if self.access is None else self.access
        self.adopt = AdoptConfig() if self.adopt is None else self.adopt

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
        return {field.alias: getattr(self.access, name).principals
                for name, field in AccessConfig.model_fields.items()
                if isinstance(getattr(self.access, name), RoleSettings)}


Check = Callable[[Draft, Problems], None]
CHECKS: list[Check] = []


def check(*sections: str) -> Callable[[Check], Check]:
    """Register a check that runs only when `sections` passed their own validation."""
    def register(fn: Check) -> Check:
        @functools.wraps(fn)
        def guarded(d: Draft, p: Problems) -> None:
            if all(getattr(d, s) is not INVALID for s in sections):
                fn(d, p)
        CHECKS.append(guarded)
        return guarded
    return register


def run_all(d: Draft, p: Problems) -> None:
    for fn in CHECKS:
        fn(d, p)


# --- cluster ----------------------------------------------------------------------

@check("cluster")
def mechanism_fits_protocol(d: Draft, p: Problems) -> None:
    c = d.cluster
    if c.security_protocol.startswith("SASL_") and c.sasl_mechanism is None:
        p.add("cluster.securityProtocol", c.security_protocol,
              "needs cluster.saslMechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM")
    if not c.security_protocol.startswith("SASL_") and c.sasl_mechanism is not None:
        p.add("cluster.saslMechanism", c.sasl_mechanism,
              f"needs securityProtocol SASL_SSL or SASL_PLAINTEXT, not {c.security_protocol}")
    if c.sasl_mechanism == "AWS_MSK_IAM" and c.security_protocol != "SASL_SSL":
        p.add("cluster.saslMechanism", c.sasl_mechanism, "AWS_MSK_IAM works only over securityProtocol SASL_SSL")


def auth_consistent(c: Any) -> bool:
    """Whether protocol and mechanism fit; if not, checks built on them stay quiet (one message)."""
    sasl = c.security_protocol.startswith("SASL_")
    return sasl == (c.sasl_mechanism is not None) and (c.sasl_mechanism != "AWS_MSK_IAM" or c.security_protocol == "SASL_SSL")


@check("cluster")
def tls_only_settings(d: Draft, p: Problems) -> None:
    c = d.cluster
    if not c.tls:
        for key, value in (("skipTlsVerify", c.skip_tls_verify), ("caCert", c.ca_cert),
                           ("clientCert", c.client_cert), ("clientKey", c.client_key)):
            if value:
                p.add(f"cluster.{key}", value, f"applies to securityProtocol SSL or SASL_SSL only, not {c.security_protocol}")
    if bool(c.client_cert) != bool(c.client_key):
        p.add("cluster.clientCert" if c.client_cert else "cluster.clientKey", c.client_cert or c.client_key,
              "mTLS needs both cluster.clientCert and cluster.clientKey")


@check("cluster")
def iam_only_settings(d: Draft, p: Problems) -> None:
    if d.cluster.sasl_mechanism == "AWS_MSK_IAM":
        return
    why = f"only used with saslMechanism AWS_MSK_IAM; this stack uses {d.cluster.sasl_mechanism or d.cluster.security_protocol}"
    for key in ("aws_region", "aws_role_arn", "aws_profile"):
        if getattr(d.cluster, key) is not None:
            p.add(f"cluster.{_camel(key)}", getattr(d.cluster, key), why)
    if d.iam_given:
        p.add("iam", d.raw.get("iam"), why)


# --- MSK ----------------------------------------------------------------------------

@check("cluster", "topics", "msk")
def msk_needed(d: Draft, p: Problems) -> None:
    if d.msk is not None:
        return
    how = "add evidentsource-kafka:msk.clusterArn (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)"
    if d.topics.backend == "msk":
        p.add("topics.backend", "msk", f"the msk backend creates topics through the AWS API: {how}")
    if d.cluster.sasl_mechanism == "AWS_MSK_IAM":
        p.add("cluster.saslMechanism", "AWS_MSK_IAM", f"IAM policies are scoped to the cluster's ARN: {how}")
    if d.network not in (None, INVALID):
        p.add("network", d.raw.get("network"), f"ingress rules are for an MSK cluster: {how}")


@check("cluster", "msk")
def msk_listener_exists(d: Draft, p: Problems) -> None:
    c = d.cluster
    if d.msk is None or not auth_consistent(c) or msk_listener(c.security_protocol, c.sasl_mechanism):
        return
    given = c.security_protocol + (f"+{c.sasl_mechanism}" if c.sasl_mechanism else "")
    p.add("cluster.saslMechanism" if c.sasl_mechanism else "cluster.securityProtocol",
          c.sasl_mechanism or c.security_protocol,
          f"MSK has no {given} listener; MSK serves {describe_msk_listeners()}")


@check("cluster", "msk")
def bootstrap_ports(d: Draft, p: Problems) -> None:
    c = d.cluster
    listener = msk_listener(c.security_protocol, c.sasl_mechanism) if d.msk else None
    if listener is None:
        return
    want = listener.port(d.msk.public_access)
    if want is None:
        p.add("msk.publicAccess", True, f"MSK public access has no {listener.title} listener; use SSL, SCRAM or IAM")
        return
    for i, server in enumerate(c.bootstrap_servers):
        port = int(server.rsplit(":", 1)[1])
        if port != want:
            other = next((lst.title for lst in MSK_LISTENERS if port in (lst.private_port, lst.public_port)), None)
            note = f" ({port} is MSK's {other} port)" if other else ""
            p.add(f"cluster.bootstrapServers[{i}]", server,
                  f"MSK serves {listener.title} on port {want}{' (public access)' if d.msk.public_access else ''}{note}")


@check("network", "msk")
def network_sources(d: Draft, p: Problems) -> None:
    if d.network is None:
        return
    if not d.network.sources():
        p.add("network", d.raw.get("network"), "name at least one source: clusterSecurityGroupId and/or lambdaSecurityGroupId")
    if d.msk is not None and d.msk.public_access:
        p.add("network", d.raw.get("network"), "security-group references only match traffic inside the VPC; "
              "with msk.publicAccess clients come over the internet: manage their CIDR rules yourself")


# --- topics -------------------------------------------------------------------------

@check("topics")
def min_isr_fits(d: Draft, p: Problems) -> None:
    t = d.topics
    if t.min_insync_replicas is not None and t.min_insync_replicas > t.replication_factor:
        p.add("topics.minInsyncReplicas", t.min_insync_replicas,
              f"at most replicationFactor ({t.replication_factor}), or producers with acks=all could never write")


@check("topics")
def topic_names_legal_and_distinct(d: Draft, p: Problems) -> None:
    seen: dict[str, str] = {}
    illegal = []
    for spec in CATALOG:
        name = d.topics.name_of(spec.key)
        try:
            topic_name(name)
        except ValueError as exc:
            illegal.append((name, exc))  # only prefixed names can be: explicit ones were checked alone
        if name in seen:
            p.add(f"topics.perTopic.{spec.key}.name", name, f"already the name of {seen[name]}; each topic needs its own")
        seen[name] = spec.key
    if illegal:
        p.add("topics.namePrefix", d.topics.name_prefix,
              f"makes the topic name {illegal[0][0]!r}{' (and more)' if len(illegal) > 1 else ''} illegal: {illegal[0][1]}")


# --- access -------------------------------------------------------------------------

def _principal_problem(principal: str, enforcer: str, cluster_account: str | None) -> str | None:
    if enforcer == "none":
        return ("securityProtocol PLAINTEXT authenticates no one (every client is User:ANONYMOUS), so principals "
                "cannot be told apart: use SASL or TLS client certificates")
    if enforcer == "msk-iam":
        if principal.startswith("User:"):
            return ("a Kafka principal on an AWS_MSK_IAM cluster: Kafka ACLs have no effect on IAM clients; "
                    f"give {IAM_ROLE_FORM}")
        if not (IAM_ROLE_NAME.match(principal) or IAM_ROLE_ARN.match(principal)):
            return f"expected {IAM_ROLE_FORM}"
        account = iam_role_account(principal)
        if account and cluster_account and account != cluster_account:
            return f"a role of account {account}: policies can be attached only in the cluster's account {cluster_account}"
        return None
    if not re.match(r"^User:.+$", principal):
        return "a Kafka principal is User:<name> (e.g. User:evidentsource), as the broker's authenticator names it"
    if principal == "User:*":
        return "User:* is every user: grant named principals only"
    if principal == "User:ANONYMOUS":
        return "User:ANONYMOUS is every unauthenticated client: grant named principals only"
    return None


@check("cluster", "access")
def principals_fit_enforcer(d: Draft, p: Problems) -> None:
    enforcer = enforcer_for(d.cluster)
    arn = d.msk.arn if d.msk not in (None, INVALID) else None
    account = arn.account if arn else None
    for role, principals in d.role_principals().items():
        for i, principal in enumerate(principals):
            key = f"access.{role}.principals[{i}]"
            if PLACEHOLDER in principal:
                continue  # reported as a placeholder already
            if principal in principals[:i]:
                p.add(key, principal, "listed twice in this role")
            elif (why := _principal_problem(principal, enforcer, account)) is not None:
                p.add(key, principal, why)


@check("access")
def consumer_groups_apart(d: Draft, p: Problems) -> None:
    server, external = d.access.server.group_prefix, d.access.external_consumers.group_prefix
    if server is not None and server.startswith(external):
        p.add("access.externalConsumers.groupPrefix", external,
              f"the server's groups (access.server.groupPrefix {server!r}) start with it, so external consumers "
              "could join them and take the server's partitions: use a prefix the server's group ids do not start with")


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


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(w.title() for w in rest)


# --- adoption -------------------------------------------------------------------------

@check("cluster", "adopt")
def acl_adoption_needs_acls(d: Draft, p: Problems) -> None:
    if not d.adopt.acls:
        return
    enforcer = enforcer_for(d.cluster)
    if enforcer == "msk-iam":
        p.add("adopt.acls", True, "adopts Kafka ACL bindings, but on an AWS_MSK_IAM cluster IAM policies govern "
              "access (Kafka ACLs do not apply to IAM clients): turn it off")
    elif enforcer == "none":
        p.add("adopt.acls", True, f"securityProtocol {d.cluster.security_protocol} authenticates no one, so this "
              "stack declares no ACLs to adopt: turn it off")

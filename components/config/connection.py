"""How to reach and log in to a Kafka cluster, worked out once from one description.

`Connection` is that description (brokers, protocol, SASL mechanism and login, TLS files,
AWS settings); `StackConfig.connection` makes it from a stack's settings and the local
broker tool makes it for its admin. Everything that talks to a cluster derives from it:
- `provider_inputs()`: the stack's explicit kafka provider (passwords as secret Outputs,
  so the state holds them encrypted);
- `librdkafka()`: a confluent-kafka client that logs in as Pulumi does (the program's
  reader of the live cluster, the local broker tool's admin client, and through it the tests);
- `java_properties()`: the connection lines of a Java client.properties for one user,
  its password read from the environment at start-up, never written into the text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pulumi

from components.config.secrets import SaslLogin
from components.model import jaas

# Seed/CloudFormation spelling -> the kafka provider's spelling.
PROVIDER_MECHANISM = {"PLAIN": "plain", "SCRAM-SHA-256": "scram-sha256", "SCRAM-SHA-512": "scram-sha512",
                      "AWS_MSK_IAM": "aws-iam"}
PASSWORD_ENV = "KAFKA_SASL_PASSWORD"
USERNAME_ENV = "KAFKA_SASL_USERNAME"
KEYSTORE_ENV = "KAFKA_SSL_KEYSTORE_LOCATION"
_ENV_PROVIDER = ("config.providers=env",
                 "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider")


class NoClient(Exception):
    """This connection cannot be made with librdkafka here; the message says why."""


@dataclass(frozen=True)
class Connection:
    bootstrap_servers: tuple[str, ...]
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    login: SaslLogin | None = None  # PLAIN and SCRAM only
    ca_cert: str | None = None  # PEM file path or PEM text; SSL/SASL_SSL only
    client_cert: str | None = None  # mTLS
    client_key: str | None = None
    skip_tls_verify: bool = False
    timeout_seconds: int = 120
    aws_region: str | None = None  # AWS_MSK_IAM only
    aws_role_arn: str | None = None
    aws_profile: str | None = None

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def bootstrap(self) -> str:
        return ",".join(self.bootstrap_servers)

    def provider_inputs(self) -> dict[str, Any]:
        """The kafka provider's inputs for any protocol x mechanism (secrets as secret Outputs)."""
        args: dict[str, Any] = {
            "bootstrap_servers": list(self.bootstrap_servers),
            # The provider turns TLS on unless told otherwise; PLAINTEXT clusters need it off.
            "tls_enabled": self.tls,
            "skip_tls_verify": self.skip_tls_verify,
            "timeout": self.timeout_seconds,
        }
        if self.tls:
            args |= {k: v for k, v in (("ca_cert", self.ca_cert), ("client_cert", self.client_cert),
                                       ("client_key", self.client_key)) if v}
        # Always explicit: left unset, the provider falls back to KAFKA_SASL_MECHANISM/_USERNAME/_PASSWORD
        # from the environment of whoever runs pulumi, and turns SASL on where the stack says PLAINTEXT.
        # Without a username and password, "plain" is inert (SASL stays off). The empty password is
        # a secret like a real one would be: a plain "" against a secret state is a diff on every run.
        args["sasl_mechanism"] = PROVIDER_MECHANISM[self.sasl_mechanism] if self.sasl_mechanism else "plain"
        if self.login is not None:
            args |= {"sasl_username": self.login.username, "sasl_password": self.login.password.output()}
        else:
            args |= {"sasl_username": "", "sasl_password": pulumi.Output.secret("")}
        if self.sasl_mechanism == "AWS_MSK_IAM":
            args |= {k: v for k, v in (("sasl_aws_region", self.aws_region), ("sasl_aws_role_arn", self.aws_role_arn),
                                       ("sasl_aws_profile", self.aws_profile)) if v}
        return args

    def librdkafka(self) -> dict[str, Any]:
        """confluent-kafka settings that log in as Pulumi does; NoClient if librdkafka cannot here."""
        if self.sasl_mechanism == "AWS_MSK_IAM":
            raise NoClient("AWS_MSK_IAM clusters are not read (no IAM token signer here)")
        settings: dict[str, Any] = {"bootstrap.servers": self.bootstrap, "security.protocol": self.security_protocol}
        if self.sasl_mechanism is not None and self.login is not None:
            settings |= {"sasl.mechanism": self.sasl_mechanism, "sasl.username": self.login.username,
                         "sasl.password": self.login.password.reveal()}
        if self.tls:
            if self.skip_tls_verify:
                settings["enable.ssl.certificate.verification"] = False
            if self.ca_cert:
                settings |= _pem_or_path(self.ca_cert, "ssl.ca.location", "ssl.ca.pem")
            if self.client_cert and self.client_key:
                settings |= _pem_or_path(self.client_cert, "ssl.certificate.location", "ssl.certificate.pem")
                settings |= _pem_or_path(self.client_key, "ssl.key.location", "ssl.key.pem")
        return settings

    def java_properties(self, usernames: tuple[str, ...] = ()) -> list[str]:
        """client.properties lines for a client logging in as one of `usernames`: with a password (PLAIN/SCRAM,
        from $KAFKA_SASL_PASSWORD, and the user, if several, from $KAFKA_SASL_USERNAME), a TLS client
        certificate (SSL: key and certificate in the PEM file $KAFKA_SSL_KEYSTORE_LOCATION names), or IAM."""
        lines = [f"bootstrap.servers={self.bootstrap}", f"security.protocol={self.security_protocol}"]
        lines += self._java_tls(client_certificate=bool(usernames) and self.security_protocol == "SSL")
        if self.sasl_mechanism is None:
            return lines
        lines.append(f"sasl.mechanism={self.sasl_mechanism}")
        if self.sasl_mechanism == "AWS_MSK_IAM":
            return lines + [f"sasl.jaas.config={jaas.IAM_MODULE} required;",
                            f"sasl.client.callback.handler.class={jaas.IAM_CALLBACK_HANDLER}"]
        username = usernames[0] if len(usernames) == 1 else f"${{env:{USERNAME_ENV}}}"
        module = jaas.MODULE_FOR_MECHANISM[self.sasl_mechanism]
        return lines + [
            f"# The password comes from ${PASSWORD_ENV} at start-up; it is never written here.",
            *_ENV_PROVIDER,
            f'sasl.jaas.config={module} required username="{username}" password="${{env:{PASSWORD_ENV}}}";',
        ]

    def _java_tls(self, client_certificate: bool) -> list[str]:
        """Trust (the stack's CA, as a PEM trust store) and, for mTLS roles, the role's own certificate."""
        if not self.tls:
            return []
        lines = []
        if self.ca_cert and "-----BEGIN" in self.ca_cert:  # PEM text: one line, newlines escaped as Java reads them
            lines += ["ssl.truststore.type=PEM", "ssl.truststore.certificates=" + self.ca_cert.strip().replace("\n", "\\n")]
        elif self.ca_cert:
            lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={self.ca_cert}"]
        if self.skip_tls_verify:  # Java clients cannot skip the chain check: only the hostname check goes
            lines += ["# skipTlsVerify: the brokers' host names are not checked (never in production)",
                      "ssl.endpoint.identification.algorithm="]
        if client_certificate:
            lines += [f"# The role's TLS client certificate: its key and certificate in the PEM file ${KEYSTORE_ENV} names.",
                      *_ENV_PROVIDER, "ssl.keystore.type=PEM", f"ssl.keystore.location=${{env:{KEYSTORE_ENV}}}"]
        return lines


def _pem_or_path(value: str, path_key: str, pem_key: str) -> dict[str, str]:
    return {pem_key: value} if "-----BEGIN" in value else {path_key: os.path.expanduser(value)}

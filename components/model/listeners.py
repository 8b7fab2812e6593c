"""MSK broker listeners: which port serves which authentication, as one table of data.

The seed opens 9096 and calls it the IAM port; on MSK 9096 is SASL/SCRAM and IAM is
9098. Ingress rules, bootstrap-server checks and outputs all read this table, so a
port is written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Listener:
    auth: str  # short stable name, also used in resource names
    title: str
    security_protocol: str
    sasl_mechanism: str | None
    private_port: int
    public_port: int | None  # MSK public access has no plaintext listener

    def port(self, public: bool) -> int | None:
        return self.public_port if public else self.private_port


MSK_LISTENERS: tuple[Listener, ...] = (
    Listener("plaintext", "plaintext", "PLAINTEXT", None, 9092, None),
    Listener("tls", "TLS", "SSL", None, 9094, 9194),
    Listener("scram", "SASL/SCRAM", "SASL_SSL", "SCRAM-SHA-512", 9096, 9196),
    Listener("iam", "SASL/IAM", "SASL_SSL", "AWS_MSK_IAM", 9098, 9198),
)


def msk_listener(security_protocol: str, sasl_mechanism: str | None) -> Listener | None:
    """The MSK listener for these client settings, or None if MSK has no such listener."""
    for listener in MSK_LISTENERS:
        if (listener.security_protocol, listener.sasl_mechanism) == (security_protocol, sasl_mechanism):
            return listener
    return None


def describe_msk_listeners() -> str:
    """'PLAINTEXT on 9092, SSL on 9094/9194 (public), ...' for error messages."""
    parts = []
    for listener in MSK_LISTENERS:
        what = listener.security_protocol + (f"+{listener.sasl_mechanism}" if listener.sasl_mechanism else "")
        ports = f"{listener.private_port}" + (f"/{listener.public_port} (public)" if listener.public_port else "")
        parts.append(f"{what} on {ports}")
    return ", ".join(parts)

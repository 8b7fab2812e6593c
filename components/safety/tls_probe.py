"""Why a TLS connection to the brokers fails, in the stack's own terms.

librdkafka says "certificate verify failed" for a wrong CA and for a host name the
certificate does not cover alike, and an expired client certificate only shows as the
broker's "certificate unknown" alert. When the live read fails on TLS, this module asks the
first broker again with Python's own TLS (the handshake comes before any Kafka bytes) and
reads the stack's client certificate, so the refusal can name the setting to fix.
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import tempfile
from contextlib import ExitStack

from cryptography import x509

from components.config.connection import Connection


def _file(value: str, stack: ExitStack) -> str:
    """A path for a setting given as a path or as PEM text."""
    if "-----BEGIN" not in value:
        return os.path.expanduser(value)
    handle = stack.enter_context(tempfile.NamedTemporaryFile("w", suffix=".pem"))
    handle.write(value)
    handle.flush()
    return handle.name


def _client_cert_problem(connection: Connection, stack: ExitStack) -> str | None:
    if not connection.client_cert:
        return None
    path = _file(connection.client_cert, stack)
    try:
        with open(path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    except (OSError, ValueError) as exc:
        return f"cluster.clientCert ({connection.client_cert!r}) could not be read as a PEM certificate: {exc}"
    now = datetime.datetime.now(datetime.timezone.utc)
    if cert.not_valid_after_utc < now:
        return (f"cluster.clientCert ({connection.client_cert!r}) expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC: "
                "the brokers reject it; issue a new one")
    if cert.not_valid_before_utc > now:
        return (f"cluster.clientCert ({connection.client_cert!r}) is not valid before "
                f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC (is this machine's clock right?)")
    return None


def diagnose(connection: Connection, timeout: float) -> str:
    """The setting to fix and why, or the TLS library's own words when nothing more precise is known."""
    with ExitStack() as stack:
        if (problem := _client_cert_problem(connection, stack)) is not None:
            return problem
        try:
            context = ssl.create_default_context(cafile=_file(connection.ca_cert, stack) if connection.ca_cert else None)
        except (OSError, ssl.SSLError) as exc:
            return f"cluster.caCert ({connection.ca_cert!r}) could not be read as a PEM CA certificate: {exc}"
        if connection.skip_tls_verify:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        server = connection.bootstrap_servers[0]
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout) as raw:
                with context.wrap_socket(raw, server_hostname=host):
                    pass
        except ssl.SSLCertVerificationError as exc:
            return _verify_problem(connection, server, host, exc)
        except (OSError, ValueError) as exc:
            return f"{server}: {exc}"
    return ""


def _verify_problem(connection: Connection, server: str, host: str, exc: ssl.SSLCertVerificationError) -> str:
    said = exc.verify_message or str(exc)
    if "hostname mismatch" in said.lower() or "ip address mismatch" in said.lower():
        return (f"cluster.bootstrapServers names {host!r} ({server}), but the broker's certificate is not issued "
                f"for that name ({said}): use a host name the certificate lists")
    if "expired" in said:
        return f"the broker's certificate at {server} has expired ({said}): the cluster needs a new one"
    ca = f"cluster.caCert ({connection.ca_cert!r})" if connection.ca_cert else "the system's trusted CAs (cluster.caCert is not set)"
    return f"the broker's certificate at {server} is not signed by {ca} ({said}): point cluster.caCert at the CA that signed it"

"""The local secure cluster's certificates: one CA, made at first start, and what it signs.

Made with `cryptography` (PyPI), kept under the cluster's directory, private keys mode 0600:
- `ca.pem` / `ca-key.pem`: the local CA (what a stack's `cluster.caCert` points at);
- `node.pem`: the brokers' key and certificate in one file (Kafka's PEM keystore), SAN
  127.0.0.1 and localhost, CN `kafka-node` (the nodes' own principal on their internal listeners);
- `clients/<cn>.pem` / `clients/<cn>-key.pem`: TLS client certificates; the brokers map the CN
  to `User:<cn>` (ssl.principal.mapping.rules), so a certificate is a login.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NODE_CN = "kafka-node"
VALID_DAYS = 825  # the longest lifetime clients commonly accept for a server certificate
_KEY_FORMAT = dict(encoding=serialization.Encoding.PEM, format=serialization.PrivateFormat.PKCS8,
                   encryption_algorithm=serialization.NoEncryption())  # Kafka's PEM keystore reads PKCS#8


@dataclass(frozen=True)
class Pair:
    cert: Path  # PEM certificate
    key: Path  # PEM private key (PKCS#8, unencrypted, 0600)


def write_private(path: Path, data: bytes) -> Path:
    """Create or replace a file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(data)
    return path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evidentsource-kafka local"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(dir: Path, cn: str = "evidentsource-kafka local CA") -> Pair:
    """A CA in dir (ca.pem, ca-key.pem), made once: an existing one is kept."""
    pair = Pair(dir / "ca.pem", dir / "ca-key.pem")
    if pair.cert.exists() and pair.key.exists():
        return pair
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    write_private(pair.key, key.private_bytes(**_KEY_FORMAT))
    pair.cert.write_bytes(_pem(cert))
    return pair


def issue(ca: Pair, cert_path: Path, key_path: Path, cn: str, server: bool = False,
          valid_from: datetime.datetime | None = None, days: int = VALID_DAYS) -> Pair:
    """A certificate for cn signed by ca: a server's (SAN 127.0.0.1, localhost) or a client's."""
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    start = valid_from or datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH] + ([ExtendedKeyUsageOID.SERVER_AUTH] if server else [])
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    write_private(key_path, key.private_bytes(**_KEY_FORMAT))
    cert_path.write_bytes(_pem(cert))
    return Pair(cert_path, key_path)


def node_keystore(dir: Path, ca: Pair) -> Path:
    """node.pem: the brokers' private key followed by their certificate (Kafka's ssl.keystore.type=PEM)."""
    path = dir / "node.pem"
    if not path.exists():
        pair = issue(ca, dir / "node-cert.pem", dir / "node-key.pem", NODE_CN, server=True)
        write_private(path, pair.key.read_bytes() + pair.cert.read_bytes())
    return path


def client(dir: Path, ca: Pair, cn: str, **kwargs) -> Pair:
    """clients/<cn>.pem and clients/<cn>-key.pem (made once unless kwargs ask for something special)."""
    pair = Pair(dir / "clients" / f"{cn}.pem", dir / "clients" / f"{cn}-key.pem")
    if kwargs or not (pair.cert.exists() and pair.key.exists()):
        pair.cert.parent.mkdir(parents=True, exist_ok=True)
        issue(ca, pair.cert, pair.key, cn, **kwargs)
    return pair

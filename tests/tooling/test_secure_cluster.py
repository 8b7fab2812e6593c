"""The secure cluster tool's promises: its certificates, and a failed start that leaves nothing running.

A port that is taken, or a node that does not come up: one message naming what failed (with
the node's log tail), and no node left running. The cluster that does come up is the
session's (tests/conftest.py) and is exercised by the integration tests.
"""

from __future__ import annotations

import socket
import stat

import pytest
from cryptography import x509

from tools.cluster import certs
from tools.cluster import secure_cluster as cluster_tool
from tools.cluster.broker import BrokerError

pytestmark = pytest.mark.timeout(300)


def test_the_ca_signs_broker_and_client_certificates_with_private_keys_0600(tmp_path):
    ca = certs.make_ca(tmp_path)
    keystore = certs.node_keystore(tmp_path, ca)
    client = certs.client(tmp_path, ca, "evidentsource")
    for key in (ca.key, keystore, client.key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    node = x509.load_pem_x509_certificate((tmp_path / "node-cert.pem").read_bytes())
    sans = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1"}
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert b"PRIVATE KEY" in keystore.read_bytes() and b"CERTIFICATE" in keystore.read_bytes()
    cert = x509.load_pem_x509_certificate(client.cert.read_bytes())
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "evidentsource"
    assert cert.issuer == x509.load_pem_x509_certificate(ca.cert.read_bytes()).subject
    assert certs.make_ca(tmp_path).cert.read_bytes() == ca.cert.read_bytes()  # made once, kept after


def test_a_taken_port_is_named_and_nothing_starts(tmp_path):
    ports = cluster_tool.free_ports()
    taken = ports[2]["controller"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        with pytest.raises(BrokerError, match=rf"^port {taken} on 127.0.0.1 is already in use by pid \d+"):
            cluster_tool.start(tmp_path, ports, timeout=60)
    assert cluster_tool.status(tmp_path) is None
    assert not list(tmp_path.glob("node-*/node.pid"))


def test_a_node_that_does_not_come_up_is_named_with_its_log_and_the_others_are_stopped(tmp_path):
    broken = tmp_path / "node-2" / "data"  # storage formatted for another node: Kafka refuses to start
    broken.mkdir(parents=True)
    (broken / "meta.properties").write_text("version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=5\n"
                                            "directory.id=BBBBBBBBBBBBBBBBBBBBBB\n")
    with pytest.raises(BrokerError) as failure:
        cluster_tool.start(tmp_path, cluster_tool.free_ports(), timeout=90)
    text = str(failure.value)
    assert text.startswith("node 2 exited during start-up\n--- "), text[:500]
    assert "node-2/node.log from its first error ---" in text
    assert "ERROR" in text.split("---", 2)[2].splitlines()[1], text[:2000]  # Kafka's own reason comes first
    assert cluster_tool.status(tmp_path) is None  # nodes 1 and 3 were started, and stopped again
    for node in cluster_tool.NODES:
        assert cluster_tool._pid(tmp_path, node) is None

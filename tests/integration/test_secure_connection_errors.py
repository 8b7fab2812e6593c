"""A connection that cannot work is refused at preview with one message naming the setting to fix.

On the three-node TLS cluster: a caCert from another CA, a broker address the certificate is
not issued for, an expired client certificate, and a wrong admin password. Each: `preview`
and `up` exit non-zero, the message appears once and names the key and value (never the
password), and nothing reaches the cluster or the state.
"""

from __future__ import annotations

import datetime

import pytest
from confluent_kafka.admin import AdminClient
from pulumi import automation as auto

from components.model import jaas
from components.model.names import NAMESPACE
from tools.cluster import certs
from tools.cluster import secure_cluster as cluster_tool

pytestmark = pytest.mark.timeout(600)


def scram_stack(info: dict, prefix: str, **cluster) -> dict:
    return {"cluster": {"bootstrapServers": info["bootstrap_servers"].split(","), "securityProtocol": "SASL_SSL",
                        "saslMechanism": "SCRAM-SHA-512", "caCert": info["ca_cert"], **cluster},
            "topics": {"namePrefix": prefix, "replicationFactor": 3, "protect": False}}


def refused(stack, password: str) -> str:
    """Run preview and up; both must fail; return preview's output (checked free of the password)."""
    texts = []
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as failure:
            run()
        texts.append(str(failure.value))
    for text in texts:
        assert password not in text and password[:8] not in text
    return texts[0]


def assert_untouched(info: dict, stack, prefix: str) -> None:
    admin = AdminClient({**cluster_tool.client_config(info), "log_level": 0})
    assert not [t for t in admin.list_topics(timeout=15).topics if t.startswith(prefix)]
    resources = stack.export_stack().deployment.get("resources") or []
    assert [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"] == [], resources


def test_a_ca_that_did_not_sign_the_brokers_is_named(project, secure_cluster, prefix, tmp_path):
    info = secure_cluster
    other = certs.make_ca(tmp_path / "other-ca", cn="someone else's CA")
    stack = project.stack(scram_stack(info, prefix, caCert=str(other.cert)))
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    text = refused(stack, info["admin_password"])
    assert text.count("[connection:tls]") == 1, text
    assert f"is not signed by cluster.caCert ('{other.cert}')" in text, text
    assert_untouched(info, stack, prefix)


def test_a_broker_address_the_certificate_does_not_cover_is_named(project, secure_cluster, prefix):
    info = secure_cluster
    # 127.1 is 127.0.0.1 to the resolver, but not a name the brokers' certificate lists (127.0.0.1, localhost).
    servers = [s.replace("127.0.0.1", "127.1") for s in info["bootstrap_servers"].split(",")]
    stack = project.stack(scram_stack(info, prefix, bootstrapServers=servers))
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    text = refused(stack, info["admin_password"])
    assert text.count("[connection:tls]") == 1, text
    assert f"cluster.bootstrapServers names '127.1' ({servers[0]}), but the broker's certificate is not issued" in text
    assert_untouched(info, stack, prefix)


def test_an_expired_client_certificate_is_named(project, secure_cluster, prefix):
    info = secure_cluster
    long_ago = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    expired = cluster_tool.client_cert(f"{prefix}expired", info["dir"], valid_from=long_ago, days=30)
    stack = project.stack({"cluster": {"bootstrapServers": info["bootstrap_ssl"].split(","), "securityProtocol": "SSL",
                                       "caCert": info["ca_cert"], "clientCert": str(expired.cert),
                                       "clientKey": str(expired.key)},
                           "topics": {"namePrefix": prefix, "replicationFactor": 3, "protect": False}})
    text = refused(stack, "-----BEGIN PRIVATE KEY-----")
    assert text.count("[connection:tls]") == 1, text
    assert f"cluster.clientCert ('{expired.cert}') expired on 2025-01-31 00:00 UTC" in text, text
    assert_untouched(info, stack, prefix)


def test_a_wrong_admin_password_is_refused_not_reported_as_success(project, secure_cluster, prefix):
    info = secure_cluster
    wrong = "not-the-admin-password-" + prefix
    stack = project.stack(scram_stack(info, prefix))
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(jaas.render("SCRAM-SHA-512", "admin", wrong),
                                                                     secret=True))
    text = refused(stack, wrong)
    assert text.count("[connection:login]") == 1, text
    assert "rejected this stack's own login 'admin' (SCRAM-SHA-512)" in text
    assert "invalid credentials" in text
    assert_untouched(info, stack, prefix)


def test_a_login_that_may_not_see_the_topics_is_refused_not_told_they_were_deleted(project, secure_cluster, prefix):
    from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion
    info = secure_cluster
    stack = project.stack(scram_stack(info, prefix))
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    names = stack.up().outputs["topicNames"].value
    weak, password = f"{prefix}weak", "weak-password-" + prefix
    admin = AdminClient({**cluster_tool.client_config(info), "log_level": 0})
    upsert = UserScramCredentialUpsertion(weak, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                                          password.encode())
    for future in admin.alter_user_scram_credentials([upsert]).values():
        future.result(30)
    before = sorted(t for t in admin.list_topics(timeout=15).topics if t.startswith(prefix))
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(jaas.render("SCRAM-SHA-512", weak, password),
                                                                     secret=True))
    try:
        text = refused(stack, password)
        assert text.count("[connection:not-authorized]") == 1, text[-3000:]
        assert f"this stack's own login '{weak}' may not describe '{names['transactionProposals']}'" in text
        assert "deleted out of band" not in text
        assert sorted(t for t in admin.list_topics(timeout=15).topics if t.startswith(prefix)) == before
    finally:
        stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
            jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
        stack.destroy(run_program=False)

"""`make verify`: log in as every role with the stack's own settings and secrets, on the three-node TLS cluster.

On a SCRAM stack and on an mTLS stack, after a real `pulumi up`: the tool (run as `make verify` runs
it) exits 0 with a table of allowed and denied operations, every one as expected. A binding removed
by hand afterwards makes it exit 1, naming the role, the operation and what happened instead. A
principal whose password the stack does not hold is said in the table, never passed silently.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, AdminClient, \
    ResourcePatternType, ResourceType
from pulumi import automation as auto

from components.model import jaas
from components.model.names import NAMESPACE
from tools.cluster import secure_cluster as cluster_tool
from tools.toolchain.projectenv import PROJECT

pytestmark = pytest.mark.timeout(900)
ROLES = {"server": "server", "dynamodbStreamsLambda": "lambda", "externalConsumers": "consumer",
         "externalProducers": "producer"}


def access(prefix: str, users: dict[str, str]) -> dict:
    return {"server": {"principals": [f"User:{users['server']}"]},
            "dynamodbStreamsLambda": {"principals": [f"User:{users['lambda']}"]},
            "externalConsumers": {"principals": [f"User:{users['consumer']}"], "groupPrefix": f"{prefix}ext-"},
            "externalProducers": {"principals": [f"User:{users['producer']}"]}}


def verify(stack, project, certs=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tools.ops.verify", "--stack", stack.name, "--project-dir", str(project.root)]
    return subprocess.run(command + (["--certs", str(certs)] if certs else []), cwd=PROJECT, capture_output=True,
                          text=True, timeout=600)


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()[1:] if line.split() and line.split()[-1] in
            ("expected", "UNEXPECTED", "CHECKED")]


def remove_group_read(info: dict, principal: str, prefix: str) -> None:
    admin = AdminClient({**cluster_tool.client_config(info), "log_level": 0})
    gone = admin.delete_acls([AclBindingFilter(ResourceType.GROUP, f"{prefix}ext-", ResourcePatternType.PREFIXED,
                                               principal, None, AclOperation.READ, AclPermissionType.ALLOW)])
    assert [len(f.result(30)) for f in gone.values()] == [1]


def test_verify_on_a_scram_stack_then_a_binding_removed_by_hand(project, secure_cluster, prefix):
    info = secure_cluster
    users = {short: f"{prefix}{short}" for short in ROLES.values()}
    stack = project.stack({"cluster": {"bootstrapServers": info["bootstrap_servers"].split(","),
                                       "securityProtocol": "SASL_SSL", "saslMechanism": "SCRAM-SHA-512",
                                       "caCert": info["ca_cert"]},
                           "topics": {"namePrefix": prefix, "partitions": 1, "replicationFactor": 3, "protect": False},
                           "access": {"createScramUsers": True, **access(prefix, users)}})
    stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    for name in users.values():
        stack.set_config(f"{NAMESPACE}:principalPasswords.{name}", auto.ConfigValue(f"pw-{name}-x", secret=True),
                         path=True)
    try:
        stack.up()
        done = verify(stack, project)
        assert done.returncode == 0, done.stdout + done.stderr
        table = rows(done.stdout)
        assert {r[-1] for r in table} == {"expected"}, done.stdout
        for role in ROLES:  # every role logged in and was checked both ways
            assert {r[-3] for r in table if r[0] == role} == {"allowed", "denied"}, (role, done.stdout)
        operations = {(r[0], r[2]) for r in table}
        assert {("externalProducers", "produce"), ("externalConsumers", "consume"), ("server", "describe"),
                ("dynamodbStreamsLambda", "produce")} <= operations, done.stdout
        assert "pw-" not in done.stdout + done.stderr
        assert done.stdout.strip().splitlines()[-1].startswith("verify OK on stack ")

        remove_group_read(info, f"User:{users['consumer']}", prefix)
        broken = verify(stack, project)
        assert broken.returncode == 1, broken.stdout + broken.stderr
        unexpected = [r for r in rows(broken.stdout) if r[-1] == "UNEXPECTED"]
        assert unexpected and {(r[0], r[2]) for r in unexpected} == {("externalConsumers", "consume")}, broken.stdout
        assert all(r[-2] == "denied" for r in unexpected), broken.stdout

        # A principal whose password the stack does not hold: said, not passed.
        stack.set_config(f"{NAMESPACE}:access", auto.ConfigValue(json.dumps({"createScramUsers": False,
                                                                           **access(prefix, users)})))
        stack.remove_config(f"{NAMESPACE}:principalPasswords.{users['producer']}", path=True)
        said = verify(stack, project)
        assert f"no password for '{users['producer']}' in the stack's principalPasswords" in said.stdout, said.stdout
        assert said.returncode == 1 and "NOT CHECKED" in said.stdout  # still failing: the consumer's Read is gone
    finally:
        stack.set_config(f"{NAMESPACE}:principalPasswords.{users['producer']}",
                         auto.ConfigValue(f"pw-{users['producer']}-x", secret=True), path=True)
        stack.set_config(f"{NAMESPACE}:access", auto.ConfigValue(json.dumps({"createScramUsers": True,
                                                                           **access(prefix, users)})))
        stack.destroy(run_program=False)


def test_verify_on_an_mtls_stack(project, secure_cluster, prefix, tmp_path):
    info = secure_cluster
    users = {short: f"{prefix}{short}" for short in ROLES.values()}
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in users.values():  # each role's key and certificate in one PEM file, named by its CN
        pair = cluster_tool.client_cert(name, info["dir"])
        (certs / f"{name}.pem").write_bytes(pair.key.read_bytes() + pair.cert.read_bytes())
    stack = project.stack({"cluster": {"bootstrapServers": info["bootstrap_ssl"].split(","), "securityProtocol": "SSL",
                                       "caCert": info["ca_cert"], "clientCert": info["admin_cert"]["cert"],
                                       "clientKey": info["admin_cert"]["key"]},
                           "topics": {"namePrefix": prefix, "partitions": 1, "replicationFactor": 3, "protect": False},
                           "access": access(prefix, users)})
    try:
        stack.up()
        done = verify(stack, project, certs)
        assert done.returncode == 0, done.stdout + done.stderr
        table = rows(done.stdout)
        assert len({r[0] for r in table}) == 4 and {r[-1] for r in table} == {"expected"}, done.stdout
        missing = verify(stack, project)  # no certificates given: each role said, none passed
        assert missing.returncode == 0 and missing.stdout.count("pass --certs DIR holding <cn>.pem") == 4, \
            missing.stdout
        assert ": 0 checked, 0 unexpected, 4 not checked" in missing.stdout.splitlines()[-1], missing.stdout
    finally:
        stack.destroy(run_program=False)

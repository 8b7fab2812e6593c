"""Every login the seed lists, on the three-node TLS cluster, through the real engine and the real kafka plugin.

For each of SSL (server-auth only, and mTLS), SASL_SSL + PLAIN, SASL_SSL + SCRAM-SHA-256 and
SASL_SSL + SCRAM-SHA-512: `pulumi up` of a stack in that mode (RF 3, the cluster's CA as
cluster.caCert), then each role does what it may and is refused what it may not, with a real
librdkafka client and Kafka's own Java console producer/consumer, both configured only from
the stack's clientProperties output plus the role's secret. PLAINTEXT is the dev stack's
mode, on the single-node broker: no login and no authorizer, so only the clients are checked.
"""

from __future__ import annotations

import pytest
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   ResourcePatternType, ResourceType)
from pulumi import automation as auto

from components.model import jaas
from components.model import names as keys
from components.model.names import NAMESPACE
from tests.support.role_clients import RoleClient, denied, record_count
from tools.cluster import secure_cluster as cluster_tool

pytestmark = pytest.mark.timeout(900)

ROLES = ("server", "lambda", "consumer", "producer")
MODES = ("ssl-server-auth", "ssl-mtls", "sasl-plain", "scram-sha-256", "scram-sha-512")
MECHANISM = {"sasl-plain": "PLAIN", "scram-sha-256": "SCRAM-SHA-256", "scram-sha-512": "SCRAM-SHA-512"}


def admin_client(info: dict) -> AdminClient:
    return AdminClient({**cluster_tool.client_config(info), "log_level": 0})


def stack_settings(mode: str, info: dict, prefix: str, principals: dict[str, str]) -> dict:
    ssl = mode.startswith("ssl")
    cluster = {"bootstrapServers": info["bootstrap_ssl" if ssl else "bootstrap_servers"].split(","),
               "securityProtocol": "SSL" if ssl else "SASL_SSL", "caCert": info["ca_cert"]}
    if not ssl:
        cluster["saslMechanism"] = MECHANISM[mode]
    if mode == "ssl-mtls":  # Pulumi itself logs in with the admin's certificate (User:admin)
        cluster |= {"clientCert": info["admin_cert"]["cert"], "clientKey": info["admin_cert"]["key"]}
    settings = {"cluster": cluster, "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 3,
                                               "protect": False}}
    if mode == "ssl-server-auth":
        return settings  # a listener that authenticates no one: no role can be told apart (User:ANONYMOUS)
    user = {role: f"User:{name}" for role, name in principals.items()}
    settings["access"] = {
        "createScramUsers": mode.startswith("scram"),
        "server": {"principals": [user["server"]], "groupPrefix": f"{prefix}server-",
                   "transactionalIdPrefix": f"{prefix}tx-"},
        "dynamodbStreamsLambda": {"principals": [user["lambda"]]},
        "externalConsumers": {"principals": [user["consumer"]], "groupPrefix": f"{prefix}ext-"},
        "externalProducers": {"principals": [user["producer"]]},
    }
    return settings


def anonymous_grants(prefix: str) -> list[AclBinding]:
    """What an encryption-only cluster gives its unauthenticated clients, on this test's names only."""
    def allow(rtype, op):
        return AclBinding(rtype, prefix, ResourcePatternType.PREFIXED, "User:ANONYMOUS", "*", op,
                          AclPermissionType.ALLOW)
    return [allow(ResourceType.TOPIC, AclOperation.ALL), allow(ResourceType.GROUP, AclOperation.READ)]


@pytest.mark.parametrize("mode", MODES)
def test_each_login_applies_the_stack_and_enforces_the_roles(mode, project, secure_cluster, prefix, tmp_path):
    info = secure_cluster
    if mode == "sasl-plain":  # PLAIN users live in the brokers' configuration
        principals = {role: f"plain-{role}" for role in ROLES}
        secrets = {role: info["plain_users"][name] for role, name in principals.items()}
    else:
        principals = {role: f"{prefix}{role}" for role in ROLES}
        secrets = {role: f"pw-{prefix}{role}" for role in ROLES}
    stack = project.stack(stack_settings(mode, info, prefix, principals))
    if mode in MECHANISM:
        stack.set_config(f"{NAMESPACE}:saslJaasConfig", auto.ConfigValue(
            jaas.render(MECHANISM[mode], "admin", info["admin_password"]), secret=True))
    if mode.startswith("scram"):
        for role, name in principals.items():
            stack.set_config(f"{NAMESPACE}:principalPasswords.{name}", auto.ConfigValue(secrets[role], secret=True),
                             path=True)
    keystores = {}
    if mode == "ssl-mtls":  # each role's certificate, key and certificate in one PEM file
        for role, name in principals.items():
            pair = cluster_tool.client_cert(name, info["dir"])
            keystores[role] = tmp_path / f"{role}.pem"
            keystores[role].write_bytes(pair.key.read_bytes() + pair.cert.read_bytes())
    admin = admin_client(info)
    if mode == "ssl-server-auth":
        admin.create_acls(anonymous_grants(prefix))[anonymous_grants(prefix)[0]].result(30)
    try:
        result = stack.up()
        outputs = {k: v.value for k, v in result.outputs.items()}
        names = outputs[keys.TOPIC_NAMES]
        # RF 3 and min ISR 2, as the brokers report them (not as the stack asked).
        described = admin.list_topics(timeout=15).topics
        for name in names.values():
            assert {len(p.replicas) for p in described[name].partitions.values()} == {3}, name
        properties = outputs[keys.CLIENT_PROPERTIES]
        if mode == "ssl-server-auth":
            check_unauthenticated(info, RoleClient(properties["server"]), names, prefix, tmp_path)
        else:
            check_roles(info, mode, properties, principals, secrets, keystores, names, prefix, tmp_path)
        changes = stack.preview().change_summary
        assert set(changes) == {"same"}, changes  # a second run changes nothing
    finally:
        stack.destroy(run_program=False)
        if mode == "ssl-server-auth":
            admin.delete_acls([AclBindingFilter(ResourceType.ANY, prefix, ResourcePatternType.PREFIXED,
                                                "User:ANONYMOUS", "*", AclOperation.ANY, AclPermissionType.ANY)])


def check_roles(info, mode, properties, principals, secrets, keystores, names, prefix, tmp_path) -> None:
    role_output = {"server": "server", "lambda": "dynamodbStreamsLambda", "consumer": "externalConsumers",
                   "producer": "externalProducers"}
    client = {role: RoleClient(properties[role_output[role]], principals[role],
                               secrets[role] if mode != "ssl-mtls" else None, keystores.get(role))
              for role in ROLES}
    for text in properties.values():  # no secret is ever written into the output
        assert not any(s in text for s in secrets.values())
    server, lam, consumer, producer = (client[r] for r in ROLES)
    # The server: writes and reads every topic in its own groups, transactions under its prefix.
    assert server.produce(names["transactionProposals"]) is None
    assert server.produce(names["databaseEvents"]) is None
    assert server.consume(names["transactionProposals"], f"{prefix}server-a") >= 1
    # The DynamoDB-Streams Lambda: database-events only.
    assert lam.produce(names["databaseEvents"]) is None
    assert denied(lam.produce(names["asyncCommands"]))
    # External producers: async-commands only.
    assert producer.produce(names["asyncCommands"]) is None
    assert denied(producer.produce(names["transactionProposals"]))
    # External consumers: database-events in their own groups; never proposals, never the server's groups.
    assert consumer.consume(names["databaseEvents"], f"{prefix}ext-a") >= 1
    assert denied(consumer.consume(names["transactionProposals"], f"{prefix}ext-b"))
    assert denied(consumer.consume(names["databaseEvents"], f"{prefix}server-b"))
    assert denied(consumer.produce(names["databaseEvents"]))
    # Kafka's own Java tools read the same text (the secret from the environment).
    before = record_count(cluster_tool.client_config(info), names["asyncCommands"])
    run = producer.java("console-producer", ["--topic", names["asyncCommands"]], tmp_path, "from-java\n")
    assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr[-2000:]
    assert record_count(cluster_tool.client_config(info), names["asyncCommands"]) == before + 1
    run = producer.java("console-producer", ["--topic", names["asyncResponses"]], tmp_path, "refused\n")
    assert "TopicAuthorizationException" in run.stderr or "not authorized" in run.stderr.lower(), run.stderr[-2000:]
    assert record_count(cluster_tool.client_config(info), names["asyncResponses"]) == 0
    run = consumer.java("console-consumer", ["--topic", names["databaseEvents"], "--group", f"{prefix}ext-java",
                                             "--from-beginning", "--max-messages", "2", "--timeout-ms", "30000"],
                        tmp_path)
    assert run.returncode == 0 and "Processed a total of 2 messages" in run.stderr, run.stderr[-2000:]


def check_unauthenticated(info, client: RoleClient, names, prefix, tmp_path) -> None:
    """Server-auth TLS only: every client is User:ANONYMOUS; the cluster's own grants decide (this test's names)."""
    assert "ssl.keystore.location" not in client.properties
    assert client.produce(names["databaseEvents"]) is None
    assert client.consume(names["databaseEvents"], f"{prefix}any") >= 1
    assert denied(client.produce("outside-the-grants"))  # deny by default still holds for ANONYMOUS
    before = record_count(cluster_tool.client_config(info), names["asyncCommands"])
    run = client.java("console-producer", ["--topic", names["asyncCommands"]], tmp_path, "from-java\n")
    assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr[-2000:]
    assert record_count(cluster_tool.client_config(info), names["asyncCommands"]) == before + 1


def test_plaintext_clients_work_from_the_output_alone(project, plain_broker, prefix, tmp_path):
    """PLAINTEXT (the dev stack's mode, single node): no login, no authorizer; the output still configures both clients."""
    stack = project.stack({"cluster": {"bootstrapServers": [plain_broker["bootstrap_servers"]],
                                       "securityProtocol": "PLAINTEXT"},
                           "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1, "protect": False}})
    try:
        outputs = {k: v.value for k, v in stack.up().outputs.items()}
        names, client = outputs[keys.TOPIC_NAMES], RoleClient(outputs[keys.CLIENT_PROPERTIES]["server"])
        assert client.parsed() == {"bootstrap.servers": plain_broker["bootstrap_servers"],
                                   "security.protocol": "PLAINTEXT", "enable.idempotence": "true", "acks": "all"}
        assert client.produce(names["databaseEvents"]) is None
        run = client.java("console-producer", ["--topic", names["databaseEvents"]], tmp_path, "from-java\n")
        assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr[-2000:]
        run = client.java("console-consumer", ["--topic", names["databaseEvents"], "--group", f"{prefix}java",
                                               "--from-beginning", "--max-messages", "2", "--timeout-ms", "30000"],
                          tmp_path)
        assert run.returncode == 0 and "Processed a total of 2 messages" in run.stderr, run.stderr[-2000:]
    finally:
        stack.destroy(run_program=False)

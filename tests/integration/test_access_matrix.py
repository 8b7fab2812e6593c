"""A SCRAM + Kafka ACL stack through the real engine: real clients prove the access matrix.

The secure broker denies everything without an ACL (admin is its only super user). After
`up`, each principal logs in with the SCRAM user the stack created, and real
confluent_kafka clients check what it may and may not do; the client settings come from
the stack's own clientProperties output. Then: reordering principals previews no change,
a second `up` changes nothing, and `destroy` removes the users and ACLs again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
from pulumi import automation as auto

from components.model import names as keys
from components.model.catalog import BY_KEY
from components.model.names import NAMESPACE
from tests.support.role_clients import consume, denied, produce, record_count
from tests.support.stack_configs import secure_stack
from tools.cluster import broker

pytestmark = pytest.mark.timeout(1200)

NS = NAMESPACE
TOPICS = ("transactionProposals", "databaseEvents", "asyncCommands", "asyncResponses")


def stack_config(bootstrap: str, prefix: str, users: dict[str, str]) -> dict:
    user = {name.removeprefix(prefix): f"User:{name}" for name in users}
    return secure_stack(
        bootstrap,
        topics={"namePrefix": prefix, "partitions": 2, "replicationFactor": 1, "protect": False},
        access={
            "createScramUsers": True,
            "server": {"principals": [user["server"]], "groupPrefix": f"{prefix}server-",
                       "transactionalIdPrefix": f"{prefix}tx-"},
            "dynamodbStreamsLambda": {"principals": [user["lambda"]]},
            "externalConsumers": {"principals": [user["consumer-a"], user["consumer-b"]], "groupPrefix": f"{prefix}ext-"},
            "externalProducers": {"principals": [user["producer"]]},
        },
    )


def client_settings(properties: str, username: str, password: str) -> dict:
    """librdkafka settings from a role's client.properties output (Java spelling) plus the login."""
    props = dict(line.split("=", 1) for line in properties.splitlines() if line and not line.startswith("#"))
    settings = {"bootstrap.servers": props["bootstrap.servers"], "security.protocol": props["security.protocol"],
                "sasl.mechanism": props["sasl.mechanism"], "sasl.username": username, "sasl.password": password,
                "log_level": 0}
    if props.get("enable.idempotence") == "true":
        settings["enable.idempotence"] = True
    return settings


def transactional_init(settings: dict, transactional_id: str) -> KafkaError | None:
    producer = Producer({**settings, "transactional.id": transactional_id})
    try:
        producer.init_transactions(30)
        producer.begin_transaction()
        producer.commit_transaction(30)
        return None
    except KafkaException as exc:
        return exc.args[0]


def java_console_produce(secure_broker: dict, tmp_path: Path, properties: str, topic: str, password: str) -> None:
    """Produce one record with Kafka's console producer (Java) and a role's client.properties.

    The console producer exits 0 even when it could not log in, so callers count records.
    """
    config = tmp_path / "client.properties"
    config.write_text(properties)
    run = broker.admin("console-producer", ["--topic", topic, "--producer.config", str(config)],
                       dir=secure_broker["dir"], input="from-java\n", text=True, capture_output=True, timeout=180,
                       env={**os.environ, "KAFKA_SASL_PASSWORD": password})
    assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr[-2000:]


def stored_state(stack_name: str) -> str:
    """The stack's state file as the file backend stores it (export --show-secrets would decrypt)."""
    backend = Path(urlparse(os.environ["PULUMI_BACKEND_URL"]).path)
    (path,) = [p for p in backend.rglob(f"{stack_name}.json") if "history" not in p.parts and "backups" not in p.parts]
    return path.read_text()


def test_scram_acl_stack_enforces_the_access_matrix(project, secure_broker, secure_admin, prefix, users, tmp_path):
    bootstrap = secure_broker["bootstrap_servers"]
    stack = project.stack(stack_config(bootstrap, prefix, users))
    admin_jaas = broker.jaas(secure_broker["admin_password"])
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(admin_jaas, secret=True))
    for name, password in users.items():  # as the stack file says: pulumi config set --secret --path
        stack.set_config(f"{NS}:principalPasswords.{name}", auto.ConfigValue(password, secret=True), path=True)
    try:
        result = stack.up()
        # stack, provider, 3 components, 4 topics, 1 resource holding the 5 SCRAM users, 4 role resources holding
        # the 42 ACL bindings (the server's 32: the vendor's `All` written out)
        assert result.summary.resource_changes == {"create": 15}, result.summary.resource_changes
        outputs = {k: v.value for k, v in result.outputs.items()}
        # Passwords only as secrets: encrypted in state, and only the server's JAAS output carries one.
        state = stored_state(stack.name)
        assert '"ciphertext"' in state
        for password in [secure_broker["admin_password"], *users.values()]:
            assert password not in state
        assert [k for k, v in result.outputs.items() if v.secret] == [keys.CLOUDFORMATION_SASL_JAAS_CONFIG]
        assert outputs[keys.CLOUDFORMATION_SASL_JAAS_CONFIG].endswith(
            f'username="{prefix}server" password="{users[prefix + "server"]}";')
        names = outputs[keys.TOPIC_NAMES]
        assert names == {k: prefix + BY_KEY[k].default_name for k in TOPICS}
        properties = outputs[keys.CLIENT_PROPERTIES]
        for role_text in properties.values():
            assert all(p not in role_text for p in users.values())  # no password in any client.properties
        login = {role: client_settings(properties[role], f"{prefix}{who}", users[f"{prefix}{who}"])
                 for role, who in (("server", "server"), ("dynamodbStreamsLambda", "lambda"),
                                   ("externalProducers", "producer"))}
        consumers = {who: client_settings(properties["externalConsumers"], f"{prefix}{who}", users[f"{prefix}{who}"])
                     for who in ("consumer-a", "consumer-b")}

        # The server: everything, idempotent and transactional, in its own groups.
        for key in TOPICS:
            assert produce(login["server"], names[key]) is None, key
            assert consume(login["server"], names[key], f"{prefix}server-{key}") >= 1, key
        assert transactional_init(login["server"], f"{prefix}tx-1") is None

        # External producers: async-commands only (idempotent), nothing else.
        assert login["externalProducers"]["enable.idempotence"] is True
        assert produce(login["externalProducers"], names["asyncCommands"]) is None
        for key in ("transactionProposals", "databaseEvents", "asyncResponses"):
            assert denied(produce(login["externalProducers"], names[key])), key
        assert denied(consume(login["externalProducers"], names["asyncCommands"], f"{prefix}ext-producer"))
        assert denied(transactional_init(login["externalProducers"], f"{prefix}tx-2"))

        # The same client.properties output works as is for Kafka's own Java tools (kafka-*.sh),
        # the password coming from the environment through Kafka's EnvVarConfigProvider.
        before = record_count(broker.client_config(secure_broker), names["asyncCommands"])
        java_console_produce(secure_broker, tmp_path, properties["externalProducers"], names["asyncCommands"],
                             users[f"{prefix}producer"])
        assert record_count(broker.client_config(secure_broker), names["asyncCommands"]) == before + 1

        # The DynamoDB-Streams Lambda: database-events only.
        assert produce(login["dynamodbStreamsLambda"], names["databaseEvents"]) is None
        assert denied(produce(login["dynamodbStreamsLambda"], names["asyncCommands"]))

        # Each external consumer: database-events and async-responses with its group; no proposals, no writes.
        for who, settings in consumers.items():
            for key in ("databaseEvents", "asyncResponses"):
                assert consume(settings, names[key], f"{prefix}ext-{who}-{key}") >= 1, (who, key)
            assert denied(consume(settings, names["transactionProposals"], f"{prefix}ext-{who}")), who
            assert denied(consume(settings, names["databaseEvents"], f"{prefix}server-{who}")), who  # not the server's groups
            for key in TOPICS:
                assert denied(produce(settings, names[key])), (who, key)

        # Reordering principals replaces nothing: resource names come from stable keys.
        reordered = stack_config(bootstrap, prefix, users)
        reordered["access"]["externalConsumers"]["principals"].reverse()
        stack.set_config(f"{NS}:access", auto.ConfigValue(json.dumps(reordered["access"])))
        preview = stack.preview()
        assert set(preview.change_summary) == {"same"}, preview.change_summary

        second = stack.up()
        assert second.summary.resource_changes == {"same": 15}, second.summary.resource_changes

        stack.destroy(run_program=False)
        assert _our_acls(secure_admin, prefix) == []
        described = secure_admin.describe_user_scram_credentials(list(users))
        for name, future in described.items():
            with pytest.raises(KafkaException):
                future.result(timeout=15)  # the user is gone
    finally:
        stack.destroy(run_program=False)
        stack.workspace.remove_stack(stack.name)


def _our_acls(admin, prefix: str) -> list:
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                  AclOperation.ANY, AclPermissionType.ANY)
    bindings = admin.describe_acls(everything, request_timeout=15).result()
    return [b for b in bindings if b.principal.startswith(f"User:{prefix}")]

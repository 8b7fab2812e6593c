"""The bridge shape on the three-node TLS cluster, through the real engine, with real clients.

A stack of shapes [fourTopics, bridge] (SASL_SSL + SCRAM-SHA-512, SCRAM users created by the stack, two databases
`orders` and `billing`, a topic prefix of this run's own) is deployed with `pulumi up`; then:
- its per-database topics are on the cluster as asked, and its outputs (bridgeTopics, clientProperties.bridge and
  .bridgeConsumers, bridgeEnvironment) say the same names and logins, with no secret in them;
- a stand-in bridge (a confluent-kafka producer logged in as the bridge's principal, configured only from
  clientProperties.bridge plus its password) writes CloudEvents JSON keyed `<stream>:<subject>` to both databases'
  topics, and a bridge consumer (librdkafka, and Kafka's Java console consumer) reads every record back, in its
  group under its prefix, key, value, partition and per-key order as written;
- no other role writes or reads those topics, the bridge does not read them, bridge consumers do not write them nor
  use a group outside their prefix; the ACLs on the cluster are exactly the spec's three;
- a partition increase on a database's topic is refused at preview (and `up`) with `[ordering:key-remap]`, nothing
  on the cluster or in the state changed, and applied in place once the database is in bridge.acceptKeyRemap;
- a database dropped from bridge.databases is refused at preview (its topic untouched); listed in
  bridge.releaseDatabases, at most two `up`s let go of it, and its topic stays with every message.
Steps 2-4 share one module-scoped stack; 5 and 6 each deploy their own. The cluster is this module's own.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource
from pulumi import automation as auto

from components.kafka import admin as adapter
from components.model import jaas
from components.model import names as keys
from components.model.acl_bindings import AclBinding, described
from components.model.names import NAMESPACE
from components.safety import refusals
from tests.conftest import ThrowawayProject
from tests.support.cluster_view import admin_of, ours, users_of
from tests.support.role_clients import RoleClient, consume, denied, end_offsets, topic_read
from tests.support.stack_configs import tls_cluster
from test_data_safety_messages import read_all
from tools.cluster import secure_cluster as cluster_tool

pytestmark = pytest.mark.timeout(900)
NS = NAMESPACE
DATABASES = ("orders", "billing")
BRIDGE_TOPICS, BRIDGE_ENVIRONMENT = keys.BRIDGE_TOPICS, keys.BRIDGE_ENVIRONMENT
TOPIC_SUFFIX = ".events"
# The bridge's role and the other roles of the stack: role key -> the user's name after the run's prefix.
USERS = {"server": "server", "externalConsumers": "consumer", "externalProducers": "producer", "bridge": "bridge",
         "bridgeConsumers": "analytics"}
OTHER_ROLES = ("server", "externalConsumers", "externalProducers")
KEY_REMAP = f"[{refusals.KEY_REMAP}]"
ACCEPTED_KEY_REMAP = f"[{refusals.ACCEPTED_KEY_REMAP}]"


# --- the cluster, the stacks ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def secure_cluster(tmp_path_factory):
    """A three-node TLS cluster of this module's own (it shadows the session's), as the day-2 tests have: these
    tests create SCRAM users and ACLs and leave released topics behind until their clean-up."""
    workdir = tmp_path_factory.mktemp("bridge-cluster")
    info = cluster_tool.start(workdir, cluster_tool.free_ports())
    yield info
    cluster_tool.stop(workdir)


def new_run() -> str:
    """A prefix of one stack's own: its users (SCRAM users are cluster-wide), groups and topic names start with it."""
    return f"t{uuid.uuid4().hex[:8]}"


def user(run: str, role: str) -> str:
    return f"{run}-{USERS[role]}"


def settings(info: dict, run: str, **bridge) -> dict:
    """Shapes [fourTopics, bridge], SCRAM over SASL_SSL, the stack's own users; the four topics on `<run>-`, the
    bridge's on `<run>.` (neither prefix covers the other's topics), two partitions each database."""
    return {
        "cluster": tls_cluster(info),
        "shapes": ["fourTopics", "bridge"],
        "topics": {"namePrefix": f"{run}-", "partitions": 1, "replicationFactor": 3, "protect": False},
        "bridge": {"topicPrefix": f"{run}.", "databases": list(DATABASES), "partitions": 2, **bridge},
        "access": {
            "createScramUsers": True,
            "server": {"principals": [f"User:{user(run, 'server')}"], "groupPrefix": f"{run}-server-"},
            "externalConsumers": {"principals": [f"User:{user(run, 'externalConsumers')}"],
                                  "groupPrefix": f"{run}-ext-"},
            "externalProducers": {"principals": [f"User:{user(run, 'externalProducers')}"]},
            "bridge": {"principals": [f"User:{user(run, 'bridge')}"]},
            "bridgeConsumers": {"principals": [f"User:{user(run, 'bridgeConsumers')}"],
                                "groupPrefix": f"{run}-bridge-"},
        },
    }


def password_of(name: str) -> str:
    return f"pw-{name}-{name[::-1]}"


def new_stack(project: ThrowawayProject, info: dict, raw: dict):
    """The stack file holds the plain settings; the admin's login and each principal's password are set as secrets."""
    stack = project.stack(raw)
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(
        jaas.render("SCRAM-SHA-512", "admin", info["admin_password"]), secret=True))
    names = [p.removeprefix("User:") for role in raw["access"].values() if isinstance(role, dict)
             for p in role.get("principals", [])]
    passwords = {name: password_of(name) for name in names}
    stack.set_all_config({f"{NS}:principalPasswords.{n}": auto.ConfigValue(pw, secret=True)
                          for n, pw in passwords.items()}, path=True)
    return stack, passwords


def set_section(stack, key: str, value) -> None:
    stack.set_config(f"{NS}:{key}", auto.ConfigValue(json.dumps(value)))


def tail(text: str, chars: int = 6000) -> str:
    return text if len(text) <= chars else "..." + text[-chars:]


def up(stack, what: str, **kwargs):
    """`pulumi up`, or the test fails saying what could not be applied and the engine's own words."""
    try:
        return stack.up(**kwargs)
    except auto.CommandError as exc:
        pytest.fail(f"`pulumi up` of {what} failed:\n{tail(str(exc))}", pytrace=False)


def outputs_of(result) -> dict:
    return {k: v.value for k, v in result.outputs.items()}


def output(outputs: dict, key: str):
    if key not in outputs:
        pytest.fail(f"the stack exported no `{key}` output (it has: {sorted(outputs)})", pytrace=False)
    return outputs[key]


def bridge_topics_of(outputs: dict, run: str, databases=DATABASES) -> dict[str, str]:
    topics = output(outputs, BRIDGE_TOPICS)
    expected = {db: f"{run}.{db}{TOPIC_SUFFIX}" for db in databases}
    assert topics == expected, f"bridgeTopics {topics!r}, the spec's <topicPrefix><database>.events: {expected!r}"
    return topics


def role_client(outputs: dict, run: str, role: str) -> RoleClient:
    properties = output(outputs, keys.CLIENT_PROPERTIES)
    if role not in properties:
        pytest.fail(f"clientProperties has no `{role}` entry (it has: {sorted(properties)})", pytrace=False)
    name = user(run, role)
    return RoleClient(properties[role], name, password_of(name))


def admin_settings(info: dict) -> dict:
    return {**cluster_tool.client_config(info), "log_level": 0}


def topics_of(info: dict, run: str) -> list[str]:
    return sorted(t for t in AdminClient(admin_settings(info)).list_topics(timeout=20).topics if t.startswith(run))


def cluster_facts(info: dict, run: str) -> dict:
    """Everything of a stack on the cluster: per topic (id, partitions, replicas, every config set on it, end
    offsets), its ACL bindings and its SCRAM users."""
    client = AdminClient(admin_settings(info))
    names = topics_of(info, run)
    described_topics = {n: f.result(30) for n, f in
                        client.describe_topics(TopicCollection(names), request_timeout=30).items()} if names else {}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    configs = {r.name: {k: e.value for k, e in f.result(30).items() if not e.is_default}
               for r, f in (client.describe_configs(resources).items() if resources else [])}
    topics = {n: (str(d.topic_id), len(d.partitions), sorted({len(p.replicas) for p in d.partitions}), configs[n],
                  end_offsets(admin_settings(info), n)) for n, d in described_topics.items()}
    return {"topics": topics, "acls": sorted(described(b) + f" [{b.principal}]" for b in ours(info, f"{run}-", run)),
            "scram users": sorted(users_of(info, f"{run}-"))}


def changes(before: dict, after: dict) -> str:
    """What differs between two cluster_facts, in words."""
    said = []
    for topic in sorted(set(before["topics"]) | set(after["topics"])):
        was, now = before["topics"].get(topic), after["topics"].get(topic)
        if was != now:
            said.append(f"topic {topic}: {'gone' if now is None else 'new' if was is None else f'{was} -> {now}'}")
    for key in ("acls", "scram users"):
        gone, new = sorted(set(before[key]) - set(after[key])), sorted(set(after[key]) - set(before[key]))
        said += [f"{key} gone: {gone}"] * bool(gone) + [f"{key} new: {new}"] * bool(new)
    return "; ".join(said) or "nothing"


def topic_config(info: dict, topic: str) -> dict[str, str]:
    client = AdminClient(admin_settings(info))
    (future,) = client.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)]).values()
    return {k: v.value for k, v in future.result(timeout=30).items()}


def recorded(stack) -> list:
    return [(r["urn"], r.get("outputs")) for r in stack.export_stack().deployment["resources"]
            if r["type"] != "pulumi:pulumi:Stack"]


def state_names(stack) -> list[str]:
    return [r["urn"].rsplit("::", 1)[-1] for r in stack.export_stack().deployment["resources"]]


def refused_by_both(stack) -> list[str]:
    """The text of the refused preview and of the refused up (each must fail)."""
    texts = []
    for operation, name in ((stack.preview, "preview"), (stack.up, "up")):
        try:
            operation()
        except auto.CommandError as exc:
            texts.append(str(exc))
        else:
            pytest.fail(f"`pulumi {name}` was not refused", pytrace=False)
    return texts


def clean_up(stack, info: dict, run: str) -> None:
    """Destroy the stack, remove it, and delete whatever of it is left on the cluster (released topics too)."""
    try:
        stack.destroy(run_program=False)
    except auto.CommandError:
        pass
    stack.workspace.remove_stack(stack.name, force=True)
    admin = admin_of(info)
    admin.delete_acls(ours(info, f"{run}-", run))
    admin.delete_scram(users_of(info, f"{run}-"), "SCRAM-SHA-512")
    names = topics_of(info, run)
    for future in (admin.raw.delete_topics(names, operation_timeout=30).values() if names else ()):
        future.result(60)


@dataclass
class Deployment:
    """The module's one deployed [fourTopics, bridge] stack (steps 1-4), or why it could not be deployed."""

    info: dict
    run: str
    stack: object
    passwords: dict[str, str]
    outputs: dict = field(default_factory=dict)
    failure: str | None = None

    def ready(self) -> "Deployment":
        if self.failure is not None:
            pytest.fail(f"the module's [fourTopics, bridge] stack was not deployed, so this step cannot be tried:\n"
                        f"{self.failure}", pytrace=False)
        return self


@pytest.fixture(scope="module")
def deployment(secure_cluster, engine_env, tmp_path_factory):
    info, run = secure_cluster, new_run()
    project = ThrowawayProject(tmp_path_factory.mktemp("bridge-stack") / "program")
    stack, passwords = new_stack(project, info, settings(info, run))
    deployed = Deployment(info, run, stack, passwords)
    try:
        deployed.outputs = outputs_of(stack.up())
    except auto.CommandError as exc:  # each test that needs the stack fails with this
        deployed.failure = f"`pulumi up` failed:\n{tail(str(exc))}"
    yield deployed
    clean_up(stack, info, run)


# --- the stand-in bridge and the bridge consumers ------------------------------------------------------------

@dataclass(frozen=True)
class Sent:
    database: str
    topic: str
    key: str
    event: dict


def cloudevents(database: str, count: int) -> list[tuple[str, dict]]:
    """`count` CloudEvents of a database, keyed `<stream>:<subject>`: two streams, three subjects, so each key has
    several events whose order matters."""
    events = []
    for i in range(count):
        stream, subject = ("checkout", "fulfilment")[i % 2], f"{database}-{i % 3}"
        events.append((f"{stream}:{subject}", {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": f"/evidentsource/databases/{database}/streams/{stream}",
            "type": f"com.example.{database}.{('Opened', 'Changed', 'Closed')[i % 3]}",
            "subject": subject,
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": {"database": database, "sequence": i, "amount": {"units": 100 + i, "currency": "EUR"},
                     "note": "café ✓"},
        }))
    return events


def bridge_write(settings: dict, topics: dict[str, str], count: int = 12):
    """Write `count` CloudEvents to each database's topic as the bridge does (structured mode: the value is the
    event's JSON). Returns what was sent (by event id) and each delivery report: id -> (error, partition, offset)."""
    sent: dict[str, Sent] = {}
    reports: dict[str, tuple] = {}
    producer = Producer({**settings, "message.timeout.ms": 30000, "linger.ms": 5})

    def report(event_id: str):
        return lambda err, msg: reports.__setitem__(event_id, (err, msg.partition(), msg.offset()))

    for database, topic in sorted(topics.items()):
        for key, event in cloudevents(database, count):
            sent[event["id"]] = Sent(database, topic, key, event)
            producer.produce(topic, key=key.encode(), value=json.dumps(event, ensure_ascii=False).encode(),
                             headers=[("content-type", b"application/cloudevents+json")],
                             on_delivery=report(event["id"]))
    left = producer.flush(60)
    assert left == 0, f"{left} records of the stand-in bridge still in flight after 60 s"
    return sent, reports


def read_in_group(settings: dict, topics: list[str], group: str, expected: int, timeout: float = 90):
    """Every record of `topics` from the start, in `group` (subscribed, committed), as they arrive:
    (topic, partition, offset, key, value, headers); or the first error."""
    consumer = Consumer({**settings, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    found: list = []
    try:
        consumer.subscribe(topics)
        deadline, quiet_until = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                if quiet_until is not None and time.monotonic() >= quiet_until:
                    break
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                return msg.error()
            found.append((msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), msg.headers()))
            if len(found) >= expected and quiet_until is None:
                quiet_until = time.monotonic() + 3  # any record more than written would come now
        if found:
            consumer.commit(asynchronous=False)  # the group's offsets, under the consumers' prefix
        return found
    except KafkaException as exc:
        return exc.args[0]
    finally:
        consumer.close()


def code(result) -> str:
    return result.name() if isinstance(result, KafkaError) else f"no error ({result!r})"


def assert_topic_refused(result, who: str, what: str) -> None:
    assert isinstance(result, KafkaError) and result.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, \
        f"{who} was not refused {what}: {code(result)}"


# --- 1. the deployed stack --------------------------------------------------------------------------------------

def test_the_bridge_stack_deploys_one_topic_per_database_and_outputs_that_name_them(deployment):
    d = deployment.ready()
    info, run, outputs = d.info, d.run, d.outputs
    topics = bridge_topics_of(outputs, run)

    # The topics as asked, as the brokers report them: 2 partitions, RF 3, min ISR 2, 7 days' retention.
    facts = cluster_facts(info, run)["topics"]
    four = output(outputs, keys.TOPIC_NAMES)
    assert set(facts) == set(topics.values()) | set(four.values()), sorted(facts)
    for database, topic in topics.items():
        _, partitions, replicas, _, _ = facts[topic]
        assert (partitions, replicas) == (2, [3]), (database, partitions, replicas)
        configs = topic_config(info, topic)
        assert configs["min.insync.replicas"] == "2", (database, configs["min.insync.replicas"])
        assert configs["retention.ms"] == str(7 * 24 * 3600 * 1000), (database, configs["retention.ms"])

    # clientProperties: one text each for the bridge and its consumers, no password in any output but the server's
    # KafkaSaslJaasConfig (a secret).
    properties = output(outputs, keys.CLIENT_PROPERTIES)
    missing = {"bridge", "bridgeConsumers"} - set(properties)
    assert not missing, f"clientProperties lacks {sorted(missing)} (it has: {sorted(properties)})"
    bridge, consumers = (role_client(outputs, run, r) for r in ("bridge", "bridgeConsumers"))
    assert bridge.parsed()["security.protocol"] == "SASL_SSL" and bridge.parsed()["sasl.mechanism"] == "SCRAM-SHA-512"
    assert f'username="{user(run, "bridge")}"' in bridge.properties, bridge.properties
    assert f'username="{user(run, "bridgeConsumers")}"' in consumers.properties, consumers.properties
    assert bridge.parsed().get("enable.idempotence") == "true", \
        f"the bridge writes keyed, ordered events: its client.properties should make it idempotent:\n{bridge.properties}"
    assert f"group.id must start with {run}-bridge-" in consumers.properties, consumers.properties
    for key, value in outputs.items():
        text = json.dumps(value)
        for name, password in d.passwords.items():
            if key == keys.CLOUDFORMATION_SASL_JAAS_CONFIG and name == user(run, "server"):
                continue
            assert password not in text, f"{name}'s password is in the `{key}` output"

    # bridgeEnvironment: what the bridge's container is given, the same brokers, login and topic names.
    environment = output(outputs, BRIDGE_ENVIRONMENT)
    wanted = ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
              "KAFKA_TOPIC_PREFIX", "KAFKA_TOPIC_SUFFIX")
    absent = [k for k in wanted if k not in environment]
    assert not absent, f"bridgeEnvironment lacks {absent} (it has: {sorted(environment)})"
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == bridge.parsed()["bootstrap.servers"], environment
    assert (environment["KAFKA_SECURITY_PROTOCOL"], environment["KAFKA_SASL_MECHANISM"]) == \
        ("SASL_SSL", "SCRAM-SHA-512"), environment
    assert environment["KAFKA_SASL_USERNAME"] == user(run, "bridge"), environment
    assert environment["KAFKA_TOPIC_SUFFIX"] == TOPIC_SUFFIX, environment
    for database, topic in topics.items():
        assert environment["KAFKA_TOPIC_PREFIX"] + database + environment["KAFKA_TOPIC_SUFFIX"] == topic, environment

    # Deployed as declared: a second run changes nothing.
    changes = d.stack.preview().change_summary
    assert set(changes) == {"same"}, changes


# --- 2 and 3. the stand-in bridge writes, the bridge consumers read back ------------------------------------------

def test_a_stand_in_bridge_writes_cloudevents_that_bridge_consumers_read_back_in_their_group(deployment, tmp_path):
    d = deployment.ready()
    run, outputs = d.run, d.outputs
    topics = bridge_topics_of(outputs, run)
    bridge, consumers = role_client(outputs, run, "bridge"), role_client(outputs, run, "bridgeConsumers")

    # 2. The bridge, logged in as its principal with clientProperties.bridge and its password only.
    sent, reports = bridge_write(bridge.librdkafka(), topics)
    failed = {i: err for i, (err, _, _) in reports.items() if err is not None}
    assert not failed, f"the bridge's writes were refused: {sorted({e.str() for e in failed.values()})}"
    assert set(reports) == set(sent), f"{len(set(sent) - set(reports))} records without a delivery report"

    # 3. A bridge consumer, in a group under its prefix, reads every record back: the same key, the same event,
    # where the delivery report put it; each key in one partition, in the order written.
    read = read_in_group(consumers.librdkafka(), sorted(topics.values()), f"{run}-bridge-analytics", len(sent))
    assert not isinstance(read, KafkaError), f"the bridge consumer was refused: {read.str()}"
    assert len(read) == len(sent), f"read {len(read)} records, the bridge wrote {len(sent)}"
    by_key: dict[tuple[str, str], list[str]] = {}
    partitions_of: dict[tuple[str, str], set[int]] = {}
    for topic, partition, offset, key, value, headers in read:
        event = json.loads(value.decode("utf-8"))
        assert event["id"] in sent, f"a record the bridge did not write: {value[:200]!r}"
        written = sent[event["id"]]
        assert (topic, key.decode()) == (written.topic, written.key), (topic, key, written)
        assert event == written.event, f"the CloudEvent changed on the way:\n{event}\n{written.event}"
        assert event["specversion"] == "1.0" and event["datacontenttype"] == "application/json"
        assert key.decode().endswith(f":{event['subject']}")  # <stream>:<subject>
        assert datetime.fromisoformat(event["time"].replace("Z", "+00:00")).tzinfo is not None
        assert event["data"]["note"] == "café ✓" and event["data"]["database"] == written.database
        assert dict(headers or []) == {"content-type": b"application/cloudevents+json"}, headers
        assert (partition, offset) == reports[event["id"]][1:], (event["id"], partition, offset)
        by_key.setdefault((topic, key.decode()), []).append(event["id"])
        partitions_of.setdefault((topic, key.decode()), set()).add(partition)
    for (topic, key), ids in by_key.items():
        assert len(partitions_of[(topic, key)]) == 1, f"{topic} key {key} in partitions {partitions_of[(topic, key)]}"
        assert ids == [i for i, s in sent.items() if (s.topic, s.key) == (topic, key)], f"{topic} {key}: out of order"
    assert {db for db in topics} == {s.database for s in sent.values()}

    # The group's offsets were committed: the same group reads nothing more.
    again = read_in_group(consumers.librdkafka(), sorted(topics.values()), f"{run}-bridge-analytics", 1, timeout=10)
    assert again == [], f"the group's committed offsets did not hold: {code(again) if isinstance(again, KafkaError) else len(again)}"

    # Kafka's Java console consumer reads the same records with the same clientProperties text.
    orders = [s for s in sent.values() if s.database == "orders"]
    run_java = consumers.java("console-consumer", ["--topic", topics["orders"], "--group", f"{run}-bridge-java",
                                                   "--from-beginning", "--max-messages", str(len(orders)),
                                                   "--timeout-ms", "30000", "--property", "print.key=true"], tmp_path)
    assert run_java.returncode == 0 and f"Processed a total of {len(orders)} messages" in run_java.stderr, \
        tail(run_java.stderr, 3000)
    for s in orders:
        assert f"{s.key}\t" in run_java.stdout and s.event["id"] in run_java.stdout, (s.key, tail(run_java.stdout, 2000))


# --- 4. nobody else writes or reads them ----------------------------------------------------------------------

def test_only_the_bridge_writes_and_only_bridge_consumers_read_the_per_database_topics(deployment):
    d = deployment.ready()
    info, run, outputs = d.info, d.run, d.outputs
    topics = bridge_topics_of(outputs, run)
    four = output(outputs, keys.TOPIC_NAMES)
    bridge, consumers = role_client(outputs, run, "bridge"), role_client(outputs, run, "bridgeConsumers")
    own_group = {"server": f"{run}-server-bridge", "externalConsumers": f"{run}-ext-bridge"}

    # What each may do (so every refusal below is about the topic, not a broken login).
    for database, topic in topics.items():
        assert bridge.produce(topic) is None, f"the bridge could not write {database}'s topic"
        read = topic_read(consumers.librdkafka(), topic)
        assert isinstance(read, int) and read >= 1, f"bridge consumers could not read {database}'s topic: {code(read)}"

    # ... and so may the other roles, on their own topics.
    clients = {role: role_client(outputs, run, role) for role in OTHER_ROLES}
    assert clients["server"].produce(four["databaseEvents"]) is None, "the server could not write its topic"
    assert clients["externalProducers"].produce(four["asyncCommands"]) is None, "external producers could not write"
    read = topic_read(clients["externalConsumers"].librdkafka(), four["databaseEvents"])
    assert isinstance(read, int) and read >= 1, f"external consumers could not read database events: {code(read)}"

    for role, client in clients.items():
        settings_ = client.librdkafka()
        for database, topic in topics.items():
            assert_topic_refused(client.produce(topic), role, f"writing {database}'s topic")
            assert_topic_refused(topic_read(settings_, topic), role, f"reading {database}'s topic")
            if role in own_group:  # in a group of its own: refused by the topic, not the group
                assert_topic_refused(consume(settings_, topic, own_group[role], 20), role,
                                     f"consuming {database}'s topic in its group")
            else:
                result = consume(settings_, topic, f"{run}-bridge-{role}", 20)
                assert denied(result), f"{role} was not refused consuming {database}'s topic: {code(result)}"

    for database, topic in topics.items():
        # The bridge writes, never reads: its fetch is refused, whatever group it tries.
        assert_topic_refused(topic_read(bridge.librdkafka(), topic), "the bridge", f"reading {database}'s topic")
        result = consume(bridge.librdkafka(), topic, f"{run}-bridge-bridge", 20)
        assert denied(result), f"the bridge was not refused consuming {database}'s topic: {code(result)}"
        # Bridge consumers read, never write, and only in groups under their prefix.
        assert_topic_refused(consumers.produce(topic), "bridge consumers", f"writing {database}'s topic")
        for group in (f"{run}-ext-analytics", f"{run}-server-analytics", f"{run}-bridgeanalytics", "analytics"):
            result = consume(consumers.librdkafka(), topic, group, 20)
            assert isinstance(result, KafkaError) and result.code() == KafkaError.GROUP_AUTHORIZATION_FAILED, \
                f"bridge consumers were not refused group {group!r}: {code(result)}"
    # ... and the bridge's roles get nothing of the four topics.
    assert_topic_refused(bridge.produce(four["databaseEvents"]), "the bridge", "writing the database-events topic")
    assert_topic_refused(topic_read(consumers.librdkafka(), four["databaseEvents"]), "bridge consumers",
                         "reading the database-events topic")

    # On the cluster: exactly the spec's bindings for the two bridge roles, and nothing of any other principal of
    # the stack reaches a per-database topic.
    bindings = ours(info, f"{run}-", run)
    bridge_roles = {f"User:{user(run, r)}" for r in ("bridge", "bridgeConsumers")}
    expected = {AclBinding(f"User:{user(run, 'bridge')}", "Write", "Topic", f"{run}.", "Prefixed"),
                AclBinding(f"User:{user(run, 'bridgeConsumers')}", "Read", "Topic", f"{run}.", "Prefixed"),
                AclBinding(f"User:{user(run, 'bridgeConsumers')}", "Read", "Group", f"{run}-bridge-", "Prefixed")}
    got = {b for b in bindings if b.principal in bridge_roles}
    assert got == expected, f"the bridge roles' bindings: {sorted(described(b) for b in got)}"

    def reaches(b: AclBinding, topic: str) -> bool:
        return b.resource_type == "Topic" and (b.resource_name in (topic, "*") if b.pattern == "Literal"
                                               else topic.startswith(b.resource_name))
    others = {f"{b.principal}: {described(b)}" for b in bindings - got for t in topics.values() if reaches(b, t)}
    assert not others, f"other principals have bindings on the per-database topics: {sorted(others)}"


# --- 5. a partition increase: a key remap, refused until accepted ----------------------------------------------

@contextlib.contextmanager
def own_stack(project, info: dict):
    """A deployed [fourTopics, bridge] stack of a run's own, (run, stack, outputs), cleaned up afterwards."""
    run = new_run()
    stack, _ = new_stack(project, info, settings(info, run))
    try:
        yield run, stack, outputs_of(up(stack, "the [fourTopics, bridge] stack"))
    finally:
        clean_up(stack, info, run)


def test_a_partition_increase_on_a_database_topic_is_refused_until_its_key_remap_is_accepted(project, secure_cluster):
    info = secure_cluster
    with own_stack(project, info) as (run, stack, outputs):
        topics = bridge_topics_of(outputs, run)
        sent, reports = bridge_write(role_client(outputs, run, "bridge").librdkafka(), topics, 10)
        assert all(err is None for err, _, _ in reports.values()), "the bridge's writes were refused"
        before, state = cluster_facts(info, run), recorded(stack)
        contents = {t: read_all(admin_settings(info), t) for t in topics.values()}
        assert before["topics"][topics["orders"]][1] == 2

        raw = settings(info, run)
        raw["bridge"]["perDatabase"] = {"orders": {"partitions": 4}}
        set_section(stack, "bridge", raw["bridge"])
        for text in refused_by_both(stack):
            flat = " ".join(text.split())
            assert KEY_REMAP in flat, f"not refused as a key remap ({KEY_REMAP}):\n{tail(text)}"
            remaps = [line[line.index(KEY_REMAP):] for line in text.splitlines() if KEY_REMAP in line]  # its lines
            assert any(topics["orders"] in r and "2 -> 4" in r for r in remaps), tail(text)
            assert not any(topics["billing"] in r for r in remaps), f"billing's topic in the refusal:\n{tail(text)}"
            assert re.search(r"bridge[.:]\s*acceptKeyRemap", flat), f"the refusal does not name the override:\n{tail(text)}"
            assert "[data-loss:" not in flat, tail(text)  # more partitions lose nothing
        now = cluster_facts(info, run)
        assert now == before, f"the refused run changed the cluster: {changes(before, now)}"
        assert recorded(stack) == state, "the refused run changed the stack's state"

        raw["bridge"]["acceptKeyRemap"] = ["orders"]
        set_section(stack, "bridge", raw["bridge"])
        lines: list[str] = []
        result = up(stack, "the accepted partition increase", on_output=lines.append)
        assert result.summary.result == "succeeded"
        assert any(ACCEPTED_KEY_REMAP in line and ("orders" in line) for line in lines), \
            f"no {ACCEPTED_KEY_REMAP} warning naming orders:\n" + tail("\n".join(lines))
        after = cluster_facts(info, run)
        old_id, _, replicas, configs, ends = before["topics"][topics["orders"]]
        new = after["topics"][topics["orders"]]
        assert new[:4] == (old_id, 4, replicas, configs), f"orders' topic: {new[:4]}, was {(old_id, 2, replicas, configs)}"
        assert new[4] == ends + (0, 0), f"orders' end offsets {new[4]}, were {ends}"  # every message where it was
        assert after["topics"][topics["billing"]] == before["topics"][topics["billing"]]
        assert {t: read_all(admin_settings(info), t) for t in topics.values()} == contents
        assert after["acls"] == before["acls"] and after["scram users"] == before["scram users"]
        changes = stack.preview().change_summary
        assert set(changes) == {"same"}, changes


# --- 6. a database removed: refused; released: the topic stays --------------------------------------------------

def test_a_database_removed_is_refused_and_once_released_its_topic_stays_with_its_messages(project, secure_cluster):
    info = secure_cluster
    with own_stack(project, info) as (run, stack, outputs):
        topics = bridge_topics_of(outputs, run)
        billing = topics["billing"]
        sent, reports = bridge_write(role_client(outputs, run, "bridge").librdkafka(), topics, 10)
        assert all(err is None for err, _, _ in reports.values()), "the bridge's writes were refused"
        before, state = cluster_facts(info, run), recorded(stack)
        kept = read_all(admin_settings(info), billing)
        assert len(kept) == 10 and sum(before["topics"][billing][4]) == 10

        raw = settings(info, run)
        raw["bridge"]["databases"] = ["orders"]
        set_section(stack, "bridge", raw["bridge"])
        for text in refused_by_both(stack):
            flat = " ".join(text.split())
            assert "bridge.databases" in flat and "billing" in flat, \
                f"the refusal does not name bridge.databases and billing:\n{tail(text)}"
            assert "releaseDatabases" in flat, f"the refusal does not name the override (releaseDatabases):\n{tail(text)}"
        now = cluster_facts(info, run)
        assert now == before, f"the refused run changed the cluster: {changes(before, now)}"
        assert recorded(stack) == state, "the refused run changed the stack's state"

        raw["bridge"]["releaseDatabases"] = ["billing"]
        set_section(stack, "bridge", raw["bridge"])
        runs = 0
        while True:
            result = up(stack, f"the release of billing (run {runs + 1})")
            runs += 1
            assert result.summary.result == "succeeded"
            now = cluster_facts(info, run)
            said = "\n".join(line for line in result.stdout.splitlines() if "billing" in line)
            assert now == before, f"run {runs} of the release changed the cluster: {changes(before, now)}; " \
                                  f"the run said of billing:\n{said}"
            if set(stack.preview().change_summary) == {"same"}:
                break
            assert runs < 2, f"two `up`s did not finish the release: {stack.preview().change_summary}"
        assert read_all(admin_settings(info), billing) == kept, "billing's messages changed"
        assert "evidentsource-db-billing" not in state_names(stack), "the stack still manages billing's topic"
        assert "evidentsource-db-orders" in state_names(stack), state_names(stack)
        assert output(outputs_of(result), BRIDGE_TOPICS) == {"orders": topics["orders"]}

        # Let go of for good: the stack's destroy deletes what it manages (orders' topic), never billing's.
        try:
            stack.destroy(run_program=False)
        except auto.CommandError as exc:
            pytest.fail(f"`pulumi destroy` of the throwaway stack failed:\n{tail(str(exc))}", pytrace=False)
        left = topics_of(info, run)
        assert billing in left and topics["orders"] not in left, left
        assert read_all(admin_settings(info), billing) == kept


# --- 7. from the four topics to the bridge: the four topics let go, by name, with their messages ---------------

def test_moving_to_the_bridge_lets_go_of_the_four_topics_only_by_name_and_keeps_their_messages(project, secure_cluster):
    info = secure_cluster
    with own_stack(project, info) as (run, stack, outputs):
        four = output(outputs, keys.TOPIC_NAMES)
        server = role_client(outputs, run, "server").librdkafka()
        producer = Producer(server)
        for topic in four.values():
            producer.produce(topic, key=b"k", value=b"kept")
        assert producer.flush(30) == 0, "the server's writes to the four topics were not delivered"
        kept = {t: read_all(admin_settings(info), t) for t in four.values()}
        assert all(len(records) == 1 for records in kept.values()), kept
        before, state = cluster_facts(info, run), recorded(stack)

        raw = settings(info, run)  # the four roles out, the shape out: refused while the state holds the four topics
        raw["shapes"] = ["bridge"]
        for role in ("server", "externalConsumers", "externalProducers"):
            raw["access"].pop(role)
            stack.remove_config(f"{NS}:principalPasswords.{user(run, role)}", path=True)
        set_section(stack, "access", raw["access"])
        set_section(stack, "shapes", raw["shapes"])
        topics = {k: v for k, v in raw["topics"].items() if k not in ("namePrefix",)}
        set_section(stack, "topics", topics)
        for text in refused_by_both(stack):
            flat = " ".join(text.split())
            assert "[data-loss:topic-dropped]" in flat and "topics.releaseTopics" in flat, tail(text)
        assert cluster_facts(info, run) == before and recorded(stack) == state, "the refused runs changed something"

        topics["releaseTopics"] = sorted(four)
        topics["namePrefix"] = f"{run}-"
        set_section(stack, "topics", topics)
        for attempt in (1, 2):
            result = up(stack, f"the release of the four topics (run {attempt})")
            assert result.summary.result == "succeeded"
        assert set(stack.preview().change_summary) == {"same"}, "two `up`s did not finish the release"
        after = cluster_facts(info, run)
        for topic in four.values():  # each topic where it was, with its id, settings and every message
            assert after["topics"][topic] == before["topics"][topic], changes(before, after)
            assert read_all(admin_settings(info), topic) == kept[topic], f"{topic}'s messages changed"
        names = state_names(stack)
        assert not {keys.topic_resource(k) for k in four} & set(names), \
            f"the stack still manages one of the four topics: {names}"
        gone = {f"User:{user(run, r)}" for r in ("server", "externalConsumers", "externalProducers")}
        assert not [b for b in ours(info, f"{run}-", run) if b.principal in gone], "the four roles' grants remain"
        bridge_after = role_client(outputs_of(result), run, "bridge").librdkafka()
        sent, reports = bridge_write(bridge_after, bridge_topics_of(outputs_of(result), run), 2)
        assert all(err is None for err, _, _ in reports.values()), "the bridge lost its access in the move"

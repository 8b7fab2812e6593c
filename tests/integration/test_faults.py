"""Faults: the broker killed in the middle of an `up`, paused under it, stopped before one, and two `up`s at once.

These tests own a broker of their own (started here, on fixed ports so that it can be
restarted with its data), since they kill it. After every fault the next `pulumi up` must
converge: exactly the four topics, none recreated (same ids), the settings asked for, every
message byte for byte. After a kill in the middle of an update, a plain `up` converges where the
cluster got the change and the state did not (the program leaves that property alone: Kafka
refuses to add partitions a topic already has); where the state recorded a change Kafka never
applied, it refuses before touching anything, and `pulumi refresh` then `up` converges. After a kill in the
middle of creating, a plain `up` converges (topics the broken run created are adopted). Each
fault is recorded with the message counts.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest
from pulumi import automation as auto

from components.model.catalog import CATALOG
from components.model.names import NAMESPACE
from tools.cluster import broker
from test_data_safety_messages import (Events, count, produce_known, record, snapshot, teardown, topic_config,
                                       topic_facts, topics_with_prefix)

pytestmark = pytest.mark.timeout(900)
REMAP = [spec.key for spec in CATALOG]  # partition increases are these tests' subject (topics.acceptKeyRemap)
NS = NAMESPACE
TOPIC = "kafka:index/topic:Topic"


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory):
    """A plain broker only these tests use, restartable on the same ports with the same data."""
    ports = {"port": broker.free_port(), "controller_port": broker.free_port()}
    workdir = tmp_path_factory.mktemp("fault-broker")
    info = broker.start("plain", workdir, **ports)
    state = {"info": info, "dir": workdir}

    def restart() -> dict:
        state["info"] = broker.start("plain", workdir, **ports, timeout=120)
        return state["info"]

    state["restart"] = restart
    yield state
    broker.stop(workdir)


def settings(bootstrap: str, prefix: str, **topics) -> dict:
    # The provider gives up on an unreachable broker after 10 s instead of 120 s.
    return {"cluster": {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT", "timeoutSeconds": 10},
            "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1, "protect": False,
                       "acceptKeyRemap": REMAP, **topics}}


def up_in_background(stack, when, then) -> dict:
    """Run `up` in a thread; `then()` once the first engine event matching `when(event)` arrives."""
    outcome: dict = {}
    fired = threading.Event()
    events = Events()

    def on_event(event) -> None:
        events(event)
        if not fired.is_set() and when(event):
            fired.set()
            then()

    def run() -> None:
        try:
            outcome["result"] = stack.up(on_event=on_event)
        except auto.CommandError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"], outcome["fired"], outcome["events"] = thread, fired, events
    return outcome


def topic_step(op: str):
    def matches(event) -> bool:
        pre = event.resource_pre_event
        return pre is not None and pre.metadata.type == TOPIC and pre.metadata.op.value == op
    return matches


def kill(info: dict) -> None:
    os.kill(info["pid"], signal.SIGKILL)  # the broker this test started


def test_broker_killed_mid_update_and_mid_create_then_up_converges(project, own_broker, prefix):
    bootstrap = own_broker["info"]["bootstrap_servers"]
    client = {"bootstrap.servers": bootstrap}
    names = {s.key: prefix + s.default_name for s in CATALOG}
    stack = project.stack(settings(bootstrap, prefix))
    second_prefix = f"{prefix}b-"
    other = project.stack(settings(bootstrap, second_prefix) | {"adopt": {"topics": True}})
    try:
        stack.up()
        produce_known(client, names)
        before, ids = snapshot(client, list(names.values())), topic_facts(client, list(names.values()))

        # Fault 1: killed while the four topics are being updated (3 partitions, 14-day events retention).
        wanted = {"partitions": 3, "perTopic": {"databaseEvents": {"retention": "14d"}}}
        stack.set_config(f"{NS}:topics", auto.ConfigValue(json.dumps(settings(bootstrap, prefix, **wanted)["topics"])))
        running = up_in_background(stack, topic_step("update"), lambda: kill(own_broker["info"]))
        running["thread"].join(300)
        assert running["fired"].is_set() and "error" in running, running.get("result")
        own_broker["restart"]()
        # Where the cluster already has what the state lacks, a plain `up` converges; where the state recorded
        # what Kafka never applied, it refuses before touching anything and names `pulumi refresh`.
        try:
            converged, way = stack.up(), "plain `up`"
        except auto.CommandError as refused:
            assert "run `pulumi refresh`" in str(refused) and "Refused (" in str(refused), str(refused)[-3000:]
            assert snapshot(client, list(names.values())) == before
            assert {t: i for t, (i, _) in topic_facts(client, list(names.values())).items()} == \
                {t: i for t, (i, _) in ids.items()}
            stack.refresh()
            converged, way = stack.up(), "plain `up` refused (state ahead of the cluster); `pulumi refresh`, `up`"
        assert topics_with_prefix(client, prefix) == sorted([*names.values()])  # no duplicate, none lost ...
        # ... and none recreated: the same topic ids, now with 3 partitions
        assert topic_facts(client, list(names.values())) == {t: (i, 3) for t, (i, _) in ids.items()}
        assert topic_config(client, names["databaseEvents"])["retention.ms"] == str(14 * 86_400_000)
        after = snapshot(client, list(names.values()))
        assert after == before  # the third partition of each topic is new and empty
        assert set(stack.preview().change_summary) == {"same"}
        stack.refresh()  # records the cluster's partitions in the state: then nothing is left alone
        settled = stack.preview()
        assert set(settled.change_summary) == {"same"} and "after an interrupted update" not in settled.stdout
        record("test_faults", "fault", f"broker SIGKILLed during an `up` that updates the 4 topics; restarted; {way}",
               count(before), count(after), f"converged: {converged.summary.resource_changes}")

        # Fault 2: killed while a second stack's topics are being created (adopt.topics on, as a real stack would).
        running = up_in_background(other, topic_step("create"), lambda: kill(own_broker["info"]))
        running["thread"].join(300)
        assert running["fired"].is_set() and "error" in running, running.get("result")
        own_broker["restart"]()
        converged = other.up()
        assert len(topics_with_prefix(client, second_prefix)) == 4
        assert set(other.preview().change_summary) == {"same"}
        after = snapshot(client, list(names.values()))
        assert after == before and topic_facts(client, list(names.values())) == {t: (i, 3) for t, (i, _) in ids.items()}
        record("test_faults", "fault", "broker SIGKILLed while a new stack (adopt.topics on) creates its 4 topics; "
               "restarted; `up`", count(before), count(after), f"converged: {converged.summary.resource_changes} "
               "(an 'import' is a topic the broken run had created)")
    finally:
        if broker.status(own_broker["dir"]) is None:
            own_broker["restart"]()
        for s in (stack, other):
            teardown(s)


def test_a_second_up_at_the_same_time_is_refused_by_the_state_lock(project, own_broker, prefix):
    info = own_broker["info"]
    client = {"bootstrap.servers": info["bootstrap_servers"]}
    names = {s.key: prefix + s.default_name for s in CATALOG}
    patient = settings(info["bootstrap_servers"], prefix)
    patient["cluster"]["timeoutSeconds"] = 120  # the first `up` must outlast the pause, not time out in it
    stack = project.stack(patient)
    try:
        stack.up()
        produce_known(client, names)
        before, ids = snapshot(client, list(names.values())), topic_facts(client, list(names.values()))
        stack.set_config(f"{NS}:topics", auto.ConfigValue(json.dumps(
            settings(info["bootstrap_servers"], prefix, partitions=3)["topics"])))
        # The broker is paused (SIGSTOP) under the first `up`, so it holds the lock while the second one starts.
        running = up_in_background(stack, topic_step("update"), lambda: os.kill(info["pid"], signal.SIGSTOP))
        assert running["fired"].wait(120)
        try:
            second = auto.select_stack(stack.name, work_dir=str(project.root))
            with pytest.raises(auto.CommandError, match="locked"):
                second.up()
        finally:
            os.kill(info["pid"], signal.SIGCONT)
        running["thread"].join(300)
        assert "result" in running, running.get("error")
        assert running["result"].summary.resource_changes == {"update": 4, "same": 3}
        after = snapshot(client, list(names.values()))
        assert after == before and topic_facts(client, list(names.values())) == {t: (i, 3) for t, (i, _) in ids.items()}
        exported = stack.export_stack()  # the state is whole: it loads, and nothing is pending
        assert not exported.deployment.get("pending_operations")
        assert set(stack.preview().change_summary) == {"same"}
        record("test_faults", "fault", "two `up`s on one stack at once (first paused on a SIGSTOPped broker)",
               count(before), count(after), "second refused by the state lock; first completed; state intact")
    finally:
        teardown(stack)


def kafka_state(stack) -> list:
    """The state's record of the stack's kafka resources (urn, inputs, outputs), in urn order."""
    return sorted(((r["urn"], r.get("inputs"), r.get("outputs")) for r in stack.export_stack().deployment["resources"]
                   if r["type"].startswith("kafka:")), key=lambda r: r[0])


def test_an_up_against_a_stopped_broker_is_refused_before_anything_is_written(project, own_broker, prefix):
    """A new user's mistake: `up` a partition increase while the broker is down. It used to fail in the provider after
    the state had recorded the new count (every later run then needed `pulumi refresh`); now the program refuses it
    before anything is written, and with the broker back a plain `up` applies it. No message lost, no topic recreated."""
    bootstrap = own_broker["info"]["bootstrap_servers"]
    client = {"bootstrap.servers": bootstrap}
    names = {s.key: prefix + s.default_name for s in CATALOG}
    stack = project.stack(settings(bootstrap, prefix))

    def ask(partitions: int) -> None:
        stack.set_config(f"{NS}:topics", auto.ConfigValue(json.dumps(
            settings(bootstrap, prefix, partitions=partitions)["topics"])))

    try:
        stack.up()
        produce_known(client, names)
        before, ids = snapshot(client, list(names.values())), topic_facts(client, list(names.values()))
        state = kafka_state(stack)
        ask(3)
        broker.stop(own_broker["dir"])
        with pytest.raises(auto.CommandError) as refused:
            stack.up()
        text = str(refused.value)
        assert text.count(f"[connection:unreachable] no broker answered at {bootstrap}") == 1, text[-3000:]
        assert kafka_state(stack) == state  # nothing written
        own_broker["restart"]()
        converged = stack.up()
        assert converged.summary.resource_changes.get("update") == 4, converged.summary.resource_changes
        assert topic_facts(client, list(names.values())) == {t: (i, 3) for t, (i, _) in ids.items()}
        after = snapshot(client, list(names.values()))
        assert after == before and set(stack.preview().change_summary) == {"same"}
        record("test_faults", "fault", "`up` of a partition increase against a stopped broker", count(before),
               count(after), f"refused before writing anything; with the broker back {converged.summary.resource_changes}")
    finally:
        if broker.status(own_broker["dir"]) is None:
            own_broker["restart"]()
        teardown(stack)

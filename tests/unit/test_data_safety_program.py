"""The program under mocks that answer the state invoke: refusals and plans reach the resources.

The program reads its stack's last deployed state through the engine's
`pulumi:pulumi:readStackResourceOutputs` invoke; these mocks answer it with a state chosen
per test, so the wiring (state -> data safety -> resource options and names) is tested
without an engine. The live cluster is a stub (mocking.not_read).
"""

from __future__ import annotations

from components.model.acl_bindings import from_grants

import pulumi
import pulumi_kafka as kafka
import pytest

from components.model import names as keys
from components.config import load
from components.resources.topics import EvidentSourceTopics, TopicsArgs
from components.safety.check import DataSafetyError
from components.safety.topic_plan import plan_as_asked, wanted_topics
from configs import PLAINTEXT, SCRAM, merged
from mocking import Mocks, RecordingMonitor, deploy, fresh_mocks, run_program

STATE_INVOKE = "pulumi:pulumi:readStackResourceOutputs"
TOPIC_URN = "urn:pulumi:unit::evidentsource-kafka::evidentsource:kafka:Topics$kafka:index/topic:Topic::"


class StateMocks(Mocks):
    """Mocks whose engine remembers a previous deployment."""

    def __init__(self, topics: dict[str, tuple[str, int]], unprotected: list[str] = ()):
        self.resources = {f"{TOPIC_URN}evidentsource-{resource}": {
            "type": "kafka:index/topic:Topic",
            "outputs": {"name": name, "partitions": float(partitions), "replicationFactor": 1.0, "id": name}}
            for resource, (name, partitions) in topics.items()}
        self.resources["urn:pulumi:unit::evidentsource-kafka::pulumi:pulumi:Stack::evidentsource-kafka-unit"] = {
            "type": "pulumi:pulumi:Stack", "outputs": {keys.UNPROTECTED_TOPICS: list(unprotected)}}
        self.asked: list[str] = []

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == STATE_INVOKE:
            self.asked.append(args.args["stackName"])
            return {"name": args.args["stackName"], "outputs": self.resources}
        return {}


class ImportRecorder(RecordingMonitor):
    """Also records each registration's import id."""

    def __init__(self, mocks):
        super().__init__(mocks)
        self.import_ids: dict[str, str] = {}

    def RegisterResource(self, request):
        if request.importId:
            self.import_ids[request.name] = request.importId
        return super().RegisterResource(request)


def with_state(mocks: Mocks) -> ImportRecorder:
    return fresh_mocks(mocks, ImportRecorder)


def topics_by_name(monitor) -> dict:
    return {r.name: r for r in monitor.of_type("kafka:index/topic:Topic")}


ALL = {"transaction-proposals": ("evidentsource-transaction-proposals", 3),
       "database-events": ("evidentsource-database-events", 3),
       "async-commands": ("evidentsource-async-commands", 3),
       "async-responses": ("evidentsource-async-responses", 3)}


@pytest.fixture(autouse=True)
def _reset_config():
    yield
    pulumi.runtime.set_all_config({}, [])


def test_the_program_asks_the_engine_for_its_own_stack_state():
    mocks = StateMocks(ALL)
    with_state(mocks)
    run_program(PLAINTEXT)
    assert len(mocks.asked) == 1 and mocks.asked[0].endswith("/evidentsource-kafka/unit")


def test_a_rename_against_the_state_fails_the_program_before_any_topic_is_declared():
    monitor = with_state(StateMocks(ALL))
    with pytest.raises(DataSafetyError, match=r"Refused \(4\); nothing was changed:\n  - \[data-loss:rename\] transactionProposals: "
                                              r"rename 'evidentsource-transaction-proposals' -> 'v2-evidentsource"):
        run_program(merged(PLAINTEXT, {"topics": {"namePrefix": "v2-"}}))
    assert topics_by_name(monitor) == {}


def test_an_accepted_decrease_takes_two_runs_and_only_the_second_replaces():
    settings = merged(PLAINTEXT, {"topics": {"perTopic": {"asyncCommands": {"partitions": 2}},
                                             "acceptDataLoss": ["asyncCommands"]}})
    monitor = with_state(StateMocks(ALL))
    first = run_program(settings)
    commands = topics_by_name(monitor)["evidentsource-async-commands"]
    assert (commands.inputs["partitions"], commands.protect, commands.retain_on_delete) == (3, False, False)
    assert first.values[keys.UNPROTECTED_TOPICS] == ["asyncCommands"]
    assert topics_by_name(monitor)["evidentsource-database-events"].protect

    monitor = with_state(StateMocks(ALL, unprotected=["asyncCommands"]))
    run_program(settings)
    commands = topics_by_name(monitor)["evidentsource-async-commands"]
    assert (commands.inputs["partitions"], commands.protect, commands.delete_before_replace) == (2, False, True)


def test_acls_follow_the_name_a_run_really_declares():
    secrets = {"principalPasswords": {"evidentsource": "a", "streams-lambda": "b", "consumer-a": "c",
                                      "consumer-b": "d", "producer-a": "e"}}
    settings = merged(SCRAM, {"topics": {"perTopic": {"asyncCommands": {"name": "commands-v2"}},
                                         "acceptDataLoss": ["asyncCommands"]}, **secrets})
    for unprotected, expected in (([], "evidentsource-async-commands"), (["asyncCommands"], "commands-v2")):
        monitor = with_state(StateMocks(ALL, unprotected=unprotected))
        run_program(settings)
        topic = topics_by_name(monitor)["evidentsource-async-commands"]
        (producer_acl,) = from_grants(monitor.named("acls-externalProducers").inputs["grants"])
        assert topic.inputs["name"] == producer_acl.resource_name == expected


def test_plans_become_resource_options():
    options = {"databaseEvents": {"import_id": "evidentsource-database-events"},
               "asyncCommands": {"protect": False, "delete_before_replace": True}}
    plans = [plan_as_asked(w, **options.get(w.key, {})) for w in wanted_topics(load.parse(PLAINTEXT))]
    recorder = with_state(Mocks())

    def program():
        provider = pulumi.ResourceOptions(providers=[kafka.Provider("kafka", bootstrap_servers=["127.0.0.1:9092"])])
        return EvidentSourceTopics("evidentsource", TopicsArgs(plans), provider).names

    deploy(program)
    assert recorder.import_ids == {"evidentsource-database-events": "evidentsource-database-events"}
    topics = topics_by_name(recorder)
    commands = topics.pop("evidentsource-async-commands")
    assert (commands.protect, commands.retain_on_delete, commands.delete_before_replace) == (False, False, True)
    assert all(t.protect and t.retain_on_delete and not t.delete_before_replace for t in topics.values())


class UnreadableState(Mocks):
    """Mocks whose engine cannot give the stack's state (e.g. a backend the run may not read) `failing` times."""

    def __init__(self, failing: int = 1000):
        self.failing, self.asked = failing, 0

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == STATE_INVOKE:
            self.asked += 1
            if self.asked <= self.failing:
                return {}, [("stackName", "the backend refused: 403")]  # as the engine answers a failed invoke
            return {"name": args.args["stackName"], "outputs": {}}
        return {}


def test_an_up_of_a_stack_with_access_resources_is_refused_when_its_state_cannot_be_read():
    settings = merged(SCRAM, {"principalPasswords": {"evidentsource": "a", "streams-lambda": "b", "consumer-a": "c",
                                                     "consumer-b": "d", "producer-a": "e"}})
    monitor = with_state(UnreadableState())
    with pytest.raises(DataSafetyError, match=r"\[stale-state:state-unreadable\] could not read the state of stack "
                                              r".*the backend refused: 403.*could delete them from the cluster"):
        run_program(settings)
    assert not monitor.of_type("pulumi-python:dynamic/evidentsource:RoleAcls") and topics_by_name(monitor) == {}
    # A preview says it and goes on (it changes nothing); a stack without access resources is not refused.
    preview = fresh_mocks(UnreadableState(), preview=True)
    run_program(settings)
    assert len(preview.of_type("pulumi-python:dynamic/evidentsource:RoleAcls")) == 4
    with_state(UnreadableState())
    run_program(PLAINTEXT)


def test_a_state_read_that_meets_the_checkpoint_half_written_is_asked_again():
    settings = merged(SCRAM, {"principalPasswords": {"evidentsource": "a", "streams-lambda": "b", "consumer-a": "c",
                                                     "consumer-b": "d", "producer-a": "e"}})
    mocks = UnreadableState(failing=2)
    monitor = with_state(mocks)
    run_program(settings)  # not refused: the third attempt answered
    assert mocks.asked == 3 and len(monitor.of_type("pulumi-python:dynamic/evidentsource:RoleAcls")) == 4


@pytest.mark.parametrize("operation", ["refresh", "destroy"])
def test_in_a_refresh_or_destroy_that_tools_pulumi_runs_the_program_for_refusals_are_said_not_raised(
        monkeypatch, operation):
    # A refusal that asks for `pulumi refresh` must not refuse that refresh: neither operation applies the settings.
    from components.model import names
    monkeypatch.setenv(names.OPERATION_ENV, operation)
    warned = []
    monkeypatch.setattr("components.safety.check.pulumi.log.warn", warned.append)
    with_state(StateMocks(ALL))
    run_program(merged(PLAINTEXT, {"topics": {"namePrefix": "v2-"}}))
    assert sum(f"(said, not refused: a {operation} applies no setting) [data-loss:rename]" in w for w in warned) == 4
    monkeypatch.setenv(names.OPERATION_ENV, "up")
    with pytest.raises(DataSafetyError):
        run_program(merged(PLAINTEXT, {"topics": {"namePrefix": "v2-"}}))

"""tools/ops/verify.py's decisions that need no cluster: who it can log in as, and what a row's verdict is.

The checks themselves run against the real TLS cluster in tests/integration/test_verify.py.
"""

from __future__ import annotations

from components.config import load
from components.outputs import client_properties
from configs import IAM, PLAINTEXT, SCRAM, merged
from tools.ops.verify import Row, login, table, unreachable, verify


def properties(raw: dict, role: str = "externalProducers") -> str:
    config = load.parse(raw)
    return client_properties(config, config.access_model().role(role))


def test_a_scram_principal_logs_in_with_its_password_from_the_stack():
    raw = merged(SCRAM, {"principalPasswords": {"producer-a": "pw-of-producer-a"}})
    config = load.parse(raw)
    settings, why = login(config, properties(raw), "User:producer-a", None)
    assert why == "" and settings["sasl.username"] == "producer-a" and settings["sasl.mechanism"] == "SCRAM-SHA-512"
    assert settings["sasl.password"] == "pw-of-producer-a"


def test_what_it_cannot_log_in_as_is_said_not_passed():
    no_password = merged(SCRAM, {"access": {"externalProducers": {"principals": ["User:stranger"]}}})
    assert login(load.parse(no_password), properties(no_password), "User:stranger", None) == (
        None, "no password for 'stranger' in the stack's principalPasswords")
    iam = load.parse(IAM)
    assert login(iam, properties(IAM), "some-role", None)[1].startswith("an IAM role: this project ships no IAM")


def test_a_plaintext_stack_has_nothing_to_verify_and_says_why():
    rows = verify(load.parse(PLAINTEXT), {"topicNames": {}, "clientProperties": {}}, None)
    assert [r.verdict for r in rows] == ["NOT CHECKED"] and "authenticates no one" in rows[0].got


def test_the_verdict_and_the_table():
    rows = [Row("server", "User:a", "produce", "t", "allowed", "allowed"),
            Row("server", "User:a", "produce", "u", "denied", "allowed"),
            Row("server", "User:b", "log in", "-", "-", "no password")]
    assert [r.verdict for r in rows] == ["expected", "UNEXPECTED", "NOT CHECKED"]
    assert table(rows).splitlines()[0].split() == ["role", "principal", "operation", "target", "expected", "got",
                                                   "verdict"]


def test_a_stopped_cluster_is_one_reason_within_the_timeout_not_minutes_of_timed_out_checks():
    import time
    stopped = load.parse(merged(SCRAM, {"cluster": {"bootstrapServers": ["127.0.0.1:1"]}}))
    started = time.monotonic()
    why = unreachable(stopped, timeout=3)
    assert why and time.monotonic() - started < 10, why
    assert unreachable(load.parse(IAM)) is None  # no Kafka client login: the table says so per role

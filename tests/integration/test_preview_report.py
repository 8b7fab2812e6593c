"""The preview renderer on the real engine: a SCRAM + ACL stack on the secure broker.

Deploy, then change a topic's retention and swap an external consumer's principal in the
stack's config, and let tools/preview/report.py run `pulumi preview` itself: the Markdown
must show the retention change with both values, the old principal's lost access and the
new one's gained access in words, and no secret anywhere. Then a real policy pack (the
renderer's test fixture) refuses a too-short retention and the report lists the violation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi import automation as auto

from components.model.names import NAMESPACE
from tests.support.stack_configs import secure_stack
from tools.cluster import broker

pytestmark = pytest.mark.timeout(900)

NS = NAMESPACE
PROJECT = Path(__file__).resolve().parents[2]
RENDERER = [sys.executable, "-m", "tools.preview.report"]
POLICY_FIXTURE = PROJECT / "tests" / "preview" / "policy_fixture"


def stack_config(bootstrap: str, prefix: str, consumer: str, retention: str | None = None) -> dict:
    topics = {"namePrefix": prefix, "partitions": 1, "replicationFactor": 1, "protect": False}
    if retention:
        topics["perTopic"] = {"databaseEvents": {"retention": retention}}
    return secure_stack(bootstrap, topics, {
        "createScramUsers": True,
        "server": {"principals": [f"User:{prefix}server"], "groupPrefix": f"{prefix}server-"},
        "externalConsumers": {"principals": [f"User:{consumer}"], "groupPrefix": f"{prefix}ext-"},
    })


def set_settings(stack: auto.Stack, config: dict) -> None:
    for key, value in config.items():
        stack.set_config(f"{NS}:{key}", auto.ConfigValue(json.dumps(value)))


def set_password(stack: auto.Stack, user: str, password: str) -> None:
    stack.set_config(f"{NS}:principalPasswords.{user}", auto.ConfigValue(password, secret=True), path=True)


def render(stack: auto.Stack, root: Path, out: Path, *extra: str) -> tuple[int, str, str, str]:
    """(exit code, Markdown, summary, raw preview) of the renderer running the preview itself."""
    md, summary, raw = out / "preview.md", out / "summary.txt", out / "preview.jsonl"
    done = subprocess.run([*RENDERER, "--stack", stack.name, "--cwd", str(root),
                           "--markdown", str(md), "--summary", str(summary), "--save-json", str(raw), *extra],
                          capture_output=True, text=True, timeout=600)
    assert md.exists(), done.stderr[-3000:]
    return done.returncode, md.read_text(), summary.read_text(), raw.read_text() + done.stderr


def test_retention_and_consumer_change_in_words(project, secure_broker, prefix, users, tmp_path):
    bootstrap = secure_broker["bootstrap_servers"]
    consumer_a, consumer_b, server = f"{prefix}consumer-a", f"{prefix}consumer-b", f"{prefix}server"
    stack = project.stack(stack_config(bootstrap, prefix, consumer_a))
    admin_jaas = broker.jaas(secure_broker["admin_password"])
    stack.set_config(f"{NS}:saslJaasConfig", auto.ConfigValue(admin_jaas, secret=True))
    set_password(stack, server, users[server])
    set_password(stack, consumer_a, users[consumer_a])
    try:
        stack.up()
        set_settings(stack, stack_config(bootstrap, prefix, consumer_b, retention="1d"))
        stack.remove_config(f"{NS}:principalPasswords.{consumer_a}", path=True)
        set_password(stack, consumer_b, users[consumer_b])

        code, md, summary, raw = render(stack, project.root, tmp_path)
        events = f"{prefix}evidentsource-database-events"
        responses = f"{prefix}evidentsource-async-responses"
        assert code == 0, md
        assert "| update | `evidentsource-database-events` | kafka Topic | `retention.ms`: `604800000` -> `86400000` |" in md
        for topic in (events, responses):
            assert f"`User:{consumer_a}` **loses** Read (consume) on topic `{topic}` (Kafka ACL)" in md
            assert f"`User:{consumer_b}` **gains** Read (consume) on topic `{topic}` (Kafka ACL)" in md
        assert (f"`User:{consumer_b}` **gains** Read (use the group) on consumer groups starting with "
                f"`{prefix}ext-` (Kafka ACL)") in md
        # The topic, the consumers' role resource, the SCRAM users resource and the access record change in place.
        assert summary == f"{stack.name}: 0 to create, 4 to update, 0 to replace, 0 to delete; " \
                          "access changes: 3 gained, 3 lost\n"
        assert "[!CAUTION]" not in md  # nothing destroys data
        for secret in [secure_broker["admin_password"], *users.values()]:
            assert secret not in md and secret not in summary and secret not in raw

        # A real policy pack refuses a 6h retention: the violation is listed, the preview failed.
        set_settings(stack, {"topics": stack_config(bootstrap, prefix, consumer_b, retention="6h")["topics"]})
        code, md, summary, _ = render(stack, project.root, tmp_path, "--policy-pack", str(POLICY_FIXTURE))
        assert code == 3, md
        assert (f"- **mandatory** `preview-report-fixture/topic-min-retention-12h` on "
                f"`evidentsource-database-events`: retention.ms is 21600000") in md
        assert "`retention.ms`: `604800000` -> `21600000`" in md
        assert summary.rstrip().endswith("preview FAILED")
    finally:
        stack.destroy(run_program=False)
        stack.workspace.remove_stack(stack.name)

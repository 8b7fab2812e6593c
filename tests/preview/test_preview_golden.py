"""The renderer on saved previews (data/), against the Markdown it must produce (golden/).

Every file in data/ but msk-iam.json is a real `pulumi preview --json` of a SCRAM + ACL
stack on a real broker (record.py made them); msk-iam.json is crafted in the same shape
(see data/README.md). After a deliberate change to the renderer:
    UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/preview
rewrites golden/, and the diff shows what readers of pull requests will see differently.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tools.preview.markdown import render
from tools.preview.parse import parse

HERE = Path(__file__).resolve().parent
DATA, GOLDEN = HERE / "data", HERE / "golden"
# Saved preview -> the exit code CI gets: 0 fine, 2 data-loss banner, 3 preview failed.
CASES = {
    "create.json": 0,
    "update.json": 0,
    "replace.json": 2,
    "refused-rename.json": 2,
    "delete.json": 0,
    "protected-delete.jsonl": 2,
    "policy-violation.jsonl": 3,
    "empty.json": 0,
    "msk-iam.json": 0,
    "migrate.jsonl": 0,
    "migrate-retained.json": 0,
}
# Strings that must never reach a report: the recorded stacks' passwords (record.py).
PASSWORD = re.compile(r"recorded-only-[\w-]+-pw")


def rendered(name: str):
    return render(parse((DATA / name).read_text()))


def test_every_saved_preview_has_a_case():
    assert sorted(p.name for p in DATA.glob("*.json*")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_matches_golden(name):
    report = rendered(name)
    golden = GOLDEN / (name.split(".")[0] + ".md")
    if os.environ.get("UPDATE_GOLDENS") == "1":
        golden.write_text(report.markdown)
    assert golden.exists(), f"{golden} is missing: run UPDATE_GOLDENS=1 pytest tests/preview and review it"
    assert report.markdown == golden.read_text(), f"{name} renders differently from {golden.name}"
    assert report.exit_code == CASES[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_secret_in_saved_preview_or_report(name):
    text = (DATA / name).read_text()
    assert not PASSWORD.search(text)
    assert not PASSWORD.search(rendered(name).markdown)


def test_update_shows_retention_and_access_in_words():
    md = rendered("update.json").markdown
    assert "| update | `evidentsource-database-events` | kafka Topic | `retention.ms`: `604800000` -> `86400000` |" in md
    assert ("`User:external-consumer-a` **loses** Read (consume) on topic `evidentsource-database-events` "
            "(Kafka ACL)") in md
    assert ("`User:external-consumer-b` **gains** Read (use the group) on consumer groups starting with "
            "`evidentsource-external-` (Kafka ACL)") in md
    assert "[!CAUTION]" not in md
    # The role's resource, binding by binding; the SCRAM users by name, their passwords never.
    assert ("| update | `acls-externalConsumers` | pulumi-python dynamic RoleAcls | adds Allow "
            "`User:external-consumer-b` Read (consume) on topic `evidentsource-async-responses`<br>") in md
    assert ("<br>removes Allow `User:external-consumer-a` Read (use the group) on consumer groups starting with "
            "`evidentsource-external-` |") in md
    assert ("| update | `scram-users-all` | pulumi-python dynamic ScramUsers | adds SCRAM user `external-consumer-b`"
            "<br>removes SCRAM user `external-consumer-a` |") in md


def test_migration_first_run_creates_the_role_resources_and_changes_no_access():
    """The earlier shape's Acls are declared once more (unchanged, listed as `same` in the event stream) while
    the role resources take their bindings over: nobody gains or loses anything."""
    report = rendered("migrate.jsonl")
    assert report.summary == "staging: 5 to create, 0 to update, 0 to replace, 0 to delete"
    assert "[!WARNING]" not in report.markdown
    assert "| create | `acls-server` | pulumi-python dynamic RoleAcls | ACL bindings of role `server`: 33 |" \
        in report.markdown
    assert ("| create | `scram-users-all` | pulumi-python dynamic ScramUsers | SCRAM users `evidentsource`, "
            "`evidentsource-streams-lambda`, `external-consumer-a`, `external-producer` (SCRAM-SHA-512) |") \
        in report.markdown


def test_migration_second_run_lets_the_old_resources_go_from_the_state_only():
    """delete[retain] of every Acl and UserScramCredential: bindings and users stay on the cluster, no access lost."""
    report = rendered("migrate-retained.json")
    assert report.summary == "staging: 0 to create, 0 to update, 0 to replace, 42 to delete (42 only from the state)"
    assert "[!WARNING]" not in report.markdown and "**delete**" not in report.markdown
    assert report.markdown.count("| delete[retain] |") == 42
    assert ("| delete[retain] | `acls-external-producer-write-topic-asyncCommands` | kafka Acl | Allow "
            "`User:external-producer` Write (produce) on topic `evidentsource-async-commands`<br>stays on the "
            "cluster, dropped from the stack's state only (`retainOnDelete`) |") in report.markdown
    assert ("| delete[retain] | `scram-users-external-producer` | kafka UserScramCredential | SCRAM user "
            "`external-producer` (SCRAM-SHA-512)<br>stays on the cluster") in report.markdown


def test_an_accepted_replace_raises_the_banner_and_says_who_accepted_it():
    report = rendered("replace.json")
    assert report.markdown.index("[!CAUTION]") < report.markdown.index("[!WARNING]") < report.markdown.index("#### Changes")
    assert "topic `evidentsource-async-commands` would be **replaced**" in report.markdown
    assert "**not stopped**: accepted on purpose by the stack (asyncCommands: accepted data loss" in report.markdown
    assert report.summary.endswith("DATA LOSS risk: 1 (accepted)")


def test_a_rename_refused_by_the_program_raises_the_banner():
    report = rendered("refused-rename.json")
    assert ("- refused: asyncCommands: rename 'evidentsource-async-commands' -> 'evidentsource-commands' asked "
            "(topics.perTopic.asyncCommands.name).<br>Where it was stopped: stopped by the program at preview") \
        in report.markdown
    assert "topics: acceptDataLoss: [asyncCommands]" in report.markdown  # the way out, under Errors
    assert "No changes were planned: the preview stopped first." in report.markdown


def test_protected_delete_banner_says_the_engine_stopped_it():
    report = rendered("protected-delete.jsonl")
    assert "Data loss: refused, nothing was changed." in report.markdown
    assert "stopped by the engine: the topic is protected (`protect`)" in report.markdown
    assert "cannot be deleted\nbecause it is protected" in report.markdown  # the engine's own words, under Errors
    assert report.summary.endswith("DATA LOSS risk: 1 (refused); preview FAILED")


def test_policy_violation_is_listed_instead_of_the_engines_bare_failure():
    md = rendered("policy-violation.jsonl").markdown
    assert "- **mandatory** `preview-report-fixture/topic-min-retention-12h` on `evidentsource-database-events`" in md
    assert "#### Errors" not in md  # only "preview failed", which the violation explains


def test_empty_preview_says_no_changes():
    report = rendered("empty.json")
    assert report.summary == "staging: 0 to create, 0 to update, 0 to replace, 0 to delete"
    assert "No changes." in report.markdown and "|" not in report.markdown


def test_msk_iam_access_is_mapped_to_role_names():
    report = rendered("msk-iam.json")
    md = report.markdown
    assert "| update | `evidentsource-database-events` | aws msk Topic | `retention.ms`: `604800000` -> `259200000` |" in md
    assert ("IAM role `analytics-consumer-role` **loses** kafka-cluster:DescribeTopic, kafka-cluster:ReadData on "
            "topic `evidentsource-database-events` (IAM policy `msk-iam-externalConsumers`)") in md
    assert ("IAM role `partner-producer-role` **gains** kafka-cluster:Connect, kafka-cluster:WriteDataIdempotently "
            "on cluster `evidentsource-prod`") in md
    assert ("IAM role `evidentsource-server-role` **gains** kafka-cluster:AlterTransactionalId, "
            "kafka-cluster:DescribeTransactionalId on transactional ids starting with `evidentsource-tx-`") in md
    assert "`policy`: document changed (see access changes)" in md

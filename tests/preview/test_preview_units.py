"""The renderer's rules one at a time, on the smallest preview that shows each."""

from __future__ import annotations

import json

import pytest

from tools.preview import access as preview_access
from tools.preview.markdown import render
from tools.preview.parse import SECRET_SIG, UNKNOWN, parse, split_path

STACK = "urn:pulumi:staging::evidentsource-kafka::pulumi:pulumi:Stack::evidentsource-kafka-staging"
TOPIC = "kafka:index/topic:Topic"
ACL = "kafka:index/acl:Acl"
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"
SCRAM_USERS = "pulumi-python:dynamic/evidentsource:ScramUsers"


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:staging::evidentsource-kafka::{kind}::{name}"


def digest(*steps: dict, diagnostics: list | None = None, summary: dict | None = None) -> str:
    return json.dumps({"steps": [{"op": "same", "urn": STACK}, *steps], "diagnostics": diagnostics or [],
                       "changeSummary": summary or {}})


def step(op: str, kind: str, name: str, old: dict | None = None, new: dict | None = None, **extra) -> dict:
    found = {"op": op, "urn": urn(kind, name), **extra}
    if old is not None:
        found["oldState"] = {"type": kind, "custom": True, "inputs": old, "outputs": old}
    if new is not None:
        found["newState"] = {"type": kind, "custom": True, "inputs": new}
    return found


def retained(found: dict) -> dict:
    """The step with retainOnDelete in its old state, as the engine prints a `delete[retain]`."""
    found["oldState"]["retainOnDelete"] = True
    return found


def role(name: str, bindings: list[dict], keep: tuple[str, ...] = ()) -> dict:
    """A RoleAcls resource's inputs, as the program declares them."""
    return {"__provider": "gASVPAAAAAAAAACMIGNvbXBvbmVudHMu", "role": name, "bindings": bindings, "keep": list(keep),
            "connection": "[secret]", "timeoutSeconds": 5}


def acl(principal="User:app", op="Read", kind="Topic", name="orders", pattern="Literal", permission="Allow") -> dict:
    return {"aclPrincipal": principal, "aclOperation": op, "aclResourceType": kind, "aclResourceName": name,
            "resourcePatternTypeFilter": pattern, "aclHost": "*", "aclPermissionType": permission}


# --- reading ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "not json", '{"something": "else"}', '[1, 2]', '{"sequence": 1}\nnope'])
def test_anything_but_a_preview_is_refused(text):
    with pytest.raises(ValueError, match="empty|pulumi preview --json"):
        parse(text)


def test_stream_and_digest_read_the_same():
    old, new = {"name": "t", "config": {"retention.ms": "1"}}, {"name": "t", "config": {"retention.ms": "2"}}
    meta = {"op": "update", "urn": urn(TOPIC, "t"), "type": TOPIC, "old": {"type": TOPIC, "inputs": old},
            "new": {"type": TOPIC, "inputs": new}, "diffs": ["config"],
            "detailedDiff": {'config["retention.ms"]': {"diffKind": "update", "inputDiff": True}}}
    stream = "\n".join(json.dumps(e) for e in [
        {"sequence": 0, "resourcePreEvent": {"metadata": meta}},
        {"sequence": 1, "summaryEvent": {"resourceChanges": {"update": 1}, "result": "succeeded"}}])
    flat = digest(step("update", TOPIC, "t", old, new, diffReasons=["config"],
                       detailedDiff={'config["retention.ms"]': {"kind": "update", "inputDiff": True}}),
                  summary={"update": 1})
    assert render(parse(stream)).markdown.split("\n", 1)[1] == render(parse(flat)).markdown.split("\n", 1)[1]


def test_property_paths():
    assert split_path('config["retention.ms"]') == ("config", "retention.ms")
    assert split_path("a.b[0].c") == ("a", "b", 0, "c")
    assert split_path('tags["x\\"y"]') == ("tags", 'x"y')


# --- secrets --------------------------------------------------------------------------

def test_a_secret_envelope_is_never_shown_even_with_plaintext():
    envelope = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": '"hunter2-plain"',
                "ciphertext": "v1:cipher-hunter2"}
    old = {"username": "app", "password": envelope, "scramMechanism": "SCRAM-SHA-512"}
    new = {"username": "app", "password": {**envelope, "plaintext": '"hunter3-plain"'}, "scramMechanism": "SCRAM-SHA-512"}
    kind = "kafka:index/userScramCredential:UserScramCredential"
    report = render(parse(digest(step("update", kind, "u", old, new, diffReasons=["password"],
                                      detailedDiff={"password": {"kind": "update"}}))))
    assert "`password`: [secret] -> [secret]" in report.markdown
    for leaked in ("hunter", "cipher", "1b4706"):
        assert leaked not in report.markdown + report.summary


def test_a_value_turning_secret_shows_neither_side():
    report = render(parse(digest(step("update", TOPIC, "t", {"name": "t", "config": {"x": "plain-old"}},
                                      {"name": "t", "config": {"x": "[secret]"}}, diffReasons=["config"]))))
    assert "`x`: [secret] -> [secret]" in report.markdown and "plain-old" not in report.markdown


# --- data loss ---------------------------------------------------------------------------

def test_a_topic_replace_that_nothing_refuses_raises_the_banner():
    report = render(parse(digest(step("replace", TOPIC, "t", {"name": "a", "partitions": 6}, {"name": "a", "partitions": 3},
                                      replaceReasons=["partitions"], diffReasons=["partitions"]))))
    assert report.data_loss and report.exit_code == 2
    assert "because `partitions` changed: its messages would be lost" in report.markdown
    assert "`partitions`: `6` -> `3` (forces replacement)" in report.markdown
    assert "**not stopped**: nothing refused it" in report.markdown
    assert report.summary.endswith("DATA LOSS risk: 1 (NOT refused)")


def test_an_acl_replace_is_no_data_loss():
    report = render(parse(digest(step("replace", ACL, "a", acl(name="x"), acl(name="y"),
                                      replaceReasons=["aclResourceName"]))))
    assert not report.data_loss and report.exit_code == 0


def test_refusals_by_the_program_raise_the_banner_without_a_step():
    refusal = {"severity": "error", "message": (
        "error: Refused (2); nothing was changed:\n"
        "  - [data-loss:partition-decrease] databaseEvents: partitions 6 -> 3 asked for "
        "'evidentsource-database-events'. Kafka can only add partitions: a decrease is planned as delete + create of "
        "the topic, destroying every message in it.\n"
        "  - [data-loss:rename] asyncCommands: rename 'a' -> 'b' asked. Kafka cannot rename a topic.\n")}
    report = render(parse(digest(diagnostics=[refusal, {"severity": "error", "message": "error: preview failed\n"}])))
    assert report.exit_code == 2
    assert report.summary.endswith("DATA LOSS risk: 2 (refused); preview FAILED")
    assert "- refused: databaseEvents: partitions 6 -> 3 asked" in report.markdown
    assert "- refused: asyncCommands: rename 'a' -> 'b' asked." in report.markdown
    assert "stopped by the program at preview" in report.markdown
    assert "preview failed\n" not in report.markdown  # the engine's bare line, explained by the refusal


def test_the_banner_follows_the_refusals_code_not_its_wording():
    """A refusal coded as something else raises no data-loss banner, whatever its words; an uncoded line neither."""
    other = {"severity": "error", "message": (
        "error: Refused (2); nothing was changed:\n"
        "  - [stale-state:state-ahead-of-cluster] databaseEvents: partitions 6 -> 3, a rename destroying every "
        "message (data loss)\n"
        "  - asyncCommands: rename 'a' -> 'b' would destroy every message\n")}
    report = render(parse(digest(diagnostics=[other])))
    assert report.exit_code == 3 and "DATA LOSS" not in report.summary


def test_a_loss_accepted_by_the_stack_says_so():
    warning = {"severity": "warning", "message": "warning: [accepted:data-loss] databaseEvents: evidentsource-kafka:"
                                                 "topics.acceptDataLoss lists it, so 'events' is unprotected and may "
                                                 "lose its messages\n"}
    report = render(parse(digest(step("replace", TOPIC, "t", {"name": "events", "partitions": 6},
                                      {"name": "events", "partitions": 3}, replaceReasons=["partitions"]),
                                 diagnostics=[warning])))
    assert ("**not stopped**: accepted on purpose by the stack (databaseEvents: evidentsource-kafka:topics."
            in report.markdown)
    assert report.exit_code == 2


def test_a_mandatory_policy_on_the_topic_is_where_it_was_stopped():
    meta = {"op": "delete", "urn": urn(TOPIC, "t"), "type": TOPIC, "old": {"type": TOPIC, "inputs": {"name": "t"}}}
    events = [{"sequence": 0, "resourcePreEvent": {"metadata": meta}},
              {"sequence": 1, "policyEvent": {"resourceUrn": urn(TOPIC, "t"), "policyPackName": "kafka-safety",
                                              "policyName": "no-topic-delete", "enforcementLevel": "mandatory",
                                              "message": "Topics are never deleted.\nRemove the delete.\n"}},
              {"sequence": 2, "summaryEvent": {"resourceChanges": {"delete": 1}, "result": "failed"}}]
    report = render(parse("\n".join(json.dumps(e) for e in events)))
    assert "stopped by policy `kafka-safety/no-topic-delete`: Topics are never deleted." in report.markdown
    assert report.summary.endswith("DATA LOSS risk: 1 (refused); preview FAILED")


def test_a_failed_preview_without_data_loss_exits_3():
    error = {"severity": "error", "message": "error: Invalid stack configuration (1 problem(s)); nothing was changed:\n"}
    report = render(parse(digest(diagnostics=[error])))
    assert report.exit_code == 3 and "Invalid stack configuration" in report.markdown


# --- access in words ---------------------------------------------------------------------

def test_acl_words_for_prefixes_deny_and_hosts():
    assert preview_access.acl_grant(acl(kind="Group", name="ext-", pattern="Prefixed")).resource == \
        "consumer groups starting with `ext-`"
    grant = preview_access.acl_grant({**acl(permission="Deny"), "aclHost": "10.0.0.1"})
    assert grant.effect == "Deny" and grant.resource == "topic `orders` from host `10.0.0.1`"
    report = render(parse(digest(step("create", ACL, "d", None, acl(permission="Deny")))))
    assert "`User:app` **gains** a **Deny** of Read (consume) on topic `orders`" in report.markdown


def test_a_binding_that_only_moves_between_resources_is_no_access_change():
    moved = digest(step("delete", ACL, "old-name", acl(), None), step("create", ACL, "new-name", None, acl()))
    assert preview_access.changes(parse(moved)) == []


def test_iam_attachment_to_a_new_policy_is_found_by_its_name():
    policy = {"name": "p", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kafka-cluster:ReadData"],
         "Resource": ["arn:aws:kafka:us-east-1:123456789012:topic/c/u-1/orders"]}]})}
    text = digest(step("create", "aws:iam/policy:Policy", "msk-iam-consumers", None, policy),
                  step("create", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "msk-iam-consumers-app-role", None,
                       {"policyArn": UNKNOWN, "role": "arn:aws:iam::123456789012:role/app-role"}))
    (change,) = preview_access.changes(parse(text))
    assert change.sentence() == ("IAM role `app-role` **gains** kafka-cluster:ReadData on topic `orders` "
                                 "(IAM policy `p`)")


def test_markdown_survives_backticks_and_pipes():
    report = render(parse(digest(step("create", ACL, "a", None, acl(principal="User:we`ird|name")))))
    assert "``User:we`ird|name``" in report.markdown  # the banner: a longer fence
    assert "``User:we`ird\\|name``" in report.markdown  # the table: the pipe escaped


def test_bindings_on_the_cluster_not_in_the_stack_get_their_own_heading_one_line_each():
    warnings = [{"severity": "warning", "message": (
        f"[access:unmanaged] on the cluster, not in the stack: User:evidentsource Allow All on Topic '{t}' (Literal, "
        "host *): it touches what this stack manages, and the stack's access model does not include it\n")}
        for t in ("evidentsource-database-events", "evidentsource-async-commands")]
    report = render(parse(digest(diagnostics=warnings)))
    section = report.markdown.split("#### On the cluster, not in the stack", 1)[1]
    assert "2 ACL binding(s) touch what this stack manages" in section
    assert "- User:evidentsource Allow All on Topic 'evidentsource-database-events' (Literal, host *)" in section
    assert section.count("\n- User:evidentsource Allow All on Topic") == 2


# --- the access layer's shapes: role resources, legacy Acls let go, SCRAM users ------------------

def test_each_binding_of_a_role_resource_is_one_grant():
    text = digest(step("update", ROLE_ACLS, "acls-externalConsumers",
                       role("externalConsumers", [acl(principal="User:a"), acl(principal="User:a", kind="Group",
                                                                                name="ext-", pattern="Prefixed")]),
                       role("externalConsumers", [acl(principal="User:b"), acl(principal="User:a", kind="Group",
                                                                                name="ext-", pattern="Prefixed")])))
    assert [c.sentence() for c in preview_access.changes(parse(text))] == [
        "`User:a` **loses** Read (consume) on topic `orders` (Kafka ACL)",
        "`User:b` **gains** Read (consume) on topic `orders` (Kafka ACL)"]
    report = render(parse(text))
    assert ("| update | `acls-externalConsumers` | pulumi-python dynamic RoleAcls | "
            "adds Allow `User:b` Read (consume) on topic `orders`<br>"
            "removes Allow `User:a` Read (consume) on topic `orders` |") in report.markdown
    assert "gASV" not in report.markdown and "keep" not in report.markdown


def test_a_binding_moving_between_role_resources_is_no_access_change():
    shared = acl(principal="User:both", op="Write")
    text = digest(step("update", ROLE_ACLS, "acls-server", role("server", [acl(), shared]), role("server", [acl()])),
                  step("update", ROLE_ACLS, "acls-externalProducers", role("externalProducers", []),
                       role("externalProducers", [shared])))
    assert preview_access.changes(parse(text)) == []
    alone = digest(step("update", ROLE_ACLS, "acls-server", role("server", [acl(), shared]), role("server", [acl()])))
    (change,) = preview_access.changes(parse(alone))  # without the other role taking it, it is lost
    assert change.sentence() == "`User:both` **loses** Write (produce) on topic `orders` (Kafka ACL)"


def test_a_binding_moving_from_a_legacy_acl_into_a_role_resource_is_no_access_change():
    text = digest(step("delete", ACL, "acls-app-read-topic-orders", acl(), None),
                  step("create", ROLE_ACLS, "acls-server", None, role("server", [acl()])))
    assert preview_access.changes(parse(text)) == []


def test_a_retained_delete_of_a_legacy_acl_loses_no_access():
    """delete[retain]: the engine only drops the Acl from the state; the binding stays on the cluster."""
    text = digest(retained(step("delete", ACL, "acls-app-read-topic-orders", acl(), None)))
    preview = parse(text)
    assert preview.steps[-1].op == "delete" and preview.steps[-1].keeps_old
    assert preview_access.changes(preview) == []
    report = render(preview)
    assert "[!WARNING]" not in report.markdown and "access changes" not in report.summary
    assert ("| delete[retain] | `acls-app-read-topic-orders` | kafka Acl | Allow `User:app` Read (consume) on topic "
            "`orders`<br>stays on the cluster, dropped from the stack's state only (`retainOnDelete`) |") \
        in report.markdown


def test_a_delete_without_retain_still_loses_access():
    (change,) = preview_access.changes(parse(digest(step("delete", ACL, "acls-app-read-topic-orders", acl(), None))))
    assert change.sentence() == "`User:app` **loses** Read (consume) on topic `orders` (Kafka ACL)"


def test_a_retained_binding_is_lost_when_a_role_resource_removes_it():
    """The retained Acl leaves the binding on the cluster, but the role resource's update deletes it."""
    text = digest(retained(step("delete", ACL, "acls-app-read-topic-orders", acl(), None)),
                  step("update", ROLE_ACLS, "acls-server", role("server", [acl(), acl(op="Write")]),
                       role("server", [acl(op="Write")])))
    (change,) = preview_access.changes(parse(text))
    assert change.sentence() == "`User:app` **loses** Read (consume) on topic `orders` (Kafka ACL)"


def test_a_retained_delete_in_an_event_stream_loses_no_access():
    meta = {"op": "delete", "urn": urn(ACL, "a"), "type": ACL,
            "old": {"type": ACL, "inputs": acl(), "retainOnDelete": True}}
    events = [{"sequence": 0, "resourcePreEvent": {"metadata": meta}},
              {"sequence": 1, "summaryEvent": {"resourceChanges": {"delete": 1}, "result": "succeeded"}}]
    report = render(parse("\n".join(json.dumps(e) for e in events)))
    assert "[!WARNING]" not in report.markdown
    assert report.summary == "staging: 0 to create, 0 to update, 0 to replace, 1 to delete (1 only from the state)"


def test_scram_users_added_and_removed_by_list_difference_passwords_never_shown():
    envelope = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": '{"a": "hunter2-plain"}'}
    old = {"users": ["a", "keep"], "mechanism": "SCRAM-SHA-512", "passwords": envelope, "connection": "[secret]"}
    new = {"users": ["keep", "b"], "mechanism": "SCRAM-SHA-512",
           "passwords": {"keep": "hunter3-plain", "b": "hunter4-plain"}, "connection": "[secret]"}
    report = render(parse(digest(step("update", SCRAM_USERS, "scram-users-all", old, new))))
    assert ("| update | `scram-users-all` | pulumi-python dynamic ScramUsers | adds SCRAM user `b`<br>"
            "removes SCRAM user `a`<br>`passwords`: [secret] -> [secret] |") in report.markdown
    assert "hunter" not in report.markdown + report.summary and "`keep`" not in report.markdown
    created = render(parse(digest(step("create", SCRAM_USERS, "scram-users-all", None, new))))
    assert "| SCRAM users `keep`, `b` (SCRAM-SHA-512) |" in created.markdown
    assert "hunter" not in created.markdown


def test_the_renderer_reads_the_binding_fields_the_program_writes():
    """tools/preview runs without the project's venv, so it spells the fields itself: they must stay the program's."""
    from components.model.acl_bindings import FIELDS, AclBinding, as_input

    assert preview_access.ACL_FIELDS == FIELDS
    binding = as_input(AclBinding("User:app", "Write", "TransactionalID", "tx-", "Prefixed"))
    grant = preview_access.acl_grant(binding)
    assert (grant.principal, grant.operation, grant.resource) == \
        ("`User:app`", "Write (transactions)", "transactional ids starting with `tx-`")


def test_a_retained_replace_keeps_the_old_binding_on_the_cluster():
    """replace[retain] in parts, as the engine prints it: the old binding stays, the new one is created."""
    old, new = acl(name="x"), acl(name="y")
    text = digest(retained(step("create-replacement", ACL, "a", old, new, replaceReasons=["aclResourceName"])),
                  retained(step("delete-replaced", ACL, "a", old, None)))
    (change,) = preview_access.changes(parse(text))
    assert change.sentence() == "`User:app` **gains** Read (consume) on topic `y` (Kafka ACL)"
    assert ("| **replace[retain]** | `a` | kafka Acl | `aclResourceName`: `x` -> `y` (forces replacement)<br>the old one "
            "stays on the cluster (`retainOnDelete`) |") in render(parse(text)).markdown


def test_role_bindings_known_only_after_apply_are_said_so():
    text = digest(step("create", ROLE_ACLS, "acls-server", None, {**role("server", []), "bindings": UNKNOWN}))
    report = render(parse(text))
    assert "| ACL bindings of role `server`: (known after apply) |" in report.markdown
    assert "`(known after apply)` **gains** (known after apply) on (known after apply)" in report.markdown


def grants_role(name: str, grants: list[str], **extra) -> dict:
    """A RoleAcls resource's inputs in this release's shape: `grants` (words -> id), removals named by the plan."""
    return {"__provider": "gASVPAAAAAAAAACMIGNvbXBvbmVudHMu", "role": name, "bindings": [], "connection": "[secret]",
            "grants": {f"words of {i}": i for i in grants}, "missing": {}, "retire": {}, "removeUnmanaged": {},
            "timeoutSeconds": 5, **extra}


def test_role_grants_and_the_unmanaged_bindings_the_plan_removes_are_access_changes():
    read, write = "User:a|*|Read|Allow|Topic|orders|Literal", "User:b|*|Write|Allow|Topic|orders|Literal"
    stray = "User:stranger|*|Read|Allow|Topic|orders|Literal"
    text = digest(step("update", ROLE_ACLS, "acls-server", grants_role("server", [read]),
                       grants_role("server", [read, write], removeUnmanaged={"words": stray})))
    assert [c.sentence() for c in preview_access.changes(parse(text))] == [
        "`User:b` **gains** Write (produce) on topic `orders` (Kafka ACL)",
        "`User:stranger` **loses** Read (consume) on topic `orders` (Kafka ACL)"]
    # The previous release's `bindings` list on the old side, this release's `grants` on the new: no change.
    upgraded = digest(step("update", ROLE_ACLS, "acls-server", role("server", [acl(principal="User:a")]),
                           grants_role("server", [read])))
    assert preview_access.changes(parse(upgraded)) == []

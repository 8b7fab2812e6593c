"""A parsed preview as Markdown for a pull request: what destroys data and who gains or
loses access first, then every change in a compact table, then errors and warnings.

Nothing here prints a value the engine marked secret: those arrive as "[secret]"
(parse.py masks any other form), and a change that touches one shows "[secret]"
on both sides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from components.safety import refusals
from tools.preview import access as preview_access
from tools.preview.access import IAM_POLICY, LATER, code
from tools.preview.parse import MISSING, SECRET, UNKNOWN, Preview, Step, leaf_changes, lookup, split_path

TOPICS = ("kafka:index/topic:Topic", "aws:msk/topic:Topic")
SCRAM_USER = "kafka:index/userScramCredential:UserScramCredential"  # the earlier shape: one per user
SCRAM_USERS = "pulumi-python:dynamic/evidentsource:ScramUsers"  # every user of the stack, in `users`
OP_ORDER = {"replace": 0, "delete": 1, "update": 2, "create": 3, "import": 4}
MAX_ROWS = 250
# Lines the engine adds to every failure; shown only when nothing better explains it.
NOISE = re.compile(r"^(preview failed|update failed"
                   r"|an unhandled error occurred: program exited with non-zero exit code: \d+)\s*$")
# The engine's own refusal to delete a protected resource (its wording: the engine has no codes). The
# program's refusals are told by their codes (components/safety/refusals.py), never by their wording.
ENGINE_PROTECTED = re.compile(r"marked for protection|is protected|cannot be deleted", re.IGNORECASE)


@dataclass(frozen=True)
class DataLoss:
    what: str  # in words
    stopped: str  # where it was stopped, in words
    status: str  # "refused", "accepted" (on purpose, by the stack's override) or "NOT refused"

    @property
    def refused(self) -> bool:
        return self.status == "refused"


@dataclass(frozen=True)
class Report:
    markdown: str
    summary: str
    data_loss: bool
    failed: bool

    @property
    def exit_code(self) -> int:
        """2: a data-loss banner was raised; 3: the preview failed otherwise; 0: neither."""
        return 2 if self.data_loss else 3 if self.failed else 0


# --- values -----------------------------------------------------------------------

def value(v) -> str:
    if v is MISSING:
        return "(none)"
    if v == SECRET:
        return SECRET
    if v == UNKNOWN:
        return LATER
    text = v if isinstance(v, str) else json.dumps(v, sort_keys=True)
    return code(text if len(text) <= 120 else text[:117] + "...")


def path_text(step: Step, path: tuple) -> str:
    if step.type in TOPICS and len(path) > 1 and path[0] in ("config", "configs"):
        path = path[1:]  # a topic's settings read as Kafka's own names: retention.ms
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def changed(step: Step) -> list[str]:
    """`key: old -> new` for every input the step changes."""
    if step.type == IAM_POLICY and "policy" in (step.diffs or ()) + tuple(step.detailed):
        extra = [c for c in _leaves(step) if c[0][:1] != ("policy",)]
        return ["`policy`: document changed (see access changes)"] + [_line(step, *c) for c in extra]
    if step.type == preview_access.ROLE_ACLS:
        return _role_acls_changed(step)
    if step.type == SCRAM_USERS:
        return _scram_users_changed(step)
    return [_line(step, *c) for c in _leaves(step)]


def _binding_words(binding: dict) -> str:
    """One ACL binding in words: `Allow `User:app` Read (consume) on topic `orders``."""
    g = preview_access.acl_grant(binding)
    return f"{g.effect} {g.principal} {g.operation} on {g.resource}"


def _role_acls_changed(step: Step) -> list[str]:
    """Each binding the role's resource adds or removes, in words; `keep` (what the other roles hold) is left out."""
    old, new = ((side or {}).get("bindings", []) for side in (step.old, step.new))
    lines = []
    if isinstance(old, list) and isinstance(new, list):
        old, new = (preview_access.role_bindings(side) for side in (step.old, step.new))
        lines += sorted(f"adds {_binding_words(b)}" for b in new if b not in old)
        lines += sorted(f"removes {_binding_words(b)}" for b in old if b not in new)
    elif old != new:
        lines.append(_line(step, ("bindings",), old, new))
    return lines + [_line(step, *c) for c in _leaves(step) if c[0][:1] not in (("bindings",), ("keep",))]


def _usernames(inputs: dict | None):
    """The `users` of a ScramUsers resource: a list, or the marker of an unknown or secret value."""
    return (inputs or {}).get("users", [])


def _scram_users_changed(step: Step) -> list[str]:
    """Users added and removed (by list difference), other settings as usual; of the passwords, only that they
    changed, never a value (nor whose)."""
    old, new = _usernames(step.old), _usernames(step.new)
    lines = []
    if isinstance(old, list) and isinstance(new, list):
        lines += [f"adds SCRAM user {value(u)}" for u in new if u not in old]
        lines += [f"removes SCRAM user {value(u)}" for u in old if u not in new]
    elif old != new:
        lines.append(_line(step, ("users",), old, new))
    leaves = _leaves(step)
    if any(c[0][:1] == ("passwords",) for c in leaves):
        lines.append(f"`passwords`: {SECRET} -> {SECRET}")
    return lines + [_line(step, *c) for c in leaves if c[0][:1] not in (("users",), ("passwords",))]


def _leaves(step: Step) -> list[tuple[tuple, object, object]]:
    old, new = step.old or {}, step.new or {}
    if not step.detailed:
        keys = set(step.diffs) or set(old) | set(new)
        return [c for c in leaf_changes(old, new) if c[0][0] in keys]
    found = []
    for raw in sorted(step.detailed):
        path = split_path(raw)
        before = lookup(old, path)
        if before is MISSING or not step.detailed[raw]["inputDiff"] and lookup(step.old_outputs, path) is not MISSING:
            before = lookup(step.old_outputs, path)  # the provider compared against state
        found += leaf_changes(before, lookup(new, path), path) or [(path, before, lookup(new, path))]
    return found


def _line(step: Step, path: tuple, before, after) -> str:
    if SECRET in (before, after):
        before = after = SECRET
    forced = " (forces replacement)" if step.op == "replace" and path and str(path[0]) in step.replace_keys else ""
    return f"{code(path_text(step, path))}: {value(before)} -> {value(after)}{forced}"


def describe(step: Step) -> str:
    """What a created or deleted resource is, in one phrase."""
    i = step.inputs()
    if step.type == "kafka:index/topic:Topic":
        return f"topic {value(i.get('name'))}, {i.get('partitions')} partitions, replication {i.get('replicationFactor')}"
    if step.type == "aws:msk/topic:Topic":
        return (f"topic {value(i.get('name'))}, {i.get('partitionCount')} partitions, "
                f"replication {i.get('replicationFactor')}")
    if step.type == preview_access.ACL:
        return _binding_words(i)
    if step.type == preview_access.ROLE_ACLS:  # each binding is in the access changes
        bindings = i.get("bindings", [])
        count = len(bindings) if isinstance(bindings, list) else value(bindings)
        return f"ACL bindings of role {value(i.get('role'))}: {count}"
    if step.type == SCRAM_USER:
        return f"SCRAM user {value(i.get('username'))} ({i.get('scramMechanism')})"
    if step.type == SCRAM_USERS:
        users = _usernames(i)
        listed = ", ".join(value(u) for u in users) if isinstance(users, list) else value(users)
        return f"SCRAM users {listed or '(none)'} ({i.get('mechanism')})"
    if step.type == preview_access.IAM_ATTACHMENT:
        return f"attached to IAM role {value(i.get('role'))}"
    if step.type == IAM_POLICY:
        return f"IAM policy {value(i.get('name') or i.get('namePrefix'))}"
    if step.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return (f"{i.get('ipProtocol')} port {i.get('fromPort')} into {value(i.get('securityGroupId'))} "
                f"from {value(i.get('referencedSecurityGroupId') or i.get('cidrIpv4'))}")
    return ""


def short_type(step: Step) -> str:
    if step.type.startswith("pulumi:providers:"):
        return f"provider {step.type.rsplit(':', 1)[-1]}"
    package, module, kind = (step.type.split(":") + ["", ""])[:3]
    if not step.custom:
        return f"component {kind}"
    module = module.split("/")[0]
    return f"{package} {kind}" if module in ("index", "") else f"{package} {module} {kind}"


# --- data loss ------------------------------------------------------------------------

def _topic_name(step: Step) -> str:
    name = (step.old or {}).get("name") or (step.new or {}).get("name") or step.name
    return code(name) if isinstance(name, str) and name not in (SECRET, UNKNOWN) else code(step.name)


def _first_line(message: str) -> str:
    line = next((ln.strip() for ln in message.splitlines() if ln.strip()), message.strip())
    return line if len(line) <= 300 else line[:297] + "..."


def stopped_by(step: Step, preview: Preview) -> tuple[str, str]:
    errors = [d for d in preview.errors if d.urn == step.urn or step.urn in d.message]
    if any("protect" in d.message for d in errors):
        return ("stopped by the engine: the topic is protected (`protect`), so this preview failed and "
                "`pulumi up` would stop before changing anything", "refused")
    for v in preview.violations:
        if v.urn == step.urn and v.level == "mandatory":
            return f"stopped by policy {code(f'{v.pack}/{v.policy}')}: {_first_line(v.message)}", "refused"
    if errors:
        return f"stopped by the program: {_first_line(errors[0].message)}", "refused"
    if preview.failed:
        return ("the preview failed for another reason (see Errors); nothing refused this change itself, "
                "so it would happen once that is fixed", "NOT refused")
    name = str((step.old or {}).get("name") or (step.new or {}).get("name") or step.name)
    accepted = [d for d in preview.diagnostics if d.severity == "warning" and name in d.message
                and refusals.code_of(d.message) == refusals.ACCEPTED_DATA_LOSS]
    if accepted:
        why = _first_line(refusals.text_of(accepted[0].message))
        return f"**not stopped**: accepted on purpose by the stack ({why})", "accepted"
    return "**not stopped**: nothing refused it, so `pulumi up` would do it", "NOT refused"


def data_losses(preview: Preview) -> list[DataLoss]:
    found = []
    for step in preview.steps:
        if step.type in TOPICS and step.op in ("replace", "delete"):
            why = ", ".join(code(k) for k in step.replace_keys) or "a setting Kafka cannot change in place"
            name = _topic_name(step)
            if step.op == "replace" and step.retain_on_delete:
                what = (f"topic {name} would be **replaced** because {why} changed: a new, empty topic takes its "
                        "place, and the old one keeps its messages on the cluster, unmanaged (`retainOnDelete`)")
            elif step.op == "replace":
                what = (f"topic {name} would be **replaced** (deleted, then created empty) because {why} changed: "
                        "its messages would be lost")
            elif step.retain_on_delete:
                what = (f"topic {name} would be **deleted** from the stack; `retainOnDelete` leaves it and its "
                        "messages on the cluster, unmanaged")
            else:
                what = f"topic {name} would be **deleted** with its messages"
            found.append(DataLoss(what, *stopped_by(step, preview)))
    covered = {s.urn for s in preview.steps if s.type in TOPICS}
    for d in preview.errors:
        if d.urn in covered or any(u in d.message for u in covered):
            continue  # already told with its topic's step
        for item in _items(d.message):
            if refusals.is_data_loss(item) or ENGINE_PROTECTED.search(item):
                found.append(DataLoss(f"refused: {_first_sentence(refusals.text_of(item))}",
                                      "stopped by the program at preview: nothing was changed", "refused"))
    return found


def _first_sentence(text: str) -> str:
    """What was refused; the full text, with the way out, is under Errors."""
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 300 else sentence[:297] + "..."


def _items(message: str) -> list[str]:
    """The `  - ...` items of a message that lists several refusals, else the message itself."""
    items = [ln.strip()[2:] for ln in message.splitlines() if ln.strip().startswith("- ")]
    return items or [" ".join(ln.strip() for ln in message.splitlines() if ln.strip())]


# --- the report ---------------------------------------------------------------------------

def counts(preview: Preview) -> dict[str, int]:
    if preview.changes:
        return preview.changes
    found: dict[str, int] = {}
    for step in preview.steps:
        found[step.op] = found.get(step.op, 0) + 1
    return found


def summary_line(preview: Preview, losses: list[DataLoss], access: list) -> str:
    c = counts(preview)
    line = (f"{preview.stack or 'stack'}: {c.get('create', 0)} to create, {c.get('update', 0)} to update, "
            f"{c.get('replace', 0)} to replace, {c.get('delete', 0)} to delete")
    retained = sum(1 for s in preview.steps if s.keeps_old and s.op == "delete")
    if 0 < retained <= c.get("delete", 0):
        line += f" ({retained} only from the state)"
    if access:
        line += f"; access changes: {preview_access.summary(access)}"
    if losses:
        statuses = sorted({loss.status for loss in losses}, key=["NOT refused", "accepted", "refused"].index)
        line += f"; DATA LOSS risk: {len(losses)} ({', '.join(statuses)})"
    if preview.failed:
        line += "; preview FAILED"
    return line


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line else ">" for line in lines]


def _block(text: str) -> list[str]:
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{fence}text", text.rstrip(), fence]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(preview: Preview) -> list[str]:
    # Components only group resources: their rows would say nothing (the counts include them).
    steps = [s for s in preview.steps if s.op != "same" and s.custom and s.type != "pulumi:pulumi:Stack"]
    steps.sort(key=lambda s: (OP_ORDER.get(s.op, 9), s.type, s.name))
    if not steps:
        return []
    lines = ["| change | resource | type | what changes |", "|---|---|---|---|"]
    for step in steps[:MAX_ROWS]:
        op = f"**{step.op}**" if step.op in ("replace", "delete") else step.op
        what = "<br>".join(w for w in (changed(step) if step.op in ("update", "replace") else [describe(step)]) if w)
        if step.keeps_old:  # the engine's `delete[retain]`: the old resource is not deleted
            op, kept = (("delete[retain]", "stays on the cluster, dropped from the stack's state only")
                        if step.op == "delete" else ("**replace[retain]**", "the old one stays on the cluster"))
            what = "<br>".join(w for w in (what, f"{kept} (`retainOnDelete`)") if w)
        lines.append(f"| {op} | {_cell(code(step.name))} | {short_type(step)} | {_cell(what)} |")
    if len(steps) > MAX_ROWS:
        lines.append(f"| ... | {len(steps) - MAX_ROWS} more | | |")
    return lines


UNMANAGED_LEAD = "on the cluster, not in the stack: "


def render(preview: Preview, title: str | None = None) -> Report:
    losses = data_losses(preview)
    access = preview_access.changes(preview)
    summary = summary_line(preview, losses, access)
    heading = title or f"Pulumi preview of stack {code(preview.stack or '?')}"
    out = [f"### {heading}", "", f"**{summary}**", ""]
    if losses:
        refused = all(loss.refused for loss in losses)
        head = ("**Data loss: refused, nothing was changed.**" if refused else
                "**Data loss: this change would destroy topic data.**")
        body = [head, ""] + [f"- {loss.what.rstrip('.')}.<br>Where it was stopped: {loss.stopped.rstrip('.')}."
                             for loss in losses]
        out += _quote(["[!CAUTION]", *body]) + [""]
    if access:
        body = [f"**Access changes** (grants: {preview_access.summary(access)}):", ""]
        body += [f"- {change.sentence()}" for change in access]
        out += _quote(["[!WARNING]", *body]) + [""]
    unmanaged = [refusals.text_of(d.message).removeprefix(UNMANAGED_LEAD) for d in preview.diagnostics
                 if d.severity == "warning" and refusals.code_of(d.message) == refusals.UNMANAGED_BINDING]
    if unmanaged:
        out += ["#### On the cluster, not in the stack", "",
                f"{len(unmanaged)} ACL binding(s) touch what this stack manages and are not declared by it: the "
                "stack's access model does not describe the cluster's real access until they are removed.", ""]
        out += [f"- {_first_line(line)}" for line in unmanaged] + [""]
    errors = [d for d in preview.errors if not NOISE.match(d.message.strip())]
    mandatory = [v for v in preview.violations if v.level == "mandatory"]
    if not errors and not mandatory:
        errors = preview.errors  # nothing explains the failure better than the engine's own words
    if errors:
        out += ["#### Errors", ""]
        for d in errors:
            out += _block(d.message) + [""]
    if preview.violations:
        out += ["#### Policy violations", ""]
        for v in preview.violations:
            target = code(v.urn.split("::")[-1]) if v.urn else "the stack"
            lines = [ln.strip() for ln in v.message.splitlines() if ln.strip()]  # description, then message
            said = " ".join(lines[1:]) + f" _({lines[0]})_" if len(lines) > 1 else " ".join(lines)
            out.append(f"- **{v.level}** {code(f'{v.pack}/{v.policy}')} on {target}: {said}")
        out.append("")
    rows = table(preview)
    if rows:
        out += ["#### Changes", "", *rows, ""]
    else:
        out += ["No changes were planned: the preview stopped first." if preview.failed else "No changes.", ""]
    warnings = [d for d in preview.diagnostics if d.severity == "warning"]
    if warnings:
        out += [f"<details><summary>Warnings ({len(warnings)})</summary>", ""]
        for d in warnings:
            out += _block(d.message) + [""]
        out += ["</details>", ""]
    return Report("\n".join(out).rstrip() + "\n", summary, bool(losses), preview.failed)

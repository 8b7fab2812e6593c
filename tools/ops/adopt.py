#!/usr/bin/env python3
"""Write a `pulumi import --file` document that adopts what the cluster already has.

For users who prefer an explicit import step to the `adopt` stack setting: it lists the live
cluster (with the stack's own connection settings), writes the import document for the topics
the program declares and the cluster already has, e.g. those the seed's kafka-topics.sh
commands made, and says what becomes of each ACL binding the program declares.

    .venv/bin/python -m tools.ops.adopt --stack staging [--out adopt-staging.json]
    tools/pulumi import --stack staging --file adopt-staging.json --yes --generate-code=false
    tools/pulumi preview --stack staging --diff      # topics: only real differences, each in place

How: the program's own preview (`pulumi preview --import-file`, run on a temporary copy of the
stack file with `adopt.importDocument: true`, so that what exists is declared as a create
instead of being refused or imported) names every resource exactly as the program declares it, with the stack's explicit kafka provider and its configuration
(secrets encrypted with the stack's key). This tool fills in the import id of each topic (its
name) that exists on the cluster, and drops the ones that do not (the next `up` creates them).
ACL bindings are never imported: each role's bindings are one resource (`acls-<role>`), whose
create asks Kafka to create every binding, which is a no-op for one that exists, so a declared
binding already on the cluster is taken over by its role's resource on the next `up`, not
recreated; the report says so per binding (`adopt    ACL <id>` or `create   ACL <id>`), and the
document holds no ACL resource (nor their component). SCRAM users are dropped too (a password
cannot be imported; `up` sets them). Bindings on the cluster for the stack's principals or
topics that the program does not declare are listed, and left untouched.
Exit status: 0 written (or nothing to import), 1 the preview refused or failed, 2 bad usage,
3 the cluster could not be read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from components.config import load
from components.config.stack_config import StackConfig
from components.model.access_model import AccessModel
from components.model.acl_bindings import AclBinding, acl_bindings, by_role
from components.model.names import NAMESPACE, acl_role_resource
from components.safety import live_cluster
from components.safety.topic_plan import wanted_topics
from tools.toolchain.projectenv import PROJECT, engine_env

TOPIC = "kafka:index/topic:Topic"
ROLE_ACLS = "pulumi-python:dynamic/evidentsource:RoleAcls"  # one role's bindings (resources/kafka_acls.py)
SCRAM_USERS = "pulumi-python:dynamic/evidentsource:ScramUsers"  # every SCRAM user (resources/scram_users.py)
ACL = "kafka:index/acl:Acl"  # the earlier shape, one resource per binding: never imported either
SCRAM_USER = "kafka:index/userScramCredential:UserScramCredential"  # the earlier shape, one per user
ADOPT_ACL = "adopt    ACL "  # how a report line about a binding taken over on `up` starts


class AdoptError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def pulumi(args: list[str], project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["pulumi", *args], cwd=project, env=env, capture_output=True, text=True)


def stack_settings(stack: str, project: Path, env: dict[str, str]) -> StackConfig:
    """The stack's validated settings, secrets decrypted (to log in as Pulumi does)."""
    run = pulumi(["config", "--stack", stack, "--show-secrets", "--json"], project, env)
    if run.returncode != 0:
        raise AdoptError(f"could not read the configuration of stack {stack!r}:\n{run.stderr.strip()}", 2)
    raw, secret = {}, set()
    for full_key, entry in json.loads(run.stdout).items():
        if full_key.startswith(f"{NAMESPACE}:"):
            key = full_key.split(":", 1)[1]
            raw[key] = entry.get("objectValue", entry.get("value"))
            if isinstance(raw[key], str) and raw[key][:1] in ("{", "["):  # set as JSON text: the program parses it
                with contextlib.suppress(ValueError):
                    raw[key] = json.loads(raw[key])
            if entry.get("secret"):
                secret.add(key)
    try:
        return load.parse(raw, frozenset(secret), stack)
    except load.ConfigError as exc:
        raise AdoptError(str(exc), 2) from None


def planned_creates(stack: str, project: Path, env: dict[str, str]) -> dict:
    """The program's own import document: every resource it would create, ids still placeholders."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        settings = planning_settings(stack, project, Path(tmp) / "stack.yaml", env)
        run = pulumi(["preview", "--stack", stack, "--non-interactive", "--config-file", str(settings),
                      "--import-file", str(path)], project, env)
        if run.returncode != 0:
            raise AdoptError(f"the program's preview failed, so nothing was written:\n{run.stdout[-4000:]}"
                             f"{run.stderr[-2000:]}", 1)
        return json.loads(path.read_text()) if path.exists() else {"resources": []}


def stack_file(stack: str, project: Path) -> Path:
    """Pulumi.<stack>.yaml of a (possibly org/project/-qualified) stack, where Pulumi.yaml keeps stack files."""
    settings = yaml.safe_load((project / "Pulumi.yaml").read_text()) or {}
    return project / settings.get("stackConfigDir", ".") / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"


def planning_settings(stack: str, project: Path, copy: Path, env: dict[str, str]) -> Path:
    """A byte-for-byte copy of the stack file (secrets stay as they are encrypted) with `adopt.importDocument:
    true`, set by `pulumi config set` itself: the explicit setting under which the program declares what exists
    as creates, for `--import-file` to list. The user's stack file is never touched."""
    original = stack_file(stack, project)
    if not original.exists():
        raise AdoptError(f"{original} is missing: the tool plans from a copy of the stack's settings file", 2)
    shutil.copyfile(original, copy)
    run = pulumi(["config", "set", "--stack", stack, "--config-file", str(copy), "--path",
                  f"{NAMESPACE}:adopt.importDocument", "true"], project, env)
    if run.returncode != 0:
        raise AdoptError(f"could not mark the copy of {original} for planning:\n{run.stderr.strip()}", 1)
    return copy


def fill_in(plan: dict, config: StackConfig, live: live_cluster.LiveCluster) -> tuple[dict, list[str]]:
    """The import document (topic ids filled in; what does not exist, ACLs and SCRAM users dropped) and a
    report, one line each (pure)."""
    # Resource name -> the topic's name: the four topics', and each database's (the bridge shape).
    topic_by_resource = {w.resource_name: w.name for w in wanted_topics(config)}
    model = config.access_model()
    acls = model.enforcer == "kafka-acls"
    bindings = acl_bindings(model) if acls else {}
    held = {acl_role_resource(role): role_bindings for role, role_bindings in by_role(model).items()} if acls else {}
    kept, report, adopted = [], [], 0
    for entry in plan.get("resources", []):
        name = entry.get("logicalName") or entry["name"]
        kind = entry["type"]
        if kind == TOPIC:
            topic = topic_by_resource[name]
            found = live.topics.get(topic)
            if found is None:
                report.append(f"create   topic {topic} (not on the cluster; `pulumi up` creates it)")
                continue
            entry["id"] = topic
            report.append(f"import   topic {topic} ({found.partitions} partitions, replication factor "
                          f"{found.replication_factor})")
            adopted += 1
        elif kind == ROLE_ACLS:  # never imported: its create takes over the bindings that exist
            report += ([acl_line(b, name, live) for b in held[name]] if name in held else
                       [f"create   {kind} {name} (not a role of this stack's access model: not adopted by this tool)"])
            continue
        elif kind == ACL:
            report.append(f"drop     {kind} {name} (the earlier per-binding shape: its binding is held by its "
                          "role's resource, never imported)")
            continue
        elif kind == SCRAM_USERS:
            report += [f"create   SCRAM user {user} (a password cannot be imported; `pulumi up` sets it)"
                       for user in sorted(config.principal_passwords)]
            continue
        elif kind == SCRAM_USER:
            report.append(f"create   SCRAM user {name} (a password cannot be imported; `pulumi up` sets it)")
            continue
        elif entry.get("id"):
            report.append(f"create   {kind} {name} (not adopted by this tool)")
            continue
        kept.append(entry)  # the stack's explicit provider and the components: created by the import itself
    report += untouched(config, model, bindings, live)
    return ({**plan, "resources": without_empty_components(kept)} if adopted else {}), report


def acl_line(binding: AclBinding, resource: str, live: live_cluster.LiveCluster) -> str:
    """What the next `up` does with one declared binding of a role resource that the stack does not hold yet."""
    if live.acl_ids is None:  # not listed: say what up does either way, never that the binding is absent
        return (f"create   ACL {binding.import_id} ({resource} creates it on up, or takes it over if it exists: "
                f"the cluster's bindings could not be listed{': ' + live.acls_why if live.acls_why else ''})")
    if binding.import_id in live.acl_ids:
        return f"{ADOPT_ACL}{binding.import_id} (exists; taken over by {resource} on up, not recreated)"
    return f"create   ACL {binding.import_id} (not on the cluster; {resource} creates it on up)"


def without_empty_components(entries: list[dict]) -> list[dict]:
    """The entries without the components that no imported resource sits under (e.g. `acls`, once its role
    resources are left out): a component is kept only as an ancestor of a resource the document imports."""
    parent_of = {e["name"]: e.get("parent") for e in entries}
    needed: set[str] = set()
    for entry in entries:
        if entry.get("component"):
            continue
        parent = entry.get("parent")
        while parent and parent not in needed:
            needed.add(parent)
            parent = parent_of.get(parent)
    return [e for e in entries if not e.get("component") or e["name"] in needed]


def untouched(config: StackConfig, model: AccessModel, bindings: dict,
              live: live_cluster.LiveCluster) -> list[str]:
    """Live bindings for the stack's principals or topics that the program does not declare."""
    ours = {b.import_id for b in bindings.values()}
    principals = set(model.principals())
    topics = set(config.topic_names().values())
    lines = []
    for acl_id in sorted(live.acl_ids or ()):
        principal, _host, _op, _perm, kind, name, _pattern = acl_id.split("|")
        if acl_id not in ours and (principal in principals or (kind == "Topic" and name in topics)):
            lines.append(f"leave    ACL {acl_id} (on the cluster, not declared by the program: left untouched)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack to adopt into")
    parser.add_argument("--out", type=Path, help="where to write the document (default adopt-<stack>.json)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT, help="the Pulumi project (default: this one)")
    opts = parser.parse_args(argv)
    out = opts.out or Path(f"adopt-{opts.stack}.json")
    env = engine_env(dict(os.environ))
    try:
        config = stack_settings(opts.stack, opts.project_dir, env)
        if config.topics.backend != "kafka":
            raise AdoptError("the msk backend manages topics through the AWS API: set adopt.topics instead", 2)
        live = live_cluster.read(config, with_acls=config.enforcer == "kafka-acls")
        if not live.reachable:
            raise AdoptError(f"could not list the cluster: {live.why}", 3)
        document, report = fill_in(planned_creates(opts.stack, opts.project_dir, env), config, live)
    except AdoptError as exc:
        print(f"adopt.py: {exc}", file=sys.stderr)
        return exc.status
    print("\n".join(report) if report else "nothing declared by the program is missing from the stack's state")
    taken_over = sum(line.startswith(ADOPT_ACL) for line in report)
    over = (f"; it also takes over the {taken_over} existing ACL binding(s) marked adopt, without recreating them"
            if taken_over else "")
    if not document:
        print(f"nothing on the cluster to import: `pulumi up` creates what is missing{over}")
        return 0
    out.write_text(json.dumps(document, indent=4) + "\n")
    print(f"\nwrote {out}; next:\n  tools/pulumi import --stack {opts.stack} --file {out} --yes --generate-code=false\n"
          f"  tools/pulumi preview --stack {opts.stack} --diff   # topics: only real differences, each in place\n"
          f"then `pulumi up` creates what is missing{over}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

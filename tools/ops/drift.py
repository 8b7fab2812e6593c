#!/usr/bin/env python3
"""Report every drift between a stack and its cluster, and nothing else: `make drift STACK=staging`.

Reads the stack's settings (secrets decrypted, as Pulumi logs in) and the live cluster with the
stack's own login, and compares them with what the stack declares:

- missing:   a declared ACL binding, SCRAM user or topic the cluster does not have;
- changed:   a topic whose partitions, replication factor or a declared config differ;
- unmanaged: a binding on the cluster that touches what the stack manages and that it does not declare.

One line each, grouped; nothing is changed. `pulumi up` puts back what is missing or changed (a plain
`preview` shows it); unmanaged bindings stay until `access.unmanagedBindings: remove` plans their
deletion or someone declares them. Stacks whose cluster this project does not read (AWS_MSK_IAM) are
compared by the engine instead: `pulumi preview --refresh --expect-no-changes`, each changed resource
named. Exit status: 0 no drift, 1 drift (the report), 2 the stack or the cluster could not be read.
A scheduled workflow (.github/workflows/drift.yml) runs it for the shared stacks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from components.config.stack_config import StackConfig
from components.kafka import admin as admin_adapter
from components.model.acl_bindings import AclBinding, by_role
from components.safety import live_cluster
from components.safety.acl_adoption import unmanaged
from components.safety.topic_plan import wanted_topics
from tools.ops import adopt
from tools.toolchain.projectenv import PROJECT, engine_env


def kafka_drift(config: StackConfig) -> list[str]:
    """Every drift on a cluster this project reads, one line each."""
    users = tuple(sorted(config.principal_passwords)) if config.access.create_scram_users else ()
    live = live_cluster.read(config, with_acls=config.enforcer == "kafka-acls", users=users)
    if not live.reachable:
        raise SystemExit(f"drift: the cluster could not be read at {config.connection.bootstrap}: {live.why}")
    lines: list[str] = []
    wanted = wanted_topics(config)
    admin = admin_adapter.client(live_cluster.client_settings(config, config.cluster.live_check_timeout_seconds),
                                 config.cluster.live_check_timeout_seconds, shared=False)
    for w in (w for w in wanted if not w.released):  # a released topic is being let go: not the stack's to repair
        have = live.topics.get(w.name)
        if have is None:
            lines.append(f"missing    topic {w.name!r} ({w.key})")
            continue
        if have.partitions != w.partitions:
            lines.append(f"changed    topic {w.name!r}: partitions {have.partitions} on the cluster, {w.partitions} declared")
        if have.replication_factor != w.replication_factor:
            lines.append(f"changed    topic {w.name!r}: replication factor {have.replication_factor} on the cluster, "
                         f"{w.replication_factor} declared")
        for name, value in sorted(_configs(admin, w.name, set(w.configs)).items()):
            if value != w.configs[name]:
                lines.append(f"changed    topic {w.name!r}: {name} = {value!r} on the cluster, {w.configs[name]!r} declared")
    model = config.access_model({w.key: w.name for w in wanted})
    if config.enforcer == "kafka-acls" and model.principals():
        if live.acls is None:
            raise SystemExit(f"drift: the cluster's ACL bindings could not be read: {live.acls_why}")
        declared = {b for found in by_role(model).values() for b in found}
        lines += [f"missing    ACL {_words(b)}" for b in sorted(declared - live.acls)]
        login = config.login.username if config.login else None  # the stack's own login's grants are not drift
        lines += [f"unmanaged  ACL {_words(b)}" for b in unmanaged({b.import_id: b for b in declared},
                                                                   live.acl_ids or (), model, [w.name for w in wanted],
                                                                   login)]
    if users:
        if live.scram_users is None:
            raise SystemExit("drift: the cluster's SCRAM users could not be read")
        lines += [f"missing    SCRAM user {u!r} ({config.cluster.sasl_mechanism})" for u in users
                  if u not in live.scram_users]
    return lines


def _configs(admin: admin_adapter.Admin, topic: str, names: set[str]) -> dict[str, str]:
    from confluent_kafka.admin import ConfigResource, ResourceType
    resource = ConfigResource(ResourceType.TOPIC, topic)
    results, failures = admin.settle({topic: admin.raw.describe_configs([resource],
                                                                        request_timeout=admin.timeout)[resource]})
    if failures:
        raise SystemExit(f"drift: the configs of topic {topic!r} could not be read: {failures[topic]}")
    return {k: e.value for k, e in results[topic].items() if k in names}


def _words(b: AclBinding) -> str:
    where = f"{b.resource_type} prefix {b.resource_name!r}" if b.pattern == "Prefixed" else \
        f"{b.resource_type} {b.resource_name!r}"
    return f"{b.principal} {b.permission} {b.operation} on {where}" + ("" if b.host == "*" else f" from {b.host}")


def engine_drift(stack: str, project: Path, env: dict[str, str]) -> list[str]:
    """For clusters this project does not read: what `pulumi preview --refresh` would change, one line each."""
    run = subprocess.run(["pulumi", "preview", "--refresh", "--json", "--non-interactive", "--stack", stack],
                         cwd=project, env=env, capture_output=True, text=True)
    try:
        steps = json.loads(run.stdout).get("steps") or []
    except ValueError:
        raise SystemExit(f"drift: `pulumi preview --refresh` failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}") from None
    return [f"changed    {s['urn'].rsplit('::', 1)[-1]} ({s.get('op')}): {', '.join(s.get('diffReasons') or []) or 'see preview'}"
            for s in steps if s.get("op") not in ("same", "read", "refresh")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--project-dir", type=Path, default=PROJECT)
    args = parser.parse_args()
    env = engine_env()
    try:
        config = adopt.stack_settings(args.stack, args.project_dir, env)
    except adopt.AdoptError as exc:
        print(f"drift: {exc}", file=sys.stderr)
        sys.exit(2)
    try:
        if config.cluster.sasl_mechanism == "AWS_MSK_IAM" or config.topics.backend == "msk":
            lines = engine_drift(args.stack, args.project_dir, env)
        else:
            lines = kafka_drift(config)
    except SystemExit as exc:
        print(exc.code, file=sys.stderr)
        sys.exit(2)
    for line in lines:
        print(line)
    print(f"drift on stack {args.stack}: {len(lines)} difference(s)" if lines else f"no drift on stack {args.stack}")
    sys.exit(1 if lines else 0)


if __name__ == "__main__":
    main()

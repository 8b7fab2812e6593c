#!/usr/bin/env python3
"""Record the saved previews in data/ from real engine runs (all but msk-iam.json).

    .venv/bin/python tests/preview/record.py     # then: UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/preview

A SCRAM + ACL stack named `staging` on a throwaway secure broker, in a throwaway copy of
the program and a throwaway state backend; each scenario is one real `pulumi preview
--json` of it. The migration scenarios (migrate.jsonl, migrate-retained.json) run on a second
broker, from a stack deployed by the program of LEGACY_SHAPE. Kept exactly as the engine printed it, except: the broker's random port
becomes 9096; `stackTrace`/`sourcePosition` (paths of this machine) are dropped; and in
event streams, debug diagnostics and the events the renderer ignores. msk-iam.json is
crafted in the engine's digest shape (no aws plugin can be built here): see data/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from components.model.names import NAMESPACE
from tests.support import throwaway
from tests.support.stack_configs import secure_stack
from tools.cluster import broker
from tools.toolchain import projectenv

PROJECT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
POLICY_FIXTURE = Path(__file__).resolve().parent / "policy_fixture"

NS = NAMESPACE
USERS = ("evidentsource", "evidentsource-streams-lambda", "external-consumer-a", "external-consumer-b",
         "external-producer")
# Engine events the renderer does not read, left out to keep the saved streams small.
UNUSED_EVENTS = {"resOutputsEvent", "policyAnalyzeSummaryEvent", "policyRemediateSummaryEvent"}
PASSWORD = "recorded-only-{user}-pw"  # never appears in a preview: the engine masks it
# The last commit whose program declares one kafka.Acl per binding and one UserScramCredential per user.
LEGACY_SHAPE = "97e0652334e4d3e019086009eb73ef18dd86b0aa"


def stack_config(bootstrap: str, protect: bool, consumer: str = "external-consumer-a", producer: bool = True,
                 per_topic: dict | None = None, accept_data_loss: tuple[str, ...] = ()) -> dict:
    topics = {"partitions": 3, "replicationFactor": 1, "protect": protect, "perTopic": per_topic or {}}
    if accept_data_loss:
        topics["acceptDataLoss"] = list(accept_data_loss)
    return secure_stack(bootstrap, topics, {
        "createScramUsers": True,
        "server": {"principals": ["User:evidentsource"], "groupPrefix": "evidentsource-server-"},
        "dynamodbStreamsLambda": {"principals": ["User:evidentsource-streams-lambda"]},
        "externalConsumers": {"principals": [f"User:{consumer}"], "groupPrefix": "evidentsource-external-"},
        "externalProducers": {"principals": ["User:external-producer"] if producer else []},
    })


class Recorder:
    def __init__(self, work: Path, info: dict, ref: str | None = None):
        self.work, self.info = work, info
        self.program = throwaway.copy_program(work / "program", ref)
        self.env = projectenv.engine_env()
        self.env |= {"PULUMI_BACKEND_URL": projectenv.file_backend_url(work / "state"), "PULUMI_CONFIG_PASSPHRASE": "recording"}
        (work / "state").mkdir()

    def pulumi(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(["pulumi", *args, "--stack", "staging", "--cwd", str(self.program)],
                              env={**self.env, **(env or {})}, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise SystemExit(f"pulumi {' '.join(args)} failed:\n{done.stderr}\n{done.stdout[-3000:]}")
        return done

    def configure(self, config: dict, users: tuple[str, ...]) -> None:
        """The stack's settings become `config`; its secrets stay, and `users` get a password."""
        namespaced = {f"{NS}:{k}": v for k, v in config.items()}
        path = self.program / "Pulumi.staging.yaml"
        old = yaml.safe_load(path.read_text()) if path.exists() else {}
        secrets = {k: v for k, v in (old.get("config") or {}).items()
                   if k in (f"{NS}:saslJaasConfig", f"{NS}:principalPasswords")}
        path.write_text(yaml.safe_dump({**old, "config": {**namespaced, **secrets}}))
        for user in users:
            self.pulumi("config", "set", "--secret", "--path", f"{NS}:principalPasswords.{user}",
                        PASSWORD.format(user=user))

    def switch_program(self) -> None:
        """The working tree's program in place of the one the stack was deployed with; its stack file stays."""
        settings = (self.program / "Pulumi.staging.yaml").read_text()
        shutil.rmtree(self.program)
        throwaway.copy_program(self.program)
        (self.program / "Pulumi.staging.yaml").write_text(settings)

    def destroy(self) -> None:
        """Remove what the stack made, so the next scenario starts on an empty broker."""
        done = self.pulumi("destroy", "--yes", "--skip-preview", check=False)
        if done.returncode != 0:
            print(f"destroy failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")

    def preview(self, name: str, stream: bool = False, *extra: str) -> None:
        env = {"PULUMI_ENABLE_STREAMING_JSON_PREVIEW": "true"} if stream else {}
        done = self.pulumi("preview", "--json", *extra, check=False, env=env)
        text = normalise(done.stdout, self.info["bootstrap_servers"], stream)
        for user in USERS:
            assert PASSWORD.format(user=user) not in text, f"{name}: a password reached the preview output"
        assert self.info["admin_password"] not in text
        (DATA / name).write_text(text)
        print(f"recorded {name} (pulumi exit {done.returncode})")


def _trim(value):
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items() if k not in ("stackTrace", "sourcePosition")}
    if isinstance(value, list):
        return [_trim(v) for v in value]
    return value


def normalise(text: str, bootstrap: str, stream: bool) -> str:
    text = text.replace(bootstrap, "127.0.0.1:9096")
    if not stream:
        return json.dumps(_trim(json.loads(text)), indent=4) + "\n"
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    kept = [_trim(e) for e in events if not set(e) & UNUSED_EVENTS
            and (e.get("diagnosticEvent") or {}).get("severity") != "debug"]
    return "".join(json.dumps(e) + "\n" for e in kept)


def drop_topic(program: Path, key: str) -> None:
    """The program with one topic removed from its catalogue, as a careless edit would do."""
    catalog = program / "components" / "model" / "catalog.py"
    text = catalog.read_text()
    text = re.sub(r"^BY_KEY", f"CATALOG = tuple(t for t in CATALOG if t.key != {key!r})\nBY_KEY", text, flags=re.M)
    catalog.write_text(text)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="preview-record-"))
    info = broker.start("secure", work / "broker", port=broker.free_port(), controller_port=broker.free_port())
    try:
        rec = Recorder(work, info)
        bootstrap = info["bootstrap_servers"]
        rec.pulumi("stack", "init")
        rec.pulumi("config", "set", "--secret", f"{NS}:saslJaasConfig", broker.jaas(info["admin_password"]))
        base_users = ("evidentsource", "evidentsource-streams-lambda", "external-consumer-a", "external-producer")
        rec.configure(stack_config(bootstrap, protect=False), base_users)
        rec.preview("create.json")
        rec.pulumi("up", "--yes", "--skip-preview")
        # A rename: the program refuses it, unless the stack accepts the loss for that topic.
        renamed = {"asyncCommands": {"name": "evidentsource-commands"}}
        rec.configure(stack_config(bootstrap, False, per_topic=renamed), ())
        rec.preview("refused-rename.json")
        rec.configure(stack_config(bootstrap, False, per_topic=renamed, accept_data_loss=("asyncCommands",)), ())
        rec.preview("replace.json")
        rec.configure(stack_config(bootstrap, False, producer=False), ())
        rec.pulumi("config", "rm", "--path", f"{NS}:principalPasswords.external-producer")
        rec.preview("delete.json")
        rec.configure(stack_config(bootstrap, protect=True), ("external-producer",))
        rec.pulumi("up", "--yes", "--skip-preview")
        rec.preview("empty.json")
        rec.configure(stack_config(bootstrap, True, consumer="external-consumer-b",
                                   per_topic={"databaseEvents": {"retention": "1d"}}), ("external-consumer-b",))
        rec.pulumi("config", "rm", "--path", f"{NS}:principalPasswords.external-consumer-a")
        rec.preview("update.json")
        rec.configure(stack_config(bootstrap, True, per_topic={"databaseEvents": {"retention": "6h"}}),
                      ("external-consumer-a",))
        rec.pulumi("config", "rm", "--path", f"{NS}:principalPasswords.external-consumer-b")
        rec.preview("policy-violation.jsonl", True, "--policy-pack", str(POLICY_FIXTURE))
        rec.configure(stack_config(bootstrap, protect=True), ())
        drop_topic(rec.program, "asyncResponses")
        rec.preview("protected-delete.jsonl", True)
        rec.pulumi("state", "unprotect", "--all", "--yes")
        rec.destroy()
    finally:
        broker.stop(work / "broker")
    try:  # on a broker of its own: the destroy above leaves the protected stack's topics on the cluster
        migrate(work / "migration", broker.start("secure", work / "broker-migration", port=broker.free_port(),
                                                 controller_port=broker.free_port()))
    finally:
        broker.stop(work / "broker-migration")
        shutil.rmtree(work, ignore_errors=True)



def migrate(work: Path, info: dict) -> None:
    """A stack deployed with the earlier access shape (one kafka.Acl per binding, one UserScramCredential per
    user), upgraded: the first preview creates the role and user resources while the old ones stay (an event
    stream, which lists the unchanged resources too); after that `up`, the second drops the old ones from
    the state, leaving their bindings and users on the cluster (`delete[retain]`)."""
    rec = Recorder(work, info, LEGACY_SHAPE)
    rec.pulumi("stack", "init")
    rec.pulumi("config", "set", "--secret", f"{NS}:saslJaasConfig", broker.jaas(info["admin_password"]))
    base_users = ("evidentsource", "evidentsource-streams-lambda", "external-consumer-a", "external-producer")
    rec.configure(stack_config(info["bootstrap_servers"], protect=False), base_users)
    rec.pulumi("up", "--yes", "--skip-preview")
    rec.switch_program()
    rec.preview("migrate.jsonl", True)
    rec.pulumi("up", "--yes", "--skip-preview")
    rec.preview("migrate-retained.json")
    rec.destroy()


# --- msk-iam.json: crafted in the digest shape from the program's own documents ---------

CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/evidentsource-prod/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-3"
ACCOUNT_ROLE = "arn:aws:iam::123456789012:role/{}"


def prod_config(consumers: list[str], producers: list[str], retention: str, transactional: str | None):
    from components.config import load

    server = {"principals": ["evidentsource-server-role"], "groupPrefix": "evidentsource-server-"}
    if transactional:
        server["transactionalIdPrefix"] = transactional
    return load.parse({
        "cluster": {"bootstrapServers": ["b-1.evidentsource-prod.abc123.c3.kafka.us-east-1.amazonaws.com:9098"],
                    "securityProtocol": "SASL_SSL", "saslMechanism": "AWS_MSK_IAM"},
        "msk": {"clusterArn": CLUSTER_ARN},
        "topics": {"backend": "msk", "partitions": 6, "replicationFactor": 3,
                   "perTopic": {"databaseEvents": {"retention": retention}}},
        "access": {"server": server, "dynamodbStreamsLambda": {"principals": ["evidentsource-streams-lambda-role"]},
                   "externalConsumers": {"principals": consumers, "groupPrefix": "evidentsource-external-"},
                   "externalProducers": {"principals": producers}},
        "iam": {"policyNamePrefix": "evidentsource-kafka-prod-"},
    })


class Digest:
    """Steps in the shape `pulumi preview --json` prints them (see the recorded files)."""

    def __init__(self, stack: str):
        self.prefix = f"urn:pulumi:{stack}::evidentsource-kafka::"
        self.provider = self.prefix + "pulumi:providers:aws::aws::5d7c6a0b-8e2f-4b1a-9c3d-2e4f6a8b0c1d"
        self.steps: list[dict] = []

    def urn(self, kind: str, name: str, parent_kind: str = "") -> str:
        return f"{self.prefix}{parent_kind + '$' if parent_kind else ''}{kind}::{name}"

    def state(self, kind: str, name: str, parent: tuple[str, str], inputs: dict, resource_id: str | None = None,
              outputs: dict | None = None, deps: dict | None = None, **options) -> dict:
        """A resource's state: with an id, outputs and times as the old state, without as the new one."""
        body = {"urn": self.urn(kind, name, parent[0]), "custom": True}
        if resource_id:
            body["id"] = resource_id
        body |= {"type": kind, "inputs": inputs}
        if resource_id:
            body["outputs"] = outputs or {**inputs, "id": resource_id}
        body |= {"parent": self.urn(*parent), **options, "provider": self.provider,
                 "propertyDependencies": deps or {k: [] for k in inputs}}
        if resource_id:
            body |= {"created": "2026-11-02T09:14:03.118Z", "modified": "2026-11-02T09:14:03.118Z"}
        return body

    def step(self, op: str, old: dict | None, new: dict | None, diffs: tuple[str, ...] = ()) -> None:
        found = {"op": op, "urn": (old or new)["urn"], "provider": self.provider}
        found |= {"oldState": old} if old else {}
        found |= {"newState": new} if new else {}
        if diffs:
            found |= {"diffReasons": list(diffs),
                      "detailedDiff": {d: {"kind": "update", "inputDiff": False} for d in diffs}}
        else:
            found["detailedDiff"] = None
        self.steps.append(found)


def craft_msk_iam() -> None:
    """A prod (MSK + IAM) preview: a topic's retention, a swapped consumer role, a new
    producer role, the server's new transactional ids. The documents and configs are the
    program's own (model/iam_policies.py, safety/topic_plan.py); the steps are in the digest
    shape of the recorded files, with the unchanged policy and attachment as `same` steps
    (what `pulumi preview --json --show-sames` prints)."""
    from components.model import names
    from components.model.catalog import BY_KEY
    from components.model.iam_policies import policy_json
    from components.safety.topic_plan import topic_configs

    old = prod_config(["analytics-consumer-role"], [], "7d", None)
    new = prod_config(["reporting-consumer-role"], ["partner-producer-role"], "3d", "evidentsource-tx-")
    digest = Digest("prod")

    spec, kind = BY_KEY["databaseEvents"], "aws:msk/topic:Topic"
    name = names.topic_resource(spec.key)
    parent = ("evidentsource:kafka:Topics", names.TOPICS)
    inputs = [{"clusterArn": CLUSTER_ARN, "name": spec.default_name, "partitionCount": 6, "replicationFactor": 3,
               "configs": json.dumps(topic_configs(spec, c.topics), sort_keys=True)} for c in (old, new)]
    guarded = {"protect": True, "retainOnDelete": True}
    digest.step("update", digest.state(kind, name, parent, inputs[0], f"{CLUSTER_ARN},{spec.default_name}", **guarded),
                digest.state(kind, name, parent, inputs[1], **guarded), ("configs",))

    models = (old.access_model(), new.access_model())
    parent = ("evidentsource:kafka:MskIamPolicies", "msk-iam")
    for role in ("server", "externalConsumers", "externalProducers"):
        arn = f"arn:aws:iam::123456789012:policy/evidentsource-kafka-prod-{role}-20261102091403118000000001"
        title = models[0].role(role).role.title
        inputs = [{"description": f"{title}: Kafka access to EvidentSource topics on MSK cluster evidentsource-prod",
                   "namePrefix": f"evidentsource-kafka-prod-{role}-", "path": "/",
                   "policy": policy_json(model.role(role), config.msk.arn)}
                  for model, config in zip(models, (old, new))]
        outputs = {**inputs[0], "arn": arn, "id": arn, "name": arn.rsplit("/", 1)[-1]}
        before = digest.state("aws:iam/policy:Policy", f"msk-iam-{role}", parent, inputs[0], arn, outputs)
        changed = inputs[0]["policy"] != inputs[1]["policy"]
        digest.step("update" if changed else "same", before,
                    digest.state("aws:iam/policy:Policy", f"msk-iam-{role}", parent, inputs[1]),
                    ("policy",) if changed else ())
        had, has = set(models[0].role(role).principals), set(models[1].role(role).principals)
        for principal in sorted(had | has):
            kind, name = "aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"msk-iam-{role}-{principal}"
            inputs = {"policyArn": arn, "role": principal}
            deps = {"policyArn": [before["urn"]], "role": []}
            attached = digest.state(kind, name, parent, inputs, f"{principal}-20261102091404000000000002", deps=deps)
            attaching = digest.state(kind, name, parent, inputs, deps=deps)
            if principal in had and principal in has:
                digest.step("same", attached, attaching)
            elif principal in had:
                digest.step("delete", attached, None)
            else:
                digest.step("create", None, attaching)

    order = {"create": 0, "update": 1, "same": 2, "delete": 3}
    digest.steps.sort(key=lambda s: order[s["op"]])
    summary = {"same": 12}  # the stack, providers, components, the other topics, policies and rules
    for step in digest.steps:
        summary[step["op"]] = summary.get(step["op"], 0) + 1
    document = {"config": {f"{NS}:cluster": json.dumps(old.cluster.model_dump(by_alias=True, exclude_none=True))},
                "steps": digest.steps, "duration": 4120000000, "changeSummary": dict(sorted(summary.items()))}
    (DATA / "msk-iam.json").write_text(json.dumps(document, indent=4) + "\n")
    print("crafted msk-iam.json")

if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    craft_msk_iam()
    if "--crafted-only" not in sys.argv:
        main()

"""The peer: the same work as the program's ACL stack, declared for OpenTofu and the Terraform kafka provider.

The configuration is written from the program's own model of the stack (its topics with their
configs, its ACL bindings, its SCRAM users), so both sides manage exactly the same things on the
same broker: four topics, one binding per Kafka ACL the program declares, one SCRAM credential
per principal. JSON syntax (`main.tf.json`), local state in the run's directory, the provider
from the filesystem mirror tools/toolchain/peer.py builds. Every command is the `tofu` CLI as a
user types it, with its defaults (`-parallelism=10`, refresh before plan unless `-refresh=false`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench import measure
from components.config import load
from components.model.acl_bindings import acl_bindings
from components.safety.topic_plan import wanted_topics
from tools.cluster import broker
from tools.toolchain import peer

SCRAM_ITERATIONS = 4096  # what pulumi-kafka's userScramCredential uses by default


def _resource(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)


def configuration(broker_info: dict, config: dict, passwords: dict[str, str], retention: str | None = None) -> dict:
    """main.tf.json for the stack `config` (the raw settings the program's stack file holds)."""
    settings = load.parse({**config, "saslJaasConfig": broker.jaas(broker_info["admin_password"]),
                           "principalPasswords": passwords})
    topics = {}
    for w in wanted_topics(settings):
        configs = dict(w.configs)
        if retention is not None and w.key == "databaseEvents":
            configs["retention.ms"] = retention
        topics[_resource(w.resource_name)] = {"name": w.name, "partitions": w.partitions,
                                              "replication_factor": w.replication_factor, "config": configs}
    acls = {_resource(suffix): {
        "acl_principal": b.principal, "acl_host": b.host, "acl_operation": b.operation,
        "acl_permission_type": b.permission, "resource_type": b.resource_type, "resource_name": b.resource_name,
        "resource_pattern_type_filter": b.pattern} for suffix, b in acl_bindings(settings.access_model()).items()}
    users = {_resource(user): {"username": user, "password": password, "scram_mechanism": "SCRAM-SHA-512",
                               "scram_iterations": SCRAM_ITERATIONS} for user, password in sorted(passwords.items())}
    return {
        "terraform": {"required_providers": {"kafka": {"source": "Mongey/kafka",
                                                       "version": peer.PROVIDER[1].lstrip("v")}}},
        "provider": {"kafka": {"bootstrap_servers": [broker_info["bootstrap_servers"]], "tls_enabled": False,
                               "sasl_mechanism": "scram-sha512", "sasl_username": broker.ADMIN_USER,
                               "sasl_password": broker_info["admin_password"]}},
        "resource": {"kafka_topic": topics, "kafka_acl": acls, "kafka_user_scram_credential": users},
    }


PLAN_RETRIES = 2
TRANSIENT = re.compile(r"kafka: broker not connected|kafka: client has run out of available brokers")


def applied(sample: measure.Sample) -> int:
    """The resources `tofu apply` says it added (it must have added, changed and destroyed nothing else)."""
    match = re.search(r"Apply complete! Resources: (\d+) added, 0 changed, 0 destroyed", sample.output)
    if not match:
        raise RuntimeError(f"tofu apply: no clean summary\n{sample.output[-3000:]}")
    return int(match.group(1))


class Peer:
    """One OpenTofu working directory: its configuration, `init` once, then timed commands."""

    def __init__(self, root: Path, tools: dict[str, Path]):
        self.root, self.tools, self.env = root, tools, peer.env(tools)
        root.mkdir(parents=True, exist_ok=True)

    def write(self, configuration_: dict) -> None:
        (self.root / "main.tf.json").write_text(json.dumps(configuration_, indent=1))

    def tofu(self, *args: str, check: bool = True) -> measure.Sample:
        return measure.run([str(self.tools["tofu"]), *args], cwd=self.root, env=self.env, check=check)

    def init(self) -> None:
        self.tofu("init", "-input=false", "-no-color")

    def apply(self) -> measure.Sample:
        return self.tofu("apply", "-auto-approve", "-input=false", "-no-color")

    def plan(self, refresh: bool, changes: bool) -> measure.Sample:
        """A plan with -detailed-exitcode: fails unless it finds changes exactly when `changes` says.

        A plan reads only, so one the peer's provider lost to its own client's transient connection errors
        (sarama's `broker not connected`, `run out of available brokers`: seen in CI, and in the provider's
        issues #91, #226) is measured again, at most twice, saying so; anything else fails at once."""
        for attempt in range(1 + PLAN_RETRIES):
            sample = self.tofu("plan", "-input=false", "-no-color", "-detailed-exitcode",
                               *([] if refresh else ["-refresh=false"]), check=False)
            if sample.returncode == (2 if changes else 0):
                return sample
            transient = TRANSIENT.search(sample.output)
            if transient is None or attempt == PLAN_RETRIES:
                break
            print(f"tofu plan: the peer provider lost its connection ({transient.group(0)}); measured again", flush=True)
        raise RuntimeError(f"tofu plan: exit {sample.returncode}, expected {2 if changes else 0}\n"
                           f"{sample.output[-3000:]}")

    def destroy(self) -> measure.Sample:
        return self.tofu("destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=64")

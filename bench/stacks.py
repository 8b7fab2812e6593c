"""The program through the real engine: a throwaway copy, its stacks, and timed pulumi commands.

Every command is the `pulumi` CLI as a user types it (the project's engine environment,
as tools/pulumi sets it), against a file:// state backend inside the benchmark's temp dir.
The ACL stack is Pulumi.staging.yaml's access model (SCRAM users + Kafka ACLs) pointed at
the local secure broker: SASL_PLAINTEXT (the broker has no TLS), replication factor 1,
topics not protected (the stack is destroyed after each run), names prefixed per run.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench import measure
from components.model.names import NAMESPACE
from tests.support.stack_configs import secure_stack

from tests.support import throwaway
from tools.cluster import broker
from tools.toolchain import projectenv

PROJECT = Path(__file__).resolve().parent.parent

NS = NAMESPACE
# The "fast" settings: checkpoints only at the end (the file backend rewrites the whole state after
# every step otherwise) and 64 operations at once (the kafka provider batches ACL creations).
FAST_ENV = {"PULUMI_SKIP_CHECKPOINTS": "true"}
FAST_PARALLEL = 64
CHANGED_RETENTION = ("topics.perTopic.databaseEvents.retention", "14d")  # the "one change" of a preview
CHANGED_RETENTION_MS = str(14 * 86_400_000)  # the same change, as the peer's topic config
_SUMMARY = re.compile(r"^\s*[+~\-]?\s*(\d+) (created|unchanged|to update|to create|updated|deleted|to delete)\s*$",
                      re.MULTILINE)


def summary(output: str) -> dict[str, int]:
    """The engine's closing summary, e.g. {'created': 27} or {'to update': 1, 'unchanged': 26}."""
    return {what: int(n) for n, what in _SUMMARY.findall(output)}


def user_name(prefix: str, role: str, i: int, count: int) -> str:
    """Principals of one run; a single external consumer keeps the staging file's name."""
    base = {"server": "evidentsource", "dynamodbStreamsLambda": "evidentsource-streams-lambda",
            "externalConsumers": "external-consumer", "externalProducers": "external-producer"}[role]
    return f"{prefix}{base}" + (f"-{i:03d}" if count > 1 else "")


def acl_stack_config(bootstrap: str, prefix: str, consumers: int) -> dict:
    """Pulumi.staging.yaml's SCRAM/ACL stack on the local secure broker, with `consumers` external consumers."""
    staging = yaml.safe_load((PROJECT / "Pulumi.staging.yaml").read_text())["config"]
    access = staging[f"{NS}:access"]
    for role in ("server", "dynamodbStreamsLambda", "externalConsumers", "externalProducers"):
        count = consumers if role == "externalConsumers" else 1
        access[role]["principals"] = [f"User:{user_name(prefix, role, i, count)}" for i in range(count)]
    topics = {**staging[f"{NS}:topics"], "replicationFactor": 1, "protect": False, "namePrefix": prefix}
    return secure_stack(bootstrap, topics, access)


def dev_stack_config(bootstrap: str, prefix: str) -> dict:
    """Pulumi.dev.yaml (PLAINTEXT, no access section) on the benchmark's plain broker."""
    dev = yaml.safe_load((PROJECT / "Pulumi.dev.yaml").read_text())["config"]
    topics = {**dev[f"{NS}:topics"], "protect": False, "namePrefix": prefix}
    return {"cluster": {**dev[f"{NS}:cluster"], "bootstrapServers": [bootstrap]}, "topics": topics}


def home_without_engine_log(home: Path) -> Path:
    """A PULUMI_HOME whose `logs` is a file, so the engine cannot start its automatic log (it then runs
    without one), and whose plugins are the user's own (where bootstrap installed the kafka plugin)."""
    home.mkdir(parents=True)
    (home / "logs").write_text("not a directory: the engine's automatic log is off for this PULUMI_HOME\n")
    real = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    (home / "plugins").symlink_to(real / "plugins", target_is_directory=True)
    return home


def passwords(config: dict) -> dict[str, str]:
    """A fresh password for every principal of the stack (user name -> password)."""
    users = {p.removeprefix("User:") for role in config.get("access", {}).values() if isinstance(role, dict)
             for p in role.get("principals", [])}
    return {user: secrets.token_urlsafe(12) for user in sorted(users)}


@dataclass
class Project:
    """A copy of the program in a temp dir (tests/support/throwaway.py, as the tests use) and its engine env."""

    root: Path
    env: dict[str, str]

    @classmethod
    def create(cls, root: Path, state: Path, engine_env: dict[str, str], ref: str | None = None) -> Project:
        """Copy the program (the working tree, or git `ref`) to root; its engine env uses the state dir."""
        throwaway.copy_program(root, ref)
        state.mkdir(parents=True, exist_ok=True)
        env = projectenv.engine_env({**os.environ, "PULUMI_BACKEND_URL": projectenv.file_backend_url(state),
                                     "PULUMI_CONFIG_PASSPHRASE": "bench-only-passphrase"})
        return cls(root, {**env, **engine_env})

    def version(self, ref: str | None) -> str:
        """Which program was measured: commit, working-tree changes, and a hash of the copied files."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.root.rglob("*.py") if "__pycache__" not in p.parts):
            digest.update(path.relative_to(self.root).as_posix().encode() + path.read_bytes())
        git = ["git", "-C", str(PROJECT)]
        commit = subprocess.run([*git, "rev-parse", "--short", ref or "HEAD"], check=False, capture_output=True,
                                text=True).stdout.strip()
        dirty = not ref and subprocess.run([*git, "status", "--porcelain", "--", *throwaway.PROGRAM_FILES], check=False,
                                           capture_output=True, text=True).stdout.strip()
        return f"{commit}{' + uncommitted changes' if dirty else ''} (program files sha256 {digest.hexdigest()[:12]})"

    def pulumi(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> measure.Sample:
        return measure.run(["pulumi", *args, "--non-interactive"], cwd=self.root,
                           env={**self.env, **(env or {})}, check=check)

    def new_stack(self, name: str, config: dict, secrets_: dict[str, str]) -> None:
        """Pulumi.<name>.yaml with config, then every secret set in one `pulumi config set-all`."""
        namespaced = {f"{NS}:{k}": v for k, v in config.items()}
        (self.root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": namespaced}))
        self.pulumi("stack", "init", name)
        if secrets_:
            args = [arg for key, value in secrets_.items() for arg in ("--secret", f"{NS}:{key}={value}")]
            self.pulumi("config", "set-all", "--stack", name, "--path", *args)

    def remove_stack(self, name: str, parallel: int, env: dict[str, str] | None = None) -> measure.Sample:
        """Destroy (timed, for the log only) and forget the stack."""
        sample = self.pulumi("destroy", "--stack", name, "--yes", "--skip-preview", f"--parallel={parallel}", env=env)
        self.pulumi("stack", "rm", name, "--yes", "--force")
        return sample


def secrets_of(broker_info: dict, users: dict[str, str]) -> dict[str, str]:
    """Pulumi's own admin login plus each principal's password, as the staging file says to set them."""
    jaas = broker.jaas(broker_info["admin_password"])
    return {"saslJaasConfig": jaas, **{f"principalPasswords.{u}": p for u, p in users.items()}}


def check(sample: measure.Sample, want: dict[str, int | None], what: str) -> int:
    """Fail unless the engine's summary has exactly the keys of `want` (with the counts given,
    None for any count); return the number of resources it names."""
    got = summary(sample.output)
    if set(got) != set(want) or any(n is not None and got[k] != n for k, n in want.items()):
        raise RuntimeError(f"{what}: expected {want}, the engine said {got}\n{sample.output[-2000:]}")
    return sum(got.values())


def pulumi_version(env: dict[str, str]) -> str:
    return subprocess.run(["pulumi", "version"], check=False, env=env, capture_output=True, text=True).stdout.strip()

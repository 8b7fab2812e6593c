"""A password set without --secret is refused, and the command the message gives encrypts it: real engine, secure broker.

As a user does it: a stack on the secure broker whose admin login (saslJaasConfig) and one principal's password are
set with `pulumi config set --plaintext` (pulumi itself would otherwise warn that they look like secrets), while
the other principal's password is encrypted. `pulumi preview` is refused with one line per plain-text password,
none showing the password, each ending with the exact command that encrypts it; the plain principal password is
found even though the engine marks the whole principalPasswords object secret (one of its values is). Each command,
run as printed (through a shell, in the project), encrypts its value without it being typed again; the stack file
then holds only ciphertext, and the same preview succeeds.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from components.model.names import NAMESPACE
from tests.support.stack_configs import secure_stack
from tools.cluster import broker

pytestmark = pytest.mark.timeout(600)
NS = NAMESPACE
WRAPPER = str(Path(__file__).resolve().parents[2] / "tools" / "pulumi")
PLAIN = "a password in plain text in the stack file"


def pulumi(env: dict, root: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([WRAPPER, "--cwd", root, *args], env=env, capture_output=True, text=True, timeout=300)


def test_plain_text_passwords_are_refused_and_the_printed_commands_encrypt_them(project, secure_broker, prefix,
                                                                                   engine_env):
    server, consumer = f"{prefix}server", f"{prefix}consumer"
    passwords = {server: f"pw-{prefix}server-x9", consumer: f"pw-{prefix}consumer-y8"}
    admin_password = secure_broker["admin_password"]
    stack = project.stack(secure_stack(
        secure_broker["bootstrap_servers"], {"namePrefix": prefix, "partitions": 1, "replicationFactor": 1, "protect": False},
        {"server": {"principals": [f"User:{server}"]}, "externalConsumers": {"principals": [f"User:{consumer}"]}}))
    root, name = str(project.root), stack.name
    for args in (["--plaintext", f"{NS}:saslJaasConfig", "--", broker.jaas(admin_password)],
                 ["--secret", "--path", f"{NS}:principalPasswords.{server}", "--", passwords[server]],
                 ["--plaintext", "--path", f"{NS}:principalPasswords.{consumer}", "--", passwords[consumer]]):
        done = pulumi(engine_env, root, "config", "set", "--stack", name, *args)
        assert done.returncode == 0, done.stderr
    try:
        refused = pulumi(engine_env, root, "preview", "--stack", name)
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0, output
        lines = [line.strip() for line in output.splitlines() if PLAIN in line]
        lines = list(dict.fromkeys(lines))  # the engine shows a diagnostic twice: as it comes, and in the summary
        assert [line.split(" = ")[0] for line in lines] == [
            f"- {NS}:saslJaasConfig", f"- {NS}:principalPasswords.{consumer}"], output
        assert admin_password not in output and not any(p in output for p in passwords.values()), output
        commands = [line.rsplit("encrypt it without typing it again: ", 1)[1] for line in lines]
        assert commands == [
            f"pulumi config get --stack {name} {NS}:saslJaasConfig | "
            f"pulumi config set --stack {name} --secret {NS}:saslJaasConfig",
            f"pulumi config get --stack {name} --path '{NS}:principalPasswords.{consumer}' | "
            f"pulumi config set --stack {name} --secret --path '{NS}:principalPasswords.{consumer}'"]

        for command in commands:  # as printed, through a shell, in the project
            done = subprocess.run(["sh", "-c", command], cwd=root, env=engine_env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        written = yaml.safe_load((project.root / f"Pulumi.{name}.yaml").read_text())["config"]
        assert set(written[f"{NS}:saslJaasConfig"]) == {"secure"}
        assert all(set(v) == {"secure"} for v in written[f"{NS}:principalPasswords"].values())
        text = (project.root / f"Pulumi.{name}.yaml").read_text()
        assert admin_password not in text and not any(p in text for p in passwords.values())
        shown = pulumi(engine_env, root, "config", "get", "--stack", name, f"{NS}:saslJaasConfig")
        assert shown.stdout.strip() == broker.jaas(admin_password)  # the same value, now encrypted

        accepted = pulumi(engine_env, root, "preview", "--stack", name)
        assert accepted.returncode == 0, accepted.stdout[-3000:] + accepted.stderr
        assert PLAIN not in accepted.stdout
    finally:
        stack.workspace.remove_stack(name, force=True)

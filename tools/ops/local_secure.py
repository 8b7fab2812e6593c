#!/usr/bin/env python3
"""Give the local-secure stack the secrets of the local secure cluster, so nobody types a password.

`make up STACK=local-secure` runs this after starting the cluster (tools/cluster/secure_cluster.py):
Pulumi's own login is the cluster's admin (SCRAM-SHA-512), and each principal of the stack's access
section gets a password generated once and kept with the cluster (principal-passwords.json, 0600),
from which the stack creates its SCRAM users. A value is set (as a secret, encrypted in
Pulumi.local-secure.yaml) only when it differs, so a second `make up` changes nothing.

Usage: .venv/bin/python -m tools.ops.local_secure [--stack local-secure] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

from components.model import jaas
from components.model.names import NAMESPACE
from tools.cluster import secure_cluster
from tools.cluster.certs import write_private
from tools.toolchain.projectenv import PROJECT, engine_env

PULUMI = str(PROJECT / "tools" / "pulumi")


def principals(stack: str) -> list[str]:
    """The user names of every principal the stack file's access section lists."""
    config = yaml.safe_load((PROJECT / f"Pulumi.{stack}.yaml").read_text())["config"]
    access = config.get(f"{NAMESPACE}:access", {})
    names = [p.removeprefix("User:") for role in access.values() if isinstance(role, dict)
             for p in role.get("principals", [])]
    return list(dict.fromkeys(names))


def passwords(dir: Path, users: list[str]) -> dict[str, str]:
    path = dir / "principal-passwords.json"
    text = path.read_text() if path.exists() else ""
    known = json.loads(text) if text.strip() else {}
    wanted = {user: known.get(user) or secrets.token_urlsafe(18) for user in users}
    if wanted != known:
        write_private(path, (json.dumps(wanted, indent=2) + "\n").encode())
    return wanted


def current(stack: str) -> dict:
    out = subprocess.run([PULUMI, "config", "--stack", stack, "--json", "--show-secrets"], cwd=PROJECT,
                         env=engine_env(), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"local_secure: could not read the config of stack {stack}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="local-secure")
    parser.add_argument("--dir", type=Path, default=secure_cluster.DEFAULT_DIR)
    args = parser.parse_args()
    info = secure_cluster.status(args.dir)
    if info is None:
        sys.exit(f"local_secure: no secure cluster runs from {args.dir}: "
                 "start it with `.venv/bin/python -m tools.cluster.secure_cluster start`")
    wanted = {f"{NAMESPACE}:saslJaasConfig": jaas.render("SCRAM-SHA-512", info["admin_username"], info["admin_password"])}
    for user, password in passwords(args.dir, principals(args.stack)).items():
        wanted[f"{NAMESPACE}:principalPasswords.{user}"] = password
    have = current(args.stack)
    have_passwords = (have.get(f"{NAMESPACE}:principalPasswords") or {}).get("objectValue") or {}
    changed = 0
    for key, value in wanted.items():
        user = key.partition("principalPasswords.")[2]
        now = have_passwords.get(user) if user else (have.get(key) or {}).get("value")
        if now == value:
            continue
        run = subprocess.run([PULUMI, "config", "set", "--stack", args.stack, "--secret", *(["--path"] if user else []),
                              key, "--", value], cwd=PROJECT, env=engine_env(), capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"local_secure: could not set {key}: {run.stderr.strip()}")
        changed += 1
    print(f"stack {args.stack}: {changed} of {len(wanted)} secret(s) set from the local secure cluster"
          + ("" if changed else " (all up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

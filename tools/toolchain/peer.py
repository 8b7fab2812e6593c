#!/usr/bin/env python3
"""The benchmark's peer: OpenTofu and the Terraform kafka provider, built from their Go modules, offline.

`make bench` compares the program with what a user would pick instead: OpenTofu driving
Mongey/terraform-provider-kafka, the engine under pulumi-kafka, at the version the kafka plugin
is built from. Both come through the Go module proxy (no registry, no release download):
- each module is downloaded with `go mod download`, copied out of the module cache and built
  there (`go install module@version` refuses both: their go.mod files have replace directives);
- the provider goes into a filesystem mirror (`<mirror>/registry.opentofu.org/mongey/kafka/...`)
  that a CLI config file makes the only source of that provider, so `tofu init` never goes online.
Built once into the user's cache (several minutes for OpenTofu with a cold Go cache); not part
of `make up` or `make test`.

Usage: .venv/bin/python -m tools.toolchain.peer   (prints the paths as JSON)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tools.toolchain.projectenv import cache_root

OPENTOFU = ("github.com/opentofu/opentofu", "v1.12.6")
PROVIDER = ("github.com/Mongey/terraform-provider-kafka", "v0.13.1")  # what pulumi-kafka 3.13.3 wraps
PROVIDER_SOURCE = "registry.opentofu.org/mongey/kafka"


def home() -> Path:
    return cache_root() / f"opentofu-{OPENTOFU[1]}-kafka-{PROVIDER[1]}"


def paths() -> dict[str, Path]:
    root = home()
    version = PROVIDER[1].lstrip("v")
    return {"tofu": root / "bin" / "tofu", "mirror": root / "mirror", "cli_config": root / "tofurc.hcl",
            "provider": root / "mirror" / PROVIDER_SOURCE / version / "linux_amd64" /
            f"terraform-provider-kafka_v{version}"}


def _go(args: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(["go", *args], cwd=cwd, env={**os.environ, "CGO_ENABLED": "0"}, text=True,
                          capture_output=True)
    if done.returncode != 0:
        sys.exit(f"peer: `go {' '.join(args)}` failed (is the Go module proxy reachable?):\n{done.stderr[-3000:]}")
    return done.stdout


def build(module: tuple[str, str], package: str, out: Path, ldflags: str) -> None:
    """Build `package` of `module` from a writable copy of its module directory."""
    path, version = module
    source = Path(json.loads(_go(["mod", "download", "-json", f"{path}@{version}"]))["Dir"])
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "src"
        shutil.copytree(source, copy)
        for p in [copy, *copy.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        staged = Path(tmp) / out.name
        _go(["build", "-mod=readonly", "-trimpath", "-ldflags", ldflags, "-o", str(staged), package], cwd=copy)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, out)


def ensure() -> dict[str, Path]:
    p = paths()
    if shutil.which("go") is None and not (p["tofu"].exists() and p["provider"].exists()):
        sys.exit("peer: install Go >= 1.26 (OpenTofu and the kafka provider are built from their Go modules)")
    if not p["tofu"].exists():
        print(f"peer: building OpenTofu {OPENTOFU[1]} (Go modules; ~3 min with a cold Go cache)", flush=True)
        build(OPENTOFU, "./cmd/tofu", p["tofu"], "-s -w -X 'github.com/opentofu/opentofu/version.dev=no'")
    if not p["provider"].exists():
        print(f"peer: building terraform-provider-kafka {PROVIDER[1]}", flush=True)
        build(PROVIDER, ".", p["provider"], "-s -w")
    p["cli_config"].write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = \"{p['mirror']}\"\n    include = [\"{PROVIDER_SOURCE}\"]\n  }}\n"
        f"  direct {{\n    exclude = [\"{PROVIDER_SOURCE}\"]\n  }}\n}}\n")
    return p


def env(p: dict[str, Path]) -> dict[str, str]:
    """The environment of every tofu command: the mirror's CLI config, no update checks, no telemetry."""
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(p["cli_config"]), "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}


if __name__ == "__main__":
    print(json.dumps({k: str(v) for k, v in ensure().items()}, indent=2))

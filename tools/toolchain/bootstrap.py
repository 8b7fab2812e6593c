#!/usr/bin/env python3
"""Make the real Pulumi engine, the kafka plugin, the Python venv and the Kafka jars available.

Each step checks first and does nothing when its pinned artefact is already there,
so a second run (and CI on the same machine) only checks. Every build happens in a
temporary directory and is moved into place at the very end: an interrupted run
never leaves something that looks finished. Only package registries are used
(PyPI through pip, the Go module proxy through go, Maven Central through mvn).

Usage: python3 -m tools.toolchain.bootstrap   (from the project's root; `make bootstrap`)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.toolchain import projectenv as pe

TOOLCHAIN = Path(__file__).resolve().parent
ENGINE_MODULE = TOOLCHAIN / "engine"
KAFKA_PROVIDER = TOOLCHAIN / "kafka-provider"
VERSION_LDFLAG = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
HOST_FILES = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec")
# The resource plugin of Python dynamic providers (the access layer's resources, components/resources/kafka_admin.py):
# a script in the sdk/v3 module that runs `python -m pulumi.dynamic` in the project's virtualenv.
SDK_SCRIPTS = {"pulumi-language-python-exec": ("python", "cmd"),
               "pulumi-resource-pulumi-python": ("python", "dist")}


class Missing(SystemExit):
    """One line naming what is missing and how to provide it."""

    def __init__(self, what: str, how: str):
        super().__init__(f"bootstrap: {what} is missing: {how}")


def say(msg: str) -> None:
    print(f"bootstrap: {msg}", flush=True)


def run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    """Run a step; on failure show its output and name the step."""
    proc = subprocess.run(cmd, text=True, capture_output=True, **kw)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"bootstrap: {what} failed (exit {proc.returncode}): {' '.join(cmd)}")
    return proc


def require_tool(name: str, how: str) -> str:
    path = shutil.which(name)
    if not path:
        raise Missing(f"`{name}`", how)
    return path


# --- Python venv ---------------------------------------------------------------

def venv() -> None:
    """The project venv that Pulumi.yaml points at, with the project installed in it in editable mode
    (pyproject.toml), stamped with the hash of the pins and of the project's packaging."""
    pins = b"".join((pe.PROJECT / f).read_bytes() for f in ("requirements.txt", "requirements.lock", "pyproject.toml"))
    stamp_value = hashlib.sha256(pins).hexdigest()
    stamp = pe.VENV / ".bootstrap-stamp"
    if stamp.exists() and stamp.read_text() == stamp_value:
        say("venv: up to date")
        return
    # A venv cannot be moved after creation, so the stamp, written last, marks it finished.
    say("venv: installing pinned Python packages (PyPI)")
    shutil.rmtree(pe.VENV, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(pe.VENV)], "creating the venv")
    pip = [str(pe.VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    run(pip + ["-r", "requirements.txt", "-c", "requirements.lock"], "pip install (is PyPI reachable?)",
        cwd=pe.PROJECT)
    # The program, tools, benchmark and test helpers import each other by name, from this checkout.
    run(pip + ["--no-deps", "-e", "."], "installing the project in editable mode", cwd=pe.PROJECT)
    stamp.write_text(stamp_value)


# --- Pulumi CLI and Python language host ---------------------------------------

def pulumi_on_path() -> str | None:
    """A `pulumi` already on PATH at the pinned version (what users with internet have)."""
    exe = shutil.which("pulumi")
    if not exe or Path(exe).parent == pe.engine_cache_dir():
        return None
    out = subprocess.run([exe, "version"], text=True, capture_output=True,
                         env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
    return exe if out.stdout.strip() == f"v{pe.PULUMI_VERSION}" else None


def go_build(out: Path, package: str, ldflags: str) -> None:
    run(["go", "build", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags,
         "-o", str(out), package], f"building {package}", cwd=ENGINE_MODULE,
        env={**os.environ, "CGO_ENABLED": "0"})


def engine() -> Path | None:
    """Returns the bin dir of the engine to use, or None for the pinned `pulumi` on PATH."""
    if exe := pulumi_on_path():
        say(f"engine: using {exe} (v{pe.PULUMI_VERSION}) from PATH")
        return None
    target = pe.engine_cache_dir()
    if all((target / f).exists() for f in HOST_FILES):
        if not (target / "pulumi-resource-pulumi-python").exists():  # a cache made before the access resources
            sdk_scripts(target, ["pulumi-resource-pulumi-python"])
        say(f"engine: v{pe.PULUMI_VERSION} found in {target}")
        return target
    require_tool("go", "install Go >= 1.26 (the Pulumi CLI is built from its Go modules)")
    say(f"engine: building Pulumi CLI v{pe.PULUMI_VERSION} and the Python language host (Go modules; several minutes with an empty Go cache)")
    ldflags = f"-s -w -X {VERSION_LDFLAG}=v{pe.PULUMI_VERSION}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staging = Path(tmp) / "bin"
        go_build(staging / "pulumi", "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", ldflags)
        go_build(staging / "pulumi-language-python", "./cmd/pulumi-language-python", ldflags)
        sdk_scripts(staging, list(SDK_SCRIPTS))
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def sdk_scripts(bin_dir: Path, names: list[str]) -> None:
    """Copy scripts that ship inside the sdk/v3 module next to the engine (module zips drop the exec bit)."""
    sdk_dir = run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi/sdk/v3"],
                  "locating the sdk/v3 module", cwd=ENGINE_MODULE).stdout.strip()
    for name in names:
        script = bin_dir / name
        shutil.copyfile(Path(sdk_dir).joinpath(*SDK_SCRIPTS[name], name), script)
        script.chmod(0o755)


# --- kafka resource plugin -----------------------------------------------------

def kafka_plugin() -> None:
    env = pe.engine_env()  # the engine bootstrap chose comes first on its PATH
    listed = run(["pulumi", "plugin", "ls", "--json"], "listing Pulumi plugins", env=env).stdout
    if any(p["name"] == "kafka" and p["kind"] == "resource" and p["version"] == pe.KAFKA_PLUGIN_VERSION
           for p in json.loads(listed or "[]")):
        say(f"kafka plugin: v{pe.KAFKA_PLUGIN_VERSION} found in the plugin cache")
        return
    built = pe.kafka_plugin_cache_dir() / "pulumi-resource-kafka"
    if not built.exists():
        require_tool("go", "install Go >= 1.26 (the kafka plugin is built from its Go modules)")
        say(f"kafka plugin: building v{pe.KAFKA_PLUGIN_VERSION} (Go modules; several minutes with an empty Go cache)")
        run(["bash", str(KAFKA_PROVIDER / "build.sh"), str(built.parent), pe.KAFKA_PLUGIN_VERSION],
            "building the kafka plugin")
    run(["pulumi", "plugin", "install", "resource", "kafka", pe.KAFKA_PLUGIN_VERSION, "--file", str(built)],
        "registering the kafka plugin", env=env)
    say(f"kafka plugin: v{pe.KAFKA_PLUGIN_VERSION} registered")


# --- Kafka broker jars ---------------------------------------------------------

def kafka_jars() -> None:
    require_tool("java", "install a Java 17 JDK (the local Kafka broker runs on it)")
    require_tool("mvn", "install Maven (it resolves the Kafka jars)")
    run([str(pe.VENV / "bin" / "python"), "-m", "tools.cluster.broker", "install"],
        "resolving the Kafka jars (is Maven Central reachable?)", cwd=pe.PROJECT)
    say("kafka broker jars: ready")


# --- actionlint (workflow checks in the test suite) ----------------------------

def actionlint() -> None:
    target = pe.actionlint_path()
    if target.exists():
        say(f"actionlint: {pe.ACTIONLINT_VERSION} found")
        return
    require_tool("go", "install Go >= 1.26 (actionlint is built from its Go module)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        run(["go", "install", f"github.com/rhysd/actionlint/cmd/actionlint@{pe.ACTIONLINT_VERSION}"],
            "building actionlint", env={**os.environ, "GOBIN": tmp, "CGO_ENABLED": "0"})
        Path(tmp, "actionlint").rename(target)
    say(f"actionlint: {pe.ACTIONLINT_VERSION} built")


def timed(step, *args):
    """Run one step and say how long it took: the cold/warm figures in the README come from here."""
    started = time.monotonic()
    result = step(*args)
    say(f"  ({step.__name__}: {time.monotonic() - started:.1f}s)")
    return result


def record_engine(bin_dir: Path | None) -> None:
    pe.LOCAL.mkdir(exist_ok=True)
    pe.ENGINE_RECORD.write_text(json.dumps({"bin_dir": str(bin_dir) if bin_dir else None}) + "\n")


def main() -> None:
    started = time.monotonic()
    if sys.version_info < (3, 11):
        raise Missing("Python >= 3.11", "install Python 3.11 and run bootstrap with it")
    timed(venv)
    record_engine(timed(engine))
    timed(kafka_plugin)
    timed(kafka_jars)
    timed(actionlint)
    say(f"done in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()

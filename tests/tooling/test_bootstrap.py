"""Bootstrap's promises: pins agree everywhere; a missing tool is one clear line, nothing half-made."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tools.toolchain import projectenv

PROJECT = projectenv.PROJECT


def pinned(requirement: str) -> str:
    text = (PROJECT / "requirements.txt").read_text()
    return re.search(rf"^{re.escape(requirement)}==(\S+)", text, re.M).group(1)


def test_engine_pins_agree_with_the_python_sdk():
    engine_mod = (PROJECT / "tools" / "toolchain" / "engine" / "go.mod").read_text()
    assert pinned("pulumi") == projectenv.PULUMI_VERSION
    assert f"github.com/pulumi/pulumi/pkg/v3 v{projectenv.PULUMI_VERSION}\n" in engine_mod
    assert f"github.com/pulumi/pulumi/sdk/v3 v{projectenv.PULUMI_VERSION}\n" in engine_mod


def test_kafka_plugin_pin_agrees_with_the_python_sdk():
    assert pinned("pulumi-kafka") == projectenv.KAFKA_PLUGIN_VERSION


def test_lock_holds_every_direct_pin():
    lock = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in (PROJECT / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    for line in (PROJECT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            assert lock.get(name.split("[")[0].lower().replace("_", "-")) == version, name  # moto[s3]: extras aside


def test_missing_go_is_one_clear_line_and_leaves_nothing(tmp_path):
    """With an empty cache and no Go on PATH, the engine step names Go and how to get it, and builds nothing.

    Only that step runs (in a subprocess with a PATH holding nothing but python): the venv
    step must not be exercised here, since it would rebuild the venv the suite runs in.
    """
    python_only = tmp_path / "bin"
    python_only.mkdir()
    (python_only / "python3").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(python_only), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    step = "from tools.toolchain import bootstrap; bootstrap.engine()"
    proc = subprocess.run([str(python_only / "python3"), "-c", step],
                          env=env, text=True, capture_output=True, cwd=PROJECT)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last == "bootstrap: `go` is missing: install Go >= 1.26 (the Pulumi CLI is built from its Go modules)"
    cache = tmp_path / "cache" / "evidentsource-kafka"
    assert not list(cache.rglob("pulumi")), "a half-built engine was left in the cache"


def test_tools_pulumi_runs_the_program_for_refresh_and_destroy_and_tells_it_which():
    from components.model import names
    from tools.toolchain import pulumi as wrapper
    assert wrapper.OPERATION_ENV == names.OPERATION_ENV and wrapper.RUNS_PROGRAM == names.APPLIES_NOTHING
    assert wrapper.arguments(["refresh", "--yes", "--stack", "s"]) == (["refresh", "--run-program", "--yes", "--stack",
                                                                        "s"], "refresh")
    assert wrapper.arguments(["--cwd", "x", "destroy"])[0][-1] == "--run-program"
    assert wrapper.arguments(["destroy", "--run-program=false"]) == (["destroy", "--run-program=false"], "destroy")
    assert wrapper.arguments(["up", "--refresh"]) == (["up", "--refresh"], None)
    assert wrapper.arguments(["config", "set", "refresh", "x"]) == (["config", "set", "refresh", "x"], None)

"""The kafka plugin the engine will load speaks the pulumi_kafka SDK's language exactly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tools.toolchain import projectenv

PROJECT = projectenv.PROJECT


def installed_plugin() -> Path:
    home = Path(os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    path = home / "plugins" / f"resource-kafka-v{projectenv.KAFKA_PLUGIN_VERSION}" / "pulumi-resource-kafka"
    assert path.exists(), f"kafka plugin {projectenv.KAFKA_PLUGIN_VERSION} is not installed at {path}: run make bootstrap"
    return path


def test_installed_plugin_schema_matches_the_python_sdk():
    proc = subprocess.run(
        [str(projectenv.VENV / "bin" / "python"), str(PROJECT / "tools" / "toolchain" / "kafka-provider" / "check_schema.py"),
         "--binary", str(installed_plugin())],
        text=True, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no differences" in proc.stdout

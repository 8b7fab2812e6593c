"""Shared fixtures: the project's engine environment, real local brokers, throwaway stacks.

Integration tests drive the real Pulumi engine through the Automation API against a
real Kafka broker that the session starts on free ports in a temp dir (never the
`make up` broker), and each test gets its own stack and topic-name prefix.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent

from components.model.names import NAMESPACE
from tests.support import throwaway
from tools.cluster import broker
from tools.cluster import secure_cluster as cluster_tool
from tools.toolchain import projectenv


@pytest.fixture(scope="session")
def engine_env() -> dict[str, str]:
    """The environment of every pulumi command: set once for the whole session."""
    env = projectenv.engine_env()
    # Tests keep their state apart from the developer's `make up` state.
    state = PROJECT / ".local" / "test-state"
    state.mkdir(parents=True, exist_ok=True)
    env["PULUMI_BACKEND_URL"] = projectenv.file_backend_url(state)
    env["PULUMI_CONFIG_PASSPHRASE"] = "test-only-passphrase"
    os.environ.update(env)
    return env


def _broker(mode: str, tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp(f"broker-{mode}")
    info = broker.start(mode, workdir, port=broker.free_port(), controller_port=broker.free_port())
    info["dir"] = str(workdir)
    return info


@pytest.fixture(scope="session")
def plain_broker(tmp_path_factory):
    """A PLAINTEXT broker, no authentication (the dev stack's kind of cluster)."""
    info = _broker("plain", tmp_path_factory)
    yield info
    broker.stop(info["dir"])


@pytest.fixture(scope="session")
def secure_broker(tmp_path_factory):
    """A SASL/SCRAM-SHA-512 broker with ACLs enforced (deny by default) and an admin super user."""
    info = _broker("secure", tmp_path_factory)
    yield info
    broker.stop(info["dir"])


@pytest.fixture(scope="session")
def secure_cluster(tmp_path_factory):
    """Three KRaft nodes, TLS on every listener (SASL_SSL: PLAIN, SCRAM-SHA-256/512; SSL: with or without a
    client certificate), deny by default, RF 3 and min ISR 2: the shape staging and prod run. One per session."""
    workdir = tmp_path_factory.mktemp("secure-cluster")
    info = cluster_tool.start(workdir, cluster_tool.free_ports())
    yield info
    cluster_tool.stop(workdir)


class ThrowawayProject:
    """A copy of the program in a temp dir, so each test has its own stack files."""

    def __init__(self, root: Path):
        self.root = throwaway.copy_program(root)

    def stack(self, config: dict, name: str | None = None):
        """Create a stack whose Pulumi.<stack>.yaml holds `config` (keys without the namespace)."""
        from pulumi import automation as auto

        name = name or f"it-{uuid.uuid4().hex[:8]}"
        namespaced = {f"{NAMESPACE}:{k}": v for k, v in config.items()}
        (self.root / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": namespaced}))
        return auto.create_stack(stack_name=name, work_dir=str(self.root))


@pytest.fixture
def project(engine_env, tmp_path) -> ThrowawayProject:
    return ThrowawayProject(tmp_path / "program")


@pytest.fixture
def prefix() -> str:
    """A topic-name prefix of this test's own, so tests cannot see each other's topics."""
    return f"t{uuid.uuid4().hex[:8]}-"

"""Every operations page of the handbook runs, exactly as written: its `bash` blocks, in order, one shell per page.

The pages (docs/operations/*.md) are the procedures a platform engineer follows on day 2. Here they run in a
sandbox: a clone of this repository (history included: the rollback page checks out the previous release)
with the working tree laid over it and committed, the project's venv and engine, its own state backend, and
the local TLS cluster the pages start themselves (`make up STACK=local-secure`, on its own ports: a
cluster another checkout started there is named, not fought). A page whose commands no longer work fails here, with the page's output.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tools.toolchain import projectenv

PROJECT = Path(__file__).resolve().parents[2]
PAGES = ["consumers.md", "rotate-passwords.md", "drift.md", "recover.md", "upgrade-rollback.md",
         "pull-requests.md", "adopt.md", "bridge.md"]  # the order they run in: each starts from a deployed stack

pytestmark = pytest.mark.timeout(1800)


def blocks(page: Path) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=handbook", "-c", "user.email=handbook@localhost", *args],
                          cwd=cwd, check=True, capture_output=True, text=True).stdout


def taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, engine_env):
    from tools.cluster import secure_cluster
    busy = [p for p in (secure_cluster.DEFAULT_BASE_PORT + 10 * n + 1 for n in range(3)) if taken(p)]
    if busy:
        pytest.fail(f"the pages start the local TLS cluster on its own ports, and {busy} are taken (a cluster from "
                    "`make up STACK=local-secure` runs?): stop it with `make down` in its checkout", pytrace=False)
    root = tmp_path_factory.mktemp("handbook") / "repo"
    git("clone", "--quiet", str(PROJECT), str(root), cwd=PROJECT)
    listed = git("ls-files", "-co", "--exclude-standard", "-z", cwd=PROJECT).split("\0")
    for name in filter(None, listed):
        source, target = PROJECT / name, root / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for name in filter(None, git("ls-files", "-d", "-z", cwd=PROJECT).split("\0")):
        (root / name).unlink(missing_ok=True)
    git("add", "-A", cwd=root)
    git("commit", "--quiet", "--allow-empty", "-m", "the working tree under test", cwd=root)
    (root / ".venv").symlink_to(PROJECT / ".venv")
    (root / ".local").mkdir()
    shutil.copy(PROJECT / ".local" / "engine.json", root / ".local" / "engine.json")
    state = tmp_path_factory.mktemp("handbook-state")
    env = {**engine_env, "PULUMI_BACKEND_URL": projectenv.file_backend_url(state), "PULUMI_CONFIG_PASSPHRASE": ""}
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    yield root, env
    subprocess.run(["make", "down"], cwd=root, env=env, capture_output=True, timeout=300)


def test_every_operations_page_is_listed_here_and_has_commands():
    on_disk = sorted(p.name for p in (PROJECT / "docs" / "operations").glob("*.md") if p.name != "index.md")
    assert sorted(PAGES) == on_disk
    for name in PAGES:
        assert blocks(PROJECT / "docs" / "operations" / name), f"{name} has no bash block to run"


@pytest.mark.parametrize("name", PAGES)
def test_the_page_runs_as_written(sandbox, name):
    root, env = sandbox
    # Each page from the release under test: one that failed half-way (the rollback page, with the previous
    # release checked out) must not run the next pages on another program. The stacks' files carry on.
    git("checkout", "HEAD", "--", ".", ":(exclude)Pulumi.*.yaml", cwd=root)
    script = "\n".join(["set -euo pipefail", *blocks(root / "docs" / "operations" / name)])
    done = subprocess.run(["bash", "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=1500)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"docs/operations/{name} failed (exit {done.returncode}):\n{output[-6000:]}"
    assert "Traceback" not in output, output[-6000:]

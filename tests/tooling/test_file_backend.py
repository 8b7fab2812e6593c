"""The file state backend survives a run killed while it writes a checkpoint's metadata sidecar.

gocloud's fileblob renames each blob into place, but writes its `<blob>.attrs` sidecar in place: a kill at
that instant leaves it empty, and every command on the stack then fails with `failed to load checkpoint: EOF`
(CI saw it after a killed `up`). The project's file backends write no sidecars; `tools/pulumi` mends the
backends it did not open (a user's own `file://` URL, or state written before). Real engine, no program run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tools.toolchain import projectenv

WRAPPER = str(projectenv.PROJECT / "tools" / "pulumi")
STACK = "sidecar-probe"


def pulumi(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([WRAPPER, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def backend(tmp_path, engine_env):
    """A file backend at a plain `file://` URL (a user's own, so sidecars are written), one empty stack in it."""
    env = {**engine_env, "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(), "PULUMI_CONFIG_PASSPHRASE": "x"}
    (tmp_path / "state").mkdir()
    init = pulumi(env, "stack", "init", STACK, "--no-select")
    assert init.returncode == 0, init.stderr
    yield env, tmp_path / "state"
    pulumi(env, "stack", "rm", STACK, "--yes", "--force")


def sidecar(state: Path) -> Path:
    (found,) = state.glob(f".pulumi/stacks/*/{STACK}.json.attrs")
    return found


@pytest.mark.parametrize("left", [b"", b'{"user.content_type":"text/pl'])
def test_a_sidecar_a_killed_run_left_unreadable_is_mended_and_the_stack_reads_again(backend, left):
    env, state = backend
    sidecar(state).write_bytes(left)  # what a SIGKILL between the sidecar's create and its write leaves
    bare = subprocess.run(["pulumi", "stack", "export", "--stack", STACK], env=env, capture_output=True, text=True,
                          cwd=projectenv.PROJECT, timeout=120)
    assert bare.returncode != 0 and "failed to load checkpoint" in bare.stderr  # the engine alone is stuck

    mended = pulumi(env, "stack", "export", "--stack", STACK)
    assert mended.returncode == 0, mended.stderr
    assert json.loads(mended.stdout)["version"] == 3
    assert f"removed {state}" in mended.stderr and ".json.attrs" in mended.stderr
    assert not list(state.glob(f".pulumi/stacks/*/{STACK}.json.attrs"))
    assert pulumi(env, "cancel", "--yes", "--stack", STACK).returncode == 0  # the crashed runner's procedure works


def test_whole_sidecars_are_left_alone(backend):
    env, state = backend
    before = sidecar(state).read_bytes()
    assert json.loads(before)  # a whole one, as the engine wrote it
    assert projectenv.mend_file_backend(env) == []
    assert sidecar(state).read_bytes() == before


def test_every_tool_that_takes_the_projects_environment_mends_them(backend, capsys):
    env, state = backend
    sidecar(state).write_bytes(b"")
    projectenv.engine_env(env)  # as drift, verify, livecheck, adopt and the wrapper each take it
    assert not list(state.glob(f".pulumi/stacks/*/{STACK}.json.attrs"))
    assert "a killed run left in the state backend" in capsys.readouterr().err


def test_the_projects_own_file_backends_write_no_sidecars(tmp_path, engine_env):
    env = {**engine_env, "PULUMI_BACKEND_URL": projectenv.file_backend_url(tmp_path), "PULUMI_CONFIG_PASSPHRASE": "x"}
    assert pulumi(env, "stack", "init", STACK, "--no-select").returncode == 0
    try:
        assert list(tmp_path.glob(f".pulumi/stacks/*/{STACK}.json"))  # the stack is there
        assert not list(tmp_path.rglob("*.attrs"))  # and nothing a kill could leave half-written
    finally:
        pulumi(env, "stack", "rm", STACK, "--yes", "--force")


@pytest.mark.parametrize("url, expected", [
    ("file:///srv/state?metadata=skip", Path("/srv/state")),
    ("file://~/state", Path.home() / "state"),
    ("file:///srv/with%20space", Path("/srv/with space")),
    ("s3://bucket?region=eu-west-1", None),
    ("", None),
])
def test_file_backend_directories_are_read_from_their_urls(url, expected):
    assert projectenv.file_backend_dir(url) == expected

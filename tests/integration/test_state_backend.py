"""The state backend a team uses: an S3 bucket (moto's S3 server on loopback), with the real engine and broker.

The engine is logged in with nothing but `PULUMI_BACKEND_URL=s3://<bucket>?endpoint=...` and AWS
credentials in the environment (`~/.aws` kept out), as a team's CI would be. What this proves:
- `up` keeps the stack's state in the bucket (read back with boto3, not through Pulumi), a second
  `up` changes nothing, `destroy` removes the topics, `stack rm` leaves only the engine's `.bak` of it;
- two `up`s of one stack at once: the second is refused by the bucket's lock (pulumi 3.259's
  DIY backend always locks, no setting needed) and names the lock object and the holder's pid;
  the first completes and the state is whole after;
- an `up` SIGKILLed mid-run (its process tree, through the project's `tools/pulumi`) with a topic
  changed in Kafka and the state's record of it never written: the dead run's lock stays in the
  bucket with the interrupted step pending in the state; a plain `up` is refused until `pulumi cancel`,
  then a plain `up` converges (no topic recreated or lost, every message byte for byte) and warns that
  the state is behind for the one topic Kafka had changed, until `pulumi refresh` records it.
The first `up` is held mid-run deterministically by the S3 server itself, which holds one save of
the stack's checkpoint (tests/support/s3_backend.py) until the test lets it through or drops it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from components.model.catalog import CATALOG
from components.model.names import NAMESPACE
from tests.support.s3_backend import S3Backend
from tools.toolchain import projectenv
from test_data_safety_messages import (count, produce_known, record, snapshot, topic_facts, topics_with_prefix)

pytestmark = pytest.mark.timeout(900)
REMAP = [spec.key for spec in CATALOG]  # partition increases are these tests' subject (topics.acceptKeyRemap)
WRAPPER = str(Path(__file__).resolve().parents[2] / "tools" / "pulumi")
TOPIC = "kafka:index/topic:Topic"
LOCKED = ("the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete "
          "the lock file with `pulumi cancel`.")


def settings(bootstrap: str, prefix: str, **topics) -> dict:
    return {"cluster": {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT"},
            "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1, "protect": False,
                       "acceptKeyRemap": REMAP, **topics}}


@pytest.fixture(scope="module")
def s3():
    backend = S3Backend()
    yield backend
    backend.stop()


@pytest.fixture
def s3_stack(project, s3):
    """Makes stacks of the program whose engine runs with the S3 backend's env; destroys them after."""
    made = []

    def make(config: dict):
        name = f"it-{uuid.uuid4().hex[:8]}"
        (project.root / f"Pulumi.{name}.yaml").write_text(
            yaml.safe_dump({"config": {f"{NAMESPACE}:{k}": v for k, v in config.items()}}))
        made.append(auto.create_stack(stack_name=name, work_dir=str(project.root),
                                      opts=auto.LocalWorkspaceOptions(env_vars=s3.env)))
        return made[-1]

    yield make
    for stack in made:
        if s3.checkpoint_key(stack.name) not in s3.keys(".pulumi/stacks/"):
            continue  # the test removed it
        try:
            stack.cancel()  # a failed test may leave a lock behind
            stack.destroy(run_program=False)
        finally:
            stack.workspace.remove_stack(stack.name, force=True)


def ask_partitions(stack, bootstrap: str, prefix: str, partitions: int) -> None:
    stack.set_config(f"{NAMESPACE}:topics",
                     auto.ConfigValue(json.dumps(settings(bootstrap, prefix, partitions=partitions)["topics"])))


def recorded_partitions(checkpoint: dict) -> dict[str, int]:
    return {r["outputs"]["name"]: r["outputs"]["partitions"] for r in checkpoint["resources"] if r["type"] == TOPIC}


def wrapper(s3, *args: str, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    """`tools/pulumi <args>` with the bucket's env: what a user of this project types."""
    env = {**os.environ, **s3.env}
    if popen:
        return subprocess.Popen([WRAPPER, *args], env=env, **popen)
    return subprocess.run([WRAPPER, *args], env=env, capture_output=True, text=True, timeout=300)


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:  # gone meanwhile
            continue
        if stat:
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    tree, queue = [], [pid]
    while queue:
        tree.append(queue.pop(0))
        queue.extend(children.get(tree[-1], ()))
    return tree


def test_up_keeps_its_state_in_the_bucket_then_noop_then_destroy(s3, s3_stack, plain_broker, prefix, engine_env):
    bootstrap = plain_broker["bootstrap_servers"]
    client = {"bootstrap.servers": bootstrap}
    names = sorted(prefix + s.default_name for s in CATALOG)
    stack = s3_stack(settings(bootstrap, prefix))
    key = s3.checkpoint_key(stack.name)
    assert stack.workspace.who_am_i().url == s3.url

    first = stack.up()
    assert first.summary.resource_changes == {"create": 7}
    assert topics_with_prefix(client, prefix) == names
    assert key in s3.keys(".pulumi/stacks/")
    saved = s3.checkpoint(stack.name)
    assert recorded_partitions(saved) == {name: 2 for name in names}
    # The 7 resources of the summary, and the engine's default `pulumi` provider (the prior-state invoke's).
    assert sorted(r["type"] for r in saved["resources"]) == sorted(
        ["pulumi:pulumi:Stack", "pulumi:providers:kafka", "evidentsource:kafka:Topics", *[TOPIC] * 4,
         "pulumi:providers:pulumi"])
    assert not saved.get("pending_operations")
    assert s3.keys(".pulumi/locks/") == []  # the run's lock is gone with it
    file_state = projectenv.file_backend_dir(engine_env["PULUMI_BACKEND_URL"])
    assert not list(file_state.glob(f".pulumi/stacks/*/{stack.name}.json*"))  # nothing went to the file backend

    second = stack.up()
    assert second.summary.resource_changes == {"same": 7}
    stack.destroy(run_program=False)
    assert topics_with_prefix(client, prefix) == []
    assert "resources" not in s3.checkpoint(stack.name)  # the stack's state is still there, and empty
    stack.workspace.remove_stack(stack.name)
    assert [k for k in s3.keys(".pulumi/stacks/") if stack.name in k] == [key + ".bak"]  # rm keeps a backup


def deployed_with_messages(s3_stack, bootstrap: str, prefix: str):
    """A stack up with known messages in its topics, now asking for 3 partitions; and what to compare with."""
    client = {"bootstrap.servers": bootstrap}
    names = [prefix + s.default_name for s in CATALOG]
    stack = s3_stack(settings(bootstrap, prefix))
    stack.up()
    produce_known(client, dict(zip([s.key for s in CATALOG], names)))
    before, ids = snapshot(client, names), topic_facts(client, names)
    ask_partitions(stack, bootstrap, prefix, 3)
    return stack, client, names, before, ids


def test_a_second_up_at_the_same_time_is_refused_by_the_buckets_lock(s3, s3_stack, plain_broker, prefix):
    bootstrap = plain_broker["bootstrap_servers"]
    stack, client, names, before, ids = deployed_with_messages(s3_stack, bootstrap, prefix)

    held = s3.hold_checkpoint(stack.name)  # the first `up`'s first save: it has the lock and waits there
    outcome: dict = {}

    def first_up() -> None:
        try:
            outcome["result"] = stack.up()
        except auto.CommandError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=first_up, daemon=True)
    thread.start()
    try:
        assert held.wait(240), "the first `up` never saved its checkpoint"
        (lock,) = s3.keys(s3.lock_dir(stack.name))
        holder = json.loads(s3.s3.get_object(Bucket=s3.bucket, Key=lock)["Body"].read())
        second = auto.select_stack(stack.name, work_dir=str(stack.workspace.work_dir),
                                   opts=auto.LocalWorkspaceOptions(env_vars=s3.env))
        with pytest.raises(auto.CommandError) as refused:
            second.up()
        text = str(refused.value)
        assert LOCKED in text, text[-3000:]
        assert f"\n  s3://{s3.bucket}/{lock}?" in text and f" (pid {holder['pid']}) at " in text, text[-3000:]
        assert s3.keys(s3.lock_dir(stack.name)) == [lock]  # the refused run left no lock of its own
    finally:
        s3.release(forward=True)
        thread.join(300)
    assert "result" in outcome, outcome.get("error")
    assert outcome["result"].summary.resource_changes == {"update": 4, "same": 3}
    assert s3.keys(s3.lock_dir(stack.name)) == []
    saved = s3.checkpoint(stack.name)
    assert recorded_partitions(saved) == {name: 3 for name in names} and not saved.get("pending_operations")
    assert topic_facts(client, names) == {t: (i, 3) for t, (i, _) in ids.items()}
    after = snapshot(client, names)
    assert after == before and set(stack.preview().change_summary) == {"same"}
    record("test_state_backend", "fault", "two `up`s of one stack at once on an S3 backend (first held mid-run by "
           "the bucket)", count(before), count(after), "second refused by the bucket's lock; first completed")


def test_an_up_killed_mid_run_leaves_its_lock_then_cancel_and_up_converge(s3, s3_stack, plain_broker, prefix):
    bootstrap = plain_broker["bootstrap_servers"]
    stack, client, names, before, ids = deployed_with_messages(s3_stack, bootstrap, prefix)
    root = str(stack.workspace.work_dir)

    # Held: the save that records the first topic's update, which Kafka has already applied (one step at a time).
    held = s3.hold_checkpoint(stack.name, lambda cp: 3 in recorded_partitions(cp["checkpoint"]["latest"]).values())
    log = Path(root) / "killed-up.log"
    with log.open("w") as out:
        run = wrapper(s3, "up", "--yes", "--skip-preview", "--non-interactive", "--parallel", "1",
                      "--stack", stack.name, "--cwd", root, stdout=out, stderr=subprocess.STDOUT,
                      start_new_session=True)
    try:
        assert held.wait(240), log.read_text()[-3000:]
        for pid in process_tree(run.pid):  # the engine, its language host, the program, the kafka provider
            os.kill(pid, signal.SIGKILL)
        assert run.wait(30) == -signal.SIGKILL
    finally:
        s3.release(forward=False)  # the dead run's held write never lands
        if run.poll() is None:
            run.kill()

    # What the bucket holds now: the dead run's lock, and its state with the interrupted step pending.
    (lock,) = s3.keys(s3.lock_dir(stack.name))
    assert json.loads(s3.s3.get_object(Bucket=s3.bucket, Key=lock)["Body"].read())["pid"] == run.pid
    saved = s3.checkpoint(stack.name)
    assert [(op["type"], op["resource"]["type"]) for op in saved["pending_operations"]] == [("updating", TOPIC)]
    assert recorded_partitions(saved) == {name: 2 for name in names}
    applied = [t for t, (_, partitions) in topic_facts(client, names).items() if partitions == 3]
    assert len(applied) == 1, applied  # Kafka has the one update the state never recorded

    refused = wrapper(s3, "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name, "--cwd", root)
    assert refused.returncode != 0 and LOCKED in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert s3.keys(s3.lock_dir(stack.name)) == [lock]
    cancel = wrapper(s3, "cancel", "--yes", "--stack", stack.name, "--cwd", root)
    assert cancel.returncode == 0, cancel.stderr
    assert f"The currently running update for '{stack.name}' has been canceled!" in cancel.stdout
    assert s3.keys(s3.lock_dir(stack.name)) == []

    # A plain `up` converges: the topic Kafka already changed is left as it is, the other three are updated.
    converged = stack.up()
    assert "with 1 pending operations from previous deployment" in converged.stdout, converged.stdout[-3000:]
    assert (f"the cluster has partitions 3 (the state says 2) for {applied[0]!r}, after an interrupted update"
            in converged.stdout), converged.stdout[-3000:]
    assert converged.summary.resource_changes == {"update": 3, "same": 4}
    assert topic_facts(client, names) == {t: (i, 3) for t, (i, _) in ids.items()}  # the same topics, none recreated
    after = snapshot(client, names)
    assert after == before
    saved = s3.checkpoint(stack.name)
    assert not saved.get("pending_operations")
    assert recorded_partitions(saved) == {name: 2 if name in applied else 3 for name in names}
    assert set(stack.preview().change_summary) == {"same"}
    stack.refresh()  # as the warning says: the state then records what the cluster has
    assert recorded_partitions(s3.checkpoint(stack.name)) == {name: 3 for name in names}
    settled = stack.preview()
    assert set(settled.change_summary) == {"same"} and "after an interrupted update" not in settled.stdout
    record("test_state_backend", "fault", "`up` (S3 backend) SIGKILLed with its process tree after Kafka applied a "
           "topic's update and before the state recorded it", count(before), count(after),
           f"plain `up` refused by the dead run's lock; `pulumi cancel`; `up` {converged.summary.resource_changes}; "
           "`pulumi refresh`")

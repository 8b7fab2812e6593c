"""Interrupted runs: Ctrl-C in the middle of `pulumi up` ends the program with one line, no traceback, and the
next `up` converges.

The real engine, through the project's `tools/pulumi` as a user runs it, on the session's plain broker. The run is
caught deterministically in the middle: `--parallel 1` makes the topics one step at a time, and once the first
topic's step has begun (the engine's event log says so) the broker is paused (SIGSTOP), so that step cannot finish
and the program is certainly still waiting for it. Then Ctrl-C, two ways:
- `kill -INT` of the pulumi CLI alone: the engine cancels, and the language host passes SIGINT on to the program;
- a terminal's Ctrl-C: SIGINT to the whole process group at once (CLI, language host, program, kafka provider).
The program must end at once, while the broker is still paused, with exactly one line (sdk_debug.INTERRUPTED) and
no Python traceback. The broker then resumes, the engine finishes the step under way (the first Ctrl-C cancels
gracefully) and exits non-zero. What it recorded matches the cluster; a plain `up` then creates the rest, keeps
the topics that were there (same topic ids, messages byte for byte), and a last `up --expect-no-changes` changes
nothing. Two fast checks of the handler itself (no engine) come first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from components import sdk_debug
from components.model.catalog import CATALOG
from test_data_safety_messages import produce_known, record, snapshot, teardown, topic_facts, topics_with_prefix

pytestmark = pytest.mark.timeout(600)
PROJECT = Path(__file__).resolve().parents[2]
WRAPPER = str(PROJECT / "tools" / "pulumi")
TOPIC = "kafka:index/topic:Topic"
PROGRAM = "pulumi-language-python-exec"


# --- the handler alone ------------------------------------------------------------------------------

HANDLER_ONLY = textwrap.dedent("""
    import ctypes, signal, sys, time
    from components import sdk_debug
    assert sdk_debug.stop_on_interrupt()
    print("ready", flush=True)
    if sys.argv[1] == "c-code":  # SIGINT blocked in the main thread, which sleeps in C: only the watcher can act
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        ctypes.CDLL(None).sleep(30)
    else:
        while True:
            sum(range(1000))
""")


@pytest.mark.parametrize("main_thread", ["python", "c-code"])
def test_the_first_sigint_ends_the_program_with_one_line_and_the_shown_message_code(main_thread):
    started = time.monotonic()
    program = subprocess.Popen([sys.executable, "-c", HANDLER_ONLY, main_thread], cwd=PROJECT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert program.stdout.readline() == "ready\n"
        program.send_signal(signal.SIGINT)
        program.send_signal(signal.SIGINT)  # the host's SIGINT and the process group's: still one line
        _, err = program.communicate(timeout=10)
    finally:
        program.kill()
    assert (program.returncode, err) == (sdk_debug.MESSAGE_SHOWN, sdk_debug.INTERRUPTED + "\n")
    assert time.monotonic() - started < 5


# --- Ctrl-C in the middle of `pulumi up` ----------------------------------------------------------------

def settings(bootstrap: str, prefix: str) -> dict:
    return {"cluster": {"bootstrapServers": [bootstrap], "securityProtocol": "PLAINTEXT"},
            "topics": {"namePrefix": prefix, "partitions": 2, "replicationFactor": 1, "protect": False}}


def pulumi(env: dict, *args: str, **popen) -> subprocess.Popen | subprocess.CompletedProcess:
    """`tools/pulumi <args>`: what a user of this project types."""
    if popen:
        return subprocess.Popen([WRAPPER, *args], env=env, **popen)
    return subprocess.run([WRAPPER, *args], env=env, capture_output=True, text=True, timeout=300)


def children(pid: int) -> list[int]:
    """The descendants of `pid`, from /proc."""
    parent_of = {}
    for entry in Path("/proc").iterdir():
        try:
            parent_of[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        kids = [p for p, parent in parent_of.items() if parent == current]
        found += kids
        queue += kids
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def program_pid(cli: int) -> int | None:
    """The Python program the engine runs (the SDK's exec script), if it runs."""
    for pid in children(cli):
        try:
            if PROGRAM in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") and running(pid):
                return pid
        except OSError:
            continue
    return None


def topic_step_began(event_log: Path) -> bool:
    lines = event_log.read_text().splitlines() if event_log.exists() else []
    for line in lines:
        try:
            pre = json.loads(line).get("resourcePreEvent")
        except ValueError:
            continue  # a line still being written
        if pre and pre["metadata"]["type"] == TOPIC:
            return True
    return False


def wait_for(condition, timeout: float, what: str, log: Path, run: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline and run.poll() is None, \
            f"{what} within {timeout} s; the run so far:\n{log.read_text()[-3000:]}"
        time.sleep(0.02)


def recorded_topics(env: dict, stack: str, root: str) -> dict[str, int]:
    exported = pulumi(env, "stack", "export", "--stack", stack, "--cwd", root)
    assert exported.returncode == 0, exported.stderr
    resources = json.loads(exported.stdout)["deployment"].get("resources") or []
    return {r["outputs"]["name"]: r["outputs"]["partitions"] for r in resources if r["type"] == TOPIC}


def diagnostics(output: str) -> str:
    return output.split("Diagnostics:", 1)[1].split("Resources:", 1)[0] if "Diagnostics:" in output else ""


@pytest.mark.parametrize("ctrl_c", ["cli", "terminal"], ids=["kill-INT-the-cli", "terminal-ctrl-c-to-the-group"])
def test_ctrl_c_mid_up_ends_with_one_line_no_traceback_then_up_converges(project, plain_broker, prefix, engine_env,
                                                                          tmp_path, ctrl_c):
    bootstrap = plain_broker["bootstrap_servers"]
    client, broker_pid = {"bootstrap.servers": bootstrap}, plain_broker["pid"]
    by_key = {spec.key: prefix + spec.default_name for spec in CATALOG}
    names = list(by_key.values())
    stack = project.stack(settings(bootstrap, prefix))
    root, events, log = str(project.root), tmp_path / "events.jsonl", tmp_path / "interrupted-up.log"
    try:
        with log.open("w") as out:
            # --event-log is one of the CLI's debug flags; the automation API sets the same variable
            run = pulumi({**engine_env, "PULUMI_DEBUG_COMMANDS": "true"}, "up", "--yes", "--skip-preview", "--parallel", "1", "--event-log", str(events),
                         "--stack", stack.name, "--cwd", root, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True)
        try:
            wait_for(lambda: topic_step_began(events), 240, "a topic's step began", log, run)
            os.kill(broker_pid, signal.SIGSTOP)  # that step cannot finish: the program surely still runs
            program = program_pid(run.pid)
            assert program is not None, log.read_text()[-3000:]
            os.kill(run.pid, signal.SIGINT) if ctrl_c == "cli" else os.killpg(run.pid, signal.SIGINT)
            wait_for(lambda: not running(program), 10, "the program ended at Ctrl-C, the broker still paused", log, run)
        finally:
            os.kill(broker_pid, signal.SIGCONT)
        assert run.wait(240) != 0
        output = log.read_text()
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
        assert diagnostics(output).count(sdk_debug.INTERRUPTED) == 1, output
        assert "^C received; cancelling" in output, output

        # What the interrupted run recorded is on the cluster, as recorded: one topic or two, not all four.
        done = recorded_topics(engine_env, stack.name, root)
        assert 0 < len(done) < len(names), (done, output)
        assert topics_with_prefix(client, prefix) == sorted(done)
        assert {name: partitions for name, (_, partitions) in topic_facts(client, names).items()} == done
        ids = topic_facts(client, names)
        produce_known(client, {key: name for key, name in by_key.items() if name in done})
        before = snapshot(client, sorted(done))

        converged = pulumi(engine_env, "up", "--yes", "--skip-preview", "--stack", stack.name, "--cwd", root)
        assert converged.returncode == 0, converged.stdout[-3000:] + converged.stderr
        facts = topic_facts(client, names)
        assert sorted(facts) == sorted(names) and {p for _, p in facts.values()} == {2}
        assert {name: facts[name] for name in ids} == ids  # the topics the interrupted run made were kept
        assert snapshot(client, sorted(done)) == before
        again = pulumi(engine_env, "up", "--yes", "--expect-no-changes", "--stack", stack.name, "--cwd", root)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr
        record("test_interrupted_runs", "fault", f"Ctrl-C ({ctrl_c}) in the middle of `up`, a topic step under way",
               sum(len(v) for v in before.values()), sum(len(v) for v in snapshot(client, sorted(done)).values()),
               f"one line, no traceback; {len(done)} of 4 topics recorded; `up` converged, then no changes")
    finally:
        if "run" in locals() and run.poll() is None:  # a failed check: end the run, and the lock it leaves
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(30)
            pulumi(engine_env, "cancel", "--yes", "--stack", stack.name, "--cwd", root)
        teardown(stack)

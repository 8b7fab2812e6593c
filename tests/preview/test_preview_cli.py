"""tools/preview/report.py as CI runs it: arguments, files written, exit codes.

The preview itself comes from a stand-in `pulumi` (a script that records how it was called
and prints a saved preview); the real engine is in tests/integration/test_preview_report.py.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
REPORT = [sys.executable, "-m", "tools.preview.report"]  # as the workflows run it, from any directory
DATA = HERE / "data"


def report(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*REPORT, *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=60)


def fake_pulumi(tmp_path: Path, output: str, exit_code: int = 0, stderr: str = "") -> tuple[str, Path]:
    """A `pulumi` stand-in: records argv and the streaming switch, prints output."""
    calls = tmp_path / "calls.json"
    (tmp_path / "out.txt").write_text(output)
    script = tmp_path / "pulumi"
    script.write_text(f"""#!{sys.executable}
import json, os, sys
with open({str(calls)!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "stream": os.environ.get("PULUMI_ENABLE_STREAMING_JSON_PREVIEW")}}) + "\\n")
sys.stdout.write(open({str(tmp_path / "out.txt")!r}).read())
sys.stderr.write({stderr!r})
sys.exit({exit_code})
""")
    script.chmod(0o755)
    return str(script), calls


def test_from_a_saved_file_writes_markdown_and_summary(tmp_path):
    md, summary = tmp_path / "p.md", tmp_path / "s.txt"
    done = report("--from", str(DATA / "replace.json"), "--markdown", str(md), "--summary", str(summary))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert md.read_text() == (HERE / "golden" / "replace.md").read_text()
    assert summary.read_text() == "staging: 0 to create, 2 to update, 1 to replace, 0 to delete; access changes: " \
                                  "9 gained, 9 lost; DATA LOSS risk: 1 (accepted)\n"
    assert done.stderr.strip().endswith("DATA LOSS risk: 1 (accepted)")


def test_stdin_and_stdout():
    done = report("--from", "-", stdin=(DATA / "empty.json").read_text())
    assert done.returncode == 0 and done.stdout.startswith("### Pulumi preview of stack `staging`")


def test_runs_pulumi_preview_as_events_with_the_policy_pack(tmp_path):
    pulumi, calls = fake_pulumi(tmp_path, (DATA / "policy-violation.jsonl").read_text(), exit_code=255)
    saved = tmp_path / "raw.jsonl"
    done = report("--stack", "staging", "--cwd", "/somewhere", "--policy-pack", "policy", "--pulumi", pulumi,
                  "--save-json", str(saved), "--", "--parallel", "4")
    assert done.returncode == 3, done.stderr
    (call,) = [json.loads(line) for line in calls.read_text().splitlines()]
    assert call == {"argv": ["preview", "--json", "--non-interactive", "--stack", "staging", "--cwd", "/somewhere",
                             "--policy-pack", "policy", "--parallel", "4"], "stream": "true"}
    assert "topic-min-retention-12h" in done.stdout
    assert saved.read_text() == (DATA / "policy-violation.jsonl").read_text()


def test_a_pulumi_command_with_arguments(tmp_path):
    pulumi, calls = fake_pulumi(tmp_path, (DATA / "empty.json").read_text())
    done = report("--stack", "dev", "--pulumi", f"{shlex.quote(sys.executable)} {shlex.quote(pulumi)}")
    assert done.returncode == 0, done.stderr
    assert json.loads(calls.read_text())["argv"][:2] == ["preview", "--json"]


def test_pulumi_printing_no_json_is_a_failed_preview_with_its_words(tmp_path):
    pulumi, _ = fake_pulumi(tmp_path, "", exit_code=255, stderr="error: no stack named 'staging' found\n")
    done = report("--stack", "staging", "--pulumi", pulumi)
    assert done.returncode == 3
    assert "no stack named 'staging' found" in done.stdout
    assert "staging: 0 to create, 0 to update, 0 to replace, 0 to delete; preview FAILED" in done.stderr


def test_a_missing_pulumi_is_said_plainly(tmp_path):
    done = report("--stack", "staging", "--pulumi", str(tmp_path / "no-such-pulumi"))
    assert done.returncode == 1 and "was not found; install Pulumi or pass --pulumi" in done.stderr


def test_output_that_is_not_a_preview_exits_1(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("<html>rate limited</html>")
    done = report("--from", str(bad))
    assert done.returncode == 1 and "not the JSON of `pulumi preview --json`" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--stack", "s", "--", "--show-secrets"], "--show-secrets is refused"),
    (["--stack", "s", "--", "--show-secrets=true"], "--show-secrets is refused"),
    (["--from", "x.json", "--policy-pack", "policy"], "only apply when running the preview"),
    (["--markdown", "x.md"], "one of the arguments --stack --from is required"),
])
def test_refused_arguments(args, message):
    done = report(*args)
    assert done.returncode == 1 and message in done.stderr  # never 2, which means data loss

"""The GitHub Actions workflows: actionlint passes on each, and the rules of issue 5 hold.

actionlint v1.7.12 is built from its Go module (the PyPI wrapper downloads its binary
at build time, which cannot work without internet) into the project's per-user cache:
    GOBIN=~/.cache/evidentsource-kafka/actionlint-v1.7.12 go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
or named by $ACTIONLINT. When shellcheck is on PATH, actionlint also checks every `run:` script.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tools.toolchain import projectenv

PROJECT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.y*ml"))
INSTALL = "make bootstrap (it builds actionlint from its Go module)"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def actionlint() -> str:
    candidates = [os.environ.get("ACTIONLINT"),
                  str(projectenv.actionlint_path()),
                  shutil.which("actionlint")]
    found = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if found is None:
        pytest.fail(f"actionlint is missing, so the workflows cannot be checked: {INSTALL}  (or set ACTIONLINT)",
                    pytrace=False)
    return found


def run_actionlint(*paths: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": os.pathsep.join([str(projectenv.VENV / "bin"), os.environ.get("PATH", "")])}
    return subprocess.run([actionlint(), "-no-color", *map(str, paths)], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=120)


def load(name: str) -> dict:
    # PyYAML reads the key `on` as True.
    return yaml.safe_load((PROJECT / ".github" / "workflows" / name).read_text())


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def test_the_workflows_exist():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "drift.yml", "preview.yml", "pulumi-up.yml"]


def test_a_daily_workflow_reports_the_drift_of_every_shared_stack_and_fails_on_any():
    workflow = load("drift.yml")
    assert "schedule" in workflow[True]
    (job,) = workflow["jobs"].values()
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["staging", "prod"]
    run = next(s["run"] for s in job["steps"] if "-m tools.ops.drift" in s.get("run", ""))
    assert '--stack "$STACK"' in run and "exit 1" in run


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(path):
    done = run_actionlint(path)
    assert done.returncode == 0, f"actionlint found problems in {path.name}:\n{done.stdout}{done.stderr}"


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ github.event.pull_request.titel }}\n      - uses: actions/checkout\n")
    done = run_actionlint(broken)
    assert done.returncode == 1 and "broken.yml" in done.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    for line in path.read_text().splitlines():
        if match := re.match(r"^\s*(-\s+)?uses:\s*(\S+)(.*)$", line):
            action, comment = match.group(2), match.group(3)
            if action.startswith("./"):
                continue  # this repository's own reusable workflow
            assert PINNED.match(action), f"{path.name}: {action} is not pinned to a full commit SHA"
            assert re.search(r"#\s*v\d+\.\d+\.\d+", comment), f"{path.name}: {action} has no `# vX.Y.Z` comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_come_from_settings_never_from_files(path):
    text = path.read_text()
    assert not re.search(r"(?i)(password|passphrase|token|secret)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{8,}", text.replace(
        "${{ secrets.", "").replace("${{ vars.", "")), f"{path.name} seems to hold a credential"
    for value in re.findall(r"PULUMI_\w+:\s*(.+)", text):
        assert value.startswith(("${{ secrets.", "${{ vars.")), f"{path.name}: {value}"


def test_pull_requests_preview_every_shared_stack_with_the_policy_pack():
    workflow = load("preview.yml")
    assert "pull_request" in workflow[True]
    (job,) = workflow["jobs"].values()
    stacks = [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]
    assert stacks == ["staging", "prod"]  # dev targets a laptop broker
    assert job["permissions"]["pull-requests"] == "write"
    run = next(s["run"] for s in job["steps"] if "-m tools.preview.report" in s.get("run", ""))
    assert '--stack "$STACK" --policy-pack policy' in run
    comment = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/github-script@"))
    assert "evidentsource-kafka preview: ${stack}" in comment["with"]["script"]  # one comment per stack
    assert "updateComment" in comment["with"]["script"]
    assert workflow["concurrency"]["cancel-in-progress"] is True


def test_main_deploys_staging_then_production_behind_its_environment():
    deploy = load("deploy.yml")
    assert deploy[True]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["staging"]["with"]["stack"] == "staging" and jobs["prod"]["with"]["stack"] == "prod"
    assert jobs["prod"]["needs"] == "staging" and jobs["prod"]["with"]["environment"] == "production"
    assert jobs["prod"]["with"]["aws"] is True
    up = load("pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"] == {"group": "pulumi-stack-${{ inputs.stack }}", "cancel-in-progress": False}
    commands = [s.get("run", "") for s in up["steps"]]
    assert any("pulumi up --stack \"$STACK\" --yes --non-interactive --policy-pack policy" in c for c in commands)
    gate = next(c for c in commands if "-m tools.preview.report" in c)
    assert commands.index(gate) < next(i for i, c in enumerate(commands) if c.startswith("pulumi up"))


def test_the_bridge_pages_ci_snippet_fits_the_workflows(tmp_path):
    """docs/operations/bridge.md shows how to wire the bridge stack in; applied to the workflows, actionlint passes."""
    page = (PROJECT / "docs" / "operations" / "bridge.md").read_text()
    (snippet,) = re.findall(r"^```yaml\n(.*?)^```", page, flags=re.S | re.M)
    matrix, job = re.split(r"^# .github/workflows/deploy.yml.*\n", snippet.split("\n", 1)[1], flags=re.M)
    assert yaml.safe_load(matrix) == [{"stack": "bridge", "aws": True}]
    bridge, prod = yaml.safe_load(job)["bridge"], load("deploy.yml")["jobs"]["prod"]
    assert bridge["with"]["stack"] == "bridge" and bridge["with"]["aws"] is True
    assert {k: v for k, v in bridge.items() if k not in ("with", "needs")} == {
        k: v for k, v in prod.items() if k not in ("with", "needs")} and bridge["with"].keys() == prod["with"].keys()
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".github" / "workflows"
    shutil.copytree(PROJECT / ".github" / "workflows", workflows)
    prod_entry = "          - stack: prod"
    for name in ("preview.yml", "drift.yml"):
        text = (workflows / name).read_text()
        at = text.index("\n", text.index("aws: true", text.index(prod_entry))) + 1
        (workflows / name).write_text(text[:at] + matrix + text[at:])
        assert [e["stack"] for e in next(iter(yaml.safe_load((workflows / name).read_text())["jobs"].values()))[
            "strategy"]["matrix"]["include"]] == ["staging", "prod", "bridge"]
    deploy = (workflows / "deploy.yml").read_text().replace('"Pulumi.prod.yaml"\n', '"Pulumi.prod.yaml"\n      - "Pulumi.bridge.yaml"\n')
    (workflows / "deploy.yml").write_text(deploy.rstrip("\n") + "\n\n" + job)
    assert yaml.safe_load((workflows / "deploy.yml").read_text())["jobs"]["bridge"]["needs"] == "staging"
    done = run_actionlint(*sorted(workflows.glob("*.yml")))
    assert done.returncode == 0, f"the bridge page's CI snippet breaks the workflows:\n{done.stdout}{done.stderr}"


def test_aws_credentials_only_by_oidc():
    for name in ("preview.yml", "pulumi-up.yml", "drift.yml"):
        workflow = load(name)
        for step in steps(workflow):
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                assert set(step["with"]) == {"role-to-assume", "aws-region", "role-session-name"}
                assert step["with"]["role-to-assume"].startswith("${{ vars.AWS_")
        (job,) = workflow["jobs"].values()
        assert job["permissions"]["id-token"] == "write"

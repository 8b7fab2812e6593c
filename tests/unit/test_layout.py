"""The layout holds: the program's folders are its pipeline, imports point only down it, and the repo
needs no path tricks. Each check reads the working tree, so it fails on the commit that breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.toolchain.projectenv import PROJECT, VENV

PROGRAM = PROJECT / "components"
LINT_IMPORTS = VENV / "bin" / "lint-imports"


def program_modules() -> list[Path]:
    return sorted(p for p in PROGRAM.rglob("*.py") if "__pycache__" not in p.parts)


def tracked_python() -> list[Path]:
    listed = subprocess.run(["git", "-C", str(PROJECT), "ls-files", "*.py", "tools/pulumi"], check=True,
                            capture_output=True, text=True).stdout.split()
    return [PROJECT / p for p in listed if (PROJECT / p).exists()]


def test_no_file_edits_the_import_path():
    edit = "sys." + "path"  # spelled apart so this file does not find itself
    found = [f"{p.relative_to(PROJECT)}:{n}" for p in tracked_python()
             for n, line in enumerate(p.read_text().splitlines(), 1) if edit in line]
    assert found == [], f"{edit} edited in {found}: import by package name (the project is installed, pyproject.toml)"


def test_the_program_knows_nothing_of_tests():
    found = [str(p.relative_to(PROJECT)) for p in program_modules()
             if any(word in p.read_text() for word in ("MockMonitor", "pulumi.runtime.mocks", "pytest"))]
    assert found == [], f"the program mentions the unit-test harness in {found}: pass readers in instead"


def test_no_module_of_the_program_is_over_300_lines():
    long = {str(p.relative_to(PROJECT)): n for p in program_modules() if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}, f"split these by concern: {long}"


def test_the_handbooks_layout_table_lists_every_file_of_the_program():
    layout = (PROJECT / "docs" / "reference" / "layout.md").read_text()
    missing = [str(p.relative_to(PROJECT)) for p in program_modules()
               if p.name != "__init__.py" and f"`{p.relative_to(PROJECT).as_posix()}`" not in layout]
    assert missing == [], f"docs/reference/layout.md's table does not list {missing}"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: run `make bootstrap` (import-linter is in requirements.txt)")
    return subprocess.run([str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, env={"PATH": str(VENV / "bin"), "PYTHONPATH": str(cwd)})


def test_imports_point_only_down_the_pipeline():
    done = lint_imports(PROJECT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


@pytest.mark.parametrize("module, upward", [
    ("model/catalog.py", "from components.config import schema"),  # the model reaching up into config
    ("safety/assess.py", "from components.resources import topics"),  # safety reaching up into resources
    ("model/names.py", "import pulumi"),  # the pure model using Pulumi
    ("config/load.py", "from tools.toolchain import projectenv"),  # the program leaning on a tool
])
def test_the_contract_catches_an_import_pointing_up(tmp_path, module, upward):
    """The same contract on a copy of the program with one import added where it must not be."""
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    shutil.copytree(PROGRAM, tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "components" / module
    target.write_text(target.read_text() + f"\n{upward}  # added by the test\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0 and "BROKEN" in done.stdout, done.stdout[-3000:]
    assert f"components.{module.removesuffix('.py').replace('/', '.')}" in done.stdout


def test_the_program_runs_from_a_copy_without_the_project_on_the_path(tmp_path):
    """Tests and the benchmark run copies of the program: the copy's own modules must be the ones imported."""
    shutil.copytree(PROGRAM, tmp_path / "components", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "components" / "model" / "names.py").write_text(
        (PROGRAM / "model" / "names.py").read_text() + '\nCOPY_MARKER = "the copy"\n')
    done = subprocess.run([sys.executable, "-c", "from components.model import names; print(names.COPY_MARKER)"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip() == "the copy", done.stderr[-2000:]

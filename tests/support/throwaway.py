"""A copy of the program in a directory of its own: what the tests and the benchmark run the engine on.

The copy holds the program files (the working tree's, or those committed at a git ref), and
its Pulumi.yaml points at the project's venv, so stack files written next to it and stacks
created from it never touch the repository. Standard library and PyYAML only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tools.toolchain import projectenv

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "components")


def copy_program(root: Path, ref: str | None = None) -> Path:
    """Copy the program to `root` (created; must not exist yet) and return it."""
    root.mkdir(parents=True)
    if ref:
        archive = subprocess.run(["git", "-C", str(projectenv.PROJECT), "archive", ref, *PROGRAM_FILES],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    else:
        for name in PROGRAM_FILES:
            src = projectenv.PROJECT / name
            if src.is_dir():
                shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, root / name)
    settings = yaml.safe_load((root / "Pulumi.yaml").read_text())
    settings["runtime"]["options"]["virtualenv"] = str(projectenv.VENV)
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return root

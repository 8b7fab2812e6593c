"""The README and the handbook (docs/, MkDocs): short, every link resolving, the reference pages generated from
the code, and the whole site building with --strict (a broken link or anchor, or a page not in the nav, fails)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from mocking import PROJECT
from tools.docs import reference

MKDOCS = PROJECT / ".venv" / "bin" / "mkdocs"


def test_the_readme_reads_in_five_minutes_and_fills_in_every_figure():
    readme = (PROJECT / "README.md").read_text()
    assert len(readme) <= 12_000, len(readme)
    assert not re.search(r"\b(BOOTSTRAP|TIME|FIGURE|TODO|TBD)_?[A-Z_]*\b", readme), "an unfilled placeholder"
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith(("http://", "https://")):
            assert (PROJECT / target).exists(), f"README links to {target}, which does not exist"


@pytest.mark.parametrize("name", sorted(reference.PAGES))
def test_each_reference_page_is_what_the_code_gives(name):
    assert (PROJECT / "docs" / "reference" / name).read_text() == reference.PAGES[name](), \
        "stale: run `.venv/bin/python -m tools.docs.reference`"


def test_every_setting_and_output_is_in_the_reference():
    from components.config import schema
    from components.model import names
    settings = (PROJECT / "docs" / "reference" / "settings.md").read_text()
    for model in {m for m in vars(schema).values() if isinstance(m, type) and issubclass(m, schema._Model)
                  and m is not schema._Model}:
        for field, info in model.model_fields.items():
            assert f"| `{info.alias or field}` |" in settings, (model.__name__, field)
    outputs = (PROJECT / "docs" / "reference" / "outputs.md").read_text()
    exported = re.findall(r"pulumi\.export\(names\.(\w+)", (PROJECT / "components" / "program.py").read_text())
    assert {getattr(names, e) for e in exported} == set(names.OUTPUTS)
    assert all(f"| `{key}` |" in outputs for key in names.OUTPUTS)


def test_the_handbook_builds_strict(tmp_path):
    if not MKDOCS.exists():
        pytest.fail(f"{MKDOCS} is missing: run `make bootstrap` (mkdocs is in requirements.txt)", pytrace=False)
    done = subprocess.run([str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=PROJECT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "operations" / "consumers" / "index.html").exists()


def test_a_broken_link_fails_the_strict_build(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\n[gone](nowhere.md)\n")
    (tmp_path / "mkdocs.yml").write_text((PROJECT / "mkdocs.yml").read_text().split("nav:", 1)[0])
    done = subprocess.run([str(MKDOCS), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode != 0 and "nowhere.md" in done.stdout + done.stderr


def test_every_secret_the_pages_set_is_given_after_the_end_of_options():
    """A generated password may begin with '-' (token_urlsafe does, one time in 64): without `--` the engine reads
    it as a flag and the page fails half-way (CI saw `unknown shorthand flag: 'J' in -JYs6...`)."""
    pages = sorted((PROJECT / "docs").rglob("*.md")) + [PROJECT / "README.md"]
    commands = [(page.name, command) for page in pages
                for command in re.sub(r"\\\n\s*", " ", page.read_text()).splitlines()
                if re.search(r"pulumi config set\b.*--secret\b", command) and "`" not in command]
    assert commands, "no page sets a secret: this test checks nothing"
    for page, command in commands:
        assert " -- " in command, f"{page}: the secret is not after `--`: {command}"

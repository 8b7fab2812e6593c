"""Every refusal code the program can raise is in the one table (refusals.TABLE), and the handbook's
reference page is generated from it; nothing else is in either."""

from __future__ import annotations

import re

from components.safety import refusals
from mocking import PROJECT
from tools.docs import reference


def program_codes() -> set[str]:
    codes: set[str] = set()
    for name, value in vars(refusals).items():
        if name.isupper() and isinstance(value, str) and ":" in value and value not in refusals.WARNING_CODES:
            codes.add(value)
        elif name.isupper() and name != "TABLE" and isinstance(value, dict):
            codes |= set(value.values())
    return codes


def test_the_table_lists_every_refusal_code_and_nothing_else():
    assert set(refusals.TABLE) == program_codes()
    assert all(what and override for what, override in refusals.TABLE.values())


def test_the_handbooks_refusal_page_is_generated_from_the_table():
    page = (PROJECT / "docs" / "reference" / "refusals.md").read_text()
    assert page == reference.refusals_page(), "run `.venv/bin/python -m tools.docs.reference`"
    listed = {code for row in page.splitlines() if row.startswith("| `[")
              for code in re.findall(r"`\[([a-z-]+:[a-z-]+)\]`", row.split("|")[1])}
    assert listed == program_codes()

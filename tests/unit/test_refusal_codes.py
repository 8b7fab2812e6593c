"""Every refusal code the program can raise is in the README's data-safety table, and nothing else is."""

from __future__ import annotations

import re

from components.safety import refusals
from mocking import PROJECT


def program_codes() -> set[str]:
    codes: set[str] = set()
    for name, value in vars(refusals).items():
        if name.isupper() and isinstance(value, str) and ":" in value and value not in refusals.WARNING_CODES:
            codes.add(value)
        elif name.isupper() and isinstance(value, dict):
            codes |= set(value.values())
    return codes


def test_the_readme_table_lists_every_refusal_code():
    section = (PROJECT / "README.md").read_text().split("## Adoption and data safety", 1)[1].split("\n## ", 1)[0]
    table = {code for row in section.splitlines() if row.startswith("| `[")
             for code in re.findall(r"`\[([a-z-]+:[a-z-]+)\]`", row.split("|")[1])}
    assert table == program_codes()

"""The benchmark cannot rot: its code runs end to end with the smallest sizes and one run.

Real brokers, the real engine and the seed's real admin commands, as `make bench` uses
them, but one run, no warm-up and a 2-consumer scale step. Only the report's shape and
the work's counts are checked, never a timing: the machine is shared.
"""

from __future__ import annotations

import json
import re

import pytest

from bench import report, run

pytestmark = pytest.mark.timeout(900)

# The ACL stack with one external consumer (Pulumi.staging.yaml's shape): 4 topics, 4 SCRAM users and
# 38 ACLs (server: 4 topics x the 8 operations of the vendor's `All`, and every group; Lambda 1; consumer:
# 2 topics and its group; producer 1).
BASE_WORK = 4 + 4 + 38
SEED_WORK = 4 + 10  # four topics and the seven commands' ten bindings
PER_CONSUMER = 1 + 3  # one SCRAM user and three ACLs (two topic Reads, one group Read)


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of cells (header first, separator dropped)."""
    found, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(cells(line))
        elif current:
            found.append([row for i, row in enumerate(current) if i != 1])
            current = []
    return found


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-results")
    assert run.main(["--sizes", "2", "--runs", "1", "--warmup", "0", "--out", str(out)]) == 0
    return out


def test_every_measurement_has_one_sample_with_its_context(results):
    data = json.loads((results / "bench.json").read_text())
    entries = {(e["key"], e["size"]): e for e in data["entries"]}
    assert set(entries) == {
        ("seed", 1), ("floor-seed", 1), ("preview-create", 1), ("up", 1), ("preview-noop", 1),
        ("preview-noop-refresh", 1), ("preview-change", 1), ("floor", 1), ("dev-preview-noop", 0),
        ("up", 2), ("up-fast", 2), ("preview-noop", 2), ("preview-noop-refresh", 2), ("preview-noop-nolog", 2),
        ("preview-change", 2), ("floor", 2),
        ("tofu-apply", 2), ("tofu-plan-noop", 2), ("tofu-plan-noop-refresh", 2), ("tofu-plan-change", 2)}
    for key, entry in entries.items():
        (sample,) = entry["samples"]
        # `tofu plan -detailed-exitcode` exits 2 when it found the change it was given
        assert sample["wall_s"] > 0 and sample["load"] >= 0, key
        assert sample["returncode"] == (2 if key[0] == "tofu-plan-change" else 0), key
        if key[0] not in ("floor", "floor-seed"):
            assert sample["peak_rss"] > 0, key
    for key in ("up", "preview-noop"):
        assert {"engine", "language host", "python program", "provider"} <= set(entries[(key, 1)]["samples"][0]["cpu_s"])
    assert data["machine"]["cores"] >= 1 and data["machine"]["memory_gib"] > 0
    assert data["settings"]["runs"] == 1


def test_counts_are_the_work_each_procedure_really_does(results):
    entries = {(e["key"], e["size"]): e["resources"] for e in json.loads((results / "bench.json").read_text())["entries"]}
    assert entries[("floor-seed", 1)] == SEED_WORK
    assert entries[("floor", 1)] == BASE_WORK
    assert entries[("floor", 2)] == BASE_WORK + PER_CONSUMER
    # The program: the stack, the provider, three components, four topics, one resource per role holding its
    # ACL bindings, one holding every SCRAM user and the access record, whatever the number of consumers.
    assert entries[("up", 1)] == entries[("preview-noop", 1)] == entries[("preview-change", 1)] == 15
    assert entries[("up", 2)] == entries[("up-fast", 2)] == entries[("up", 1)]
    assert entries[("preview-noop-nolog", 2)] == entries[("preview-noop", 2)]  # only at the largest size
    assert entries[("dev-preview-noop", 0)] == 7  # stack, provider, component, four topics
    # The peer manages exactly the floor's work: the same topics, bindings and SCRAM users, no more, no less.
    assert entries[("tofu-apply", 2)] == entries[("floor", 2)]
    assert {entries[(k, 2)] for k in ("tofu-plan-noop", "tofu-plan-noop-refresh", "tofu-plan-change")} == {
        entries[("floor", 2)]}


def printed(text: str) -> tuple[float, float]:
    """The values a number printed as `text` may have had before rounding (half a unit of its last digit)."""
    decimals = len(text.partition(".")[2])
    half = 0.5 * 10 ** -decimals
    return float(text) - half, float(text) + half


def ratio_agrees(ours: str, theirs: str, ratio: str) -> bool:
    """Whether `ratio` (printed) can be the quotient of the values printed as `ours` and `theirs`."""
    (ours_low, ours_high), (theirs_low, theirs_high), (low, high) = printed(ours), printed(theirs), printed(ratio)
    return ours_low / theirs_high <= high and low <= ours_high / theirs_low


def test_a_ratio_is_checked_against_what_its_printed_medians_allow():
    assert ratio_agrees("1.27", "0.21", "5.91")  # what CI printed: 1.27 / 0.21 is 6.05, the raw medians gave 5.91
    assert ratio_agrees("12.40", "3.10", "4.00")
    assert not ratio_agrees("1.27", "0.21", "5.30") and not ratio_agrees("1.27", "0.21", "6.50")
    assert not ratio_agrees("12.40", "3.10", "4.10")


def test_markdown_report_is_well_formed(results):
    markdown = (results / "bench.md").read_text()
    assert markdown.startswith("# Benchmark")
    assert re.search(r"Machine: \d+ cores .*, [\d.]+ GiB memory", markdown)
    main, targets, pairs, peer_targets, cpu = tables(markdown)
    for table in (main, targets, pairs, peer_targets, cpu):
        assert all(len(row) == len(table[0]) for row in table), table
    assert len(main) == 1 + 20
    assert {row[0] for row in main[1:]} == set(report.LABELS.values())
    for row in main[1:]:
        median, low, high = (float(x) for x in row[3:6])
        assert low <= median <= high
    assert len(targets) == 1 + 8
    assert {row[2] for row in targets[1:]} <= {"met", "**not met**", "not measured"}
    # One row per paired measurement at the scale step, the ratio computed from the two medians.
    assert [row[0] for row in pairs[1:]] == ["from empty, each CLI's defaults", "no-op, no refresh",
                                             "no-op, with refresh", "one change, no refresh"]
    for row in pairs[1:]:  # the ratio of the unrounded medians: within what the two printed ones allow
        assert ratio_agrees(row[3], row[4], row[5].removesuffix("x")), row
    assert len(peer_targets) == 1 + 5 and {row[2] for row in peer_targets[1:]} == {"not measured"}  # no 10 or 500


def test_plot_is_a_png(results):
    assert (results / "bench.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_bridge_benchmark_runs_end_to_end_and_reports_each_command(tmp_path):
    from bench import bridge
    assert bridge.main(["--databases", "2", "--out", str(tmp_path)]) == 0
    rows = [cells(line) for line in (tmp_path / "bridge.md").read_text().splitlines() if line.startswith("| 2 |")]
    assert [r[1] for r in rows] == ["up", "preview, no change", "up, one database added", "destroy"]
    assert all(float(r[2]) > 0 and int(r[3]) > 0 for r in rows), rows

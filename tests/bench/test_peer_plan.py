"""The OpenTofu peer's plan is measured again only after its provider's own transient connection errors.

A stand-in `tofu` (a shell script that plays back exit codes and outputs in order) replaces the real CLI,
so each path runs in milliseconds; the real peer runs in test_bench_smoke.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.peer import PLAN_RETRIES, Peer

LOST = "Error: kafka: broker not connected"


def peer_playing(tmp_path: Path, *replies: tuple[int, str]) -> tuple[Peer, Path]:
    """A Peer whose `tofu` answers each call with the next (exit code, output); the calls are counted."""
    calls = tmp_path / "calls"
    cases = "\n".join(f"  {i}) echo '{out}'; exit {code};;" for i, (code, out) in enumerate(replies, 1))
    tofu = tmp_path / "tofu"
    tofu.write_text(f'#!/bin/sh\necho x >> {calls}\nn=$(wc -l < {calls})\ncase $n in\n{cases}\n'
                    f"  *) echo 'called too often'; exit 99;;\nesac\n")
    tofu.chmod(0o755)
    return Peer(tmp_path / "work", {"tofu": tofu, "cli_config": tmp_path / "none.tfrc"}), calls


def test_a_plan_lost_to_the_providers_connection_is_measured_again_and_said(tmp_path, capsys):
    peer, calls = peer_playing(tmp_path, (1, LOST), (0, "No changes."))
    assert peer.plan(refresh=True, changes=False).returncode == 0
    assert len(calls.read_text().split()) == 2
    assert "lost its connection (kafka: broker not connected); measured again" in capsys.readouterr().out


def test_any_other_failure_fails_at_once(tmp_path):
    peer, calls = peer_playing(tmp_path, (1, "Error: Invalid resource type"), (0, "No changes."))
    with pytest.raises(RuntimeError, match="exit 1, expected 0"):
        peer.plan(refresh=True, changes=False)
    assert len(calls.read_text().split()) == 1


def test_unexpected_changes_fail_at_once(tmp_path):
    peer, calls = peer_playing(tmp_path, (2, "Plan: 1 to add"), (0, "No changes."))
    with pytest.raises(RuntimeError, match="exit 2, expected 0"):
        peer.plan(refresh=False, changes=False)
    assert len(calls.read_text().split()) == 1


def test_a_connection_lost_every_time_fails_after_the_retries(tmp_path):
    peer, calls = peer_playing(tmp_path, *[(1, LOST)] * (PLAN_RETRIES + 2))
    with pytest.raises(RuntimeError, match="broker not connected"):
        peer.plan(refresh=True, changes=True)
    assert len(calls.read_text().split()) == 1 + PLAN_RETRIES

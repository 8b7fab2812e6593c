"""Unit-test fixtures: fresh Pulumi mocks per test (helpers live in mocking.py)."""

from __future__ import annotations

import pulumi
import pytest

from mocking import RecordingMonitor, fresh_mocks


@pytest.fixture
def monitor() -> RecordingMonitor:
    recording = fresh_mocks()
    yield recording
    pulumi.runtime.set_all_config({}, [])

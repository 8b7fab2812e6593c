"""The test suite (tests/unit, tests/integration, tests/preview, tests/tooling, tests/bench); helpers in tests/support."""

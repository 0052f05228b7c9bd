"""The kill-anywhere sweep's account of what it tried, printed at the end of the run."""

from __future__ import annotations

from tests.faults.harness import SWEEP


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(SWEEP, [])
    if lines:
        terminalreporter.section("kill-anywhere sweep")
        for line in lines:
            terminalreporter.write_line(line)

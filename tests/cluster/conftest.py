"""The cluster test's wall times, printed at the end of the run whether or not output is captured."""

from __future__ import annotations

import pytest

WALL_TIMES = pytest.StashKey[list[str]]()


def pytest_configure(config):
    config.stash[WALL_TIMES] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(WALL_TIMES, [])
    if lines:
        terminalreporter.section("cluster run against local mode, same data")
        for line in lines:
            terminalreporter.write_line(line)

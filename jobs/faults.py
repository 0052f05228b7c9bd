"""Named points in a job where the recovery tests kill it, the way preemption or the OOM killer would.

Every Delta commit of the lake and every step between a job's commits calls `reached(point)`. In
production it only counts. The recovery tests (`make test-faults`) start a job in its own process
group with

    RAPPORT_KILL_AT=<point>#<n>     SIGKILL the whole group (the Python driver and its JVM) the n-th
                                    time <point> is reached: no `finally`, no shutdown hook runs
    RAPPORT_TRACE_POINTS=<file>     append every point reached, one a line, to <file>

and then run it again, and compare every table with a clean run's. Points are plain text such as
`committed silver.activities` or `conform: merged activities`.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

KILL_VARIABLE, TRACE_VARIABLE = "RAPPORT_KILL_AT", "RAPPORT_TRACE_POINTS"
_reached: Counter[str] = Counter()


def reached(point: str) -> None:
    """Count `point`; trace it and kill the process group there when the environment asks to."""
    _reached[point] += 1
    trace = os.environ.get(TRACE_VARIABLE)
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(f"{point}#{_reached[point]}\n")
    if os.environ.get(KILL_VARIABLE) == f"{point}#{_reached[point]}":
        # The whole group when this process leads it (the tests start jobs so); else itself alone,
        # and its JVM ends when it sees its parent gone.
        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def committed(table: str) -> None:
    """A Delta commit to `table` (`layer.table`) is durable."""
    reached(f"committed {table}")

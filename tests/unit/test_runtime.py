"""Steps run side by side: results in order, and a failure reaches the caller only once every step
that started has ended, the steps not started yet left out."""

from __future__ import annotations

import threading
import time

import pytest

from jobs.runtime import side_by_side


def test_steps_run_two_at_a_time_and_give_their_results_in_order():
    running, most, lock = 0, 0, threading.Lock()

    def step(value: int, seconds: float):
        def run() -> int:
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(seconds)
            with lock:
                running -= 1
            return value

        return run

    assert side_by_side([step(1, 0.2), step(2, 0.05), step(3, 0.05), step(4, 0.0)], workers=2) == [1, 2, 3, 4]
    assert most == 2


def test_one_worker_runs_the_steps_in_order_in_this_thread():
    threads = []
    assert side_by_side([lambda: threads.append(threading.get_ident()) or "a", lambda: "b"], workers=1) == ["a", "b"]
    assert threads == [threading.get_ident()]


def test_a_failed_step_is_raised_after_the_running_ones_end_and_the_waiting_ones_never_start():
    ended, started, slow_started = [], [], threading.Event()

    def failing():
        slow_started.wait(5)  # fails while the slow step runs beside it
        started.append("failing")
        raise ValueError("bronze.emails: broken")

    def slow():
        started.append("slow")
        slow_started.set()
        time.sleep(0.3)
        ended.append("slow")
        return "slow"

    def later():
        started.append("later")
        return "later"

    with pytest.raises(ValueError, match=r"bronze\.emails: broken"):
        side_by_side([failing, slow, later, later], workers=2)
    assert ended == ["slow"]  # the running step finished before the error reached us
    assert started == ["slow", "failing"]  # the steps waiting then never started


def test_of_two_failures_the_first_in_order_is_raised_and_the_other_logged(caplog):
    second_failed = threading.Event()

    def first():
        second_failed.wait(5)
        raise ValueError("silver.activities: broken")

    def second():
        try:
            raise KeyError("silver.record_links")
        finally:
            second_failed.set()

    with pytest.raises(ValueError, match=r"silver\.activities: broken"):
        side_by_side([first, second], workers=2)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "a step running beside the one that failed failed too: 'silver.record_links'"
    ]

"""The kill-anywhere harness: run Rapport's jobs as a scheduler would, kill one with SIGKILL at a named
point (`jobs.faults`), run it again, and compare every table of the lake with a clean run's.

A scenario is two days: a first day's landing zone (every table made from nothing, silver by a full
refresh) and a second day's new activities and transcripts on top (silver merged incrementally).
Each day runs the jobs in the pipeline's order, each in its own process. The clean run keeps a copy
of the lake after every job; a trial restores the copy from before its job, runs the job with
`RAPPORT_KILL_AT`, checks that it died by SIGKILL, runs it again, and compares the lake with the
copy from after the job. Trials run two at a time, each in a workspace of its own, and the first
starts while the clean run goes on, as soon as the copies of its job are kept. Ingest's trials run
in the clean run's own workspace only, once the clean run is over: bronze and the ingest ledger
name each landed file by its path, so a landing zone elsewhere is other files to ingest.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from jobs.faults import KILL_VARIABLE, TRACE_VARIABLE
from jobs.lake import USER_TABLES
from samples.landing import generate
from tests.conftest import TEST_SPARK_CONF

REPO = Path(__file__).resolve().parents[2]
FIRST_DAY = date(2026, 3, 30)  # a Monday: the first day refreshes the weekly similar deals
SECOND_DAY = FIRST_DAY + timedelta(days=1)
# The pipeline's jobs in its order (jobs.pipeline), each run alone as a scheduler's task would be.
JOBS = ("ingest", "conform", "daily_kpis", "conversation_insights", "similar_deals")
JOB_TIMEOUT_S = 600
# Each job is a fresh JVM on tiny data, beside another trial's on two cores: the JIT's optimising
# compiler (C2) and the parallel collector's threads would take the other trial's core for code
# that never runs long enough to repay them. Two daily runs side by side: 93 s with them, 59 s
# without. Not for pytest's own long-lived session, where C2 pays (its runs-at-once tests: 205 s
# with it, 265 s without).
JOB_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC"
# Columns that say when and by which run a row was written: a rerun writes its own.
RUN_COLUMNS = frozenset({"ingested_at", "ingest_run_id", "computed_at", "conformed_at"})
# The log of data-quality results holds one set of rows per run, the killed run's included.
RUN_LOG_TABLES = frozenset({"ops/dq_results"})
SWEEP = pytest.StashKey[list[str]]()  # what the sweep tried, for its summary


@dataclass(frozen=True)
class Step:
    day: date
    job: str

    @property
    def name(self) -> str:
        return f"{self.day}-{self.job}"

    def arguments(self) -> list[str]:
        return [] if self.job == "conform" else ["--as-of", self.day.isoformat()]


STEPS = tuple(Step(day, job) for day in (FIRST_DAY, SECOND_DAY) for job in JOBS)


@dataclass
class Outcome:
    returncode: int
    seconds: float
    log: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


@dataclass
class Workspace:
    """A landing zone and a lake at fixed paths, and where the clean run's copies of them are."""

    root: Path
    clean: Path  # the clean run's copies of the lake after each step, and of each day's landing zone
    traces: dict[str, list[str]] = field(default_factory=dict)

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def copy_of(self, name: str) -> Path:
        return self.clean / name

    def landing_of(self, day: date) -> Path:
        return self.clean / f"landing-{day}"

    def worker(self, number: int) -> Workspace:
        """Another workspace on the same clean copies, for trials run side by side (but not ingest's:
        its landing zone is elsewhere). Its lake's catalog names the clean run's table locations,
        which no job uses: they read and write tables by path (and the comparison would see a write
        that went astray)."""
        worker = Workspace(self.root.parent / f"{self.root.name}-worker-{number}", self.clean, self.traces)
        worker.root.mkdir(exist_ok=True)
        return worker

    def overrides(self) -> list[str]:
        # Data quality is off: each suite costs seconds of a job on tiny data, and what is under
        # test is the commits (the suites' own log, ops.dq_results, is not compared anyway).
        return [f"paths.landing={self.landing}", f"paths.lake={self.lake}", "quality.enabled=false", *TEST_SPARK_CONF]

    def start(self, step: Step, *, kill_at: str | None = None, trace: Path | None = None, extra=(), log_name="job"):
        """Start one job in its own process group (so that a kill takes its JVM too); the process
        and its log file. `kill_at`: the point where the job kills itself."""
        command = [sys.executable, "-m", f"jobs.{step.job}", *step.arguments()]
        for override in [*self.overrides(), *extra]:
            command += ["--set", override]
        env = {k: v for k, v in os.environ.items() if k not in (KILL_VARIABLE, TRACE_VARIABLE)}
        env["JDK_JAVA_OPTIONS"] = JOB_JVM_OPTIONS
        if kill_at:
            env[KILL_VARIABLE] = kill_at
        if trace:
            env[TRACE_VARIABLE] = str(trace)
        log_file = self.root / f"{log_name}.log"
        with open(log_file, "w") as log_handle:
            job = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log_handle, start_new_session=True
            )
        return job, log_file

    def run(
        self, step: Step, *, kill_at: str | None = None, trace: Path | None = None, kill_after: float | None = None
    ) -> Outcome:
        """Run one job to its end. `kill_at`: the point where the job kills itself; with
        `kill_after`, the harness kills it that many seconds after the job reached the point
        instead, wherever it is then (inside a write, typically)."""
        if kill_at and kill_after is not None:
            trace = trace or self.root / "trace-of-trial.txt"
            trace.unlink(missing_ok=True)
        started = time.monotonic()
        job, log_file = self.start(step, kill_at=None if kill_after is not None else kill_at, trace=trace)
        if kill_at and kill_after is not None:
            _kill_when_reached(job, trace, kill_at, kill_after)
        return _finish(job, log_file, started)

    def run_together(self, step: Step, runs: int, extra=()) -> list[Outcome]:
        """Start `runs` runs of one job at the same moment, on the same lake; each one's outcome."""
        started = time.monotonic()
        jobs = [self.start(step, extra=extra, log_name=f"job-{n}") for n in range(runs)]
        return [_finish(job, log_file, started) for job, log_file in jobs]

    def restore_landing(self, day: date) -> None:
        shutil.rmtree(self.landing, ignore_errors=True)
        shutil.copytree(self.landing_of(day), self.landing)  # modification times kept: the ledger compares them

    def keep(self, name: str) -> None:
        shutil.copytree(self.lake, self.copy_of(name), symlinks=True)

    def restore(self, name: str | None) -> None:
        """The lake as the clean run left it after step `name` (None: no lake yet)."""
        shutil.rmtree(self.lake, ignore_errors=True)
        if name is not None:
            shutil.copytree(self.copy_of(name), self.lake, symlinks=True)


def _finish(job: subprocess.Popen, log_file: Path, started: float) -> Outcome:
    try:
        returncode = job.wait(timeout=JOB_TIMEOUT_S)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
    return Outcome(returncode, time.monotonic() - started, log_file.read_text()[-6000:])


def _kill_when_reached(job: subprocess.Popen, trace: Path, point: str, seconds: float) -> None:
    while job.poll() is None:
        if trace.exists() and point in trace.read_text().splitlines():
            time.sleep(seconds)
            os.killpg(job.pid, signal.SIGKILL)
            return
        time.sleep(0.05)


def land_first_day(landing: Path) -> None:
    generate(landing, as_of=FIRST_DAY, seed=23, activities=240)


def land_second_day(landing: Path, scratch: Path) -> None:
    """The second day's new activities and transcripts (and their re-delivered duplicates); no CRM
    change, so that the kills in the merge hit the activities' own merges. Among them, what makes a
    merge's work depend on silver's state before it: an email delivered again a day later (its
    day's sums move) and a reply that joins two threads into one (their responses are made again)."""
    batch = f"{SECOND_DAY}-new"
    generate(scratch, as_of=SECOND_DAY, seed=29, activities=40, batch=batch, history_days=1)
    for folder in ("activities", "conversations"):
        shutil.copytree(scratch / folder, landing / folder, dirs_exist_ok=True)
    emails = landing / "activities" / "emails"
    first = [json.loads(line) for line in (emails / f"{FIRST_DAY}-00000.jsonl").read_text().splitlines()[:4]]
    moved = {**first[1], "sent_at": _a_day_later(first[1]["sent_at"]), "modified_at": f"{SECOND_DAY}T08:00:00Z"}
    bridge = {
        "email_id": "joins-two-threads@rapport.example",
        "from": first[0]["from"],
        "to": first[0]["to"],
        "sent_at": f"{SECOND_DAY}T09:00:00Z",
        "in_reply_to": first[0]["email_id"],
        "references": [first[0]["email_id"], first[3]["email_id"]],
        "subject": f"Re: {first[0]['subject']}",
    }
    lines = [json.dumps(record) for record in (moved, bridge)]
    (emails / f"{SECOND_DAY}-redelivered-00000.jsonl").write_text("\n".join(lines) + "\n")


def _a_day_later(instant: str) -> str:
    return (datetime.fromisoformat(instant) + timedelta(days=1)).isoformat()


def clean_run(workspace: Workspace, kept=lambda step: None) -> dict[str, float]:
    """Every step without a kill, tracing its points and keeping the lake after it; seconds per step.
    `kept(step)` is called once the copies a trial of `step` restores and compares with are kept."""
    seconds = {}
    land_first_day(workspace.landing)
    shutil.copytree(workspace.landing, workspace.landing_of(FIRST_DAY))
    for step in STEPS:
        if step.day == SECOND_DAY and step.job == JOBS[0]:
            land_second_day(workspace.landing, workspace.root / "scratch")
            shutil.copytree(workspace.landing, workspace.landing_of(SECOND_DAY))
        trace = workspace.root / "traces" / f"{step.name}.txt"
        trace.parent.mkdir(parents=True, exist_ok=True)
        outcome = workspace.run(step, trace=trace)
        if outcome.returncode != 0:
            raise AssertionError(f"clean run of {step.name} failed ({outcome.returncode}):\n{outcome.log}")
        seconds[step.name] = outcome.seconds
        workspace.traces[step.name] = trace.read_text().splitlines()
        workspace.keep(step.name)
        kept(step)
    return seconds


class CleanRunInBackground:
    """The clean run in a thread of its own, so that trials may start while it goes on: `wait(steps)`
    returns once the copies of one of `steps` are kept (or the whole run is over, with no steps),
    and raises if the clean run failed."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.seconds: dict[str, float] = {}
        self._kept: set[Step] = set()
        self._done = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="clean-run", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.seconds = clean_run(self.workspace, self._keep)
        except BaseException as error:  # noqa: BLE001 - handed to every waiter
            self._error = error
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def _keep(self, step: Step) -> None:
        with self._changed:
            self._kept.add(step)
            self._changed.notify_all()

    def ready(self, step: Step) -> bool:
        with self._changed:
            return step in self._kept

    def wait(self, steps: Iterable[Step] = ()) -> None:
        steps = set(steps)
        with self._changed:
            self._changed.wait_for(lambda: self._done or not steps.isdisjoint(self._kept))
            never_kept = steps and steps.isdisjoint(self._kept)
        if self._error is not None:
            raise AssertionError("the clean run failed") from self._error
        if never_kept:
            raise AssertionError(f"the clean run kept none of {sorted(s.name for s in steps)}")


def step_before(step: Step) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1].name if index else None


def lake_tables(lake: Path) -> dict[str, Path]:
    """Every Delta table under the lake, as `layer/table`."""
    return {
        f"{layer}/{table}": lake / layer / table
        for layer, table in USER_TABLES
        if (lake / layer / table / "_delta_log").is_dir()
    }


def _canonical(value):
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.12g}")
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    return value


def table_rows(path: Path) -> tuple[list[str], list[tuple]]:
    """A table's columns (run stamps left out) and its rows, sorted."""
    from deltalake import DeltaTable

    data = DeltaTable(str(path)).to_pyarrow_table()
    columns = sorted(c for c in data.column_names if c not in RUN_COLUMNS)
    rows = [tuple(_canonical(row[c]) for c in columns) for row in data.select(columns).to_pylist()]
    return columns, sorted(rows, key=repr)


def differences(expected_lake: Path, actual_lake: Path) -> list[str]:
    """How the actual lake's tables differ from the expected's: missing or extra tables, columns,
    and rows missing or duplicated (a few of each shown)."""
    expected, actual = lake_tables(expected_lake), lake_tables(actual_lake)
    found = [f"{t}: missing" for t in sorted(expected.keys() - actual.keys())]
    found += [f"{t}: should not exist" for t in sorted(actual.keys() - expected.keys())]
    for table in sorted(expected.keys() & actual.keys()):
        if table in RUN_LOG_TABLES:
            continue
        (want_columns, want), (got_columns, got) = table_rows(expected[table]), table_rows(actual[table])
        if want_columns != got_columns:
            found.append(f"{table}: columns {got_columns}, expected {want_columns}")
            continue
        if want != got:
            from collections import Counter

            missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
            found.append(
                f"{table}: {len(got)} rows, expected {len(want)}; "
                f"{sum(missing.values())} missing, e.g. {list(missing)[:2]}; "
                f"{sum(extra.values())} extra or duplicated, e.g. {list(extra)[:2]}"
            )
    return found


def unreconciled(lake: Path) -> list[str]:
    """Files whose ledger row disagrees with the rows bronze and quarantine hold of them: a ledger row
    without its rows (an orphan), rows without a ledger row, or counts that differ."""
    from collections import Counter

    from deltalake import DeltaTable

    tables = lake_tables(lake)
    held: Counter[str] = Counter()
    for name, path in tables.items():
        if name.startswith(("bronze/", "quarantine/")):
            held.update(DeltaTable(str(path)).to_pyarrow_table(columns=["source_file"])["source_file"].to_pylist())
    ledger = DeltaTable(str(tables["ops/ingest_files"])).to_pyarrow_table().to_pylist()
    claimed = {row["source_file"]: row["rows_bronze"] + row["rows_quarantined"] for row in ledger}
    found = [f"{f}: ledger says {n} rows, the lake holds {held[f]}" for f, n in claimed.items() if held[f] != n]
    found += [f"{f}: {n} rows and no ledger row" for f, n in held.items() if f not in claimed]
    return sorted(found)


@dataclass(frozen=True)
class KillPoint:
    """Where a trial kills a job: at a named point, or `after` seconds past it (from outside)."""

    step: Step
    point: str
    after: float | None = None

    def __str__(self) -> str:
        return f"{self.step.name} at {self.point}" + (f" +{self.after}s" if self.after is not None else "")


@dataclass
class Trial:
    kill: KillPoint
    account: str = ""
    problems: list[str] = field(default_factory=list)


def try_kill(workspace: Workspace, kill: KillPoint) -> Trial:
    """Kill the job there, run it again, and compare the lake with the clean run's after that job."""
    trial, step = Trial(kill), kill.step
    if kill.point not in workspace.traces[step.name]:
        trial.problems.append(f"the clean run of {step.name} never reaches {kill.point}")
        return trial
    workspace.restore_landing(step.day)
    workspace.restore(step_before(step))
    killed = workspace.run(step, kill_at=kill.point, kill_after=kill.after)
    if not killed.killed:
        trial.problems.append(f"not killed (exit {killed.returncode}):\n{killed.log}")
        return trial
    again = workspace.run(step)
    if again.returncode != 0:
        trial.problems.append(f"failed when run again (exit {again.returncode}):\n{again.log}")
        return trial
    trial.problems += differences(workspace.copy_of(step.name), workspace.lake) + unreconciled(workspace.lake)
    trial.account = f"killed after {killed.seconds:.0f} s, ran again in {again.seconds:.0f} s"
    return trial


def sweep(clean: CleanRunInBackground, kills: list[KillPoint], workers: int = 2) -> list[Trial]:
    """Every trial, `workers` side by side: the clean run's workspace and `workers - 1` others, each
    taking the next trial it may run. The others start while the clean run goes on, each trial once
    its job's copies are kept; the clean run's own workspace joins when the clean run is over, and
    alone takes ingest's trials (see the module's docstring). The trials in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    workspace, pending, lock = clean.workspace, list(kills), threading.Lock()

    def work(space: Workspace) -> list[Trial]:
        done = []
        if space is workspace:
            clean.wait()
        while True:
            with lock:
                allowed = [k for k in pending if space is workspace or k.step.job != "ingest"]
                kill = next((k for k in allowed if clean.ready(k.step)), None)
                if kill is not None:
                    pending.remove(kill)
                elif not allowed:
                    return done
            if kill is None:  # the clean run has not kept the copies of any trial left for this one
                clean.wait(k.step for k in allowed)
                continue
            done.append(try_kill(space, kill))

    spaces = [workspace, *(workspace.worker(n) for n in range(1, workers))]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(work, spaces))
    clean.wait()
    by_kill = {trial.kill: trial for trials in done for trial in trials}
    return [by_kill[kill] for kill in kills]

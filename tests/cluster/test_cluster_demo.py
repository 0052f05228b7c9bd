"""The whole pipeline submitted with spark-submit to a Spark standalone master and two workers on
localhost writes exactly the gold tables that local mode writes from a copy of the same landing zone.

`make test-cluster` (marker `cluster`, left out of the default run). The data is tiny on purpose:
what is tested is that the code runs distributed (the packages from `make dist`'s zip on
`--py-files`, in the driver and in the executors' Python workers; Delta from `--jars`; the lake
written by executors of other JVMs), not scale. The two runs go side by side, sharing nothing but
the machine; their wall times are printed, not asserted: timing claims live in `make bench`.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from deltalake import DeltaTable

from deploy.cluster_demo import (
    APP_NAME,
    DEMO_CONF,
    REPO_ROOT,
    StandaloneCluster,
    free_port,
    python_executable,
    run_timed,
    running_in,
    spark_submit_command,
)
from samples.landing import generate
from schemas.gold import GOLD_TABLES
from tests.cluster.conftest import WALL_TIMES

pytestmark = pytest.mark.cluster

AS_OF = date(2026, 3, 31)
ACTIVITIES = 400
WORKERS = 2
RUN_TIMEOUT_S = 45 * 60
# When a run wrote a row: the one column of a gold table that differs between two runs by design.
STAMP_COLUMNS = frozenset({"computed_at"})


@dataclass(frozen=True)
class Run:
    code: int
    seconds: float
    output: Path
    lake: Path

    def failure(self) -> str:
        tail = self.output.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        return f"exit {self.code}; the last lines of {self.output}:\n" + "\n".join(tail)


@dataclass(frozen=True)
class Runs:
    cluster: Run
    local: Run
    master_state: dict | None
    cluster_pids: list[int]
    logs: Path


def two_free_ports() -> tuple[int, int]:
    port = free_port()
    ui_port = free_port()
    while ui_port == port:
        ui_port = free_port()
    return port, ui_port


@pytest.fixture(scope="module")
def runs(tmp_path_factory, request) -> Runs:
    root = tmp_path_factory.mktemp("cluster")
    # Shipped as a user ships it: `make dist`, copied so that another `make dist` cannot pull it away.
    # (-o setup: the set-up is the caller's, `make test-cluster` has done it; no reinstall from here.)
    subprocess.run(
        ["make", "--no-print-directory", "-o", "setup", "dist"], cwd=REPO_ROOT, check=True, capture_output=True
    )
    py_files = root / "rapport.zip"
    shutil.copyfile(REPO_ROOT / "dist" / "rapport.zip", py_files)
    generate(root / "cluster" / "landing", as_of=AS_OF, activities=ACTIVITIES)
    shutil.copytree(root / "cluster" / "landing", root / "local" / "landing")

    port, ui_port = two_free_ports()  # before local mode starts, which must not take them
    # Local mode runs its copy beside the cluster's run: the two share nothing but the machine.
    local_lake = root / "local" / "lake"
    command = [python_executable(), "-m", "jobs.pipeline", "--conf", str(DEMO_CONF), "--as-of", AS_OF.isoformat()]
    command += ["--set", f"paths.landing={root / 'local' / 'landing'}", "--set", f"paths.lake={local_lake}"]
    command += ["--set", "spark.master=local[2]"]
    with ThreadPoolExecutor(max_workers=1) as side:
        local_run = side.submit(run_timed, command, root / "local.out", RUN_TIMEOUT_S)

        cluster = StandaloneCluster(root / "logs", port=port, ui_port=ui_port, workers=WORKERS)
        lake = root / "cluster" / "lake"
        (lake / "_catalog").mkdir(parents=True)
        try:
            cluster.start()
            command = spark_submit_command(
                cluster.url,
                py_files=py_files,
                conf=DEMO_CONF,
                as_of=AS_OF,
                landing=root / "cluster" / "landing",
                lake=lake,
            )
            code, seconds = run_timed(command, root / "cluster.out", RUN_TIMEOUT_S)
            master_state = cluster.state()
        finally:
            cluster_pids = cluster.pids
            cluster.stop()
        on_cluster = Run(code, seconds, root / "cluster.out", lake)
        code, seconds = local_run.result()
    in_local_mode = Run(code, seconds, root / "local.out", local_lake)

    line = (
        f"the whole pipeline as of {AS_OF} on {ACTIVITIES} activities, the two runs side by side, wall time: "
        f"standalone cluster ({WORKERS} workers of 1 core and 1g, driver 1g) {on_cluster.seconds:.0f} s, "
        f"local[2] (driver 1g) {in_local_mode.seconds:.0f} s"
    )
    print(line)
    request.config.stash[WALL_TIMES].append(line)
    return Runs(on_cluster, in_local_mode, master_state, cluster_pids, root / "logs")


def test_the_pipeline_ran_on_the_cluster_with_an_executor_on_each_worker(runs):
    assert runs.cluster.code == 0, runs.cluster.failure()
    # Not local mode by mistake: the master ran the pipeline's application to its end...
    apps = (runs.master_state or {}).get("completedapps", [])
    assert [(app["name"], app["state"]) for app in apps] == [(APP_NAME, "FINISHED")]
    # ...and each worker launched an executor for it (a worker keeps one folder per application).
    for number in range(1, WORKERS + 1):
        executors = list((runs.logs / f"worker-{number}").glob("app-*/*/stderr"))
        assert executors, f"worker-{number} launched no executor"


def test_local_mode_ran_the_pipeline(runs):
    assert runs.local.code == 0, runs.local.failure()


def test_the_master_the_workers_and_their_executors_are_stopped(runs):
    groups = set(runs.cluster_pids)
    assert len(groups) == 1 + WORKERS
    # Nothing of theirs runs any more. A zombie is dead already: reaping it is its parent's part
    # (init's, once its daemon is gone), which a busy machine may do late.
    assert running_in(groups) == []


def test_both_runs_wrote_every_gold_table_and_nothing_else(runs):
    assert runs.cluster.code == 0 and runs.local.code == 0, "a run failed: see the tests above"
    for run in (runs.cluster, runs.local):
        written = {path.parent.name for path in (run.lake / "gold").glob("*/_delta_log")}
        assert written == set(GOLD_TABLES)


def plain(value):
    """A value both lakes can agree on: floats to 12 significant digits (a sum may add in another
    order when its partial sums come from other executors), NaN as text, containers as tuples."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else float(f"{value:.12g}")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return tuple(sorted((key, plain(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(plain(item) for item in value)
    return value


def gold_rows(lake: Path, table: str) -> tuple[list[str], Counter]:
    """The table's columns but its run-time stamps, and its rows as a multiset."""
    arrow = DeltaTable(str(lake / "gold" / table)).to_pyarrow_table()
    columns = sorted(set(arrow.column_names) - STAMP_COLUMNS)
    return columns, Counter(tuple(plain(row[c]) for c in columns) for row in arrow.to_pylist())


@pytest.mark.parametrize("table", sorted(GOLD_TABLES))
def test_the_cluster_wrote_the_gold_rows_local_mode_wrote(runs, table):
    assert runs.cluster.code == 0 and runs.local.code == 0, "a run failed: see the tests above"
    cluster_columns, cluster_rows = gold_rows(runs.cluster.lake, table)
    local_columns, local_rows = gold_rows(runs.local.lake, table)

    assert cluster_columns == local_columns
    assert local_rows, f"gold.{table} is empty: nothing would be compared"
    only_cluster = list((cluster_rows - local_rows).elements())
    only_local = list((local_rows - cluster_rows).elements())
    assert (only_cluster, only_local) == ([], []), (
        f"gold.{table}: {len(only_cluster)} rows only on the cluster, {len(only_local)} only in local mode; "
        f"columns {cluster_columns}; first of each: {only_cluster[:2]} / {only_local[:2]}"
    )

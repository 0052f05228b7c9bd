"""Runs at the same time, as on a cluster with an external metastore, where nothing serialises them:
two threads of one Spark application, each a job's run, so that their Delta transactions really
race. (With the embedded catalog, processes take turns: test_commands.py and the fault sweep.)
Part of `make test-faults` (marker `faults`), beside the kill-anywhere sweep: a minute of work.

Sorts after test_conform.py and test_ingest.py: it copies the shared lake those tests make."""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from jobs import daily_kpis, ingest
from jobs.lake import BRONZE, GOLD, Lake
from samples.landing import generate
from schemas.gold import DAILY_TABLES
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.faults


@pytest.fixture
def copied_lake(spark, every_gold_table, lake_config, tmp_path):
    """A copy of the shared lake (bronze to gold as of AS_OF) under its own catalog prefix."""
    _, lake = every_gold_table
    shutil.copytree(lake.root, tmp_path / "lake")
    (tmp_path / "landing").mkdir()
    config = lake_config()
    return config, Lake(spark, config)


def gold_of_the_day(lake: Lake) -> dict[str, list]:
    return {
        table: sorted((r.asDict() for r in lake.read(GOLD, table).drop("computed_at").collect()), key=repr)
        for table in DAILY_TABLES
    }


def together(*runs):
    """Start every run at once, each in its own thread; their results (or their exceptions, raised)."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = [pool.submit(run) for run in runs]
        return [future.result() for future in futures]


def test_two_daily_runs_for_the_same_day_at_once_both_succeed_and_leave_one_result(spark, copied_lake, caplog):
    config, lake = copied_lake
    before = gold_of_the_day(lake)

    with caplog.at_level(logging.WARNING, logger="rapport.lake"):
        first, second = together(
            lambda: daily_kpis.run(spark, config, [AS_OF]), lambda: daily_kpis.run(spark, config, [AS_OF])
        )

    assert first == second  # the same rows written by each
    assert gold_of_the_day(lake) == before  # every row once: the same tables as one run leaves
    retried = [r.getMessage() for r in caplog.records if "another run committed to the table" in r.getMessage()]
    print(f"commits that lost a race and were made again: {len(retried)}")
    assert all("writing again (attempt" in message for message in retried)


def test_ingest_of_new_files_while_the_daily_job_reads_silver(spark, copied_lake, tmp_path):
    config, lake = copied_lake
    generate(tmp_path / "scratch", as_of=AS_OF, seed=41, activities=60, batch="late", history_days=1)
    shutil.copytree(tmp_path / "scratch" / "activities", tmp_path / "landing" / "activities")
    emails_before = lake.read(BRONZE, "emails").count()
    gold_before = gold_of_the_day(lake)

    ingested, _ = together(lambda: ingest.run(spark, config, AS_OF), lambda: daily_kpis.run(spark, config, [AS_OF]))

    assert ingested.bronze_rows["emails"] > 0
    assert lake.read(BRONZE, "emails").count() == emails_before + ingested.bronze_rows["emails"]
    assert gold_of_the_day(lake) == gold_before  # silver did not change under the daily job

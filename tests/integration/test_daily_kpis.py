"""The daily KPI job end to end on the conformed sample: silver -> gold with real Spark, Delta and
Great Expectations; as-of slices are idempotent and a back-fill equals day-by-day runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pyspark.sql import functions as F

from jobs import conform, daily_kpis
from jobs.lake import GOLD
from schemas.gold import DAILY_TABLES
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.integration
DAYS = [AS_OF - timedelta(days=n) for n in range(1, -1, -1)]  # one pass of two days against each day alone


def gold_rows(lake, days) -> dict[str, list[tuple]]:
    """Every gold row of `days`, without `computed_at` (the one column that says when)."""
    wanted = [d.isoformat() for d in days]
    rows = {}
    for table in DAILY_TABLES:
        df = lake.read(GOLD, table).filter(F.col("as_of_date").cast("string").isin(wanted)).drop("computed_at")
        rows[table] = sorted(tuple(r) for r in df.collect())
    return rows


@pytest.fixture(scope="module")
def published(spark, landed):
    _, config, lake, *_ = landed
    conform.run(spark, config)
    written = daily_kpis.run(spark, config, [AS_OF])
    return config, lake, written, gold_rows(lake, [AS_OF])


def test_every_gold_table_is_written_and_registered(spark, published):
    _, lake, written, _ = published
    assert all(written[lake.name(GOLD, table)] > 0 for table in DAILY_TABLES), written
    kpis = spark.sql(f"SELECT record_type, count(*) AS n FROM {lake.name(GOLD, 'relationship_kpis')} GROUP BY 1")
    counts = {r["record_type"]: r["n"] for r in kpis.collect()}
    silver_contacts = spark.sql(f"SELECT count(*) FROM {lake.name('silver', 'contacts')} WHERE NOT do_not_track")
    assert counts["contact"] == silver_contacts.first()[0]
    assert set(counts) == {"account", "contact", "lead", "opportunity"}


def test_a_back_fill_gives_the_rows_of_day_by_day_runs_and_reruns_change_nothing(spark, published):
    config, lake, written, as_of_rows = published
    back_fill = daily_kpis.run(spark, config.with_overrides(["kpi.backfill_days_per_pass=2"]), DAYS)
    back_filled = gold_rows(lake, DAYS)
    assert {row[0] for row in back_filled["relationship_kpis"]} == set(DAYS)
    assert gold_rows(lake, [AS_OF]) == as_of_rows  # the back-fill ran AS_OF a second time
    one_by_one = config.with_overrides(["quality.enabled=false"])  # validated by the runs above
    reruns = {day: daily_kpis.run(spark, one_by_one, [day]) for day in DAYS}
    assert gold_rows(lake, DAYS) == back_filled
    assert reruns[AS_OF] == written  # a third time: the same rows, replaced, not added
    assert sum(back_fill.values()) == sum(sum(r.values()) for r in reruns.values())

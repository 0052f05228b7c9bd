"""The weekly similar-won-deals job end to end on the conformed sample, with real Spark ML, Delta and
Great Expectations: a run refreshes T's ISO week, a rerun in the week replaces it with the same
rows, and a later week is added beside it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F

from jobs import conform, daily_kpis, similar_deals
from jobs.lake import GOLD, SILVER
from schemas.gold import WEEKLY_TABLES
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.integration
MONDAY = date(2026, 3, 30)  # AS_OF is Tuesday 2026-03-31


def week_rows(lake, monday: date) -> dict[str, list[tuple]]:
    """A refresh's rows without the columns that say when it ran."""
    rows = {}
    for table in WEEKLY_TABLES:
        df = lake.read(GOLD, table).filter(F.col("refreshed_on") == F.lit(monday)).drop("computed_at", "as_of_date")
        rows[table] = sorted(tuple(r) for r in df.collect())
    return rows


@pytest.fixture(scope="module")
def refreshed(spark, landed):
    _, config, lake, *_ = landed
    conform.run(spark, config)
    kpis = lake.read(GOLD, "relationship_kpis") if lake.exists(GOLD, "relationship_kpis") else None
    if kpis is None or kpis.filter(F.col("as_of_date") == F.lit(AS_OF)).isEmpty():
        daily_kpis.run(spark, config, [AS_OF])
    refresh = similar_deals.run(spark, config, AS_OF)
    return config, lake, refresh, week_rows(lake, MONDAY)


def test_a_refresh_matches_every_open_deal_with_k_won_deals_of_the_window(spark, refreshed):
    config, lake, refresh, rows = refreshed
    assert (refresh.refreshed_on, refresh.kpis_on, refresh.is_fallback) == (MONDAY, AS_OF, False)
    opportunities = lake.read(SILVER, "opportunities")
    open_ids = {r["opportunity_id"] for r in opportunities.filter("status = 'open'").collect()}
    closed_on = {r["opportunity_id"]: r["actual_close_date"] for r in opportunities.filter("status = 'won'").collect()}
    k = config.kpi.similar_deals.k
    matches = spark.sql(
        f"SELECT opportunity_id, rank, similar_opportunity_id, similarity FROM {lake.name(GOLD, 'similar_won_deals')} "
        f"WHERE refreshed_on = DATE'{MONDAY}'"
    ).collect()
    assert {r["opportunity_id"] for r in matches} == open_ids
    assert sorted((r["opportunity_id"], r["rank"]) for r in matches) == [
        (o, n) for o in sorted(open_ids) for n in range(1, k + 1)
    ]
    start = AS_OF - timedelta(days=730)
    assert all(start < closed_on[r["similar_opportunity_id"]] <= AS_OF for r in matches)
    assert all(0 <= r["similarity"] <= 1 for r in matches)
    features = lake.read(GOLD, "similar_deal_features").filter(F.col("refreshed_on") == F.lit(MONDAY))
    weights = [r["weight"] for r in features.collect()]
    assert len(weights) == 6 and sum(weights) == pytest.approx(1.0, abs=1e-5)
    benchmark = lake.read(GOLD, "opportunity_benchmark").filter(F.col("refreshed_on") == F.lit(MONDAY))
    assert sorted(r["opportunity_id"] for r in benchmark.collect()) == sorted(open_ids)
    assert len(rows["opportunity_benchmark"]) == len(open_ids)


def test_a_rerun_in_the_week_replaces_its_refresh_and_a_later_week_is_added(spark, refreshed):
    config, lake, _, rows = refreshed
    unchecked = config.with_overrides(["quality.enabled=false"])  # the suites ran on the first refresh
    wednesday = similar_deals.run(spark, unchecked, AS_OF + timedelta(days=1))
    assert wednesday.refreshed_on == MONDAY and wednesday.kpis_on == AS_OF  # the latest KPIs before it
    assert week_rows(lake, MONDAY) == rows  # the same rows, replaced, not added
    days = lake.read(GOLD, "similar_won_deals").filter(F.col("refreshed_on") == F.lit(MONDAY))
    assert {r[0] for r in days.select("as_of_date").distinct().collect()} == {AS_OF + timedelta(days=1)}

    next_week = similar_deals.run(spark, unchecked, AS_OF + timedelta(days=7))
    assert next_week.refreshed_on == MONDAY + timedelta(days=7)
    assert week_rows(lake, MONDAY) == rows  # earlier weeks stay
    assert similar_deals.is_refreshed(lake, AS_OF + timedelta(days=7))

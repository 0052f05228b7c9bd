"""The conversation intelligence job end to end on the conformed sample: silver -> seven gold tables
with real Spark, Delta, Arrow workers and Great Expectations; a rerun for the same day changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from pyspark.sql import functions as F

from jobs import conform, conversation_insights
from jobs.lake import GOLD, SILVER
from schemas.gold import CONVERSATION_TABLES
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.integration
CUSTOM = (date(2026, 1, 1), date(2026, 3, 31))


def gold_rows(lake) -> dict[str, list[tuple]]:
    day = F.col("as_of_date") == F.lit(AS_OF)
    return {
        table: sorted((tuple(r) for r in lake.read(GOLD, table).filter(day).drop("computed_at").collect()), key=repr)
        for table in CONVERSATION_TABLES
    }


@pytest.fixture(scope="module")
def published(spark, landed):
    _, config, lake, *_ = landed
    conform.run(spark, config)
    written = conversation_insights.run(spark, config, AS_OF, CUSTOM)
    return config, lake, written, gold_rows(lake)


def test_every_table_is_written_and_each_transcribed_counting_call_has_its_insights(spark, published):
    _, lake, written, rows = published
    assert all(written[lake.name(GOLD, table)] > 0 for table in CONVERSATION_TABLES), written
    transcribed = spark.sql(
        f"""SELECT count(DISTINCT a.activity_id) FROM {lake.name(SILVER, "activities")} a
            JOIN {lake.name(SILVER, "call_turns")} t ON t.call_id = a.activity_id
            WHERE a.activity_type = 'call' AND a.is_tracked AND a.counts_from < DATE'{AS_OF}' + INTERVAL 1 DAY"""
    ).first()[0]
    assert written[lake.name(GOLD, "call_insights")] == transcribed > 0
    periods = {r[1] for r in rows["sales_base_kpis"]}
    assert periods == {
        "last_24_hours",
        "last_7_days",
        "this_month",
        "last_month",
        "all_time",
        "custom:2026-01-01..2026-03-31",
    }


def test_opted_out_users_are_never_named_and_are_not_among_the_sellers_analysed(spark, published):
    _, lake, _, _ = published
    opted_out = {
        r[0] for r in lake.read(SILVER, "users").filter(F.col("analytics_opt_out")).select("user_id").collect()
    }
    named = {r[0] for r in lake.read(GOLD, "call_insights").select("seller_user_id").distinct().collect()}
    assert opted_out and not (opted_out & named)


def test_a_rerun_for_the_same_day_replaces_its_slice_with_the_same_rows(spark, published):
    config, lake, written, rows = published
    again = conversation_insights.run(spark, config.with_overrides(["quality.enabled=false"]), AS_OF, CUSTOM)
    assert again == written
    assert gold_rows(lake) == rows

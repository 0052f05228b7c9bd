"""The documented example queries (docs/queries.sql) run on the generated lake and answer what they
say they answer, each checked against the tables it reads computed another way."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from pyspark.sql import functions as F

from jobs.config import REPO_ROOT
from jobs.lake import GOLD, SILVER
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.integration
QUERIES_FILE = REPO_ROOT / "docs" / "queries.sql"


def documented_queries(prefix: str) -> dict[str, str]:
    """name -> statement, from each `-- name:` block; `gold.` names the catalog schema of `prefix`."""
    text = QUERIES_FILE.read_text(encoding="utf-8")
    blocks = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)[1:]
    return {
        name: re.sub(r"\b(gold|silver)\.", rf"{prefix}\1.", body.strip().rstrip(";"))
        for name, body in zip(blocks[::2], blocks[1::2], strict=True)
    }


@pytest.fixture(scope="module")
def lake_and_queries(every_gold_table):
    config, lake = every_gold_table
    return lake, documented_queries(config.catalog.schema_prefix)


def kpis(lake, record_type: str):
    return lake.read(GOLD, "relationship_kpis").filter(
        (F.col("as_of_date") == AS_OF) & (F.col("record_type") == record_type)
    )


def test_the_file_documents_the_four_questions(lake_and_queries):
    _, queries = lake_and_queries
    assert sorted(queries) == [
        "last_contact_with_a_customer",
        "opportunities_needing_attention",
        "team_response_time",
        "who_knows_this_contact_best",
    ]


def test_opportunities_needing_attention_are_the_open_deals_declining_and_quiet_for_14_days(spark, lake_and_queries):
    lake, queries = lake_and_queries
    rows = spark.sql(queries["opportunities_needing_attention"]).collect()

    quiet = kpis(lake, "opportunity").filter(
        (F.col("health_trend") == "declining")
        & (F.col("days_since_last_activity").isNull() | (F.col("days_since_last_activity") >= 14))
    )
    deals = lake.read(GOLD, "deal_tracker").filter(F.col("as_of_date") == AS_OF)
    expected = deals.join(
        quiet.select(F.col("record_id").alias("opportunity_id")), on="opportunity_id", how="left_semi"
    )
    assert rows, "no deal needs attention in the sample: the query's answer is not checked"
    assert sorted(r["opportunity_id"] for r in rows) == sorted(r["opportunity_id"] for r in expected.collect())
    revenues = [r["estimated_revenue"] for r in rows if r["estimated_revenue"] is not None]
    assert revenues == sorted(revenues, reverse=True)
    assert all(r["days_since_last_activity"] is None or r["days_since_last_activity"] >= 14 for r in rows)


def test_last_contact_is_the_latest_counting_activity_linked_to_the_account(spark, lake_and_queries):
    lake, queries = lake_and_queries
    (row,) = spark.sql(queries["last_contact_with_a_customer"]).collect()

    linked = lake.read(SILVER, "record_links").filter(
        (F.col("record_type") == "account") & (F.col("record_id") == "acc-000001")
    )
    end_of_t = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time())
    counting = (
        lake.read(SILVER, "activities")
        .join(linked.select("activity_key"), on="activity_key", how="left_semi")
        .filter(F.col("counts_from") < F.lit(end_of_t))
    )
    latest = counting.agg(F.max("counts_from")).first()[0]
    assert latest is not None
    assert row["last_interaction_at"] == latest
    assert row["days_ago"] == (AS_OF - latest.date()).days
    assert row["last_interaction_direction"] in ("team", "customer")


def test_team_response_time_weights_each_accounts_average_by_its_replies(spark, lake_and_queries):
    lake, queries = lake_and_queries
    (row,) = spark.sql(queries["team_response_time"]).collect()

    answered = [r for r in kpis(lake, "account").collect() if r["avg_response_hours_by_us"] is not None]
    replies = sum(r["replies_by_team"] for r in answered)
    weighted = sum(r["avg_response_hours_by_us"] * r["replies_by_team"] for r in answered) / replies
    assert (row["accounts"], row["replies"]) == (len(answered), replies)
    assert row["accounts"] > 0
    assert row["avg_response_hours"] == pytest.approx(weighted, abs=0.005)


def test_who_knows_a_contact_best_lists_its_ranked_users_strongest_first(spark, lake_and_queries):
    lake, queries = lake_and_queries
    rows = spark.sql(queries["who_knows_this_contact_best"]).collect()

    expected = (
        lake.read(GOLD, "who_knows_whom")
        .filter((F.col("as_of_date") == AS_OF) & (F.col("record_id") == "con-0000001"))
        .orderBy("rank")
        .collect()
    )
    assert rows, "con-0000001 has no connection in the sample: the query's answer is not checked"
    assert [(r["rank"], r["user_id"], r["strength"]) for r in rows] == [
        (r["rank"], r["user_id"], r["strength"]) for r in expected
    ]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)

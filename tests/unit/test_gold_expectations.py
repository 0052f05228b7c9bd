"""The gold suites stop a slice from being published: a raw address, a duplicate key, a score out
of range. Real Great Expectations on tiny frames."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from expectations.gold import gold_suite
from expectations.runner import DataQualityError, validate
from schemas.gold import DEAL_TRACKER, MOST_CONTACTED
from tests.builders import frame

T = date(2026, 3, 10)
SEEN = datetime(2026, 3, 9, 12, 0)


def most_contacted_row(person_id: str, rank: int = 1) -> dict:
    return {
        "as_of_date": T,
        "record_type": "account",
        "record_id": "a1",
        "side": "customer",
        "rank": rank,
        "person_type": "contact",
        "person_id": person_id,
        "emails": 1,
        "meetings": 0,
        "calls": 0,
        "total": 1,
        "last_contacted_at": SEEN,
        "computed_at": SEEN,
    }


def test_clean_rows_pass(spark):
    df = frame(spark, MOST_CONTACTED, [most_contacted_row("c1"), most_contacted_row("c2", rank=2)])
    assert validate(df, gold_suite("most_contacted"), "gold.most_contacted").failures == []


def test_a_raw_address_in_any_text_column_stops_the_write_naming_the_row_but_not_the_address(spark):
    df = frame(spark, MOST_CONTACTED, [most_contacted_row("c1"), most_contacted_row("Bob.Smith@acme.co.uk", rank=2)])
    with pytest.raises(DataQualityError) as failure:
        validate(df, gold_suite("most_contacted"), "gold.most_contacted")
    assert str(failure.value) == (
        "gold.most_contacted: expect_column_values_to_not_match_regex on column person_id failed "
        "(1 unexpected rows), e.g. as_of_date=2026-03-10, record_type=account, record_id=a1, side=customer, "
        "rank=2, person_id=<hidden>"
    )


def test_duplicate_keys_and_scores_out_of_range_stop_the_write(spark):
    row = {
        "as_of_date": T,
        "opportunity_id": "o1",
        "account_id": "a1",
        "estimated_close_date": T,
        "health_score": 101,
        "health_state": "good",
        "computed_at": SEEN,
    }
    df = frame(spark, DEAL_TRACKER, [row, row]).withColumn("stage_color", F.lit("red"))
    with pytest.raises(DataQualityError) as failure:
        validate(df, gold_suite("deal_tracker"), "gold.deal_tracker")
    # Each failure names a few failing rows by the table's key, and the value that failed.
    assert set(str(failure.value).split("; ")) == {
        "gold.deal_tracker: expect_compound_columns_to_be_unique on column as_of_date,opportunity_id failed "
        "(2 unexpected rows), e.g. as_of_date=2026-03-10, opportunity_id=o1 | as_of_date=2026-03-10, opportunity_id=o1",
        "gold.deal_tracker: expect_column_values_to_be_between on column health_score failed (2 unexpected rows), "
        "e.g. as_of_date=2026-03-10, opportunity_id=o1, health_score=101 | "
        "as_of_date=2026-03-10, opportunity_id=o1, health_score=101",
    }

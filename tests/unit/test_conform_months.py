"""The months a merge of silver's activity tables looks in (`jobs/conform.py`): the months of the
days its activities were on before and are on now, and the month of activities without a time."""

from __future__ import annotations

from datetime import date

from pyspark.sql import functions as F

from jobs.conform import in_months, months_of


def test_the_months_of_days_are_their_first_days_once_each_in_order():
    assert months_of({"2026-03-31", "2025-12-02", "2026-03-01"}) == ["2025-12-01", "2026-03-01"]
    assert months_of(set()) == []


def test_the_condition_keeps_the_months_named_and_the_null_month_only(spark):
    df = spark.createDataFrame(
        [(1, date(2026, 1, 1)), (2, date(2026, 2, 1)), (3, date(2026, 3, 1)), (4, None)], "id int, m date"
    )

    def kept(months: list[str]) -> list[int]:
        return sorted(r["id"] for r in df.filter(F.expr(in_months("m", months))).collect())

    assert kept(["2026-01-01", "2026-03-01"]) == [1, 3, 4]
    assert kept([]) == [4]

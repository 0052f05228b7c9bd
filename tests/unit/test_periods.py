from datetime import date, datetime

from chispa import assert_df_equality
from pyspark.sql import functions as F

from transforms.periods import Period, in_windows, periods_at, trend_pct, windows_frame


def by_name(end, custom=None) -> dict[str, Period]:
    return {p.name: p for p in periods_at(end, custom)}


def test_periods_at_the_end_of_the_last_day_of_a_month():
    periods = by_name(datetime(2026, 3, 1))  # the end of T = 2026-02-28
    assert periods["last_24_hours"] == Period("last_24_hours", datetime(2026, 2, 28), datetime(2026, 3, 1), 0)
    assert periods["last_7_days"] == Period("last_7_days", datetime(2026, 2, 22), datetime(2026, 3, 1), 0)
    assert periods["this_month"] == Period("this_month", datetime(2026, 2, 1), datetime(2026, 3, 1), 0)
    assert periods["last_month"] == Period("last_month", datetime(2026, 1, 1), datetime(2026, 2, 1), 0)
    assert periods["all_time"] == Period("all_time", None, datetime(2026, 3, 1), 0)
    assert periods["this_month"].previous == (datetime(2026, 1, 4), datetime(2026, 2, 1))  # 28 days before
    assert periods["last_month"].previous == (datetime(2025, 12, 1), datetime(2026, 1, 1))  # January's 31 days
    assert periods["all_time"].previous is None


def test_this_month_counts_the_days_left_and_a_custom_range_stops_at_the_as_of_instant():
    periods = by_name(datetime(2026, 3, 16), custom=(date(2026, 3, 10), date(2026, 3, 20)))  # T = 03-15
    assert periods["this_month"] == Period("this_month", datetime(2026, 3, 1), datetime(2026, 3, 16), 16)
    assert periods["custom:2026-03-10..2026-03-20"] == Period(
        "custom:2026-03-10..2026-03-20", datetime(2026, 3, 10), datetime(2026, 3, 16), 5
    )
    assert periods["custom:2026-03-10..2026-03-20"].previous == (datetime(2026, 3, 4), datetime(2026, 3, 10))


def test_a_month_boundary_in_january_reaches_back_into_december():
    periods = by_name(datetime(2026, 1, 3))  # T = 2026-01-02
    assert (periods["this_month"].start, periods["this_month"].days_left) == (datetime(2026, 1, 1), 29)
    assert (periods["last_month"].start, periods["last_month"].end) == (datetime(2025, 12, 1), datetime(2026, 1, 1))


def test_last_24_hours_across_midnight_holds_its_start_and_not_its_end(spark):
    windows_df = windows_frame(spark, [p for p in periods_at(datetime(2026, 3, 15, 6)) if p.name == "last_24_hours"])
    facts_df = spark.createDataFrame(
        [
            ("before-window", datetime(2026, 3, 13, 5, 59, 59)),
            ("previous-start", datetime(2026, 3, 13, 6)),
            ("start", datetime(2026, 3, 14, 6)),
            ("after-midnight", datetime(2026, 3, 15, 0, 30)),
            ("end", datetime(2026, 3, 15, 6)),
        ],
        "fact string, at timestamp",
    )

    placed_df = in_windows(facts_df, windows_df, F.col("at")).select("fact", "window")

    expected_df = spark.createDataFrame(
        [("previous-start", "before"), ("start", "now"), ("after-midnight", "now")], "fact string, window string"
    )
    assert_df_equality(placed_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_trend_pct_is_null_when_the_previous_period_is_zero(spark):
    df = spark.createDataFrame([(15, 10), (5, 10), (3, 0), (0, 0), (2, None)], "now long, before long")
    trends = [r["trend"] for r in df.select(trend_pct(F.col("now"), F.col("before")).alias("trend")).collect()]
    assert trends == [50.0, -50.0, None, None, None]

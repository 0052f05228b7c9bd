from datetime import date, datetime

import pytest
from chispa import assert_approx_df_equality
from pyspark.sql import functions as F

from transforms.home_page import call_recording_kpis, ci_sentiment, ci_top_sellers, ci_top_terms, sales_base_kpis
from transforms.periods import periods_at, windows_frame

END = datetime(2026, 4, 1)  # the end of T = 2026-03-31
USERS_DDL = "user_id string, team_id string, is_active boolean, analytics_opt_out boolean"
OPPORTUNITIES_DDL = (
    "opportunity_id string, owner_id string, status string, actual_revenue double, estimated_revenue double, "
    "actual_close_date date, created_at timestamp"
)
INSIGHTS_DDL = (
    "call_id string, seller_user_id string, team_id string, started_at timestamp, talk_pct double, "
    "switches_per_hour double, negative_share double, sentiment_label string"
)
PRECISION = 1e-9


@pytest.fixture
def windows_df(spark):
    return windows_frame(spark, periods_at(END))


@pytest.fixture
def users_df(spark):
    return spark.createDataFrame(
        [("u1", "A", True, False), ("u2", "A", True, False), ("u3", "B", None, None)], USERS_DDL
    )


def test_sales_base_kpis_this_month_per_team_and_org_with_trends_against_the_days_before(spark, windows_df, users_df):
    opportunities_df = spark.createDataFrame(
        [
            ("o1", "u1", "won", 100.0, 90.0, date(2026, 3, 10), None),
            ("o2", "u3", "won", 200.0, 250.0, date(2026, 3, 31), None),
            ("o3", "u2", "lost", None, 70.0, date(2026, 3, 15), None),
            ("o4", "u1", "won", 50.0, 50.0, date(2026, 2, 20), None),  # in the 31 days before March 1st
            ("o5", "u2", "open", None, 1_000.0, None, datetime(2026, 1, 1)),
            ("o6", "u3", "open", None, 500.0, None, datetime(2026, 4, 1)),  # created after T: not in T's pipeline
            ("o7", "u1", "won", 10.0, 10.0, date(2026, 1, 20), None),  # before both windows
        ],
        OPPORTUNITIES_DDL,
    )

    kpis_df = sales_base_kpis(opportunities_df, users_df, windows_df, F.lit(END).cast("timestamp"))

    month_df = kpis_df.filter(F.col("period") == "this_month").drop("period", "period_start", "period_end")
    expected_df = spark.createDataFrame(
        [
            # team, won revenue, pipeline, won, lost, win rate, avg size, days left, and the four trends
            ("A", 100.0, 1_000.0, 1, 1, 0.5, 100.0, 0, 100.0, 0.0, -50.0, 100.0),
            ("B", 200.0, 0.0, 1, 0, 1.0, 200.0, 0, None, None, None, None),
            (None, 300.0, 1_000.0, 2, 1, 2 / 3, 150.0, 0, 500.0, 100.0, 100 * (2 / 3 - 1), 200.0),
        ],
        "team_id string, won_revenue double, open_pipeline double, deals_won long, deals_lost long, "
        "win_rate double, avg_deal_size double, days_left int, won_revenue_trend_pct double, "
        "deals_won_trend_pct double, win_rate_trend_pct double, avg_deal_size_trend_pct double",
    )
    assert_approx_df_equality(month_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=True)
    last_day = kpis_df.filter((F.col("period") == "last_24_hours") & (F.col("team_id") == "B")).first()
    assert (last_day["deals_won"], last_day["won_revenue"]) == (1, 200.0)  # closed on T: inside T's last 24 hours


def test_ci_sentiment_counts_calls_above_the_periods_mean_negative_share(spark, windows_df, users_df):
    insights_df = spark.createDataFrame(
        [
            ("c1", "u1", "A", datetime(2026, 3, 2), 50.0, 60.0, 0.1, "positive"),
            ("c2", "u1", "A", datetime(2026, 3, 9), 50.0, 60.0, 0.5, "negative"),
            ("c3", "u3", "B", datetime(2026, 3, 30), 50.0, 60.0, 0.6, "negative"),
            ("c4", "u3", "B", datetime(2026, 2, 27), 50.0, 60.0, 0.2, "neutral"),  # the window before
            ("c5", "u3", "B", datetime(2026, 3, 30), 50.0, 60.0, None, None),  # not analysed (language)
        ],
        INSIGHTS_DDL,
    )

    sentiment_df = ci_sentiment(insights_df, users_df, windows_df)

    month_df = sentiment_df.filter(F.col("period") == "this_month").select(
        "team_id",
        "calls_analysed",
        "calls_above_avg_negative",
        "avg_negative_share",
        "pct_positive",
        "pct_neutral",
        "pct_negative",
        "calls_analysed_trend_pct",
        "pct_negative_trend_pct",
    )
    expected_df = spark.createDataFrame(
        [
            ("A", 2, 1, 0.3, 50.0, 0.0, 50.0, None, None),
            ("B", 1, 0, 0.6, 0.0, 0.0, 100.0, 0.0, None),  # before: one neutral call, 0 % negative
            (None, 3, 2, 0.4, 100 / 3, 0.0, 200 / 3, 200.0, None),
        ],
        "team_id string, calls_analysed long, calls_above_avg_negative long, avg_negative_share double, "
        "pct_positive double, pct_neutral double, pct_negative double, calls_analysed_trend_pct double, "
        "pct_negative_trend_pct double",
    )
    assert_approx_df_equality(month_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=True)


def test_ci_top_terms_ranks_by_mentions_then_calls_then_term_and_keeps_the_top(spark, windows_df):
    insights_df = spark.createDataFrame(
        [
            ("c1", "u1", "A", datetime(2026, 3, 2), None, None, None, None),
            ("c2", "u1", "A", datetime(2026, 3, 3), None, None, None, None),
            ("c3", "u1", "A", datetime(2026, 2, 25), None, None, None, None),  # the window before
        ],
        INSIGHTS_DDL,
    )
    mentions_df = spark.createDataFrame(
        [
            ("c1", "keyword", "pricing", 2),
            ("c2", "keyword", "discount", 1),
            ("c2", "keyword", "pricing", 1),
            ("c1", "keyword", "renewal", 3),
            ("c1", "keyword", "contract", 1),
            ("c2", "keyword", "budget", 1),
            ("c3", "keyword", "pricing", 4),
            ("c1", "best_practice", "next steps", 9),  # seller speech: not a top term
        ],
        "call_id string, term_kind string, term string, mentions long",
    )

    terms_df = ci_top_terms(mentions_df, insights_df, windows_df, top=3)

    month_df = terms_df.filter((F.col("period") == "this_month") & (F.col("team_id") == "A")).drop("period", "team_id")
    expected_df = spark.createDataFrame(
        [
            ("keyword", 1, "pricing", 3, 2, -25.0),  # 3 mentions in two calls; 4 before
            ("keyword", 2, "renewal", 3, 1, None),  # as many mentions, fewer calls
            ("keyword", 3, "budget", 1, 1, None),  # budget, contract, discount: ties broken by the term
        ],
        "term_kind string, rank int, term string, mentions long, calls long, trend_pct double",
    )
    assert_approx_df_equality(month_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=False)


def test_ci_top_sellers_are_above_their_teams_mean_won_revenue(spark, windows_df):
    users_df = spark.createDataFrame(
        [
            ("u1", "A", True, False),
            ("u2", "A", True, False),
            ("u3", "B", True, False),  # alone in B: never above B's mean
            ("u4", "A", True, True),  # opted out: not analysed
            ("u5", "A", False, False),  # inactive
        ],
        USERS_DDL,
    )
    opportunities_df = spark.createDataFrame(
        [
            ("o1", "u1", "won", 100.0, 100.0, date(2026, 3, 10), None),
            ("o2", "u3", "won", 200.0, 200.0, date(2026, 3, 11), None),
            ("o3", "u4", "won", 900.0, 900.0, date(2026, 3, 12), None),
        ],
        OPPORTUNITIES_DDL,
    )
    insights_df = spark.createDataFrame(
        [
            ("c1", "u1", "A", datetime(2026, 3, 2), 40.0, 10.0, 0.5, "negative"),
            ("c2", "u1", "A", datetime(2026, 3, 3), 60.0, 20.0, 0.1, "positive"),
            ("c3", "u2", "A", datetime(2026, 3, 4), 70.0, 30.0, None, None),
            ("c4", "u3", "B", datetime(2026, 3, 5), 50.0, 40.0, 0.1, "positive"),
        ],
        INSIGHTS_DDL,
    )
    mentions_df = spark.createDataFrame(
        [("c1", "best_practice", "next steps", 3), ("c3", "best_practice", "budget", 1), ("c1", "keyword", "x", 5)],
        "call_id string, term_kind string, term string, mentions long",
    )
    minutes_df = spark.createDataFrame(
        [
            ("email", datetime(2026, 3, 2), datetime(2026, 3, 2), "u1", 30.0),
            ("meeting", datetime(2026, 3, 2), datetime(2026, 3, 2), "u2", 120.0),
            ("call", datetime(2026, 3, 31, 23), datetime(2026, 4, 1), "u1", 60.0),  # counts only after T
        ],
        "activity_type string, activity_at timestamp, counts_from timestamp, user_id string, minutes double",
    )

    sellers_df = ci_top_sellers(
        opportunities_df, users_df, insights_df, mentions_df, minutes_df, windows_df, F.lit(END).cast("timestamp")
    )

    month_df = sellers_df.filter(F.col("period") == "this_month").select(
        "team_id",
        "group",
        "sellers",
        "calls",
        "talk_pct",
        "switches_per_hour",
        "best_practice_per_call",
        "pct_negative",
        "email_hours",
        "meeting_hours",
    )
    expected_df = spark.createDataFrame(
        [
            ("A", "top", 1, 2, 50.0, 15.0, 1.5, 50.0, 0.5, 0.0),
            ("A", "team", 2, 3, 170 / 3, 20.0, 4 / 3, 50.0, 0.25, 1.0),
            ("B", "top", 0, 0, None, None, None, None, None, None),
            ("B", "team", 1, 1, 50.0, 40.0, 0.0, 0.0, 0.0, 0.0),
            (None, "top", 1, 2, 50.0, 15.0, 1.5, 50.0, 0.5, 0.0),
            (None, "team", 3, 4, 55.0, 25.0, 1.0, 100 / 3, 1 / 6, 2 / 3),
        ],
        "team_id string, group string, sellers long, calls long, talk_pct double, switches_per_hour double, "
        "best_practice_per_call double, pct_negative double, email_hours double, meeting_hours double",
    )
    assert_approx_df_equality(month_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=True)


def test_call_recording_kpis_run_month_by_month_to_ts_month_with_zero_months(spark, users_df):
    recorded_df = spark.createDataFrame(
        [
            ("c1", "A", datetime(2026, 1, 15), 3_600),
            ("c2", "A", datetime(2026, 3, 3), 1_800),
            ("c3", None, datetime(2026, 3, 4), 900),  # no known team: the org's only
        ],
        "call_id string, team_id string, started_at timestamp, duration_seconds long",
    )
    mentions_df = spark.createDataFrame(
        [("c2", "keyword", "pricing", 2), ("c3", "other_brand", "HubSpot", 1), ("c3", "best_practice", "budget", 1)],
        "call_id string, term_kind string, term string, mentions long",
    )

    monthly_df = call_recording_kpis(recorded_df, mentions_df, users_df, date(2026, 3, 31))

    expected_df = spark.createDataFrame(
        [
            (date(2026, 1, 1), "A", 1, 1.0, 0, 0, None, None, None, None),
            (date(2026, 2, 1), "A", 0, 0.0, 0, 0, -100.0, -100.0, None, None),
            (date(2026, 3, 1), "A", 1, 0.5, 1, 0, None, None, None, None),
            (date(2026, 1, 1), "B", 0, 0.0, 0, 0, None, None, None, None),
            (date(2026, 2, 1), "B", 0, 0.0, 0, 0, None, None, None, None),
            (date(2026, 3, 1), "B", 0, 0.0, 0, 0, None, None, None, None),
            (date(2026, 1, 1), None, 1, 1.0, 0, 0, None, None, None, None),
            (date(2026, 2, 1), None, 0, 0.0, 0, 0, -100.0, -100.0, None, None),
            (date(2026, 3, 1), None, 2, 0.75, 1, 1, None, None, None, None),
        ],
        "month date, team_id string, calls_recorded long, hours_recorded double, calls_with_keywords long, "
        "calls_with_competitors_or_brands long, calls_recorded_trend_pct double, hours_recorded_trend_pct double, "
        "calls_with_keywords_trend_pct double, calls_with_competitors_or_brands_trend_pct double",
    )
    assert_approx_df_equality(monthly_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=True)

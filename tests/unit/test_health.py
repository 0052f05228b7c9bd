"""Relationship health (kpis.md section 9) on hand-made activity histories, T = 2026-03-10.

Ages are fractional days from the end of T (2026-03-11 00:00 UTC); with f = 7, tau = 14 and
E_exp = 1 / (1 - e^-0.5) = 2.54149. Each expected score below was worked out from the formula:
score = round_half_up(100 (1 - e^(-1.2 (E / E_exp) (0.5 + 0.5 balance)))).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jobs.daily_kpis import as_of_days
from tests.builders import (
    SILVER_ACTIVITY_COLUMNS,
    SILVER_LINK_COLUMNS,
    SILVER_PARTICIPANT_COLUMNS,
    activity,
    at,
    linked,
)
from transforms.health import HealthParams, TypeWeights, health_inputs, relationship_health
from transforms.record_activity_days import counting_days, record_activity_days

T = date(2026, 3, 10)
RECORD_COLUMNS = "record_type string, record_id string, is_scored boolean"

HISTORIES = {
    # 3 team emails in February, then the customer wrote, met and called in March.
    # At T: E = 4.1479, ratio 1.63208, balance 1 -> 85.89 -> 86. At T-14 (end of 02-24): the
    # three emails only, ratio 0.60269, balance 0.56629 -> 43.24 -> 43. +43: improving.
    "improving": [
        ("email", "2026-02-10 00:00", "team"),
        ("email", "2026-02-15 00:00", "team"),
        ("email", "2026-02-20 00:00", "team"),
        ("email", "2026-03-05 00:00", "customer"),
        ("meeting", "2026-03-08 00:00", "customer"),
        ("call", "2026-03-10 00:00", "customer"),
    ],
    # Busy in late February, silent since: 78 at T-14, 43 at T: declining.
    "declining": [
        ("email", "2026-02-20 00:00", "customer"),
        ("email", "2026-02-22 00:00", "customer"),
        ("call", "2026-02-24 00:00", "team"),
    ],
    # One team email a week for 60 weeks: 53 in the lookback, 56 at T and at T-14: steady, fair;
    # balance (0 + 1) / (0.5 M + 1) = 0.458 shows the customer never initiates.
    "steady": [("email", str(at("2026-03-10 00:00") - timedelta(weeks=week)), "team") for week in range(60)],
    # 365 days old exactly still counts; a minute older does not: 3 activities, scored (poor).
    "lookback": [
        ("task", "2025-03-11 00:00", "team"),
        ("task", "2025-03-10 23:59", "team"),
        ("task", "2025-06-01 00:00", "team"),
        ("task", "2026-03-10 12:00", "team"),
    ],
    "too_few": [("email", "2026-03-01 00:00", "customer"), ("email", "2026-03-02 00:00", "team")],
}


def health_rows(spark, params: HealthParams, records=None):
    activities, links = [], []
    for record, history in HISTORIES.items():
        for n, (kind, when, side) in enumerate(history):
            key = f"{record}-{n}"
            activities.append(activity(kind, key, when, by=side, minutes=30))
            links += linked(f"{kind}:{key}", f"contact:{record}")
    activities_df = spark.createDataFrame(activities, SILVER_ACTIVITY_COLUMNS)
    links_df = spark.createDataFrame(links, SILVER_LINK_COLUMNS)
    participants_df = spark.createDataFrame([], SILVER_PARTICIPANT_COLUMNS)
    records_df = spark.createDataFrame(
        records or [("contact", r, True) for r in HISTORIES] + [("account", "a1", False), ("contact", "silent", True)],
        RECORD_COLUMNS,
    )
    as_of_df = as_of_days(spark, [T], params.trend_days)
    days_df = record_activity_days(activities_df, participants_df, links_df, params.tau_days)
    health_df = relationship_health(
        records_df, as_of_df, health_inputs(counting_days(days_df, as_of_df), params), params
    )
    return {row["record_id"]: row.asDict() for row in health_df.collect()}


@pytest.fixture(scope="module")
def default_health(spark):
    return health_rows(spark, HealthParams())


def _summary(row):
    return row["health_score"], row["health_state"], row["health_trend"]


def test_scores_states_and_trends(default_health):
    assert _summary(default_health["improving"]) == (86, "good", "improving")
    assert _summary(default_health["declining"]) == (43, "fair", "declining")
    assert _summary(default_health["steady"]) == (56, "fair", "steady")
    assert _summary(default_health["too_few"]) == (None, "not_enough_info", "not_enough_info")
    assert _summary(default_health["silent"]) == (None, "no_activities", "not_enough_info")
    assert _summary(default_health["a1"]) == (None, "not_applicable", None)


def test_factors_explain_the_score(default_health):
    improving, steady = default_health["improving"], default_health["steady"]
    assert improving["health_engagement_ratio"] == pytest.approx(1.63208, abs=1e-5)
    assert improving["health_balance"] == 1.0
    assert improving["days_since_last_activity"] == 0
    assert steady["health_balance"] == pytest.approx(0.458055, abs=1e-6)
    assert default_health["declining"]["days_since_last_activity"] == 14
    assert default_health["a1"]["health_engagement_ratio"] is None


def test_the_lookback_keeps_an_activity_exactly_365_days_old(default_health):
    # Counted: the task 365 days old to the minute, June's and today's (the one a minute older
    # is not): 3, so scored. E = e^(-365/14) + e^(-283/14) + e^(-0.5/14) = 0.96491, ratio 0.37966,
    # balance 1 / (0.5 M + 1) = 0.67456 -> 31.71 -> 32. Without the boundary task: not enough info.
    # 14 days earlier the three old tasks were all in the lookback and today's was not: 0, so +32.
    assert _summary(default_health["lookback"]) == (32, "poor", "improving")


def test_type_weights_and_frequency_are_parameters(spark):
    weighted = health_rows(
        spark,
        HealthParams(weights=TypeWeights(meeting=1.5, call=0.5)),
        records=[("contact", "improving", True)],
    )
    assert weighted["improving"]["health_score"] == 85  # E_w = 4.0549, ratio 1.59550 -> 85.26
    daily = health_rows(spark, HealthParams(frequency_days=1), records=[("contact", "improving", True)])
    # f = 1: tau = 2, the trend compares with max(7, 2) = 7 days earlier: 46 against 0.
    assert _summary(daily["improving"]) == (46, "fair", "improving")

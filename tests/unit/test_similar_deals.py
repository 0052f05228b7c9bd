"""Similar won deals (kpis.md section 11) on hand-made CRM frames, T = 2026-03-31: the features, the
learned weights, twins found at rank 1, the fallback, and the benchmark's averages by hand."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from jobs.config import load_config
from jobs.similar_deals import compute, week_of
from schemas.gold import RELATIONSHIP_KPIS
from schemas.silver import SILVER_SCHEMAS
from tests.builders import frame
from tests.conftest import TEST_SPARK_CONF
from transforms.similar_deals import BASE_FEATURES, opportunity_benchmark, resolve_features

T = date(2026, 3, 31)
PRODUCTS = ("Core", "Suite", "Support", "Analytics")
SOURCES = ("web", "referral", "event", "partner")
INDUSTRIES = ("retail", "banking", "energy")
COUNTRIES = ("DE", "FR", "US", "JP", "BR")


def config(*overrides: str):
    return load_config(overrides=[*TEST_SPARK_CONF, *overrides])


def account(n: int) -> dict:
    return {
        "account_id": f"acc-{n:03d}",
        "industry": INDUSTRIES[n % 3],
        "country": COUNTRIES[n % 5],
        "employee_count": 50 + 37 * n if n % 4 else None,  # a quarter missing: the median stands in
    }


def deal(n: int, status: str, *, source: str | None = None, closed_days_ago: int = 30, revenue: float | None = None):
    """Won deals come mostly from referrals and lost ones from the web: the lead source tells them apart."""
    return {
        "opportunity_id": f"opp-{status}-{n:03d}",
        "account_id": f"acc-{n % 20:03d}",
        "status": status,
        "product_line": PRODUCTS[n % 4],
        "lead_source": source
        or (("referral" if n % 5 else "event") if status == "won" else ("web" if n % 5 else "event")),
        "estimated_revenue": revenue or 1000.0 + 150 * n,
        "actual_close_date": None if status == "open" else T - timedelta(days=closed_days_ago + n),
    }


def silver(spark, opportunities: list[dict]) -> dict:
    return {
        "opportunities": frame(spark, SILVER_SCHEMAS["opportunities"], opportunities),
        "accounts": frame(spark, SILVER_SCHEMAS["accounts"], [account(n) for n in range(20)]),
    }


def kpis(spark, rows: list[dict]):
    base = {name: 0 for name in ("emails_sent", "emails_received", "meetings_sent", "meetings_received")}
    filled = [{"as_of_date": T, "record_type": "opportunity", "tasks_completed": 0, **base, **row} for row in rows]
    return frame(spark, RELATIONSHIP_KPIS, filled)


def test_extra_features_are_checked_by_name_and_typed_by_their_column():
    features = resolve_features(["annual_revenue", "opportunities.contact_id"])
    assert [(f.name, f.table, f.kind) for f in features[len(BASE_FEATURES) :]] == [
        ("annual_revenue", "accounts", "numeric"),
        ("opportunities_contact_id", "opportunities", "categorical"),
    ]
    with pytest.raises(ValueError) as problem:
        resolve_features(["revenu", "owner_id", "stage", "sales_team_user_ids", "industry"])
    message = str(problem.value)
    assert "revenu: no such column in silver.opportunities or silver.accounts" in message
    assert "owner_id: in opportunities and accounts; name opportunities.owner_id or accounts.owner_id" in message
    assert "stage: cannot be a feature (set to close when a deal is won)" in message
    assert "sales_team_user_ids: a list (array<string>) cannot be a feature" in message
    assert "industry: already a feature" in message


def test_the_week_of_a_run_is_its_iso_monday():
    assert [week_of(date(2026, 3, d)) for d in (29, 30, 31)] == [
        date(2026, 3, 23),
        date(2026, 3, 30),
        date(2026, 3, 30),
    ]


@pytest.fixture(scope="module")
def twins(spark):
    """40 won and 40 lost deals; five open deals, each the twin of one won deal, on the same account."""
    won = [deal(n, "won") for n in range(40)]
    lost = [deal(n, "lost") for n in range(40)]
    twin_of = {f"opp-open-{n:03d}": won[7 * n + 3] for n in range(5)}
    opened = [
        {**twin, "opportunity_id": open_id, "status": "open", "actual_close_date": None}
        for open_id, twin in twin_of.items()
    ]
    # A won deal closed 25 months ago is outside the window, however alike.
    stale = {**won[3], "opportunity_id": "opp-won-stale", "actual_close_date": T - timedelta(days=760)}
    # Two extra features no deal has, a number and a text: they weigh nothing, and nothing breaks.
    extra = "kpi.similar_deals.extra_features=[annual_revenue, opportunities.contact_id]"
    frames, _, open_count, fallback = compute(
        spark, silver(spark, [*won, *lost, *opened, stale]), kpis(spark, []), T, config(extra)
    )
    return twin_of, frames, open_count, fallback


def test_each_open_deal_finds_its_won_twin_at_rank_1_with_similarity_1(twins):
    twin_of, frames, open_count, fallback = twins
    assert (open_count, fallback) == (5, False)
    rows = frames["similar_won_deals"].collect()
    first = {r["opportunity_id"]: (r["similar_opportunity_id"], r["similarity"]) for r in rows if r["rank"] == 1}
    assert first == {open_id: (twin["opportunity_id"], pytest.approx(1.0)) for open_id, twin in twin_of.items()}
    ranks = sorted((r["opportunity_id"], r["rank"]) for r in rows)
    assert ranks == [(o, n) for o in sorted(twin_of) for n in range(1, 11)]
    assert all(0 <= r["similarity"] <= 1 for r in rows) and all(not r["is_fallback"] for r in rows)
    assert "opp-won-stale" not in {r["similar_opportunity_id"] for r in rows}
    ordered = sorted(rows, key=lambda r: (r["opportunity_id"], r["rank"]))
    assert all(
        a["similarity"] >= b["similarity"] for a, b in pairwise(ordered) if a["opportunity_id"] == b["opportunity_id"]
    )


def test_the_learned_weights_sum_to_one_and_the_lead_source_weighs_most(twins):
    _, frames, _, _ = twins
    weights = {r["feature"]: r["weight"] for r in frames["similar_deal_features"].collect()}
    assert set(weights) == {f.name for f in BASE_FEATURES} | {"annual_revenue", "opportunities_contact_id"}
    assert weights["annual_revenue"] == weights["opportunities_contact_id"] == 0.0
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-5)
    assert max(weights, key=weights.get) == "lead_source"


def test_29_lost_deals_get_the_fallback_of_the_most_recently_closed_won_deals(spark):
    won = [deal(n, "won") for n in range(40)]
    lost = [deal(n, "lost") for n in range(29)]
    opened = [{**deal(n, "open"), "opportunity_id": f"opp-open-{n}"} for n in range(2)]
    frames, _, _, fallback = compute(spark, silver(spark, [*won, *lost, *opened]), kpis(spark, []), T, config())
    assert fallback and frames["similar_deal_features"] is None
    rows = frames["similar_won_deals"].orderBy("opportunity_id", "rank").collect()
    # Won deal n closed 30 + n days before T: the most recent first; all 40, fewer than 100.
    expected = [(o, n + 1, f"opp-won-{n:03d}") for o in ("opp-open-0", "opp-open-1") for n in range(40)]
    assert [(r["opportunity_id"], r["rank"], r["similar_opportunity_id"]) for r in rows] == expected
    assert all(r["is_fallback"] and r["similarity"] is None for r in rows)


def test_the_benchmark_averages_the_similar_deals_kpis_by_hand(spark):
    open_df = spark.createDataFrame([("o1",), ("o2",)], "opportunity_id string")
    matches_df = spark.createDataFrame(
        [("o1", 1, "w1"), ("o1", 2, "w2")], "opportunity_id string, rank int, similar_opportunity_id string"
    )
    kpi_rows = [
        {"record_id": "o1", "interactions_by_team": 4, "team_hours": 1.5, "email_ratio_by_us": 2.0},
        {
            "record_id": "w1",
            "interactions_by_team": 10,
            "team_hours": 3.0,
            "email_ratio_by_us": 1.0,
            "avg_response_hours_by_us": 5.0,
        },
        {
            "record_id": "w2",
            "interactions_by_team": 20,
            "team_hours": 6.5,
            "email_ratio_by_us": None,
            "avg_response_hours_by_us": 2.0,
        },
    ]
    got = opportunity_benchmark(open_df, matches_df, kpis(spark, kpi_rows), is_fallback=False)
    rows = {r["opportunity_id"]: r.asDict() for r in got.collect()}
    o1 = rows["o1"]
    assert (o1["similar_deals"], o1["interactions_by_team"], o1["similar_interactions_by_team"]) == (2, 4, 15.0)
    assert (o1["team_hours"], o1["similar_team_hours"]) == (1.5, 4.75)
    assert (o1["email_ratio_by_us"], o1["similar_email_ratio_by_us"]) == (2.0, 1.0)  # the null is left out
    assert (o1["avg_response_hours_by_us"], o1["similar_avg_response_hours_by_us"]) == (None, 3.5)
    o2 = rows["o2"]  # no KPIs and no matches: nothing to compare
    assert (o2["similar_deals"], o2["interactions_by_team"], o2["similar_team_hours"]) == (0, None, None)

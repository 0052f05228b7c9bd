"""The report's chart builders on tiny hand-made frames: what each chart encodes, with which data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms import report_charts as charts


def only_dataset(spec: dict) -> list[dict]:
    (rows,) = spec["datasets"].values()
    return rows


def activity_rows(record_id: str, day: date, emails_sent=0, emails_received=0, meetings_sent=0, calls_made=0) -> dict:
    return {
        "record_id": record_id,
        "day": day,
        "emails_sent": emails_sent,
        "emails_received": emails_received,
        "meetings_sent": meetings_sent,
        "meetings_received": 0,
        "calls_made": calls_made,
        "calls_received": 0,
    }


DEALS = pd.DataFrame(
    {
        "opportunity_id": ["opp-1", "opp-2", "opp-3"],
        "account_id": ["acc-1", "acc-1", "acc-2"],
        "stage": ["propose", None, "qualify"],
        "stage_color": ["red", None, "dark blue"],
        "estimated_revenue": [12_000.0, None, 500.0],
        "estimated_close_date": [date(2026, 4, 2), date(2026, 5, 1), date(2026, 6, 30)],
        "health_score": [71, None, 0],
        "health_state": ["good", "not_applicable", "poor"],
    }
)


def test_the_deal_tracker_colours_each_stage_as_the_spec_says_in_css_names():
    color = charts.deal_tracker_chart(DEALS).to_dict()["encoding"]["color"]

    assert color["field"] == "stage"
    # kpis.md section 12: qualify dark blue, develop light blue, propose red, close purple; a deal
    # without a stage is gray.
    assert color["scale"] == {
        "domain": ["qualify", "develop", "propose", "close", "no stage"],
        "range": ["darkblue", "lightblue", "red", "purple", "gray"],
    }


def test_the_stage_scale_has_only_the_spec_stages_when_every_deal_has_one():
    scale = charts.stage_scale(["close", "qualify"]).to_dict()

    assert scale == {
        "domain": ["qualify", "develop", "propose", "close"],
        "range": ["darkblue", "lightblue", "red", "purple"],
    }


def test_the_deal_tracker_puts_close_date_on_x_health_on_y_with_0_when_missing_and_revenue_as_size():
    spec = charts.deal_tracker_chart(DEALS).to_dict()
    encoding = spec["encoding"]

    assert (encoding["x"]["field"], encoding["x"]["type"]) == ("estimated_close_date", "temporal")
    assert (encoding["y"]["field"], encoding["y"]["scale"]["domain"]) == ("health_score", [0, 100])
    assert (encoding["size"]["field"], encoding["size"]["type"]) == ("estimated_revenue", "quantitative")
    assert spec["mark"]["type"] == "circle"
    rows = {r["opportunity_id"]: r for r in only_dataset(spec)}
    assert rows["opp-2"]["health_score"] == 0  # no score: on the x axis
    assert rows["opp-2"]["stage"] == "no stage"
    assert rows["opp-2"]["estimated_revenue"] == 0.0  # no revenue: the smallest bubble
    assert rows["opp-1"]["estimated_close_date"] == "2026-04-02"
    assert rows["opp-1"]["health_score"] == 71 and rows["opp-1"]["estimated_revenue"] == 12_000.0


def test_the_top_accounts_are_the_most_active_over_the_days_ties_to_the_smaller_id():
    daily = pd.DataFrame(
        [
            activity_rows("acc-a", date(2026, 3, 30), emails_sent=1),  # 1 + 2 = 3
            activity_rows("acc-a", date(2026, 3, 31), meetings_sent=2),
            activity_rows("acc-b", date(2026, 3, 31), emails_received=5),  # 5
            activity_rows("acc-c", date(2026, 3, 31), calls_made=3),  # 3, ties with acc-a
            activity_rows("acc-d", date(2026, 3, 31)),  # 0
        ]
    )

    assert charts.top_accounts(daily, 3) == ["acc-b", "acc-a", "acc-c"]
    assert charts.top_accounts(daily, 10) == ["acc-b", "acc-a", "acc-c", "acc-d"]


def test_the_activity_chart_draws_one_line_per_top_account_with_the_day_total():
    daily = pd.DataFrame(
        [activity_rows(f"acc-{i}", date(2026, 3, 31), emails_sent=i) for i in range(1, 8)]
        + [activity_rows("acc-7", date(2026, 3, 30), emails_sent=2, calls_made=1)]
    )

    spec = charts.activity_chart(daily).to_dict()

    assert spec["encoding"]["color"]["field"] == "record_id"
    assert spec["encoding"]["color"]["sort"] == ["acc-7", "acc-6", "acc-5", "acc-4", "acc-3"]
    assert spec["encoding"]["y"]["field"] == "activities"
    rows = only_dataset(spec)
    assert {r["record_id"] for r in rows} == {"acc-3", "acc-4", "acc-5", "acc-6", "acc-7"}
    assert {(r["record_id"], r["day"]): r["activities"] for r in rows if r["record_id"] == "acc-7"} == {
        ("acc-7", "2026-03-31"): 7,
        ("acc-7", "2026-03-30"): 3,
    }


def test_the_health_states_chart_leaves_out_records_that_are_not_scored_and_colours_states_in_order():
    states = pd.DataFrame(
        {
            "record_type": ["contact", "contact", "opportunity", "account"],
            "health_state": ["poor", "good", "no_activities", "not_applicable"],
            "records": [4, 2, 1, 9],
        }
    )

    spec = charts.health_states_chart(states).to_dict()

    assert sorted((r["record_type"], r["health_state"], r["records"]) for r in only_dataset(spec)) == [
        ("contact", "good", 2),
        ("contact", "poor", 4),
        ("opportunity", "no_activities", 1),
    ]
    assert spec["encoding"]["color"]["scale"] == {
        "domain": ["good", "poor", "no_activities"],
        "range": ["#2e7d32", "#c62828", "#d6d6d6"],
    }


def test_the_health_histogram_labels_bins_of_ten_points_and_the_last_one_holds_100():
    bins = pd.DataFrame({"score_bin": [0, 40, 90], "health_state": ["poor", "fair", "good"], "records": [3, 1, 2]})

    spec = charts.health_histogram_chart(bins).to_dict()

    assert [(r["score_range"], r["records"]) for r in only_dataset(spec)] == [("0-9", 3), ("40-49", 1), ("90-100", 2)]
    assert spec["encoding"]["x"]["scale"]["domain"][-2:] == ["80-89", "90-100"]


def test_the_health_trend_is_the_mean_score_per_day_and_record_type():
    trend = pd.DataFrame(
        {
            "as_of_date": [date(2026, 3, 30), date(2026, 3, 31)],
            "record_type": ["contact", "contact"],
            "avg_health_score": [41.5, 44.0],
            "scored_records": [10, 11],
        }
    )

    spec = charts.health_trend_chart(trend).to_dict()

    assert (spec["encoding"]["x"]["field"], spec["encoding"]["y"]["field"]) == ("as_of_date", "avg_health_score")
    assert [(r["as_of_date"], r["avg_health_score"]) for r in only_dataset(spec)] == [
        ("2026-03-30", 41.5),
        ("2026-03-31", 44.0),
    ]


def test_the_health_trend_breaks_its_line_on_days_without_a_run():
    trend = pd.DataFrame(
        {
            "as_of_date": [date(2026, 3, 28), date(2026, 3, 31), date(2026, 3, 31)],
            "record_type": ["lead", "lead", "contact"],
            "avg_health_score": [30.0, 35.0, 50.0],
            "scored_records": [3, 4, 5],
        }
    )

    spec = charts.health_trend_chart(trend).to_dict()

    lead = [(r["as_of_date"], r["avg_health_score"]) for r in only_dataset(spec) if r["record_type"] == "lead"]
    assert lead == [("2026-03-28", 30.0), ("2026-03-29", None), ("2026-03-30", None), ("2026-03-31", 35.0)]
    assert spec["mark"]["invalid"] == "break-paths-show-domains"  # a null is a gap, not a joined line


def benchmark_row(**values) -> pd.DataFrame:
    row = {"opportunity_id": "opp-9", "similar_deals": 10, "is_fallback": False}
    for column in charts.BENCHMARK_KPIS:
        row[column] = None
        row[f"similar_{column}"] = None
    row.update(values)
    return pd.DataFrame([row])


def test_the_benchmark_puts_each_kpi_of_the_deal_beside_its_similar_deals_average_and_drops_empty_kpis():
    pdf = benchmark_row(
        team_hours=3.5, similar_team_hours=6.25, avg_response_hours_by_us=None, similar_avg_response_hours_by_us=12.0
    )

    long = charts.benchmark_long(pdf)

    assert long.to_dict("records") == [
        {"measure": "team hours", "who": "this deal", "value": 3.5},
        {"measure": "team hours", "who": "similar won deals", "value": 6.25},
        {"measure": "response hours, by us", "who": "similar won deals", "value": 12.0},
    ]
    spec = charts.benchmark_chart(pdf).to_dict()
    assert spec["facet"]["row"]["field"] == "measure"
    assert spec["resolve"]["scale"]["x"] == "independent"  # hours beside ratios, each on its scale
    assert spec["title"] == "opp-9 against its similar won deals"


def test_sentiment_stacks_the_shares_per_period_in_the_spec_order():
    sentiment = pd.DataFrame(
        {
            "period": ["custom:2026-01-01..2026-03-31", "all_time", "last_7_days"],
            "calls_analysed": [4, 10, 0],
            "pct_positive": [50.0, 60.0, None],
            "pct_neutral": [25.0, 30.0, None],
            "pct_negative": [25.0, 10.0, None],
        }
    )

    spec = charts.sentiment_chart(sentiment).to_dict()

    assert spec["encoding"]["y"]["sort"] == ["last_7_days", "all_time", "custom:2026-01-01..2026-03-31"]
    assert sorted((r["period"], r["sentiment"], r["pct"]) for r in only_dataset(spec) if r["period"] == "all_time") == [
        ("all_time", "negative", 10.0),
        ("all_time", "neutral", 30.0),
        ("all_time", "positive", 60.0),
    ]
    assert not [r for r in only_dataset(spec) if r["period"] == "last_7_days"]  # no calls: no bars


def test_top_sellers_compares_the_top_group_with_the_whole_team():
    sellers = pd.DataFrame(
        [
            {"group": "top", **dict.fromkeys(charts.TOP_SELLER_KPIS, None), "talk_pct": 42.0},
            {"group": "team", **dict.fromkeys(charts.TOP_SELLER_KPIS, None), "talk_pct": 55.0, "call_hours": 2.0},
        ]
    )

    rows = only_dataset(charts.top_sellers_chart(sellers, "all_time").to_dict())

    assert [(r["measure"], r["who"], r["value"]) for r in rows] == [
        ("talk %", "top sellers", 42.0),
        ("talk %", "whole team", 55.0),
        ("call hours", "whole team", 2.0),
    ]


def test_recording_draws_a_line_per_measure_by_month():
    recording = pd.DataFrame(
        {
            "month": [date(2026, 2, 1), date(2026, 3, 1)],
            "calls_recorded": [5, 8],
            "calls_with_keywords": [2, 3],
            "calls_with_competitors_or_brands": [0, 1],
        }
    )

    spec = charts.recording_chart(recording).to_dict()

    assert spec["encoding"]["x"]["timeUnit"] == "utcyearmonth"
    assert {(r["month"], r["measure"]): r["calls"] for r in only_dataset(spec)}[("2026-03-01", "calls recorded")] == 8


def test_tables_escape_values_and_show_null_as_a_dash():
    table = charts.html_table(
        pd.DataFrame({"term": ["<b>x</b>", None], "rate": [0.25, float("nan")]}), {"rate": "{:.0%}"}
    )

    assert "<td>&lt;b&gt;x&lt;/b&gt;</td><td>25%</td>" in table
    assert "<td>&mdash;</td><td>&mdash;</td>" in table


@pytest.fixture
def page():
    sections = [
        charts.Section("Deals", charts=[("chart-deals", charts.deal_tracker_chart(DEALS))]),
        charts.Section("Home page", missing="not computed yet: <code>gold.ci_sentiment</code>"),
    ]
    return charts.render_page("Report", "as of 2026-03-31", sections, "window.vegaEmbed = function () {}; // </script>")


def test_the_page_inlines_the_javascript_and_each_chart_spec_and_says_what_is_missing(page):
    assert '<div class="chart" id="chart-deals"></div>' in page
    assert 'const CHARTS = {"chart-deals":{' in page
    assert '<p class="missing">not computed yet: <code>gold.ci_sentiment</code></p>' in page
    assert "window.vegaEmbed = function () {}; // <\\/script>" in page  # the bundle cannot close its element
    assert "<script src=" not in page and "<link" not in page  # nothing to fetch


def test_data_cannot_close_the_script_element():
    assert charts.script_json({"name": "</script><script>alert(1)"}) == '{"name":"<\\/script><script>alert(1)"}'

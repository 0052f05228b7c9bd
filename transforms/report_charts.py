"""The report's charts (`make report`): small pandas frames read from gold -> Altair (Vega-Lite)
charts, and the one self-contained HTML page that shows them.

No Spark and no I/O here: `jobs/report.py` aggregates and limits in Spark, brings the small results
to the driver, and hands them to these builders; the page gets the Vega JavaScript as a string.
Every frame names people only by id, as gold does.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from schemas.gold import HEALTH_STATES, PERIODS, RELATIONSHIP_ACTIVITY_DAILY, SENTIMENT_LABELS, STAGE_COLORS

TOP_ACCOUNTS = 5
# What the deal tracker shows of gold.deal_tracker (the report reads only these).
DEAL_COLUMNS = (
    "opportunity_id",
    "account_id",
    "stage",
    "estimated_revenue",
    "estimated_close_date",
    "health_score",
    "health_state",
)
# The per-type counts of a day: every long column of relationship_activity_daily.
ACTIVITY_COLUMNS = tuple(f.name for f in RELATIONSHIP_ACTIVITY_DAILY.fields if f.dataType.simpleString() == "bigint")
NO_STAGE = "no stage"
NO_STAGE_COLOR = "gray"
# Health states in the order of the spec, good to none; accounts and closed deals
# (not_applicable) are not scored, so the distribution leaves them out.
SCORED_STATES = tuple(s for s in HEALTH_STATES if s != "not_applicable")
HEALTH_STATE_COLORS = {
    "good": "#2e7d32",
    "fair": "#f9a825",
    "poor": "#c62828",
    "not_enough_info": "#9e9e9e",
    "no_activities": "#d6d6d6",
}
SENTIMENT_COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
WIDE, NARROW = 1000, 440  # px: one chart across the page, or two side by side
# A facet's row label above its row, level: the measures' names are too long to stand rotated.
ROW_HEADER = alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top", labelFontWeight="bold")
# What the benchmark compares (kpis.md section 11): the deal's KPI and its similar deals' average.
BENCHMARK_KPIS = {
    "interactions_by_team": "interactions by team",
    "team_hours": "team hours",
    "customer_hours": "customer hours",
    "avg_response_hours_by_us": "response hours, by us",
    "avg_response_hours_by_them": "response hours, by them",
    "email_ratio_by_us": "email ratio, by us",
    "email_ratio_by_them": "email ratio, by them",
}
TOP_SELLER_KPIS = {
    "talk_pct": "talk %",
    "switches_per_hour": "switches per hour",
    "best_practice_per_call": "best practice per call",
    "pct_positive": "% positive calls",
    "pct_negative": "% negative calls",
    "email_hours": "email hours",
    "call_hours": "call hours",
    "meeting_hours": "meeting hours",
}
RECORDING_MEASURES = {
    "calls_recorded": "calls recorded",
    "calls_with_keywords": "calls mentioning keywords",
    "calls_with_competitors_or_brands": "calls mentioning competitors or brands",
}


def css_color(spec_color: str) -> str:
    """The spec's colour names are CSS's named colours with a space: "dark blue" is `darkblue`."""
    return spec_color.replace(" ", "")


def _iso_days(values: pd.Series) -> pd.Series:
    """Days as ISO text (what Vega-Lite parses as UTC midnight); the charts show them in UTC."""
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def _utc_day(column: str, title: str) -> alt.X:
    return alt.X(f"{column}:T", timeUnit="utcyearmonthdate", title=title)


# --- 1. deal tracker (kpis.md section 12) -------------------------------------------------------


def stage_scale(stages: Sequence[str | None] = ()) -> alt.Scale:
    """The stage colours of the spec, in its order; a stage it does not name is gray."""
    extra = sorted({NO_STAGE if s is None else s for s in stages} - set(STAGE_COLORS))
    return alt.Scale(
        domain=[*STAGE_COLORS, *extra],
        range=[css_color(c) for c in STAGE_COLORS.values()] + [NO_STAGE_COLOR] * len(extra),
    )


def deal_tracker_chart(deals_pdf: pd.DataFrame) -> alt.Chart:
    """One bubble per open deal: estimated close date (x), health score (y, 0 when missing),
    estimated revenue (size) and stage (colour, the spec's)."""
    data = deals_pdf.assign(
        estimated_close_date=_iso_days(deals_pdf["estimated_close_date"]),
        health_score=deals_pdf["health_score"].fillna(0).astype(int),
        estimated_revenue=deals_pdf["estimated_revenue"].fillna(0.0),
        stage=deals_pdf["stage"].fillna(NO_STAGE),
    )[list(DEAL_COLUMNS)]
    return (
        alt.Chart(data, title="Deal tracker: open deals by close date and health")
        .mark_circle(opacity=0.7, stroke="white", strokeWidth=0.5)
        .encode(
            x=_utc_day("estimated_close_date", "estimated close date").scale(padding=24),
            y=alt.Y("health_score:Q", title="health score", scale=alt.Scale(domain=[0, 100])),
            size=alt.Size("estimated_revenue:Q", title="estimated revenue", scale=alt.Scale(range=[30, 1500])),
            color=alt.Color("stage:N", title="stage", scale=stage_scale(data["stage"].tolist())),
            tooltip=[
                "opportunity_id:N",
                "account_id:N",
                "stage:N",
                alt.Tooltip("estimated_revenue:Q", format=",.0f"),
                alt.Tooltip("estimated_close_date:T", timeUnit="utcyearmonthdate"),
                "health_score:Q",
                "health_state:N",
            ],
        )
        .properties(width=WIDE, height=360)
    )


# --- 2. relationship activity of the top accounts (section 7) -----------------------------------


def with_activities(daily_pdf: pd.DataFrame) -> pd.DataFrame:
    """Adds `activities`: the emails, meetings and calls of the day, both ways."""
    return daily_pdf.assign(activities=daily_pdf[list(ACTIVITY_COLUMNS)].sum(axis=1).astype(int))


def top_accounts(daily_pdf: pd.DataFrame, n: int = TOP_ACCOUNTS) -> list[str]:
    """The n records with the most activities over their rows; ties go to the smaller id."""
    totals = with_activities(daily_pdf).groupby("record_id", as_index=False)["activities"].sum()
    return totals.sort_values(["activities", "record_id"], ascending=[False, True])["record_id"].head(n).tolist()


def activity_chart(daily_pdf: pd.DataFrame, n: int = TOP_ACCOUNTS) -> alt.Chart:
    """The activities of each day of the 60, one line per top account (most active first)."""
    ranked = top_accounts(daily_pdf, n)
    data = with_activities(daily_pdf[daily_pdf["record_id"].isin(ranked)])
    data = data.assign(day=_iso_days(data["day"]))[["record_id", "day", "activities", *ACTIVITY_COLUMNS]]
    return (
        alt.Chart(data, title=f"Relationship activity, last 60 days: the {len(ranked)} most active accounts")
        .mark_line(point=True, strokeWidth=1.5)
        .encode(
            x=_utc_day("day", "day"),
            y=alt.Y("activities:Q", title="emails, meetings and calls"),
            color=alt.Color("record_id:N", title="account", sort=ranked),
            tooltip=[
                "record_id:N",
                alt.Tooltip("day:T", timeUnit="utcyearmonthdate"),
                "activities:Q",
                *ACTIVITY_COLUMNS,
            ],
        )
        .properties(width=WIDE, height=280)
    )


# --- 3. health (section 9) ----------------------------------------------------------------------


def _state_color(states: Sequence[str]) -> alt.Color:
    domain = [s for s in SCORED_STATES if s in set(states)]
    return alt.Color(
        "health_state:N",
        title="health state",
        sort=list(SCORED_STATES),
        scale=alt.Scale(domain=domain, range=[HEALTH_STATE_COLORS[s] for s in domain]),
    )


def health_states_chart(states_pdf: pd.DataFrame) -> alt.Chart:
    """Records per health state and record type (columns record_type, health_state, records)."""
    data = states_pdf[states_pdf["health_state"].isin(SCORED_STATES)]
    return (
        alt.Chart(data, title="Health states")
        .mark_bar()
        .encode(
            y=alt.Y("record_type:N", title=None),
            x=alt.X("sum(records):Q", title="records", stack="zero"),
            color=_state_color(data["health_state"].tolist()),
            order=alt.Order("state_order:Q"),
            tooltip=["record_type:N", "health_state:N", "records:Q"],
        )
        .transform_calculate(state_order=f"indexof({json.dumps(list(SCORED_STATES))}, datum.health_state)")
        .properties(width=NARROW, height=160)
    )


def health_histogram_chart(bins_pdf: pd.DataFrame) -> alt.Chart:
    """Scored records per ten points of health score (columns score_bin 0, 10, ..., 90 where 90
    holds 90-100, health_state, records)."""
    data = bins_pdf.assign(score_range=bins_pdf["score_bin"].map(lambda b: f"{b}-{b + 9}" if b < 90 else "90-100"))
    ranges = [f"{b}-{b + 9}" for b in range(0, 90, 10)] + ["90-100"]
    return (
        alt.Chart(data, title="Health score distribution")
        .mark_bar()
        .encode(
            x=alt.X("score_range:O", title="health score", sort=ranges, scale=alt.Scale(domain=ranges)),
            y=alt.Y("sum(records):Q", title="records"),
            color=_state_color(data["health_state"].tolist()),
            tooltip=["score_range:O", "health_state:N", "records:Q"],
        )
        .properties(width=NARROW, height=160)
    )


def health_trend_chart(trend_pdf: pd.DataFrame) -> alt.Chart:
    """The mean health score of scored records per as-of day and record type (columns
    as_of_date, record_type, avg_health_score, scored_records). A day the daily job did not run
    for is a gap in the line, not a straight line across it."""
    days = pd.to_datetime(trend_pdf["as_of_date"])
    every_day = pd.MultiIndex.from_product(
        [pd.date_range(days.min(), days.max(), freq="D"), sorted(trend_pdf["record_type"].unique())],
        names=["as_of_date", "record_type"],
    )
    data = trend_pdf.assign(as_of_date=days).set_index(["as_of_date", "record_type"]).reindex(every_day).reset_index()
    data = data.assign(as_of_date=_iso_days(data["as_of_date"]))
    return (
        alt.Chart(data, title="Health trend: mean score of scored records")
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(
            x=_utc_day("as_of_date", "as of"),
            y=alt.Y("avg_health_score:Q", title="mean health score", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("record_type:N", title="record type"),
            tooltip=[
                alt.Tooltip("as_of_date:T", timeUnit="utcyearmonthdate"),
                "record_type:N",
                alt.Tooltip("avg_health_score:Q", format=".1f"),
                "scored_records:Q",
            ],
        )
        .properties(width=WIDE, height=220)
    )


# --- 4. similar won deals (section 11) and the manager home page (section 13) --------------------


def _side_by_side(long_pdf: pd.DataFrame, who: list[str], colors: list[str], title: str) -> alt.FacetChart:
    """One row per measure, a bar per `who`; each measure on its own scale (hours beside ratios)."""
    return (
        alt.Chart(long_pdf)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("who:N", title=None, sort=who),
            color=alt.Color("who:N", title=None, sort=who, scale=alt.Scale(domain=who, range=colors)),
            tooltip=["measure:N", "who:N", alt.Tooltip("value:Q", format=",.2f")],
        )
        .properties(width=NARROW, height=40)
        .facet(
            row=alt.Row(
                "measure:N", title=None, sort=long_pdf["measure"].drop_duplicates().tolist(), header=ROW_HEADER
            ),
            title=title,
        )
        .resolve_scale(x="independent")
    )


def benchmark_long(benchmark_pdf: pd.DataFrame) -> pd.DataFrame:
    """One deal's benchmark row as (measure, who, value): the deal's KPI and its similar won deals'
    average; a KPI that is null on both sides is left out."""
    (row,) = benchmark_pdf.to_dict("records")
    rows = []
    for column, label in BENCHMARK_KPIS.items():
        pair = {"this deal": row[column], "similar won deals": row[f"similar_{column}"]}
        if any(pd.notna(v) for v in pair.values()):
            rows += [{"measure": label, "who": who, "value": v} for who, v in pair.items() if pd.notna(v)]
    return pd.DataFrame(rows, columns=["measure", "who", "value"])


def benchmark_chart(benchmark_pdf: pd.DataFrame) -> alt.FacetChart:
    """A deal's KPIs beside their averages over its similar won deals."""
    (deal,) = benchmark_pdf["opportunity_id"]
    return _side_by_side(
        benchmark_long(benchmark_pdf),
        ["this deal", "similar won deals"],
        ["#1f77b4", "#9e9e9e"],
        f"{deal} against its similar won deals",
    )


def sentiment_chart(sentiment_pdf: pd.DataFrame) -> alt.Chart:
    """% of calls positive, neutral and negative per period (org-wide rows)."""
    periods = ordered_periods(sentiment_pdf["period"])
    data = sentiment_pdf.melt(
        id_vars=["period", "calls_analysed"],
        value_vars=[f"pct_{s}" for s in SENTIMENT_LABELS],
        var_name="sentiment",
        value_name="pct",
    ).dropna(subset=["pct"])
    data["sentiment"] = data["sentiment"].str.removeprefix("pct_")
    return (
        alt.Chart(data, title="Customer sentiment of calls")
        .mark_bar()
        .encode(
            y=alt.Y("period:N", sort=periods, title=None),
            x=alt.X("pct:Q", title="% of calls analysed", stack="zero", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "sentiment:N",
                sort=list(SENTIMENT_LABELS),
                scale=alt.Scale(domain=list(SENTIMENT_COLORS), range=list(SENTIMENT_COLORS.values())),
            ),
            order=alt.Order("sentiment_order:Q"),
            tooltip=["period:N", "sentiment:N", alt.Tooltip("pct:Q", format=".1f"), "calls_analysed:Q"],
        )
        .transform_calculate(sentiment_order=f"indexof({json.dumps(list(SENTIMENT_LABELS))}, datum.sentiment)")
        .properties(width=NARROW, height=160)
    )


def top_terms_chart(terms_pdf: pd.DataFrame, period: str) -> alt.FacetChart:
    """The most mentioned tracked keywords, competitors and other brands of one period."""
    return (
        alt.Chart(terms_pdf)
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("mentions:Q", title="mentions"),
            y=alt.Y("term:N", title=None, sort=alt.EncodingSortField("rank", order="ascending")),
            tooltip=[
                "term_kind:N",
                "rank:Q",
                "term:N",
                "mentions:Q",
                "calls:Q",
                alt.Tooltip("trend_pct:Q", format=".1f"),
            ],
        )
        .properties(width=NARROW, height=alt.Step(14))
        .facet(
            row=alt.Row("term_kind:N", title=None, header=ROW_HEADER), title=f"Top terms in customer speech, {period}"
        )
        .resolve_scale(y="independent", x="independent")
    )


def top_sellers_chart(sellers_pdf: pd.DataFrame, period: str) -> alt.FacetChart:
    """The top sellers (won revenue above their team's mean) against the whole team, one period."""
    groups = sellers_pdf.set_index("group")
    rows = [
        {
            "measure": label,
            "who": f"{group} sellers" if group == "top" else "whole team",
            "value": groups.at[group, col],
        }
        for col, label in TOP_SELLER_KPIS.items()
        for group in ("top", "team")
        if group in groups.index and pd.notna(groups.at[group, col])
    ]
    return _side_by_side(
        pd.DataFrame(rows, columns=["measure", "who", "value"]),
        ["top sellers", "whole team"],
        ["#2e7d32", "#9e9e9e"],
        f"Top sellers against the whole team, {period}",
    )


def recording_chart(recording_pdf: pd.DataFrame) -> alt.Chart:
    """Calls recorded per calendar month, and those mentioning keywords, competitors or brands."""
    data = recording_pdf.assign(month=_iso_days(recording_pdf["month"])).melt(
        id_vars=["month"], value_vars=list(RECORDING_MEASURES), var_name="measure", value_name="calls"
    )
    data["measure"] = data["measure"].map(RECORDING_MEASURES)
    return (
        alt.Chart(data, title="Calls recorded by month")
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", timeUnit="utcyearmonth", title="month"),
            y=alt.Y("calls:Q", title="calls"),
            color=alt.Color(
                "measure:N", title=None, sort=list(RECORDING_MEASURES.values()), legend=alt.Legend(labelLimit=320)
            ),
            tooltip=[alt.Tooltip("month:T", timeUnit="utcyearmonth"), "measure:N", "calls:Q"],
        )
        .properties(width=NARROW, height=200)
    )


def ordered_periods(periods: pd.Series) -> list[str]:
    """The home page's periods in the spec's order, custom ranges after them."""
    present = set(periods)
    return [p for p in PERIODS if p in present] + sorted(present - set(PERIODS))


# --- the page -----------------------------------------------------------------------------------


def html_table(pdf: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    """A small frame as an HTML table, every value escaped; null shows as an em dash."""
    formats = formats or {}

    def cell(column: str, value) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return "&mdash;"
        return html.escape(formats[column].format(value) if column in formats else str(value))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in pdf.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(c, v)}</td>" for c, v in zip(pdf.columns, row, strict=True)) + "</tr>"
        for row in pdf.itertuples(index=False)
    )
    return f'<table class="figures"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


@dataclass
class Section:
    """A part of the page: `lead`, its charts, then `html`; `missing` says what it lacks and why.
    `intro`, `lead`, `html` and `missing` are HTML, put on the page as they are: whoever builds them
    escapes the values of data in them."""

    title: str
    intro: str = ""
    lead: str = ""  # before the charts
    charts: list[tuple[str, alt.TopLevelMixin]] = field(default_factory=list)  # (id, chart)
    html: str = ""
    missing: str | None = None


def script_json(value) -> str:
    """JSON safe inside a <script> element: no `</` can close it early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px 40px;
       color: #222; max-width: 1200px; }
h1 { margin-bottom: 0; } .subtitle { color: #666; margin-top: 4px; }
section { margin-top: 28px; border-top: 1px solid #ddd; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.missing { color: #8a6d3b; background: #fcf8e3; padding: 8px 12px; border-radius: 4px; }
.chart-error { color: #a94442; background: #f2dede; padding: 8px 12px; }
table.figures { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.figures th, table.figures td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
table.figures th { background: #f5f5f5; } table.figures td:first-child { text-align: left; }
"""

# Each chart's element says how its embedding ended: data-rendered="true", or data-error with
# the message shown in its place; a headless browser (the test) reads that from the DOM.
EMBED_SCRIPT = """
for (const [id, spec] of Object.entries(CHARTS)) {
  const el = document.getElementById(id);
  vegaEmbed(el, spec, {actions: false, renderer: "svg"})
    .then(() => { el.dataset.rendered = "true"; })
    .catch((error) => {
      el.dataset.error = String(error);
      el.innerHTML = '<p class="chart-error"></p>';
      el.firstChild.textContent = "this chart failed to draw: " + error;
    });
}
"""


def render_page(title: str, subtitle: str, sections: list[Section], vega_bundle: str) -> str:
    """The whole report as one HTML document: the Vega, Vega-Lite and vega-embed JavaScript inline,
    each chart's Vega-Lite spec with its data, so it opens with no network."""
    specs = {}
    parts = []
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        if section.intro:
            parts.append(f"<p>{section.intro}</p>")
        if section.missing is not None:
            parts.append(f'<p class="missing">{section.missing}</p>')
        parts.append(section.lead)
        if section.charts:
            parts.append('<div class="charts">')
            for chart_id, chart in section.charts:
                specs[chart_id] = chart.to_dict()
                parts.append(f'<div class="chart" id="{html.escape(chart_id)}"></div>')
            parts.append("</div>")
        parts.append(section.html)
        parts.append("</section>")
    bundle = vega_bundle.replace("</script", "<\\/script")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{PAGE_STYLE}</style>\n"
        f"<script>\n{bundle}\n</script>\n</head>\n<body>\n"
        f'<h1>{html.escape(title)}</h1>\n<p class="subtitle">{subtitle}</p>\n'
        + "\n".join(parts)
        + f"\n<script>\nconst CHARTS = {script_json(specs)};\n{EMBED_SCRIPT}</script>\n</body>\n</html>\n"
    )

"""The HTML report (`make report`): one self-contained page of charts drawn from the gold tables.

Reads gold by path through `Lake`, aggregates and limits in Spark so that only small, bounded
frames reach the driver, draws them with the builders of `transforms/report_charts.py` (Altair,
i.e. Vega-Lite), and writes one HTML file with the Vega JavaScript inline: it opens offline. A gold
table that does not exist yet gives its section a "not computed yet" line, never an error.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from pathlib import Path

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import dq_docs
from jobs.config import Config, is_uri
from jobs.lake import GOLD, Lake, beside_lake
from jobs.runtime import JobError, build_session, iso_date, job_parser, parse_job_args, run_job
from transforms import report_charts as charts
from transforms.report_charts import Section

log = logging.getLogger("rapport.report")

DESCRIPTION = """\
Render the gold tables as one self-contained HTML page (the chart library is inlined, so the page
opens with no network): the deal tracker, the 60-day activity of the most active accounts, health
(states, score distribution, trend), a deal's similar won deals, the manager home page figures, and
a link to the data quality docs. Reads only; a table not computed yet is said so on the page.

examples:
  python -m jobs.report                                  # latest day in gold -> data/report/index.html
  python -m jobs.report --as-of 2026-03-31 --deal opp-0000003 --out /tmp/report.html
"""

MAX_DEALS = 1000  # bubbles on the deal tracker: the largest deals by estimated revenue
TREND_DAYS = 90  # as-of days on the health trend, up to the report's day
RECORDING_MONTHS = 24
TOP_TERMS = 10  # per term kind
SIMILAR_SHOWN = 10  # rows of the chosen deal's similar won deals (a fallback week has up to 100)
DEFAULT_PERIOD = "all_time"  # the one period that has rows whenever calls exist
REPORTED_TABLES = (
    "deal_tracker",
    "relationship_activity_daily",
    "relationship_kpis",
    "opportunity_benchmark",
    "similar_won_deals",
    "sales_base_kpis",
    "ci_sentiment",
    "call_recording_kpis",
    "ci_top_terms",
    "ci_top_sellers",
)


@dataclass
class Report:
    path: Path
    as_of: date
    charts: list[str]  # ids of the charts drawn
    missing: list[str]  # gold tables not computed yet
    deal: str | None


def default_out(config: Config) -> Path:
    """`<dirname of paths.lake>/report/index.html`: data/report/index.html in the embedded default."""
    return beside_lake(config) / "report" / "index.html"


def dq_docs_index(config: Config) -> Path:
    """Where `make dq-docs` writes the Great Expectations data docs by default."""
    return dq_docs.default_out(config) / "index.html"


def shown_path(location: str) -> str:
    """A lake under the working directory as the user configured it (data/lake), else as it is."""
    if is_uri(location) or not Path(location).is_relative_to(Path.cwd()):
        return location
    return str(Path(location).relative_to(Path.cwd()))


def latest_as_of(lake: Lake) -> date:
    """The latest day the daily job wrote, the report's default day."""
    for table in ("relationship_kpis", "deal_tracker", "sales_base_kpis"):
        if lake.exists(GOLD, table):
            latest = lake.read(GOLD, table).agg(F.max("as_of_date").alias("d")).first()["d"]
            if latest is not None:
                return latest
    raise JobError(f"no gold tables with rows under {lake.root}/gold: run the pipeline first (make run)")


def not_computed(lake: Lake, table: str, job: str) -> str:
    return (
        f"not computed yet: <code>{escape(lake.name(GOLD, table))}</code> does not exist; "
        f"run <code>python -m jobs.{job}</code> (or <code>make run</code>)"
    )


def no_rows(lake: Lake, table: str, as_of: date) -> str:
    return f"<code>{escape(lake.name(GOLD, table))}</code> has no rows for {as_of}."


def _to_pandas(df: DataFrame, what: str) -> pd.DataFrame:
    pdf = df.toPandas()
    log.info("read %s: %d rows to the driver", what, len(pdf))
    return pdf


def _day(lake: Lake, table: str, as_of: date) -> DataFrame:
    return lake.read(GOLD, table).filter(F.col("as_of_date") == F.lit(as_of))


# --- sections -----------------------------------------------------------------------------------


def deal_tracker_section(lake: Lake, as_of: date) -> Section:
    section = Section(
        "Deal tracker", intro="Open deals closing on or after the day; stage colours of kpis.md section 12."
    )
    if not lake.exists(GOLD, "deal_tracker"):
        section.missing = not_computed(lake, "deal_tracker", "daily_kpis")
        return section
    deals_df = _day(lake, "deal_tracker", as_of)
    largest_df = (
        deals_df.orderBy(F.col("estimated_revenue").desc_nulls_last(), "opportunity_id")
        .limit(MAX_DEALS)
        .select(*charts.DEAL_COLUMNS)
    )
    deals_pdf = _to_pandas(largest_df, f"{lake.name(GOLD, 'deal_tracker')} of {as_of}")
    if deals_pdf.empty:
        section.missing = no_rows(lake, "deal_tracker", as_of)
        return section
    if len(deals_pdf) == MAX_DEALS:
        section.intro += f" The {MAX_DEALS:,} largest by estimated revenue of {deals_df.count():,}."
    section.charts.append(("chart-deal-tracker", charts.deal_tracker_chart(deals_pdf)))
    return section


def activity_section(lake: Lake, as_of: date) -> Section:
    section = Section("Relationship activity")
    if not lake.exists(GOLD, "relationship_activity_daily"):
        section.missing = not_computed(lake, "relationship_activity_daily", "daily_kpis")
        return section
    accounts_df = _day(lake, "relationship_activity_daily", as_of).filter(F.col("record_type") == "account")
    # The ranking of charts.top_accounts, done in Spark first so that only the top accounts' 60 days
    # reach the driver; the chart ranks the same rows again, which changes nothing.
    total = sum((F.col(c) for c in charts.ACTIVITY_COLUMNS), F.lit(0))
    top_df = (
        accounts_df.groupBy("record_id")
        .agg(F.sum(total).alias("activities"))
        .orderBy(F.col("activities").desc(), "record_id")
        .limit(charts.TOP_ACCOUNTS)
        .select("record_id")
    )
    daily_df = accounts_df.join(top_df, on="record_id", how="left_semi").select(
        "record_id", "day", *charts.ACTIVITY_COLUMNS
    )
    daily_pdf = _to_pandas(daily_df, f"{lake.name(GOLD, 'relationship_activity_daily')} of the top accounts")
    if daily_pdf.empty:
        section.missing = no_rows(lake, "relationship_activity_daily", as_of)
        return section
    section.charts.append(("chart-activity", charts.activity_chart(daily_pdf)))
    return section


def health_section(lake: Lake, as_of: date) -> Section:
    section = Section(
        "Relationship health",
        intro="Contacts, open leads and open opportunities (accounts are not scored; kpis.md section 9).",
    )
    if not lake.exists(GOLD, "relationship_kpis"):
        section.missing = not_computed(lake, "relationship_kpis", "daily_kpis")
        return section
    kpis_df = lake.read(GOLD, "relationship_kpis")
    day_df = kpis_df.filter((F.col("as_of_date") == F.lit(as_of)) & (F.col("health_state") != "not_applicable"))
    states_pdf = _to_pandas(
        day_df.groupBy("record_type", "health_state").agg(F.count("*").alias("records")), "health states"
    )
    if states_pdf.empty:
        section.missing = f"no scored records on {as_of}."
        return section
    score_bin = F.least(F.floor(F.col("health_score") / 10) * 10, F.lit(90)).cast("int")
    bins_pdf = _to_pandas(
        day_df.filter(F.col("health_score").isNotNull())
        .groupBy(score_bin.alias("score_bin"), "health_state")
        .agg(F.count("*").alias("records")),
        "health score bins",
    )
    trend_df = (
        kpis_df.filter(F.col("as_of_date").between(F.lit(as_of - timedelta(days=TREND_DAYS - 1)), F.lit(as_of)))
        .filter(F.col("health_score").isNotNull())
        .groupBy("as_of_date", "record_type")
        .agg(F.avg("health_score").alias("avg_health_score"), F.count("*").alias("scored_records"))
    )
    trend_pdf = _to_pandas(trend_df, f"health trend over the {TREND_DAYS} days up to {as_of}")
    section.charts.append(("chart-health-states", charts.health_states_chart(states_pdf)))
    if not bins_pdf.empty:
        section.charts.append(("chart-health-scores", charts.health_histogram_chart(bins_pdf)))
    if not trend_pdf.empty:
        section.charts.append(("chart-health-trend", charts.health_trend_chart(trend_pdf)))
        if trend_pdf["as_of_date"].nunique() == 1:
            section.html = (
                "<p>The trend has one day so far: back-fill earlier days with "
                "<code>python -m jobs.daily_kpis --from F --to L</code>.</p>"
            )
    return section


def similar_deals_section(lake: Lake, as_of: date, deal: str | None) -> tuple[Section, str | None]:
    """The chosen deal's benchmark in the latest weekly refresh up to the day, and its similar won
    deals. Without `deal`: the open deal with the most similar deals, the first by id among equals."""
    section = Section("Similar won deals")
    for table in ("opportunity_benchmark", "similar_won_deals"):
        if not lake.exists(GOLD, table):
            section.missing = not_computed(lake, table, "similar_deals")
            return section, None
    benchmark_df = lake.read(GOLD, "opportunity_benchmark").filter(F.col("refreshed_on") <= F.lit(as_of))
    refreshed_on = benchmark_df.agg(F.max("refreshed_on").alias("d")).first()["d"]
    if refreshed_on is None:
        section.missing = (
            f"no weekly refresh of <code>{escape(lake.name(GOLD, 'opportunity_benchmark'))}</code> up to {as_of}."
        )
        return section, None
    week_df = benchmark_df.filter(F.col("refreshed_on") == F.lit(refreshed_on))
    if deal is None:
        first = week_df.orderBy(F.col("similar_deals").desc(), "opportunity_id").select("opportunity_id").first()
        deal = first["opportunity_id"] if first else None
    if deal is None:
        section.missing = f"no open deals in the refresh of {refreshed_on}."
        return section, None
    benchmark_pdf = _to_pandas(week_df.filter(F.col("opportunity_id") == F.lit(deal)), f"the benchmark of {deal}")
    if benchmark_pdf.empty:
        raise JobError(
            f"--deal {deal}: no such open deal in {lake.name(GOLD, 'opportunity_benchmark')}'s refresh of "
            f"{refreshed_on}; SELECT opportunity_id FROM {lake.name(GOLD, 'opportunity_benchmark')} lists them"
        )
    similar_df = (
        lake.read(GOLD, "similar_won_deals")
        .filter((F.col("refreshed_on") == F.lit(refreshed_on)) & (F.col("opportunity_id") == F.lit(deal)))
        .orderBy("rank")
        .limit(SIMILAR_SHOWN)
        .select(
            "rank",
            "similar_opportunity_id",
            "similarity",
            "activities",
            "team_hours",
            "avg_response_hours",
            "response_rate",
        )
    )
    similar_pdf = _to_pandas(similar_df, f"the similar won deals of {deal}")
    is_fallback = bool(benchmark_pdf["is_fallback"].iloc[0])
    section.intro = (
        f"Deal <code>{escape(deal)}</code> in the weekly refresh of {refreshed_on}: its relationship KPIs "
        f"beside the average over its {int(benchmark_pdf['similar_deals'].iloc[0])} similar won deals"
        + (
            " (a fallback week: too few closed deals to learn from, so the most recently closed won deals)."
            if is_fallback
            else "."
        )
        + " <code>--deal OPP_ID</code> picks another."
    )
    section.charts.append(("chart-benchmark", charts.benchmark_chart(benchmark_pdf)))
    section.html = f"<h3>The similar won deals of {escape(deal)}</h3>" + charts.html_table(
        similar_pdf,
        {"similarity": "{:.3f}", "team_hours": "{:.1f}", "avg_response_hours": "{:.1f}", "response_rate": "{:.0%}"},
    )
    return section, deal


def home_page_section(lake: Lake, as_of: date, period: str) -> Section:
    """The manager home page (kpis.md section 13), org-wide (`team_id` null)."""
    section = Section(
        "Manager home page", intro=f"The whole org on {as_of}; top terms and top sellers for {escape(period)}."
    )
    missing, notes = [], []

    def org(table: str) -> DataFrame | None:
        if not lake.exists(GOLD, table):
            missing.append(table)
            return None
        return _day(lake, table, as_of).filter(F.col("team_id").isNull())

    if (base_df := org("sales_base_kpis")) is not None:
        columns = [
            "period",
            "won_revenue",
            "open_pipeline",
            "deals_won",
            "deals_lost",
            "win_rate",
            "avg_deal_size",
            "days_left",
            "won_revenue_trend_pct",
        ]
        base_pdf = _to_pandas(base_df.select(*columns), "sales base KPIs")
        if base_pdf.empty:
            notes.append(no_rows(lake, "sales_base_kpis", as_of))
        else:
            order = charts.ordered_periods(base_pdf["period"])
            base_pdf = base_pdf.set_index("period").loc[order].reset_index()
            section.lead = "<h3>Sales base KPIs</h3>" + charts.html_table(
                base_pdf,
                {
                    "won_revenue": "{:,.0f}",
                    "open_pipeline": "{:,.0f}",
                    "win_rate": "{:.0%}",
                    "avg_deal_size": "{:,.0f}",
                    "won_revenue_trend_pct": "{:+.1f}%",
                },
            )
    if (sentiment_df := org("ci_sentiment")) is not None:
        sentiment_pdf = _to_pandas(
            sentiment_df.select("period", "calls_analysed", *(f"pct_{s}" for s in charts.SENTIMENT_LABELS)),
            "call sentiment",
        )
        if sentiment_pdf.empty:
            notes.append(no_rows(lake, "ci_sentiment", as_of))
        else:
            section.charts.append(("chart-sentiment", charts.sentiment_chart(sentiment_pdf)))
    if (recording_df := org("call_recording_kpis")) is not None:
        recent_df = recording_df.orderBy(F.col("month").desc()).limit(RECORDING_MONTHS)
        recording_pdf = _to_pandas(recent_df.select("month", *charts.RECORDING_MEASURES), "call recording by month")
        if recording_pdf.empty:
            notes.append(no_rows(lake, "call_recording_kpis", as_of))
        else:
            section.charts.append(("chart-recording", charts.recording_chart(recording_pdf)))
    if (terms_df := org("ci_top_terms")) is not None:
        terms_pdf = _to_pandas(
            terms_df.filter((F.col("period") == period) & (F.col("rank") <= TOP_TERMS)).select(
                "term_kind", "rank", "term", "mentions", "calls", "trend_pct"
            ),
            f"top terms of {period}",
        )
        if terms_pdf.empty:
            notes.append(f"no terms mentioned in {escape(period)}.")
        else:
            section.charts.append(("chart-top-terms", charts.top_terms_chart(terms_pdf, period)))
    if (sellers_df := org("ci_top_sellers")) is not None:
        sellers_pdf = _to_pandas(
            sellers_df.filter(F.col("period") == period).select("group", *charts.TOP_SELLER_KPIS),
            f"top sellers of {period}",
        )
        if sellers_pdf.empty:
            notes.append(f"no top sellers for {escape(period)}.")
        else:
            section.charts.append(("chart-top-sellers", charts.top_sellers_chart(sellers_pdf, period)))
    if missing:
        names = ", ".join(f"<code>{escape(lake.name(GOLD, t))}</code>" for t in missing)
        notes.insert(0, f"not computed yet: {names}; run <code>python -m jobs.conversation_insights</code>")
    if notes:
        section.missing = "<br>".join(notes)
    return section


def data_quality_section(config: Config, out: Path) -> Section:
    """A link to the Great Expectations data docs of `make dq-docs`, relative to the page."""
    section = Section("Data quality")
    index = dq_docs_index(config)
    if index.is_file():
        link = os.path.relpath(index.resolve(), out.resolve().parent)
        section.html = (
            f"<p>Every gold table is validated by its Great Expectations suite before it is written: "
            f'<a href="{escape(link)}">the data docs</a> show the latest results.</p>'
        )
    else:
        section.missing = (
            "The Great Expectations data docs are not built yet: <code>make dq-docs</code> writes them to "
            f"<code>{escape(str(index))}</code>, "
            "then run <code>make report</code> again for the link."
        )
    return section


# --- the job ------------------------------------------------------------------------------------


def vega_bundle() -> str:
    """Vega, Vega-Lite (the version this Altair writes) and vega-embed as one script, from the
    vl-convert-python package: no CDN, no network."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())


def run(
    spark: SparkSession,
    config: Config,
    *,
    as_of: date | None = None,
    out: Path | None = None,
    deal: str | None = None,
    period: str = DEFAULT_PERIOD,
) -> Report:
    started = time.monotonic()
    lake = Lake(spark, config)
    as_of = as_of or latest_as_of(lake)
    out = Path(out) if out is not None else default_out(config)
    similar, deal = similar_deals_section(lake, as_of, deal)
    sections = [
        deal_tracker_section(lake, as_of),
        activity_section(lake, as_of),
        health_section(lake, as_of),
        similar,
        home_page_section(lake, as_of, period),
        data_quality_section(config, out),
    ]
    page = charts.render_page(
        "Rapport report",
        f"Gold tables of <code>{escape(shown_path(lake.root))}</code> as of {as_of}. Gold names people only by id.",
        sections,
        vega_bundle(),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    chart_ids = [chart_id for s in sections for chart_id, _ in s.charts]
    missing = [t for t in REPORTED_TABLES if not lake.exists(GOLD, t)]
    log.info(
        "wrote %s (%.1f MB): %d charts as of %s%s (%.1f s)",
        out,
        out.stat().st_size / 1e6,
        len(chart_ids),
        as_of,
        f"; not computed yet: {', '.join(missing)}" if missing else "",
        time.monotonic() - started,
    )
    return Report(out, as_of, chart_ids, missing, deal)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("report", DESCRIPTION, as_of=False)
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        type=iso_date,
        default=None,
        # not `as_of`: parse_job_args turns an absent --as-of into today, and the report's is the latest
        dest="day",
        help="the day to show (default: the latest in gold)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        type=Path,
        default=None,
        help="the HTML file (default: <dirname of paths.lake>/report/index.html, i.e. data/report/index.html)",
    )
    parser.add_argument(
        "--deal", metavar="OPP_ID", default=None, help="the open deal whose similar won deals are shown"
    )
    parser.add_argument(
        "--period",
        default=DEFAULT_PERIOD,
        help=f"the home page period of top terms and sellers (default: {DEFAULT_PERIOD})",
    )
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-report")
        run(spark, config, as_of=args.day, out=args.out, deal=args.deal, period=args.period)
        return 0

    return run_job(body, "report")


if __name__ == "__main__":
    raise SystemExit(main())

"""Daily conversation intelligence: silver calls and transcripts -> the gold tables of kpis.md section 13.

For the as-of day T (end of that day, UTC) the job computes every table of
`schemas.gold.CONVERSATION_TABLES`: per call (`call_insights`, `call_mentions`) and the sales
manager's home page for every period and team (`sales_base_kpis`, `ci_sentiment`, `ci_top_terms`,
`ci_top_sellers`, `call_recording_kpis`), validates each with its Great Expectations suite, and
replaces exactly the `as_of_date = T` slice of it, like the daily relationship KPIs: running a
day twice changes nothing. The formulas live in `transforms/call_insights.py`,
`transforms/home_page.py` and `transforms/periods.py`.

A call whose transcript text retention removed (`jobs/retention.py`) keeps the text measures and
mentions of its gold rows of an earlier day (the latest up to T, else the first after), so the
sentiment, terms and pace of old calls, and every table made of them, stay as they were computed.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.config import Config
from jobs.daily_kpis import publish
from jobs.lake import GOLD, SILVER, Lake
from jobs.quality import keeps_validations
from jobs.runtime import JobError, build_session, iso_date, job_parser, parse_job_args, run_job
from transforms.as_of import person_minutes
from transforms.call_insights import (
    as_of_end,
    call_insights,
    call_mentions,
    call_records,
    call_sellers,
    counted_calls,
    earlier_text_rows,
    participant_name_words,
    people_names,
    text_removed_calls,
    with_earlier_text_measures,
)
from transforms.home_page import call_recording_kpis, ci_sentiment, ci_top_sellers, ci_top_terms, sales_base_kpis
from transforms.mentions import TrackedTerms
from transforms.periods import custom_name, periods_at, windows_frame
from transforms.sentiment import call_languages

log = logging.getLogger("rapport.conversation_insights")

DESCRIPTION = """\
Compute the conversation intelligence gold tables as of a day T (end of day, UTC) from silver: per
call (call_insights: talk/listen, switches, pace, pauses, monologues, customer sentiment, language;
call_mentions: tracked keywords, competitors, best practice and other brands) and the sales
manager's home page for last_24_hours, last_7_days, this_month, last_month, all_time and an optional
custom range, per team and org-wide (sales_base_kpis, ci_sentiment, ci_top_terms, ci_top_sellers,
call_recording_kpis). Replaces exactly the as_of_date = T slice of each table.

examples:
  python -m jobs.conversation_insights --as-of 2026-03-31
  python -m jobs.conversation_insights --as-of 2026-03-31 --period-from 2026-01-01 --period-to 2026-03-31
"""

SILVER_INPUTS = (
    "users",
    "contacts",
    "leads",
    "opportunities",
    "activities",
    "activity_participants",
    "record_links",
    "call_turns",
    "call_fragments",
)


def tracked_terms(config: Config) -> TrackedTerms:
    tracking = config.tracking
    return TrackedTerms(
        keywords=tuple(tracking.keywords),
        competitors=tuple(tracking.competitors),
        best_practice=tuple(tracking.best_practice_keywords),
        own_brands=tuple(config.org.brands),
    )


def compute(
    spark: SparkSession,
    silver: dict[str, DataFrame],
    as_of: date,
    config: Config,
    custom=None,
    earlier: dict[str, DataFrame] | None = None,
) -> dict[str, DataFrame]:
    """Every conversation table as of the end of `as_of`, as frames (no writes). `earlier`: gold
    `call_insights` and `call_mentions` as written so far (every day), where calls whose text is
    gone keep what the text gave."""
    users_df, fragments_df = silver["users"], silver["call_fragments"]
    calls_df = counted_calls(silver["activities"], as_of).localCheckpoint()
    sellers_df = call_sellers(calls_df, fragments_df, silver["activity_participants"], users_df).localCheckpoint()
    turns_df = silver["call_turns"].join(calls_df.select("call_id"), on="call_id", how="left_semi")
    removed_df = text_removed_calls(turns_df).localCheckpoint()
    text_turns_df = turns_df.join(removed_df, on="call_id", how="left_anti")  # the calls with text
    languages_df = call_languages(text_turns_df).localCheckpoint()
    insights_df = call_insights(
        calls_df,
        turns_df,
        fragments_df,
        sellers_df,
        call_records(calls_df, silver["record_links"]),
        languages_df,
    )
    earlier_mentions_df = None
    if not removed_df.isEmpty():
        history = earlier or {}
        earlier_insights_df = None
        if history.get("call_insights") is not None and history.get("call_mentions") is not None:
            earlier_insights_df, earlier_mentions_df = earlier_text_rows(
                history["call_insights"], history["call_mentions"], removed_df, as_of
            )
        insights_df = with_earlier_text_measures(insights_df, removed_df, earlier_insights_df)
    # Checkpointed: computed once, and read before this run writes the day's slice of gold.
    insights_df = insights_df.localCheckpoint()
    names_df = participant_name_words(
        fragments_df.join(calls_df.select("call_id"), on="call_id", how="left_semi"),
        people_names(users_df, silver["contacts"], silver["leads"]),
    )
    mentions_df = call_mentions(
        text_turns_df, insights_df, names_df, tracked_terms(config), earlier_mentions_df
    ).localCheckpoint()
    end = as_of_end(as_of)
    windows_df = windows_frame(
        spark, periods_at(datetime.combine(as_of + timedelta(days=1), datetime.min.time()), custom)
    )
    transcribed_df = turns_df.select("call_id").distinct().withColumn("has_transcript", F.lit(True))
    recorded_df = (
        calls_df.join(transcribed_df, on="call_id", how="left")
        .filter(F.col("is_flagged_recorded") | F.coalesce(F.col("has_transcript"), F.lit(False)))
        .join(sellers_df, on="call_id", how="left")
        .select("call_id", "team_id", "started_at", "duration_seconds")
    )
    minutes_df = person_minutes(silver["activities"], silver["activity_participants"])
    opportunities_df = silver["opportunities"]
    return {
        "call_insights": insights_df,
        "call_mentions": mentions_df,
        "sales_base_kpis": sales_base_kpis(opportunities_df, users_df, windows_df, end),
        "ci_sentiment": ci_sentiment(insights_df, users_df, windows_df),
        "ci_top_terms": ci_top_terms(mentions_df, insights_df, windows_df, config.kpi.conversation.top_terms),
        "ci_top_sellers": ci_top_sellers(
            opportunities_df, users_df, insights_df, mentions_df, minutes_df, windows_df, end
        ),
        "call_recording_kpis": call_recording_kpis(recorded_df, mentions_df, users_df, as_of),
    }


def read_earlier(lake: Lake) -> dict[str, DataFrame | None]:
    """Gold call_insights and call_mentions as written so far (None before their first run)."""
    return {t: lake.read(GOLD, t) if lake.exists(GOLD, t) else None for t in ("call_insights", "call_mentions")}


def read_silver(lake: Lake) -> dict[str, DataFrame]:
    missing = [t for t in SILVER_INPUTS if not lake.exists(SILVER, t)]
    if missing:
        raise JobError(f"silver tables missing: {', '.join(missing)}; run `python -m jobs.conform` first")
    log.info("read %s", ", ".join(f"{lake.name(SILVER, t)} {lake.rows(SILVER, t):,}" for t in SILVER_INPUTS))
    return {table: lake.read(SILVER, table) for table in SILVER_INPUTS}


@keeps_validations("conversation_insights")
def run(spark: SparkSession, config: Config, as_of: date, custom: tuple[date, date] | None = None) -> dict[str, int]:
    """Compute and publish every conversation table for `as_of`; return rows written per table."""
    started = time.monotonic()
    lake = Lake(spark, config)
    silver = read_silver(lake)
    computed_at = spark.sql("SELECT current_timestamp() AS t").first()["t"]
    if custom is not None:
        log.info("custom period %s", custom_name(*custom))
    written = {}
    top_terms = config.kpi.conversation.top_terms
    for table, df in compute(spark, silver, as_of, config, custom, read_earlier(lake)).items():
        max_rank = top_terms if table == "ci_top_terms" else None
        day_df = df.withColumn("as_of_date", F.lit(as_of))
        written[lake.name(GOLD, table)] = publish(lake, config, table, day_df, [as_of], computed_at, max_rank)
    log.info("conversation insights as of %s done in %.1f s", as_of, time.monotonic() - started)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("conversation_insights", DESCRIPTION)
    parser.add_argument("--period-from", metavar="YYYY-MM-DD", type=iso_date, help="first day of a custom period")
    parser.add_argument("--period-to", metavar="YYYY-MM-DD", type=iso_date, help="last day of a custom period")
    args, config = parse_job_args(parser, argv)
    if (args.period_from is None) != (args.period_to is None):
        parser.error("--period-from and --period-to go together")
    if args.period_from is not None and args.period_to < args.period_from:
        parser.error(f"--period-to {args.period_to} is before --period-from {args.period_from}")
    if args.period_from is not None and args.period_from > args.as_of:
        parser.error(f"--period-from {args.period_from} is after the as-of day {args.as_of}")
    custom = (args.period_from, args.period_to) if args.period_from else None

    def body() -> int:
        spark = build_session(config, "rapport-conversation-insights")
        run(spark, config, args.as_of, custom)
        return 0

    return run_job(body, "conversation_insights")


if __name__ == "__main__":
    raise SystemExit(main())

"""Daily relationship analytics: silver -> the gold tables of kpis.md sections 2 to 10 and 12.

For each as-of day T (end of that day, UTC) the job computes, from the activities that happened up
to T, every table of `schemas.gold.DAILY_TABLES`, validates each with its Great Expectations suite,
and replaces exactly the `as_of_date = T` slice of it: running a day twice changes nothing, and
earlier days stay, so history and trends are plain SQL. `--from/--to` back-fills a range, several
days per pass (`kpi.backfill_days_per_pass`); each day's rows are the ones a run for that day alone
gives.
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from expectations.runner import validate
from jobs.config import Config, KpiConfig
from jobs.conform import MADE_WITH_SETTING, stale_tables
from jobs.lake import GOLD, SILVER, Lake, cast_to, sql_string
from jobs.quality import keeps_validations
from jobs.runtime import JobError, build_session, iso_date, job_parser, parse_job_args, run_job
from schemas.gold import DAILY_TABLES, GOLD_TABLES
from transforms.activity_daily import relationship_activity_daily
from transforms.as_of import counting_activities, known_records, with_as_of_end
from transforms.deal_tracker import deal_tracker
from transforms.engagement import email_engagement, named_user_ids
from transforms.health import health_inputs, relationship_health
from transforms.people import most_contacted, who_knows_whom
from transforms.record_activity_days import counting_days
from transforms.relationship_kpis import (
    engagement_rates,
    interaction_counts,
    next_interactions,
    relationship_kpis,
    response_stats,
)
from transforms.threads import (
    day_scoped,
    email_responses,
    email_threads,
    emails_as_of,
    thread_edges,
    thread_labels,
    threads_changed_after,
    unscoped_threads,
)

log = logging.getLogger("rapport.daily_kpis")
gold_log = logging.getLogger("rapport.gold")  # what `publish` wrote, for every daily job

DESCRIPTION = """\
Compute the daily relationship analytics gold tables as of a day T (end of day, UTC) from silver:
relationship_kpis (counts, time spent, responses, last and next interaction, email engagement,
relationship health and its trend), relationship_activity_daily, most_contacted, who_knows_whom,
email_engagement and deal_tracker. Replaces exactly the as_of_date = T slice of each table.

examples:
  python -m jobs.daily_kpis --as-of 2026-03-31
  python -m jobs.daily_kpis --from 2026-03-01 --to 2026-03-31     # back-fill a month
"""

SILVER_INPUTS = (
    "users",
    "accounts",
    "contacts",
    "leads",
    "opportunities",
    "activities",
    "activity_participants",
    "record_links",
    "record_activity_days",
    "record_people_days",
    "connection_days",
    "email_threads",
    "email_responses",
    "email_events",
)
COUNTING_COLUMNS = (
    "activity_key",
    "activity_type",
    "activity_id",
    "activity_at",
    "counts_from",
    "initiated_by",
    "followed",
    "is_tracked",
)
AS_OF_SCHEMA = T.StructType(
    [T.StructField("as_of_date", T.DateType(), nullable=False), T.StructField("is_reported", T.BooleanType(), False)]
)


def as_of_days(spark: SparkSession, days: list[date], trend_days: int) -> DataFrame:
    """The reported days and, not reported, the earlier days their health trends compare with."""
    reported = set(days)
    earlier = {day - timedelta(days=trend_days) for day in days} - reported
    rows = [(day, True) for day in sorted(reported)] + [(day, False) for day in sorted(earlier)]
    return with_as_of_end(spark.createDataFrame(rows, AS_OF_SCHEMA))


def email_requests(
    activities_df: DataFrame, threads_df: DataFrame, responses_df: DataFrame, as_of_df: DataFrame, window_days: int
) -> DataFrame:
    """Requests and responses of each as-of day from the emails sent by its end (section 4):
    (as_of_date, request_email_id, request_side, response_hours).

    A thread none of whose emails came after the day is the same at its end as now, so its requests
    are silver's (`responses_df`, made with `window_days`). Only the threads that received an email
    after the day are threaded and paired again from their emails sent by its end.
    """
    emails_df = activities_df.filter(F.col("activity_type") == "email").select(
        F.col("activity_id").alias("email_id"),
        F.col("activity_at").alias("sent_at"),
        "in_reply_to",
        "references",
        "thread_id",
        F.when(F.col("is_tracked"), F.col("initiated_by")).alias("side"),
    )
    changed_df = threads_changed_after(emails_df, threads_df, as_of_df).localCheckpoint()
    columns = ["as_of_date", "request_email_id", "request_side", "response_hours"]
    requests_df = (
        responses_df.crossJoin(F.broadcast(as_of_df.select("as_of_date")))
        .join(changed_df, on=["as_of_date", "thread_key"], how="left_anti")
        .select(*columns)
    )
    moved_df = (
        emails_as_of(emails_df, as_of_df)
        .join(threads_df, on="email_id", how="inner")
        .join(F.broadcast(changed_df), on=["as_of_date", "thread_key"], how="left_semi")
        .drop("thread_key")
    )
    if changed_df.isEmpty():
        return requests_df
    scoped_df = day_scoped(moved_df).localCheckpoint()
    moved_threads_df = unscoped_threads(email_threads(scoped_df, thread_labels(thread_edges(scoped_df))))
    sequence = moved_df.join(moved_threads_df, on=["as_of_date", "email_id"], how="inner").select(
        "as_of_date", "thread_key", "email_id", "sent_at", "side"
    )
    moved_requests_df = email_responses(sequence, window_days, thread=("as_of_date", "thread_key"))
    return requests_df.unionByName(moved_requests_df.select(*columns))


def compute(silver: dict[str, DataFrame], as_of_df: DataFrame, params: KpiConfig) -> dict[str, DataFrame]:
    """Every daily gold table for the reported days of `as_of_df`, as frames (no writes).
    `silver["record_activity_days"]` must have been made with `params.health.tau_days` and
    `silver["connection_days"]` with `params.who_knows_whom.decay_days`."""
    activities_df, participants_df = silver["activities"], silver["activity_participants"]
    records_df = known_records(silver["accounts"], silver["contacts"], silver["leads"], silver["opportunities"])
    record_keys_df = records_df.select("record_type", "record_id")
    # Links to records that never landed (kept in silver, they may land later) name nobody here.
    links_df = silver["record_links"].join(record_keys_df, on=["record_type", "record_id"], how="left_semi")
    days_df = silver["record_activity_days"].join(record_keys_df, on=["record_type", "record_id"], how="left_semi")
    counting_days_df = counting_days(days_df, as_of_df).localCheckpoint()
    named_users_df = named_user_ids(silver["users"])
    reported_df = as_of_df.filter("is_reported")
    # Only the reported days, and only the columns the tables below read: the earlier days of the
    # health trends come from the daily sums, so this holds each counting activity once a day.
    counting_df = counting_activities(activities_df.select(*COUNTING_COLUMNS), reported_df).localCheckpoint()
    health_df = relationship_health(
        records_df, as_of_df, health_inputs(counting_days_df, params.health), params.health
    ).localCheckpoint()
    engagement_df = email_engagement(counting_df, participants_df, silver["email_events"], named_users_df)
    engagement_df = engagement_df.localCheckpoint()
    requests_df = email_requests(
        activities_df, silver["email_threads"], silver["email_responses"], reported_df, params.response_window_days
    )
    kpis_df = relationship_kpis(
        records_df,
        as_of_df,
        interaction_counts(counting_days_df),
        response_stats(requests_df, links_df),
        next_interactions(activities_df, links_df, as_of_df),
        engagement_rates(engagement_df, links_df),
        health_df,
    )
    return {
        "relationship_kpis": kpis_df,
        "relationship_activity_daily": relationship_activity_daily(counting_days_df, params.activity_days),
        "most_contacted": most_contacted(
            silver["record_people_days"].join(record_keys_df, on=["record_type", "record_id"], how="left_semi"),
            as_of_df,
            named_users_df,
        ),
        "who_knows_whom": who_knows_whom(
            silver["connection_days"],
            as_of_df,
            silver["users"],
            silver["contacts"],
            silver["leads"],
            params.who_knows_whom,
        ),
        "email_engagement": engagement_df,
        "deal_tracker": deal_tracker(silver["opportunities"], as_of_df, health_df, named_users_df),
    }


def _day_condition(days: list[date]) -> str:
    return f"as_of_date IN ({', '.join(sql_string(d.isoformat()) for d in days)})"


def publish(
    lake: Lake, config: Config, table: str, df: DataFrame, days: list[date], computed_at, max_rank: int | None = None
) -> int:
    """Validate one daily table's rows for `days` with its gold suite (`max_rank`: the top k its
    `rank` may reach), then replace exactly those days' slices with them."""
    started = time.monotonic()
    schema, _ = GOLD_TABLES[table]
    lake.ensure_table(GOLD, table, schema, partition_by=("as_of_date",))
    rows_df = cast_to(df.withColumn("computed_at", F.lit(computed_at).cast("timestamp")), schema).localCheckpoint()
    name = lake.name(GOLD, table)
    if config.quality.enabled:
        from expectations.gold import gold_suite  # Great Expectations: seconds to import

        validate(rows_df, gold_suite(table, max_rank), name)
    rows = lake.replace_slice(rows_df, GOLD, table, _day_condition(days))
    gold_log.info("%s: %d rows written for %s (%.1f s)", name, rows, _days_text(days), time.monotonic() - started)
    return rows


def _days_text(days: list[date]) -> str:
    return days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]} ({len(days)} days)"


def read_silver(lake: Lake, config: Config) -> dict[str, DataFrame]:
    missing = [t for t in SILVER_INPUTS if not lake.exists(SILVER, t)]
    if missing:
        raise JobError(f"silver tables missing: {', '.join(missing)}; run `python -m jobs.conform` first")
    stale = stale_tables(lake, config)
    if stale:
        made = "; ".join(f"{lake.name(SILVER, t)} was made with another {MADE_WITH_SETTING[t]}" for t in stale)
        raise JobError(f"{made} than this configuration's: run `python -m jobs.conform` with it first")
    log.info("read %s", ", ".join(f"{lake.name(SILVER, t)} {lake.rows(SILVER, t):,}" for t in SILVER_INPUTS))
    return {table: lake.read(SILVER, table) for table in SILVER_INPUTS}


@keeps_validations("daily_kpis")
def run(spark: SparkSession, config: Config, days: list[date]) -> dict[str, int]:
    """Compute and publish every daily gold table for `days`; return rows written per table."""
    params = config.kpi
    lake = Lake(spark, config)
    silver = read_silver(lake, config)
    written: dict[str, int] = {table: 0 for table in DAILY_TABLES}
    passes = [days[i : i + params.backfill_days_per_pass] for i in range(0, len(days), params.backfill_days_per_pass)]
    for number, pass_days in enumerate(passes, start=1):
        started = time.monotonic()
        computed_at = spark.sql("SELECT current_timestamp() AS t").first()["t"]
        as_of_df = as_of_days(spark, pass_days, params.health.trend_days)
        for table, df in compute(silver, as_of_df, params).items():
            written[table] += publish(lake, config, table, df, pass_days, computed_at)
        log.info(
            "daily KPIs: pass %d of %d (%s) done in %.1f s",
            number,
            len(passes),
            _days_text(pass_days),
            time.monotonic() - started,
        )
    return {lake.name(GOLD, table): rows for table, rows in written.items()}


def days_between(first: date, last: date) -> list[date]:
    if last < first:
        raise JobError(f"--to {last} is before --from {first}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("daily_kpis", DESCRIPTION)
    parser.add_argument("--from", dest="first", metavar="YYYY-MM-DD", type=iso_date, help="back-fill from this day")
    parser.add_argument("--to", dest="last", metavar="YYYY-MM-DD", type=iso_date, help="back-fill to this day")
    args, config = parse_job_args(parser, argv)
    if (args.first is None) != (args.last is None):
        parser.error("--from and --to go together")

    def body() -> int:
        days = days_between(args.first, args.last) if args.first else [args.as_of]
        spark = build_session(config, "rapport-daily-kpis")
        run(spark, config, days)
        return 0

    return run_job(body, "daily_kpis")


if __name__ == "__main__":
    raise SystemExit(main())

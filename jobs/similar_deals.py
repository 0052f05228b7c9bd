"""Weekly similar won deals: silver CRM + gold relationship KPIs -> the gold tables of kpis.md section 11.

A run for T refreshes the ISO week of T: `refreshed_on` is that week's Monday, and the run replaces
exactly the `refreshed_on` slice of `similar_won_deals`, `similar_deal_features` and
`opportunity_benchmark`. A second run in the same week replaces the first one's rows; earlier weeks
stay, so how a deal's matches changed is plain SQL. The formula, its parameters and the fallback
live in `transforms/similar_deals.py`; the search in `transforms/nearest.py`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from expectations.runner import validate
from jobs.config import Config
from jobs.lake import GOLD, SILVER, Lake, cast_to, sql_string
from jobs.quality import keeps_validations
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job
from schemas.gold import WEEKLY_TABLES
from transforms.similar_deals import (
    WEAK_AUC,
    closed_in_window,
    deal_features,
    fallback_matches,
    feature_rows,
    learn,
    opportunity_benchmark,
    similar_matches,
    similar_won_deals,
    window_start,
)

log = logging.getLogger("rapport.similar_deals")

DESCRIPTION = """\
Refresh the weekly similar won deals for the ISO week of T: for every open opportunity the k won
deals closed in the 24 months before T most like it (similar_won_deals), the learned weight of each
feature (similar_deal_features), and the deal's relationship KPIs beside its similar deals' averages
(opportunity_benchmark). Replaces exactly that week's refresh; earlier weeks stay.
Reads silver opportunities and accounts, and gold.relationship_kpis of T (or the latest day before).

examples:
  python -m jobs.similar_deals --as-of 2026-03-31
  python -m jobs.similar_deals --as-of 2026-03-31 --set 'kpi.similar_deals.extra_features=[annual_revenue]'
"""


def week_of(as_of: date) -> date:
    """The refresh a run for T belongs to: the Monday of T's ISO week."""
    return as_of - timedelta(days=as_of.weekday())


def is_refreshed(lake: Lake, as_of: date) -> bool:
    """Whether T's ISO week has a refresh already."""
    if not lake.exists(GOLD, "opportunity_benchmark"):
        return False
    week = F.col("refreshed_on") == F.lit(week_of(as_of))
    return not lake.read(GOLD, "opportunity_benchmark").filter(week).limit(1).isEmpty()


@dataclass(frozen=True)
class Refresh:
    refreshed_on: date
    kpis_on: date
    is_fallback: bool
    rows: dict[str, int]


def kpis_as_of(lake: Lake, as_of: date) -> tuple[DataFrame, date]:
    """`relationship_kpis` of T, or of the latest day before T that was computed."""
    if not lake.exists(GOLD, "relationship_kpis"):
        raise JobError(f"{lake.name(GOLD, 'relationship_kpis')} is missing: run `python -m jobs.daily_kpis` first")
    kpis_df = lake.read(GOLD, "relationship_kpis")
    latest = kpis_df.filter(F.col("as_of_date") <= F.lit(as_of)).agg(F.max("as_of_date")).first()[0]
    if latest is None:
        raise JobError(
            f"{lake.name(GOLD, 'relationship_kpis')} has no day up to {as_of}: "
            f"run `python -m jobs.daily_kpis --as-of {as_of}` first"
        )
    if latest != as_of:
        log.warning("relationship KPIs of %s are not computed; the matches carry those of %s", as_of, latest)
    return kpis_df.filter(F.col("as_of_date") == F.lit(latest)), latest


def checked(table: str, rows_df: DataFrame, deals_df: DataFrame, as_of: date, months: int, fallback: bool):
    """The rows with the columns their suite checks (see `expectations.gold.weekly_suite`)."""
    if table == "similar_won_deals":
        status = deals_df.select(F.col("opportunity_id").alias("similar_opportunity_id"), "status")
        start = window_start(as_of, months)
        in_window = F.col("similar_closed_on") <= F.lit(as_of)
        if not fallback:
            in_window = in_window & (F.col("similar_closed_on") >= start)
        per_deal = Window.partitionBy("opportunity_id")
        return rows_df.join(status, on="similar_opportunity_id", how="left").select(
            *rows_df.columns,
            (F.coalesce(F.col("status"), F.lit("")) == "won").alias("check_similar_is_won"),
            in_window.alias("check_closed_in_window"),
            (F.col("rank") <= F.count(F.lit(1)).over(per_deal)).alias("check_rank_in_sequence"),
        )
    if table == "opportunity_benchmark":
        status = deals_df.select("opportunity_id", "status")
        return rows_df.join(status, on="opportunity_id", how="left").select(
            *rows_df.columns, (F.coalesce(F.col("status"), F.lit("")) == "open").alias("check_is_open")
        )
    return rows_df


def compute(spark: SparkSession, silver: dict[str, DataFrame], kpis_df: DataFrame, as_of: date, config: Config):
    """(frames of the three tables without refresh columns, whether it is the fallback)."""
    params = config.kpi.similar_deals
    features = params.features
    deals_df = deal_features(silver["opportunities"], silver["accounts"], features).localCheckpoint()
    open_df = deals_df.filter(F.col("status") == "open")
    closed_df = closed_in_window(deals_df, as_of, params.lookback_months).localCheckpoint()
    won_df = closed_df.filter(F.col("status") == "won")
    counts = {row["status"]: row["count"] for row in closed_df.groupBy("status").count().collect()}
    won, lost = counts.get("won", 0), counts.get("lost", 0)
    open_count = open_df.count()
    log.info(
        "deals: %d open; closed in the %d months up to %s: %d won, %d lost",
        open_count,
        params.lookback_months,
        as_of,
        won,
        lost,
    )
    if won < params.min_won or lost < params.min_lost:
        log.warning(
            "fallback: %d won and %d lost deals closed in the window, fewer than %d won or %d lost; "
            "every open deal gets the %d most recently closed won deals",
            won,
            lost,
            params.min_won,
            params.min_lost,
            params.fallback_size,
        )
        all_won_df = deals_df.filter((F.col("status") == "won") & (F.col("closed_on") <= F.lit(as_of)))
        matches_df = fallback_matches(open_df, all_won_df, params.fallback_size).localCheckpoint()
        frames = {
            "similar_won_deals": similar_won_deals(matches_df, all_won_df, kpis_df, is_fallback=True),
            "similar_deal_features": None,
            "opportunity_benchmark": opportunity_benchmark(open_df, matches_df, kpis_df, is_fallback=True),
        }
        return frames, deals_df, open_count, True
    started = time.monotonic()
    model = learn(closed_df, features, params)
    auc = "n/a" if model.auc is None else f"{model.auc:.3f}"
    weights = ", ".join(f"{name} {weight:.3f}" for name, _, _, weight in feature_rows(model, features))
    log.info(
        "win/loss model: trained on %d closed deals, AUC %s on %d held out (%.1f s); weights: %s",
        model.trained_on,
        auc,
        model.held_out,
        time.monotonic() - started,
        weights,
    )
    if model.auc is not None and model.auc < WEAK_AUC:
        log.warning(
            "win/loss model: AUC %.3f, below %.2f: these features hardly tell won deals from lost ones, so "
            "the weights say little; consider kpi.similar_deals.extra_features",
            model.auc,
            WEAK_AUC,
        )
    started = time.monotonic()
    matches_df = similar_matches(spark, open_df, won_df, model, features, params).localCheckpoint()
    log.info("similar deals: %d matches found (%.1f s)", matches_df.count(), time.monotonic() - started)
    features_df = spark.createDataFrame(
        [(*row, model.auc, model.trained_on, model.held_out) for row in feature_rows(model, features)],
        "feature string, kind string, source string, weight double, model_auc double, "
        "trained_on_deals long, held_out_deals long",
    )
    frames = {
        "similar_won_deals": similar_won_deals(matches_df, won_df, kpis_df, is_fallback=False),
        "similar_deal_features": features_df,
        "opportunity_benchmark": opportunity_benchmark(open_df, matches_df, kpis_df, is_fallback=False),
    }
    return frames, deals_df, open_count, False


@keeps_validations("similar_deals")
def run(spark: SparkSession, config: Config, as_of: date) -> Refresh:
    lake = Lake(spark, config)
    params = config.kpi.similar_deals
    for table in ("opportunities", "accounts"):
        if not lake.exists(SILVER, table):
            raise JobError(f"{lake.name(SILVER, table)} is missing: run `python -m jobs.conform` first")
    silver = {table: lake.read(SILVER, table) for table in ("opportunities", "accounts")}
    kpis_df, kpis_on = kpis_as_of(lake, as_of)
    refreshed_on = week_of(as_of)
    frames, deals_df, open_count, fallback = compute(spark, silver, kpis_df, as_of, config)
    computed_at = spark.sql("SELECT current_timestamp() AS t").first()["t"]
    max_rank = params.fallback_size if fallback else params.k
    written = {}
    for table, df in frames.items():
        started = time.monotonic()
        schema, _ = WEEKLY_TABLES[table]
        lake.ensure_table(GOLD, table, schema, partition_by=("refreshed_on",))
        if df is None:  # no model in a fallback week: no weights
            df = spark.createDataFrame([], schema).drop("refreshed_on", "as_of_date", "computed_at")
        rows_df = cast_to(
            df.withColumns(
                {
                    "refreshed_on": F.lit(refreshed_on),
                    "as_of_date": F.lit(as_of),
                    "computed_at": F.lit(computed_at).cast("timestamp"),
                }
            ),
            schema,
        ).localCheckpoint()
        name = lake.name(GOLD, table)
        if config.quality.enabled:
            from expectations.gold import weekly_suite  # Great Expectations: seconds to import

            check_df = checked(table, rows_df, deals_df, as_of, params.lookback_months, fallback)
            validate(check_df, weekly_suite(table, max_rank, open_count), name)
        condition = f"refreshed_on = {sql_string(refreshed_on.isoformat())}"
        written[name] = lake.replace_slice(rows_df, GOLD, table, condition)
        log.info(
            "%s: %d rows written for the week of %s (%.1f s)",
            name,
            written[name],
            refreshed_on,
            time.monotonic() - started,
        )
    return Refresh(refreshed_on=refreshed_on, kpis_on=kpis_on, is_fallback=fallback, rows=written)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("similar_deals", DESCRIPTION)
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-similar-deals")
        run(spark, config, args.as_of)
        return 0

    return run_job(body, "similar_deals")


if __name__ == "__main__":
    raise SystemExit(main())

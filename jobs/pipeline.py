"""The whole pipeline in order, with one set of options: what `make run` and a scheduler call.

Layers: ingest (landing -> bronze + quarantine), conform (bronze -> silver), the daily relationship
KPIs and conversation intelligence (silver -> gold, as of the run's day), and the weekly similar won
deals (the first run of an ISO week refreshes it; later runs that week leave it unless asked);
then, when `retention.raw_text_days` is set, the retention of raw text (jobs/retention.py), after
gold, so that every call is analysed with its text before the text goes.
"""

from __future__ import annotations

import logging
import sys

from pyspark.sql import functions as F

from jobs import conform, conversation_insights, daily_kpis, generate_sample_data, ingest, retention, similar_deals
from jobs.lake import BRONZE, GOLD, OPS, QUARANTINE, SILVER, USER_TABLES, Lake
from jobs.runtime import build_session, job_parser, parse_job_args, run_job
from schemas.bronze import LEDGER_TABLE, QUARANTINE_TABLE

log = logging.getLogger("rapport.pipeline")

DESCRIPTION = """\
Run every layer of Rapport in order for one as-of day: ingest (landing -> bronze + quarantine),
conform (bronze -> silver), the daily relationship analytics and conversation intelligence
(silver -> gold), the weekly similar won deals when T's ISO week has no refresh yet (or
--refresh-similar-deals), the retention of raw text when retention.raw_text_days is set, and
print what was written with a few example rows.

examples:
  python -m jobs.pipeline --sample-if-empty          # what `make run` does
  python -m jobs.pipeline --as-of 2026-03-31 --set paths.landing=/data/landing --set paths.lake=/data/lake
"""


def summary(lake: Lake, written: dict[str, int]) -> str:
    """A table of every table the pipeline keeps: rows written by this run and rows in all."""
    lines = [f"{'table':<34} {'written now':>12} {'rows':>12}"]
    for layer, table in USER_TABLES:
        name = lake.name(layer, table)
        total = lake.rows(layer, table) if lake.exists(layer, table) else 0
        lines.append(f"{name:<34} {written.get(name, 0):>12,} {total:>12,}")
    return "\n".join(lines)


def _show(df, rows: int, width: int = 56) -> str:
    """The first `rows` rows of `df` as a plain text table (values cut at `width` characters)."""

    def text(value) -> str:
        shown = "null" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)
        return shown if len(shown) <= width else shown[: width - 1] + "…"

    lines = [df.columns] + [[text(v) for v in row] for row in df.limit(rows).collect()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(df.columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines) + "\n"


def examples(lake: Lake, as_of) -> str:
    """A few gold rows of the day: the busiest relationships, their health, and the deal tracker."""
    day = F.col("as_of_date") == F.lit(as_of)
    kpis_df = lake.read(GOLD, "relationship_kpis").filter(day)
    busiest_df = kpis_df.orderBy(
        (F.col("interactions_by_team") + F.col("interactions_by_customer")).desc(), "record_type", "record_id"
    ).select(
        "record_type",
        "record_id",
        "interactions_by_team",
        "interactions_by_customer",
        "team_hours",
        "response_rate_by_us",
        "health_score",
        "health_state",
        "health_trend",
        "summary",
    )
    deals_df = (
        lake.read(GOLD, "deal_tracker")
        .filter(day)
        .orderBy(F.col("estimated_revenue").desc_nulls_last(), "opportunity_id")
        .select("opportunity_id", "stage", "stage_color", "estimated_revenue", "estimated_close_date", "health_score")
    )
    states_df = kpis_df.groupBy("record_type", "health_state").count().orderBy("record_type", "health_state")
    return "\n".join(
        [
            f"\n{lake.name(GOLD, 'relationship_kpis')}: the busiest relationships on {as_of}",
            _show(busiest_df, 5),
            f"{lake.name(GOLD, 'relationship_kpis')}: relationship health by record type",
            _show(states_df, 20),
            f"{lake.name(GOLD, 'deal_tracker')}: the largest open deals",
            _show(deals_df, 5),
            *similar_examples(lake, as_of),
            *conversation_examples(lake, as_of),
            f"query them with `make sql`, e.g. SELECT * FROM {lake.name(GOLD, 'relationship_kpis')} "
            f"WHERE as_of_date = '{as_of}' AND health_state = 'poor'",
        ]
    )


def similar_examples(lake: Lake, as_of) -> list[str]:
    """The features that made deals similar this week, and the closest matches."""
    if not lake.exists(GOLD, "similar_won_deals"):
        return []
    monday = similar_deals.week_of(as_of)
    week = F.col("refreshed_on") == F.lit(monday)
    features_df = (
        lake.read(GOLD, "similar_deal_features")
        .filter(week)
        .orderBy(F.col("weight").desc(), "feature")
        .select("feature", "weight", "model_auc")
    )
    matches_df = (
        lake.read(GOLD, "similar_won_deals")
        .filter(week & (F.col("rank") == 1))
        .orderBy(F.col("similarity").desc_nulls_last(), "opportunity_id")
        .select("opportunity_id", "similar_opportunity_id", "similarity", "activities", "team_hours", "is_fallback")
    )
    return [
        f"{lake.name(GOLD, 'similar_deal_features')}: what made deals similar in the week of {monday}",
        _show(features_df, 10),
        f"{lake.name(GOLD, 'similar_won_deals')}: the closest won deal of some open deals",
        _show(matches_df, 5),
    ]


def conversation_examples(lake: Lake, as_of) -> list[str]:
    """The manager's home page of the whole org this month, and its calls' most mentioned terms."""
    if not lake.exists(GOLD, "sales_base_kpis"):
        return []
    org_month = (F.col("as_of_date") == F.lit(as_of)) & F.col("team_id").isNull()
    base_df = (
        lake.read(GOLD, "sales_base_kpis")
        .filter(org_month)
        .orderBy("period")
        .select("period", "won_revenue", "deals_won", "win_rate", "open_pipeline", "won_revenue_trend_pct")
    )
    sellers_df = (
        lake.read(GOLD, "ci_top_sellers")
        .filter(org_month & (F.col("period") == "this_month"))
        .orderBy(F.col("group").desc())
        .select("group", "sellers", "calls", "talk_pct", "switches_per_hour", "pct_negative", "meeting_hours")
    )
    terms_df = (
        lake.read(GOLD, "ci_top_terms")
        .filter(org_month & (F.col("period") == "all_time") & (F.col("rank") <= 3))
        .orderBy("term_kind", "rank")
        .select("term_kind", "rank", "term", "mentions", "calls")
    )
    return [
        f"{lake.name(GOLD, 'sales_base_kpis')}: the whole org, every period",
        _show(base_df, 10),
        f"{lake.name(GOLD, 'ci_top_sellers')}: this month's top sellers against the whole org",
        _show(sellers_df, 2),
        f"{lake.name(GOLD, 'ci_top_terms')}: what customers talk about most (all time)",
        _show(terms_df, 9),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("pipeline", DESCRIPTION)
    parser.add_argument(
        "--sample-if-empty",
        action="store_true",
        help="generate the seeded sample landing zone first if the embedded default's landing zone "
        "(conf/local.yaml, paths not overridden) has no files; never into a landing zone you named",
    )
    parser.add_argument(
        "--refresh-similar-deals",
        action="store_true",
        help="refresh the weekly similar won deals even if T's ISO week has a refresh already",
    )
    ingest.add_reprocess_option(parser)
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        if args.sample_if_empty:
            generate_sample_data.generate_if_empty(config, args.as_of)
        ingest.require_landed_files(config.paths.landing)
        spark = build_session(config, "rapport-pipeline")
        lake = Lake(spark, config)
        result = ingest.run(spark, config, args.as_of, args.reprocess)
        written = {lake.name(BRONZE, s): n for s, n in result.bronze_rows.items()}
        written[lake.name(QUARANTINE, QUARANTINE_TABLE)] = sum(result.quarantined_rows.values())
        written[lake.name(OPS, LEDGER_TABLE)] = result.files
        conformed = conform.run(spark, config)
        written.update({lake.name(SILVER, t): n for t, n in conformed.rows.items()})
        written.update(daily_kpis.run(spark, config, [args.as_of]))
        written.update(conversation_insights.run(spark, config, args.as_of))
        if args.refresh_similar_deals or not similar_deals.is_refreshed(lake, args.as_of):
            written.update(similar_deals.run(spark, config, args.as_of).rows)
        else:
            log.info("similar won deals: the week of %s is refreshed already", similar_deals.week_of(args.as_of))
        if config.retention.raw_text_days is not None:
            retention.run(spark, config, args.as_of)  # logs the rows it changed per table
        print(f"\nRapport pipeline, as of {args.as_of}: lake {lake.root}\n", file=sys.stdout)
        print(summary(lake, written), file=sys.stdout)
        print(examples(lake, args.as_of), file=sys.stdout)
        return 0

    return run_job(body, "pipeline")


if __name__ == "__main__":
    raise SystemExit(main())

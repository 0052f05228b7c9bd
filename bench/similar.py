"""The weekly similar-deals job at scale, in this process; prints one JSON line.

`python -m bench.similar LAKE OPEN WON [KEY=VALUE ...]`: writes synthetic silver opportunities and
accounts (OPEN open deals, WON won and 0.6 x WON lost deals closed in the last 24 months, whose
lead source and product line lean won or lost) and one day of gold.relationship_kpis into LAKE,
times `jobs.similar_deals.run` for T, then measures recall@k on a sample of 500 open deals against
exact search with the same weights (untimed). Run by `bench.run` in a fresh process per size.
"""

from __future__ import annotations

import json
import math
import sys
import time
from datetime import date

from pyspark.sql import functions as F
from pyspark.sql import types as T

from bench.once import peak_memory
from jobs import similar_deals
from jobs.config import load_config
from jobs.lake import GOLD, SILVER, Lake
from jobs.runtime import build_session, setup_logging
from schemas.gold import RELATIONSHIP_KPIS
from schemas.silver import SILVER_SCHEMAS
from transforms.nearest import SearchParams, nearest
from transforms.similar_deals import closed_in_window, deal_features, encoded, learn, space_of

AS_OF = date(2026, 3, 31)
RECALL_SAMPLE = 500
LOST_PER_WON = 0.6


def _pick(values: list[str], salt: int, skew: str | None = None):
    """One of `values` by a hash of the id; `skew` moves won and lost deals to either end."""
    position = F.pmod(F.xxhash64("id", F.lit(salt)), F.lit(10_000)) / 10_000.0
    if skew is not None:
        position = (
            F.when(F.col("status") == "won", position * position)
            .when(F.col("status") == "lost", F.sqrt(position))
            .otherwise(position)
        )
    index = F.least(F.floor(position * len(values)).cast("int"), F.lit(len(values) - 1))
    return F.element_at(F.array(*[F.lit(v) for v in values]), index + 1)


def write_silver(spark, lake: Lake, open_deals: int, won: int) -> None:
    lost = int(won * LOST_PER_WON)
    total = open_deals + won + lost
    accounts = max(10, total // 6)
    accounts_df = spark.range(accounts).select(
        F.format_string("acc-%07d", "id").alias("account_id"),
        F.format_string("Account %d", "id").alias("name"),
        _pick([f"industry-{n}" for n in range(12)], 1).alias("industry"),
        F.round(F.exp(F.lit(3.0) + 4 * F.rand(2))).cast("long").alias("employee_count"),
        _pick([f"C{n:02d}" for n in range(20)], 3).alias("country"),
        F.col("id"),
    )
    status = F.when(F.col("id") < open_deals, "open").when(F.col("id") < open_deals + won, "won").otherwise("lost")
    deals_df = (
        spark.range(total)
        .withColumn("status", status)
        .select(
            F.format_string("opp-%08d", "id").alias("opportunity_id"),
            F.format_string("acc-%07d", F.pmod(F.xxhash64("id", F.lit(4)), F.lit(accounts))).alias("account_id"),
            F.lit("usr-1").alias("owner_id"),
            "status",
            F.when(F.col("status") == "open", "develop").otherwise("close").alias("stage"),
            F.round(F.exp(F.lit(7.0) + 3 * F.rand(5)), -2).alias("estimated_revenue"),
            _pick([f"product-{n}" for n in range(8)], 6, skew="status").alias("product_line"),
            _pick(["web", "referral", "event", "partner", "outbound", "inbound call"], 7, skew="status").alias(
                "lead_source"
            ),
            F.when(
                F.col("status") != "open",
                F.date_sub(F.lit(AS_OF), F.pmod(F.xxhash64("id", F.lit(8)), F.lit(720)).cast("int")),
            ).alias("actual_close_date"),
        )
    )
    lake.overwrite(_filled(accounts_df.drop("id"), SILVER_SCHEMAS["accounts"]), SILVER, "accounts")
    lake.overwrite(_filled(deals_df, SILVER_SCHEMAS["opportunities"]), SILVER, "opportunities")
    kpis_df = lake.read(SILVER, "opportunities").select(
        F.lit(AS_OF).alias("as_of_date"),
        F.lit("opportunity").alias("record_type"),
        F.col("opportunity_id").alias("record_id"),
    )
    lake.ensure_table(GOLD, "relationship_kpis", RELATIONSHIP_KPIS, partition_by=("as_of_date",))
    lake.replace_slice(_filled(kpis_df, RELATIONSHIP_KPIS), GOLD, "relationship_kpis", f"as_of_date = '{AS_OF}'")


def _filled(df, schema: T.StructType):
    """`df` with every other column of `schema`: numbers drawn at random, required text and times set."""
    columns = []
    for position, field in enumerate(schema.fields):
        if field.name in df.columns:
            columns.append(F.col(field.name).cast(field.dataType))
        elif isinstance(field.dataType, T.LongType | T.IntegerType):
            columns.append(F.floor(F.rand(100 + position) * 40).cast(field.dataType))
        elif isinstance(field.dataType, T.DoubleType):  # rates and balances in [0, 1], hours up to 20
            scale = 1 if any(w in field.name for w in ("rate", "balance")) else 20
            columns.append(F.round(F.rand(100 + position) * scale, 3))
        elif field.nullable:
            columns.append(F.lit(None).cast(field.dataType))
        elif isinstance(field.dataType, T.TimestampType):
            columns.append(F.current_timestamp())
        else:
            columns.append(F.lit("good").cast(field.dataType))
        columns[-1] = columns[-1].alias(field.name)
    return df.select(*columns)


def recall(spark, lake: Lake, params) -> float:
    """recall@k of the written matches of a sample of open deals against exact search."""
    features = params.features
    deals_df = deal_features(lake.read(SILVER, "opportunities"), lake.read(SILVER, "accounts"), features)
    closed_df = closed_in_window(deals_df, AS_OF, params.lookback_months)
    model = learn(closed_df, features, params)  # the same seeded model the job learned
    open_df = deals_df.filter(F.col("status") == "open")
    fraction = RECALL_SAMPLE / max(1, open_df.count())
    sample_df = open_df.filter(
        F.pmod(F.xxhash64("opportunity_id", F.lit("recall")), F.lit(100_000)) < math.ceil(fraction * 100_000)
    )
    exact = SearchParams(k=params.k, cells=1, probe=1, max_block=params.max_block_deals, kmeans_sample=1)
    exact_df = nearest(
        spark,
        encoded(sample_df, model, features),
        encoded(closed_df.filter(F.col("status") == "won"), model, features),
        space_of(model, features),
        exact,
    )
    found_df = lake.read(GOLD, "similar_won_deals").select(
        F.col("opportunity_id").alias("query_id"), F.col("similar_opportunity_id").alias("match_id")
    )
    row = exact_df.join(found_df, on=["query_id", "match_id"], how="left_semi").agg(F.count("*")).first()
    return round(row[0] / max(1, exact_df.count()), 4)


def main(argv: list[str]) -> int:
    lake_path, open_deals, won = argv[0], int(argv[1]), int(argv[2])
    setup_logging("INFO")
    config = load_config(overrides=[f"paths.lake={lake_path}", f"paths.landing={lake_path}/landing", *argv[3:]])
    spark = build_session(config, "rapport-bench-similar")
    lake = Lake(spark, config)
    started = time.monotonic()
    write_silver(spark, lake, open_deals, won)
    prepare_s = round(time.monotonic() - started, 1)
    started = time.monotonic()
    refresh = similar_deals.run(spark, config, AS_OF)
    weekly_s = round(time.monotonic() - started, 1)
    measured = {
        "open": open_deals,
        "won": won,
        "prepare_s": prepare_s,
        "weekly_s": weekly_s,
        "matches": refresh.rows.get(lake.name(GOLD, "similar_won_deals"), 0),
        "recall_at_k": recall(spark, lake, config.kpi.similar_deals),
    }
    measured |= peak_memory(spark)
    print(json.dumps(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The daily conversation-intelligence job at scale, in this process; prints one JSON line.

`python -m bench.calls LAKE CALLS [KEY=VALUE ...]`: writes synthetic silver into LAKE (200 users in
20 teams, 20,000 deals, CALLS calls over the year before T, each with a transcript of about 150
fragments of 8 to 32 words drawn from a 400-word vocabulary that holds tracked keywords,
competitors, other brands and words of both sentiments, so that few fragments repeat), turns merged
from them as conform does, then times `jobs.conversation_insights.run` for T. Run by `bench.run` in
a fresh process per size, so that the driver's peak memory is its own.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from bench.once import peak_memory
from bench.similar import _filled
from jobs import conversation_insights
from jobs.config import load_config
from jobs.lake import GOLD, SILVER, Lake
from jobs.runtime import build_session, setup_logging
from schemas.silver import SILVER_SCHEMAS
from transforms.turns import merge_turns

AS_OF = date(2026, 3, 31)
USERS, TEAMS, DEALS = 200, 20, 20_000
FRAGMENTS_PER_CALL = 150
FRAGMENT_EVERY_MS = 14_000  # a call of 35 minutes
FRAGMENT_WORDS = (8, 32)


def _words(text: str) -> list[str]:
    return text.split()


PLAIN = _words(
    "the we you it is are was be to of and in that have for on with as this at but not from they or an will "
    "would can could should our your their there here what when which who how all any some more most other "
    "time year quarter team plan process system data report customer user project update question answer "
    "today tomorrow week month next last first second new old good great fine better best bad worse problem "
    "issue risk concern delay cost price value budget help support thanks thank happy glad love like excellent "
    "terrible awful hate disappointed frustrated slow fast easy hard simple complex clear unclear sure maybe "
    "yes no okay right exactly really very quite just also still already again always never often sometimes "
    "think know see want need use make take give get go come look feel try work call meet send share review "
    "agree disagree understand explain decide choose change move start finish keep open close grow reduce"
)
TRACKED = _words("pricing discount contract renewal integration security review Globex Initech Umbrella Corp")
BRANDS = _words("Salesforce HubSpot Slack Zendesk Oracle SAP Workday Microsoft Teams Google Amazon Stripe Shopify")
VOCABULARY = PLAIN * 3 + TRACKED + BRANDS + ["next steps", "timeline", "decision maker", "budget"]


def _hash(*columns: Column, salt: int) -> Column:
    return F.pmod(F.xxhash64(*columns, F.lit(salt)), F.lit(1 << 30))


def write_silver(spark, lake: Lake, calls: int) -> None:
    users_df = spark.range(USERS).select(
        F.format_string("usr-%04d", "id").alias("user_id"),
        F.format_string("u%04d@rapport.example", "id").alias("email"),
        F.format_string("Seller %d", "id").alias("full_name"),
        F.format_string("team-%02d", F.col("id") % TEAMS).alias("team_id"),
        F.lit(True).alias("is_active"),
        (F.col("id") % 50 == 49).alias("analytics_opt_out"),
    )
    status = F.element_at(F.array(F.lit("open"), F.lit("won"), F.lit("lost")), (F.col("id") % 3 + 1).cast("int"))
    deals_df = spark.range(DEALS).select(
        F.format_string("opp-%06d", "id").alias("opportunity_id"),
        F.format_string("acc-%05d", F.col("id") % 5_000).alias("account_id"),
        F.format_string("usr-%04d", _hash("id", salt=1) % USERS).alias("owner_id"),
        status.alias("status"),
        F.round(F.exp(F.lit(7.0) + 3 * F.rand(2)), -2).alias("estimated_revenue"),
        F.when(status == "won", F.round(F.exp(F.lit(7.0) + 3 * F.rand(3)), -2)).alias("actual_revenue"),
        F.when(status != "open", F.date_sub(F.lit(AS_OF), (_hash("id", salt=4) % 365).cast("int"))).alias(
            "actual_close_date"
        ),
        F.lit(None).cast("timestamp").alias("created_at"),
    )
    started_at = F.lit(AS_OF).cast("timestamp") - F.make_interval(
        secs=(_hash("id", salt=5) % (365 * 86_400)).cast("double")
    )
    calls_df = spark.range(calls).select(
        F.format_string("call-%08d", "id").alias("call_id"),
        F.format_string("usr-%04d", _hash("id", salt=6) % USERS).alias("user_id"),
        started_at.alias("started_at"),
        "id",
    )
    activities_df = calls_df.select(
        F.concat(F.lit("call:"), "call_id").alias("activity_key"),
        F.lit("call").alias("activity_type"),
        F.col("call_id").alias("activity_id"),
        F.col("started_at").alias("activity_at"),
        F.col("started_at").alias("counts_from"),
        F.lit(FRAGMENTS_PER_CALL * FRAGMENT_EVERY_MS / 60_000).alias("duration_minutes"),
        F.lit(True).alias("recorded"),
        F.lit("team").alias("initiated_by"),
        F.lit(True).alias("is_tracked"),
    )
    participants_df = calls_df.join(users_df, on="user_id").select(
        F.concat(F.lit("call:"), "call_id").alias("activity_key"),
        F.lit("call").alias("activity_type"),
        F.lit("from").alias("role"),
        F.col("email").alias("address"),
        F.lit(True).alias("is_internal"),
        F.lit(True).alias("is_present"),
        "user_id",
    )
    links_df = calls_df.select(
        F.concat(F.lit("call:"), "call_id").alias("activity_key"),
        F.lit("call").alias("activity_type"),
        F.lit("opportunity").alias("record_type"),
        F.format_string("opp-%06d", _hash("id", salt=7) % DEALS).alias("record_id"),
        F.lit("participant").alias("reason"),
        F.lit(True).alias("is_known_record"),
    )
    fragments_df = _fragments(calls_df.join(users_df, on="user_id"))
    for table, df in (
        ("users", users_df),
        ("opportunities", deals_df),
        ("activities", activities_df),
        ("activity_participants", participants_df),
        ("record_links", links_df),
        ("call_fragments", fragments_df),
    ):
        lake.overwrite(_filled(df, SILVER_SCHEMAS[table]), SILVER, table)
    for table in ("contacts", "leads"):
        lake.overwrite(spark.createDataFrame([], SILVER_SCHEMAS[table]), SILVER, table)
    turns_df = merge_turns(lake.read(SILVER, "call_fragments"))
    lake.overwrite(_filled(turns_df, SILVER_SCHEMAS["call_turns"]), SILVER, "call_turns")


def _fragments(calls_df):
    """About 150 fragments a call, the seller's or the customer's (runs of one speaker merge)."""
    index = F.col("fragment_index")
    is_seller = _hash("call_id", index, salt=8) % 100 < 55
    words = FRAGMENT_WORDS[0] + _hash("call_id", index, salt=9) % (FRAGMENT_WORDS[1] - FRAGMENT_WORDS[0])
    vocabulary = F.array(*[F.lit(w) for w in VOCABULARY])
    text = F.array_join(
        F.transform(
            F.sequence(F.lit(1), words.cast("int")),
            lambda i: F.element_at(vocabulary, (_hash("call_id", index, i, salt=10) % len(VOCABULARY) + 1).cast("int")),
        ),
        " ",
    )
    duration_ms = (words * 400 + _hash("call_id", index, salt=11) % 800).cast("long")
    exploded_df = calls_df.select(
        "call_id", "email", F.explode(F.sequence(F.lit(0), F.lit(FRAGMENTS_PER_CALL - 1))).alias("fragment_index")
    )
    return exploded_df.select(
        "call_id",
        F.col("fragment_index").cast(T.IntegerType()).alias("fragment_index"),
        F.when(is_seller, "s1").otherwise("c1").alias("participant_id"),
        F.when(is_seller, F.col("email")).otherwise(F.lit("buyer@customer.example")).alias("email"),
        F.when(is_seller, "seller").otherwise("customer").alias("role"),
        (index * FRAGMENT_EVERY_MS).cast("long").alias("offset_ms"),
        duration_ms.alias("duration_ms"),
        F.concat(F.upper(F.substring(text, 1, 1)), F.substring(text, 2, 1_000), F.lit(".")).alias("text"),
    )


def main(argv: list[str]) -> int:
    lake_path, calls = argv[0], int(argv[1])
    setup_logging("INFO")
    config = load_config(overrides=[f"paths.lake={lake_path}", f"paths.landing={lake_path}/landing", *argv[2:]])
    spark = build_session(config, "rapport-bench-calls")
    lake = Lake(spark, config)
    started = time.monotonic()
    write_silver(spark, lake, calls)
    prepare_s = round(time.monotonic() - started, 1)
    started = time.monotonic()
    written = conversation_insights.run(spark, config, AS_OF)
    measured = {
        "calls": calls,
        "fragments": lake.read(SILVER, "call_fragments").count(),
        "prepare_s": prepare_s,
        "job_s": round(time.monotonic() - started, 1),
        "insights": written[lake.name(GOLD, "call_insights")],
        "mentions": written[lake.name(GOLD, "call_mentions")],
    }
    measured |= peak_memory(spark)
    print(json.dumps(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The deal tracker (kpis.md section 12): open deals that may still close, as a bubble chart.

Grain: one row per reported as-of day and open opportunity whose estimated close date is on or
after that day.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from schemas.gold import STAGE_COLORS


def deal_tracker(
    opportunities_df: DataFrame, as_of_df: DataFrame, health_df: DataFrame, named_users_df: DataFrame
) -> DataFrame:
    """Revenue (bubble size), close date (x), health score (y, 0 when missing), stage and colour.
    The owner is named unless they opted out of analytics (section 14)."""
    colors = F.create_map(*[x for stage, color in STAGE_COLORS.items() for x in (F.lit(stage), F.lit(color))])
    named_df = named_users_df.select(F.col("user_id").alias("owner_id"), F.lit(True).alias("is_named"))
    days_df = as_of_df.filter("is_reported").select("as_of_date")
    health = health_df.filter(F.col("record_type") == "opportunity").select(
        "as_of_date", F.col("record_id").alias("opportunity_id"), "health_score", "health_state"
    )
    return (
        opportunities_df.filter(F.col("status") == "open")
        .crossJoin(F.broadcast(days_df))
        .filter(F.col("estimated_close_date") >= F.col("as_of_date"))
        .join(named_df, on="owner_id", how="left")
        .join(health, on=["as_of_date", "opportunity_id"], how="left")
        .select(
            "as_of_date",
            "opportunity_id",
            "name",
            F.when(F.col("is_named"), F.col("owner_id")).alias("owner_id"),
            "account_id",
            "stage",
            colors[F.col("stage")].alias("stage_color"),
            F.col("estimated_revenue").cast("double").alias("estimated_revenue"),
            "estimated_close_date",
            F.coalesce(F.col("health_score"), F.lit(0)).cast("int").alias("health_score"),
            F.coalesce(F.col("health_state"), F.lit("not_applicable")).alias("health_state"),
        )
    )

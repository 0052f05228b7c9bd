"""Relationship activities of the last 60 days (kpis.md section 7).

Grain: one row per reported as-of day, record and UTC day from T-59 to T, for records with at least
one counting email, meeting or call in that window; days without activity have zeros.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.as_of import CALL, EMAIL, MEETING
from transforms.relationship_kpis import direction_counts

KEY = ["as_of_date", "record_type", "record_id"]


def relationship_activity_daily(counting_days_df: DataFrame, window_days: int) -> DataFrame:
    """From the rows of `record_activity_days` that count by each as-of day (`counting_days`)."""
    first_day = F.date_sub(F.col("as_of_date"), window_days - 1)
    in_window_df = (
        counting_days_df.filter(F.col("is_reported") & F.col("activity_type").isin(EMAIL, MEETING, CALL))
        .withColumnRenamed("activity_on", "day")
        .filter(F.col("day") >= first_day)
    )
    counts = direction_counts()
    per_day_df = in_window_df.groupBy(*KEY, "day").agg(*[e.alias(name) for name, e in counts.items()])
    days_df = (
        in_window_df.select(*KEY).distinct().withColumn("day", F.explode(F.sequence(first_day, F.col("as_of_date"))))
    )
    return days_df.join(per_day_df, on=[*KEY, "day"], how="left").select(
        *KEY, "day", *[F.coalesce(F.col(name), F.lit(0)).cast("long").alias(name) for name in counts]
    )

"""Each record's counting activities summed per day: what the daily KPIs need of history (kpis.md
sections 2, 3, 7 and 9), kept in silver so that a day's run reads small sums, not every activity.

Grain of `record_activity_days` (RECORD_ACTIVITY_DAYS_SCHEMA; conform adds its partition column,
`activity_month`): one row per record (`record_type`, `record_id`), UTC day the activities count
from (`counts_on`, the day of `counts_from`), UTC day they happened (`activity_on`, the day of
`activity_at`), `activity_type` and `initiated_by`; only activities that ever count (not left out
of everything, `counts_from` set). The two days differ only for a meeting that ends on a later day
than it starts.

Why sums per day are exact for every as-of day T:
- an activity counts at T when `counts_from` < the end of T, that is when `counts_on` <= T;
- health's age at T, in days, is (T - `activity_on`) + (end of `activity_on` - `activity_at`), so
  its decay e^(-age / tau) is e^(-(T - activity_on) / tau) times `decayed`, the day's own sum of
  e^(-(end of activity_on - activity_at) / tau): one factor per day, no approximation; tau is
  fixed when the sums are made (`DECAY_TAU_PROPERTY` of the table records it);
- a lookback of L whole days keeps exactly the activities with `activity_on` >= T - L + 1;
- the last interaction is the latest of each group's latest (ties: type order, then smaller id).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms.as_of import MICROS_PER_DAY, activity_minutes, ordered_sum

KEY = ["record_type", "record_id", "counts_on", "activity_on", "activity_type", "initiated_by"]
DECAY_TAU_PROPERTY = "rapport.decay_tau_days"
# Time spent is summed in seconds as decimals to the microsecond: every duration is whole seconds or
# microseconds between two timestamps, times a whole number of people, so each term and the sum are
# exact, and the hours rounded half up from it never depend on the order Spark adds in.
SECONDS = T.DecimalType(20, 6)
SIDES_TIME = ("team", "customer", "facetime")


def _day_end_micros(day: Column) -> Column:
    return F.unix_micros(F.date_add(day, 1).cast("timestamp"))


def record_activity_days(
    activities_df: DataFrame, participants_df: DataFrame, links_df: DataFrame, tau_days: float
) -> DataFrame:
    """Silver activities, their participants (for time spent) and record links -> per record and day:
    activities, seconds spent by each side and face time, decayed sum, and the latest activity."""
    counting_df = activities_df.filter(F.col("is_tracked") & F.col("counts_from").isNotNull()).select(
        "activity_key",
        "activity_type",
        "activity_id",
        "activity_at",
        "initiated_by",
        F.to_date("counts_from").alias("counts_on"),
        F.to_date("activity_at").alias("activity_on"),
    )
    minutes_df = activity_minutes(activities_df, participants_df)
    before_day_end = (_day_end_micros(F.col("activity_on")) - F.unix_micros("activity_at")) / F.lit(
        float(MICROS_PER_DAY)
    )
    latest = F.struct((-F.unix_micros("activity_at")).alias("order_at"), "activity_id", "activity_at")
    return (
        counting_df.join(links_df.select("activity_key", "record_type", "record_id"), on="activity_key", how="inner")
        .join(minutes_df, on="activity_key", how="left")
        .groupBy(*KEY)
        .agg(
            F.count(F.lit(1)).alias("activities"),
            *[F.sum(F.round(F.col(f"{s}_minutes") * 60, 6).cast(SECONDS)).alias(f"{s}_seconds") for s in SIDES_TIME],
            ordered_sum(F.exp(-before_day_end / F.lit(float(tau_days)))).alias("decayed"),
            F.min(latest).alias("latest"),
        )
        .select(
            *KEY,
            "activities",
            *[f"{s}_seconds" for s in SIDES_TIME],
            "decayed",
            F.col("latest.activity_at").alias("last_at"),
            F.col("latest.activity_id").alias("last_activity_id"),
        )
    )


def counting_days(days_df: DataFrame, as_of_df: DataFrame) -> DataFrame:
    """The rows of `record_activity_days` that count by the end of each as-of day, with its columns."""
    return days_df.join(F.broadcast(as_of_df), on=F.col("counts_on") <= F.col("as_of_date"), how="inner")


def decay_to_as_of(tau_days: float) -> Column:
    """The factor that carries a day's `decayed` sum to the end of the as-of day."""
    return F.exp(-F.datediff("as_of_date", "activity_on").cast("double") / F.lit(float(tau_days)))

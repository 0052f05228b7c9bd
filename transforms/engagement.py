"""Email engagement (kpis.md section 6): what happened to each followed email the team sent.

Grain of `email_engagement`: one row per reported as-of day and followed email sent by the team up
to it (not left out of everything), with the events of each type by the end of the day (each
`event_id` once) and the last open. Events of emails that are not there are ignored by the join.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.as_of import EMAIL, TEAM

EVENT_COLUMNS = {
    "opened": "opens",
    "link_clicked": "clicks",
    "attachment_viewed": "attachment_views",
    "replied": "replies",
}


def named_user_ids(users_df: DataFrame) -> DataFrame:
    """Users who may be named in gold: everyone but those with `analytics_opt_out` (section 14)."""
    return users_df.filter(~F.coalesce(F.col("analytics_opt_out"), F.lit(False))).select("user_id")


def email_engagement(
    counting_df: DataFrame, participants_df: DataFrame, events_df: DataFrame, named_users_df: DataFrame
) -> DataFrame:
    followed_df = counting_df.filter(
        F.col("is_reported")
        & (F.col("activity_type") == EMAIL)
        & (F.col("initiated_by") == TEAM)
        & F.coalesce(F.col("followed"), F.lit(False))
    ).select(
        "as_of_date",
        "as_of_end",
        "activity_key",
        F.col("activity_id").alias("email_id"),
        F.col("activity_at").alias("sent_at"),
    )
    senders_df = (
        participants_df.filter(F.col("role") == "from")
        .join(named_users_df, on="user_id", how="inner")
        .select("activity_key", F.col("user_id").alias("sender_user_id"))
    )
    events_by_day_df = (
        followed_df.select("as_of_date", "as_of_end", "email_id")
        .join(events_df.select("event_id", "email_id", "event_type", "occurred_at"), on="email_id", how="inner")
        .filter(F.col("occurred_at") < F.col("as_of_end"))
        .groupBy("as_of_date", "email_id")
        .agg(
            *[
                F.count_distinct(F.when(F.col("event_type") == kind, F.col("event_id"))).alias(name)
                for kind, name in EVENT_COLUMNS.items()
            ],
            F.max(F.when(F.col("event_type") == "opened", F.col("occurred_at"))).alias("last_opened_at"),
        )
    )
    return (
        followed_df.join(senders_df, on="activity_key", how="left")
        .join(events_by_day_df, on=["as_of_date", "email_id"], how="left")
        .select(
            "as_of_date",
            "email_id",
            "sender_user_id",
            "sent_at",
            *[F.coalesce(F.col(name), F.lit(0)).cast("long").alias(name) for name in EVENT_COLUMNS.values()],
            "last_opened_at",
        )
    )

"""Relationship KPIs of every record at each as-of day (kpis.md sections 2 to 6, with 9 joined in).

Grain of each output: one row per as-of day and record (`record_type`, `record_id`); the pieces
(`interaction_counts`, `response_stats`, `next_interactions`, `engagement_rates`) have that grain
for the records they have something to say about, and `relationship_kpis` puts them together for
every known record, with zeros where nothing links to it.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.as_of import CALL, CUSTOMER, EMAIL, MEETING, TASK, TEAM, by_time
from transforms.record_activity_days import SECONDS, SIDES_TIME

KEY = ["as_of_date", "record_type", "record_id"]
SECONDS_PER_HOUR = 3600
COUNT_COLUMNS = (
    "emails_sent",
    "emails_received",
    "meetings_sent",
    "meetings_received",
    "calls_made",
    "calls_received",
    "tasks_completed",
    "interactions_by_team",
    "interactions_by_customer",
    "replies_by_team",
    "replies_by_customer",
    "followed_emails",
)


def _count_where(condition: Column) -> Column:
    return F.count(F.when(condition, F.lit(1)))


def _sum_where(condition: Column, column: str) -> Column:
    return F.coalesce(F.sum(F.when(condition, F.col(column))), F.lit(0)).cast("long")


def direction_counts(activities: str = "activities") -> dict[str, Column]:
    """Section 2's counts as aggregate expressions over rows of `record_activity_days` (a number of
    `activities` of one `activity_type`, initiated by one side)."""
    by_team, by_customer = F.col("initiated_by") == TEAM, F.col("initiated_by") == CUSTOMER
    kind = F.col("activity_type")
    return {
        "emails_sent": _sum_where((kind == EMAIL) & by_team, activities),
        "emails_received": _sum_where((kind == EMAIL) & by_customer, activities),
        "meetings_sent": _sum_where((kind == MEETING) & by_team, activities),
        "meetings_received": _sum_where((kind == MEETING) & by_customer, activities),
        "calls_made": _sum_where((kind == CALL) & by_team, activities),
        "calls_received": _sum_where((kind == CALL) & by_customer, activities),
    }


def interaction_counts(counting_days_df: DataFrame) -> DataFrame:
    """Lifetime counts by type and direction, time spent by side, and the last interaction, from the
    rows of `record_activity_days` that count by each as-of day (`counting_days`)."""
    last = by_time("last_at", "last_at", "activity_type", "initiated_by", latest=True, activity_id="last_activity_id")
    return (
        counting_days_df.filter("is_reported")
        .groupBy(*KEY)
        .agg(
            *[expression.alias(name) for name, expression in direction_counts().items()],
            _sum_where(F.col("activity_type") == TASK, "activities").alias("tasks_completed"),
            *[F.sum(f"{s}_seconds").alias(f"{s}_seconds") for s in SIDES_TIME],
            F.min(last).alias("last"),
        )
        .select(
            *KEY,
            *direction_counts().keys(),
            "tasks_completed",
            *[f"{s}_seconds" for s in SIDES_TIME],
            F.col("last.last_at").alias("last_interaction_at"),
            F.col("last.activity_type").alias("last_interaction_type"),
            F.col("last.initiated_by").alias("last_interaction_direction"),
        )
    )


def next_interactions(activities_df: DataFrame, links_df: DataFrame, as_of_df: DataFrame) -> DataFrame:
    """The earliest linked activity planned after the end of each as-of day and not canceled
    (`planned_at`: meeting and call start, open task due time)."""
    planned_df = activities_df.filter(F.col("is_tracked") & F.col("planned_at").isNotNull()).select(
        "activity_key", "activity_type", "activity_id", "planned_at"
    )
    reported_df = as_of_df.filter("is_reported").select("as_of_date", "as_of_end")
    first = by_time("planned_at", "planned_at", "activity_type")
    return (
        planned_df.join(F.broadcast(reported_df), on=F.col("planned_at") >= F.col("as_of_end"), how="inner")
        .join(links_df.select("activity_key", "record_type", "record_id"), on="activity_key", how="inner")
        .groupBy(*KEY)
        .agg(F.min(first).alias("next"))
        .select(
            *KEY,
            F.col("next.planned_at").alias("next_interaction_at"),
            F.col("next.activity_type").alias("next_interaction_type"),
        )
    )


def response_stats(requests_df: DataFrame, links_df: DataFrame) -> DataFrame:
    """Requests of each as-of day (`as_of_date`, `request_email_id`, `request_side`,
    `response_hours` null when unanswered) -> replies, response rates and mean response hours both
    ways, attributed to every record linked to the request's first email (section 4)."""
    customer_asked, team_asked = F.col("request_side") == CUSTOMER, F.col("request_side") == TEAM
    answered = F.col("response_hours").isNotNull()
    email_links_df = links_df.filter(F.col("activity_type") == EMAIL).select("activity_key", "record_type", "record_id")
    return (
        requests_df.withColumn("activity_key", F.concat(F.lit(f"{EMAIL}:"), F.col("request_email_id")))
        .join(email_links_df, on="activity_key", how="inner")
        .groupBy(*KEY)
        .agg(
            _count_where(customer_asked & answered).alias("replies_by_team"),
            _count_where(team_asked & answered).alias("replies_by_customer"),
            _count_where(customer_asked).alias("customer_requests"),
            _count_where(team_asked).alias("team_requests"),
            F.avg(F.when(customer_asked, F.col("response_hours"))).alias("avg_response_hours_by_us"),
            F.avg(F.when(team_asked, F.col("response_hours"))).alias("avg_response_hours_by_them"),
        )
        .select(
            *KEY,
            "replies_by_team",
            "replies_by_customer",
            _ratio("replies_by_team", "customer_requests").alias("response_rate_by_us"),
            _ratio("replies_by_customer", "team_requests").alias("response_rate_by_them"),
            "avg_response_hours_by_us",
            "avg_response_hours_by_them",
        )
    )


def engagement_rates(email_engagement_df: DataFrame, links_df: DataFrame) -> DataFrame:
    """Followed emails sent by the team (`email_engagement`: one row per as-of day and such email)
    linked to each record, and the shares of them with at least one open, click, attachment view
    and reply by the end of the as-of day (section 6)."""
    email_links_df = links_df.filter(F.col("activity_type") == EMAIL).select("activity_key", "record_type", "record_id")
    return (
        email_engagement_df.select("as_of_date", "email_id", "opens", "clicks", "attachment_views", "replies")
        .withColumn("activity_key", F.concat(F.lit(f"{EMAIL}:"), F.col("email_id")))
        .join(email_links_df, on="activity_key", how="inner")
        .groupBy(*KEY)
        .agg(
            F.count(F.lit(1)).alias("followed_emails"),
            _count_where(F.col("opens") > 0).alias("opened"),
            _count_where(F.col("clicks") > 0).alias("clicked"),
            _count_where(F.col("attachment_views") > 0).alias("viewed"),
            _count_where(F.col("replies") > 0).alias("replied"),
        )
        .select(
            *KEY,
            "followed_emails",
            _ratio("opened", "followed_emails").alias("open_rate"),
            _ratio("clicked", "followed_emails").alias("click_rate"),
            _ratio("viewed", "followed_emails").alias("attachment_view_rate"),
            _ratio("replied", "followed_emails").alias("reply_rate"),
        )
    )


def _ratio(numerator: str, denominator: str) -> Column:
    """numerator / denominator as a double; null when the divisor is 0 or missing."""
    return F.when(F.col(denominator) > 0, F.col(numerator) / F.col(denominator))


def _hours(seconds_column: str) -> Column:
    """Exact decimal seconds -> hours rounded half up to 1 decimal (gold only rounds), as a double."""
    seconds = F.coalesce(F.col(seconds_column), F.lit(0).cast(SECONDS))
    return F.round(seconds / F.lit(SECONDS_PER_HOUR), 1).cast("double")


def summary_sentence() -> Column:
    """The most notable difference between the sides, as one sentence: the type (email, meeting,
    call) whose counts by team and customer differ the most, ties in that order."""
    diffs = [
        ("email", F.col("emails_sent") - F.col("emails_received")),
        ("meeting", F.col("meetings_sent") - F.col("meetings_received")),
        ("call", F.col("calls_made") - F.col("calls_received")),
    ]
    candidates = F.array(
        *[
            F.struct(
                F.abs(diff).alias("size"), F.lit(-order).alias("order"), F.lit(noun).alias("noun"), diff.alias("diff")
            )
            for order, (noun, diff) in enumerate(diffs)
        ]
    )
    best = F.array_max(candidates)
    size = best["size"]
    noun = F.concat(best["noun"], F.when(size == 1, F.lit("")).otherwise(F.lit("s")))
    total = F.col("interactions_by_team") + F.col("interactions_by_customer")
    return (
        F.when(total == 0, F.lit("No emails, meetings or calls with the customer yet."))
        .when(
            size == 0, F.lit("Your team and the customer initiated as many emails, meetings and calls as each other.")
        )
        .when(best["diff"] > 0, F.format_string("Your team initiated %d more %s than the customer.", size, noun))
        .otherwise(F.format_string("The customer initiated %d more %s than your team.", size, noun))
    )


def relationship_kpis(
    records_df: DataFrame,
    as_of_df: DataFrame,
    counts_df: DataFrame,
    responses_df: DataFrame,
    next_df: DataFrame,
    engagement_df: DataFrame,
    health_df: DataFrame,
) -> DataFrame:
    """Every known record at every reported as-of day, with zeros where nothing links to it."""
    days_df = as_of_df.filter("is_reported").select("as_of_date")
    rows_df = (
        records_df.select("record_type", "record_id")
        .crossJoin(F.broadcast(days_df))
        .join(counts_df, on=KEY, how="left")
        .join(responses_df, on=KEY, how="left")
        .join(next_df, on=KEY, how="left")
        .join(engagement_df, on=KEY, how="left")
        .join(health_df, on=KEY, how="left")
        .fillna(0, subset=[c for c in COUNT_COLUMNS if c not in ("interactions_by_team", "interactions_by_customer")])
        .withColumn("interactions_by_team", F.col("emails_sent") + F.col("meetings_sent") + F.col("calls_made"))
        .withColumn(
            "interactions_by_customer", F.col("emails_received") + F.col("meetings_received") + F.col("calls_received")
        )
    )
    return rows_df.select(
        "as_of_date",
        "record_type",
        "record_id",
        *[F.col(c).cast("long").alias(c) for c in COUNT_COLUMNS[:9]],
        _ratio("emails_sent", "emails_received").alias("email_ratio_by_us"),
        _ratio("emails_received", "emails_sent").alias("email_ratio_by_them"),
        *[_hours(f"{s}_seconds").alias(f"{s}_hours") for s in SIDES_TIME],
        F.col("replies_by_team").cast("long").alias("replies_by_team"),
        F.col("replies_by_customer").cast("long").alias("replies_by_customer"),
        "response_rate_by_us",
        "response_rate_by_them",
        F.round("avg_response_hours_by_us", 1).alias("avg_response_hours_by_us"),
        F.round("avg_response_hours_by_them", 1).alias("avg_response_hours_by_them"),
        "last_interaction_at",
        "last_interaction_type",
        "last_interaction_direction",
        "next_interaction_at",
        "next_interaction_type",
        F.col("followed_emails").cast("long").alias("followed_emails"),
        "open_rate",
        "click_rate",
        "attachment_view_rate",
        "reply_rate",
        "health_score",
        "health_state",
        "health_trend",
        "health_engagement_ratio",
        "health_balance",
        "days_since_last_activity",
        summary_sentence().alias("summary"),
    )

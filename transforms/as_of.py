"""Silver cut at as-of days (kpis.md: every KPI is computed as of the end of a UTC day T).

The gold transforms take an `as_of_df` of one row per day: `as_of_date`, `as_of_end` (the next
midnight, UTC: an activity at T 23:59:59.999999 is by the end of T, one at T+1 00:00 is after it)
and `is_reported` (false for days computed only as the earlier point of a health trend). One run
computes many days at once by joining that small frame, so a back-fill and day-by-day runs share
every line of code.

Grain of each output:
- `counting_activities`: one row per as-of day and activity that counts by its end.
- `activity_minutes`: one row per activity, with the minutes each side spent on it (section 3).
- `person_minutes`: one row per email, meeting or call and user who spent time on it, by the same rules.
- `known_records`: one row per record that gets KPIs (every one but `do_not_track` contacts).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

MICROS_PER_DAY = 86_400_000_000
MICROS_PER_HOUR = 3_600_000_000
EMAIL, MEETING, CALL, TASK = "email", "meeting", "call", "task"
TEAM, CUSTOMER = "team", "customer"
# The order of the spec's ties: email before meeting before call before task.
TYPE_ORDER = {EMAIL: 1, MEETING: 2, CALL: 3, TASK: 4}
EMAIL_WRITER_MINUTES, EMAIL_READER_MINUTES = 5.0, 2.5
RECIPIENT_ROLES = ("to", "cc", "bcc")
MEETING_ROLES = ("organizer", "attendee")


def with_as_of_end(days_df: DataFrame) -> DataFrame:
    """(as_of_date, is_reported) -> the same with `as_of_end`, the midnight after the day."""
    return days_df.withColumn("as_of_end", F.date_add("as_of_date", 1).cast("timestamp"))


def type_order(column: str = "activity_type") -> Column:
    return F.create_map(*[x for t, rank in TYPE_ORDER.items() for x in (F.lit(t), F.lit(rank))])[F.col(column)]


def age_days(at: Column) -> Column:
    """Fractional days from `at` to the end of the as-of day."""
    return (F.unix_micros(F.col("as_of_end")) - F.unix_micros(at)) / F.lit(float(MICROS_PER_DAY))


def by_time(at: str, *payload: str, latest: bool = False, activity_id: str = "activity_id") -> Column:
    """A struct whose minimum is the earliest activity (the latest with `latest`); ties by type
    order, then the smaller id. The payload columns ride along so that `F.min` of it picks the
    whole winning row."""
    micros = F.unix_micros(F.col(at))
    return F.struct(
        (-micros if latest else micros).alias("order_at"),
        type_order().alias("order_type"),
        F.col(activity_id).alias("order_id"),
        *[F.col(c) for c in payload],
    )


def ordered_sum(values: Column) -> Column:
    """The sum of a group's doubles, added smallest first: the same bits however Spark split the
    group's rows, so that refreshing a day of a silver table of daily sums gives exactly the row a
    full rebuild gives."""
    return F.aggregate(F.array_sort(F.collect_list(values)), F.lit(0.0), lambda total, value: total + value)


def counting_activities(activities_df: DataFrame, as_of_df: DataFrame) -> DataFrame:
    """Activities that are not left out of everything and count by the end of each as-of day."""
    counted_df = activities_df.filter(F.col("is_tracked") & F.col("counts_from").isNotNull())
    return counted_df.join(F.broadcast(as_of_df), on=F.col("counts_from") < F.col("as_of_end"), how="inner")


def activity_minutes(activities_df: DataFrame, participants_df: DataFrame) -> DataFrame:
    """Minutes each side spent on each activity (kpis.md section 3), with face time.

    Email: 5 minutes for the writer's side, 2.5 for the other side, once per email. Meeting: its
    duration times the distinct internal addresses present for the team, once for the customer if
    an external person is present. Call: its duration for each side. Task: its minutes, team only.
    `do_not_track` contacts are present nowhere.
    """
    present_df = participants_df.filter(~F.col("is_do_not_track") & F.col("is_present"))
    sides_df = present_df.groupBy("activity_key").agg(
        F.count_distinct(F.when(F.col("is_internal") & F.col("role").isin(*MEETING_ROLES), F.col("address"))).alias(
            "team_present"
        ),
        F.max(~F.col("is_internal")).alias("has_customer"),
    )
    minutes = F.coalesce(F.col("duration_minutes"), F.lit(0.0))
    is_team_writer = F.col("initiated_by") == TEAM
    writer, reader = F.lit(EMAIL_WRITER_MINUTES), F.lit(EMAIL_READER_MINUTES)
    kind = F.col("activity_type")
    team_minutes = (
        F.when(kind == EMAIL, F.when(is_team_writer, writer).otherwise(reader))
        .when(kind == MEETING, minutes * F.coalesce(F.col("team_present"), F.lit(0)))
        .otherwise(minutes)
    )
    customer_minutes = (
        F.when(kind == EMAIL, F.when(is_team_writer, reader).otherwise(writer))
        .when(kind == MEETING, F.when(F.coalesce(F.col("has_customer"), F.lit(False)), minutes).otherwise(0.0))
        .when(kind == CALL, minutes)
        .otherwise(0.0)
    )
    return activities_df.join(sides_df, on="activity_key", how="left").select(
        "activity_key",
        team_minutes.cast("double").alias("team_minutes"),
        customer_minutes.cast("double").alias("customer_minutes"),
        F.when(kind.isin(MEETING, CALL), minutes).otherwise(0.0).alias("facetime_minutes"),
    )


def person_minutes(activities_df: DataFrame, participants_df: DataFrame) -> DataFrame:
    """Minutes each user spent on each email, meeting and call: section 3's rules per person, as
    `activity_minutes` applies them per side. The writer of an email 5 minutes and each internal
    recipient of a customer's email 2.5; each internal person present at a meeting its duration;
    each internal participant of a call its duration. A user listed twice counts once.

    (activity_key, activity_type, activity_at, counts_from, user_id, minutes), for the activities
    that are not left out of everything.
    """
    kind, role = F.col("activity_type"), F.col("role")
    minutes = F.coalesce(F.col("duration_minutes"), F.lit(0.0))
    spent = (
        F.when((kind == EMAIL) & (role == "from"), F.lit(EMAIL_WRITER_MINUTES))
        .when(
            (kind == EMAIL) & role.isin(*RECIPIENT_ROLES) & (F.col("initiated_by") == CUSTOMER),
            F.lit(EMAIL_READER_MINUTES),
        )
        .when((kind == MEETING) & role.isin(*MEETING_ROLES) & F.col("is_present"), minutes)
        .when(kind == CALL, minutes)
    )
    internal_df = participants_df.filter(
        F.col("is_internal") & F.col("user_id").isNotNull() & F.col("activity_type").isin(EMAIL, MEETING, CALL)
    ).select("activity_key", "role", "is_present", "user_id")
    activities = activities_df.filter(F.col("is_tracked")).select(
        "activity_key", "activity_type", "activity_at", "counts_from", "initiated_by", "duration_minutes"
    )
    return (
        internal_df.join(activities, on="activity_key", how="inner")
        .withColumn("minutes", spent.cast("double"))
        .filter(F.col("minutes").isNotNull())
        .groupBy("activity_key", "activity_type", "activity_at", "counts_from", "user_id")
        .agg(F.max("minutes").alias("minutes"))
    )


def known_records(
    accounts_df: DataFrame, contacts_df: DataFrame, leads_df: DataFrame, opportunities_df: DataFrame
) -> DataFrame:
    """Every record that gets KPIs, and whether relationship health applies to it (section 9:
    every contact, open leads and open opportunities; accounts never)."""
    return (
        accounts_df.select(
            F.lit("account").alias("record_type"),
            F.col("account_id").alias("record_id"),
            F.lit(False).alias("is_scored"),
        )
        .unionByName(
            contacts_df.filter(~F.coalesce(F.col("do_not_track"), F.lit(False))).select(
                F.lit("contact").alias("record_type"),
                F.col("contact_id").alias("record_id"),
                F.lit(True).alias("is_scored"),
            )
        )
        .unionByName(
            leads_df.select(
                F.lit("lead").alias("record_type"),
                F.col("lead_id").alias("record_id"),
                (F.coalesce(F.col("status"), F.lit("open")) == "open").alias("is_scored"),
            )
        )
        .unionByName(
            opportunities_df.select(
                F.lit("opportunity").alias("record_type"),
                F.col("opportunity_id").alias("record_id"),
                (F.col("status") == "open").alias("is_scored"),
            )
        )
    )

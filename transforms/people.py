"""Who the relationship runs through: most contacted people (kpis.md section 8) and who knows whom
(section 10).

Grain of each output:
- `record_people_days` (silver): one row per account, lead or opportunity, side, person, day the
  activities count from (`counts_on`) and day they happened (`activity_on`).
- `connection_days` (silver): one row per contact or lead, user, `counts_on`, `activity_on` and
  activity type (email, meeting).
- `most_contacted`: one row per reported as-of day, account, lead or opportunity, side (`team`,
  `customer`) and rank 1 to 3.
- `who_knows_whom`: one row per reported as-of day, contact or lead, and rank 1 to 5.
People are named by user, contact or lead id, or by the pseudonymous key of an unknown address;
users with `analytics_opt_out` are never named.

The two silver tables hold what the gold ones need of history, summed per day, so that a day's run
reads small sums instead of joining every activity to its participants; conform keeps them from
what changed (as `transforms.record_activity_days`, whose docstring says why per-day sums are exact).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.as_of import (
    CALL,
    EMAIL,
    MEETING,
    MEETING_ROLES,
    MICROS_PER_DAY,
    RECIPIENT_ROLES,
    by_time,
    ordered_sum,
)
from transforms.parameters import Parameters

KEY = ["as_of_date", "record_type", "record_id"]
MOST_CONTACTED_TOP = 3
MOST_CONTACTED_RECORDS = ("account", "lead", "opportunity")
WHO_KNOWS_WHOM_TOP = 5
SCORE_DECIMALS = 6


Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class ConnectionWeights(Parameters):
    """`kpi.who_knows_whom.weights`: what one email and one meeting between two people add [P]."""

    email: NonNegative = 1.0
    meeting: NonNegative = 2.0


class ConnectionParams(Parameters):
    """`kpi.who_knows_whom`: the parameters of section 10 and their defaults."""

    # Whole days, so that the lookback starts at a midnight (as health's): T's own day and the L - 1 before it.
    lookback_days: Annotated[int, Field(gt=0)] = 365
    decay_days: Positive = 90.0
    weights: ConnectionWeights = ConnectionWeights()
    strong_at: NonNegative = 5.0
    fair_at: NonNegative = 2.0

    @model_validator(mode="after")
    def _strengths_in_order(self) -> ConnectionParams:
        if self.fair_at > self.strong_at:
            raise ValueError(f"fair_at ({self.fair_at}) must not be above strong_at ({self.strong_at})")
        return self


def _count_type(kind: str):
    return F.count(F.when(F.col("activity_type") == kind, F.lit(1)))


def _counting(activities_df: DataFrame, *kinds: str) -> DataFrame:
    """The activities of these types that ever count, with the days they count from and happened."""
    return activities_df.filter(
        F.col("is_tracked") & F.col("counts_from").isNotNull() & F.col("activity_type").isin(*kinds)
    ).select(
        "activity_key",
        "activity_type",
        "activity_id",
        "activity_at",
        F.to_date("counts_from").alias("counts_on"),
        F.to_date("activity_at").alias("activity_on"),
    )


def _people_present(participants_df: DataFrame) -> DataFrame:
    """(activity_key, side, person_type, person_id) of everyone present who may be counted: users
    for the team (whether they may be named is decided when read), contacts, leads or pseudonymous
    keys for the customer."""
    present_df = participants_df.filter(F.col("is_present") & ~F.col("is_do_not_track"))
    team_df = present_df.filter(F.col("is_internal") & F.col("user_id").isNotNull()).select(
        "activity_key",
        F.lit("team").alias("side"),
        F.lit("user").alias("person_type"),
        F.col("user_id").alias("person_id"),
    )
    person_type = (
        F.when(F.col("contact_id").isNotNull(), F.lit("contact"))
        .when(F.col("lead_id").isNotNull(), F.lit("lead"))
        .otherwise(F.lit("pseudonym"))
    )
    customer_df = present_df.filter(~F.col("is_internal")).select(
        "activity_key",
        F.lit("customer").alias("side"),
        person_type.alias("person_type"),
        F.coalesce("contact_id", "lead_id", "person_key").alias("person_id"),
    )
    return team_df.unionByName(customer_df).distinct()


PEOPLE_DAYS_KEY = ["record_type", "record_id", "side", "person_type", "person_id", "counts_on", "activity_on"]


def record_people_days(activities_df: DataFrame, participants_df: DataFrame, links_df: DataFrame) -> DataFrame:
    """Silver `record_people_days`: per account, lead and opportunity, side, person present and
    day (counted from, happened), the linked emails, meetings and calls and the latest of them.
    Summed over the days that count by T, these are section 8's counts at T, exactly."""
    links = links_df.filter(F.col("record_type").isin(*MOST_CONTACTED_RECORDS)).select(
        "activity_key", "record_type", "record_id"
    )
    return (
        _counting(activities_df, EMAIL, MEETING, CALL)
        .join(links, on="activity_key", how="inner")
        .join(_people_present(participants_df), on="activity_key", how="inner")
        .groupBy(*PEOPLE_DAYS_KEY)
        .agg(
            _count_type(EMAIL).alias("emails"),
            _count_type(MEETING).alias("meetings"),
            _count_type(CALL).alias("calls"),
            F.max("activity_at").alias("last_at"),
        )
    )


def most_contacted(people_days_df: DataFrame, as_of_df: DataFrame, named_users_df: DataFrame) -> DataFrame:
    """The three people of each side present in the most linked emails, meetings and calls up to
    each reported day, from `record_people_days`; ties by later last activity, then named people
    before pseudonymous keys, then the smaller id. Opted-out users are never listed."""
    named_df = F.broadcast(named_users_df.select(F.col("user_id").alias("person_id"), F.lit(True).alias("named")))
    counted_df = (
        people_days_df.join(named_df, on="person_id", how="left")
        .filter((F.col("side") == "customer") | F.col("named").isNotNull())
        .join(F.broadcast(as_of_df.filter("is_reported")), on=F.col("counts_on") <= F.col("as_of_date"), how="inner")
    )
    # Named people (users, contacts, leads) before pseudonymous keys, so that the format of a key
    # never decides who is listed (v1.2); then the smaller id.
    ranking = Window.partitionBy(*KEY, "side").orderBy(
        F.col("total").desc(),
        F.col("last_contacted_at").desc(),
        (F.col("person_type") == "pseudonym").asc(),
        F.col("person_id").asc(),
    )
    return (
        counted_df.groupBy(*KEY, "side", "person_type", "person_id")
        .agg(
            F.sum("emails").alias("emails"),
            F.sum("meetings").alias("meetings"),
            F.sum("calls").alias("calls"),
            F.max("last_at").alias("last_contacted_at"),
        )
        .withColumn("total", F.col("emails") + F.col("meetings") + F.col("calls"))
        .withColumn("rank", F.row_number().over(ranking))
        .filter(F.col("rank") <= MOST_CONTACTED_TOP)
        .select(
            *KEY,
            "side",
            F.col("rank").cast("int").alias("rank"),
            "person_type",
            "person_id",
            "emails",
            "meetings",
            "calls",
            "total",
            "last_contacted_at",
        )
    )


def _roles_by_address(participants_df: DataFrame) -> DataFrame:
    """(activity_key, address) with whether the address sent, received or was present (meetings)."""
    return participants_df.groupBy("activity_key", "address").agg(
        F.max(F.col("role") == "from").alias("sent"),
        F.max(F.col("role").isin(*RECIPIENT_ROLES)).alias("received"),
        F.max(F.col("role").isin(*MEETING_ROLES) & F.col("is_present")).alias("attended"),
    )


CONNECTION_DAYS_KEY = ["record_type", "record_id", "user_id", "counts_on", "activity_on", "activity_type"]
DECAY_DAYS_PROPERTY = "rapport.connection_decay_days"


def connection_days(
    activities_df: DataFrame,
    participants_df: DataFrame,
    users_df: DataFrame,
    contacts_df: DataFrame,
    leads_df: DataFrame,
    decay_days: float,
) -> DataFrame:
    """Silver `connection_days`: per contact or lead, user and day (counted from, happened) and
    type, the emails or meetings between them (section 10, matched by address) and the day's own
    decayed sum: e^(-(end of activity_on - activity_at) / decay_days) over them. At T, a day's
    sum times e^(-(T - activity_on) / decay_days) is its part of the score, exactly as in
    `transforms.record_activity_days`; `DECAY_DAYS_PROPERTY` of the table records decay_days.
    Every user, contact and lead is here; who may be listed is decided when read."""
    roles_df = _roles_by_address(
        participants_df.filter(F.col("activity_type").isin(EMAIL, MEETING) & ~F.col("is_do_not_track"))
    )
    user_side_df = roles_df.join(
        users_df.select("user_id", F.col("email").alias("address")), on="address", how="inner"
    ).select(
        "activity_key",
        "user_id",
        F.col("address").alias("user_address"),
        F.col("sent").alias("user_sent"),
        F.col("received").alias("user_received"),
        F.col("attended").alias("user_attended"),
    )
    persons_df = contacts_df.select(
        F.lit("contact").alias("record_type"), F.col("contact_id").alias("record_id"), F.col("email").alias("address")
    ).unionByName(
        leads_df.select(
            F.lit("lead").alias("record_type"), F.col("lead_id").alias("record_id"), F.col("email").alias("address")
        )
    )
    person_side_df = roles_df.join(persons_df, on="address", how="inner")
    is_connected = F.when(
        F.col("activity_type") == EMAIL,
        (F.col("user_sent") & F.col("received")) | (F.col("sent") & F.col("user_received")),
    ).otherwise(F.col("user_attended") & F.col("attended"))
    before_day_end = (
        F.unix_micros(F.date_add("activity_on", 1).cast("timestamp")) - F.unix_micros("activity_at")
    ) / F.lit(float(MICROS_PER_DAY))
    latest = F.struct((-F.unix_micros("activity_at")).alias("order_at"), "activity_id", "activity_at")
    return (
        _counting(activities_df, EMAIL, MEETING)
        .join(person_side_df, on="activity_key", how="inner")
        .join(user_side_df, on="activity_key", how="inner")
        .filter(is_connected & (F.col("user_address") != F.col("address")))
        .groupBy(*CONNECTION_DAYS_KEY)
        .agg(
            F.count(F.lit(1)).alias("connections"),
            ordered_sum(F.exp(-before_day_end / F.lit(float(decay_days)))).alias("decayed"),
            F.min(latest).alias("latest"),
        )
        .select(
            *CONNECTION_DAYS_KEY,
            "connections",
            "decayed",
            F.col("latest.activity_at").alias("last_at"),
            F.col("latest.activity_id").alias("last_activity_id"),
        )
    )


def who_knows_whom(
    connection_days_df: DataFrame,
    as_of_df: DataFrame,
    users_df: DataFrame,
    contacts_df: DataFrame,
    leads_df: DataFrame,
    params: ConnectionParams,
) -> DataFrame:
    """For each contact and lead, the five active, not opted-out users with the strongest
    connection over the counting emails and meetings of the lookback, from `connection_days`
    (made with `params.decay_days`)."""
    knowing_users_df = users_df.filter(
        F.coalesce(F.col("is_active"), F.lit(True)) & ~F.coalesce(F.col("analytics_opt_out"), F.lit(False))
    ).select("user_id")
    persons_df = (
        contacts_df.filter(~F.coalesce(F.col("do_not_track"), F.lit(False)))
        .select(F.lit("contact").alias("record_type"), F.col("contact_id").alias("record_id"))
        .unionByName(leads_df.select(F.lit("lead").alias("record_type"), F.col("lead_id").alias("record_id")))
    )
    # A lookback of L whole days keeps the days from T - L + 1 on (age <= L at the end of T).
    in_lookback = (F.col("counts_on") <= F.col("as_of_date")) & (
        F.col("activity_on") > F.date_sub(F.col("as_of_date"), params.lookback_days)
    )
    days_df = (
        connection_days_df.join(F.broadcast(knowing_users_df), on="user_id", how="left_semi")
        .join(persons_df, on=["record_type", "record_id"], how="left_semi")
        .join(F.broadcast(as_of_df.filter("is_reported")), on=in_lookback, how="inner")
    )
    weights = params.weights
    weight = F.when(F.col("activity_type") == EMAIL, F.lit(weights.email)).otherwise(F.lit(weights.meeting))
    decay = F.exp(-F.datediff("as_of_date", "activity_on").cast("double") / F.lit(float(params.decay_days)))
    last = by_time("last_at", "last_at", "activity_type", latest=True, activity_id="last_activity_id")
    ranking = Window.partitionBy(*KEY).orderBy(
        F.col("score").desc(), F.col("last.last_at").desc(), F.col("user_id").asc()
    )
    strength = (
        F.when(F.col("score") >= params.strong_at, F.lit("strong"))
        .when(F.col("score") >= params.fair_at, F.lit("fair"))
        .otherwise(F.lit("weak"))
    )
    return (
        days_df.groupBy(*KEY, "user_id")
        .agg(
            # Rounded before ranking: a sum of doubles differs in its last bits with the order
            # Spark adds in, and a back-fill must rank exactly like a run of that day alone.
            F.round(F.sum(weight * F.col("decayed") * decay), SCORE_DECIMALS).alias("score"),
            F.min(last).alias("last"),
        )
        .withColumn("rank", F.row_number().over(ranking))
        .filter(F.col("rank") <= WHO_KNOWS_WHOM_TOP)
        .select(
            *KEY,
            F.col("rank").cast("int").alias("rank"),
            "user_id",
            "score",
            strength.alias("strength"),
            F.col("last.last_at").alias("last_interaction_at"),
            F.col("last.activity_type").alias("last_interaction_type"),
        )
    )

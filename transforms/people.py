"""Who the relationship runs through: most contacted people (kpis.md section 8) and who knows whom
(section 10).

Grain of each output:
- `most_contacted`: one row per reported as-of day, account, lead or opportunity, side (`team`,
  `customer`) and rank 1 to 3.
- `who_knows_whom`: one row per reported as-of day, contact or lead, and rank 1 to 5.
People are named by user, contact or lead id, or by the pseudonymous key of an unknown address;
users with `analytics_opt_out` are never named.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.as_of import CALL, EMAIL, MEETING, MEETING_ROLES, RECIPIENT_ROLES, age_days, by_time
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

    lookback_days: Positive = 365.0
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


def _people_present(participants_df: DataFrame, named_users_df: DataFrame) -> DataFrame:
    """(activity_key, side, person_type, person_id) of everyone present who may be named: users
    (not opted out) for the team, contacts, leads or pseudonymous keys for the customer."""
    present_df = participants_df.filter(F.col("is_present") & ~F.col("is_do_not_track"))
    team_df = (
        present_df.filter(F.col("is_internal"))
        .join(named_users_df, on="user_id", how="inner")
        .select(
            "activity_key",
            F.lit("team").alias("side"),
            F.lit("user").alias("person_type"),
            F.col("user_id").alias("person_id"),
        )
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


def most_contacted(record_activities_df: DataFrame, participants_df: DataFrame, named_users_df: DataFrame) -> DataFrame:
    """The three people of each side present in the most linked emails, meetings and calls; ties
    by later last activity, then named people before pseudonymous keys, then the smaller id."""
    activities_df = record_activities_df.filter(
        F.col("is_reported")
        & F.col("record_type").isin(*MOST_CONTACTED_RECORDS)
        & F.col("activity_type").isin(EMAIL, MEETING, CALL)
    ).select(*KEY, "activity_key", "activity_type", "activity_at")
    # Named people (users, contacts, leads) before pseudonymous keys, so that the format of a key
    # never decides who is listed (v1.2); then the smaller id.
    ranking = Window.partitionBy(*KEY, "side").orderBy(
        F.col("total").desc(),
        F.col("last_contacted_at").desc(),
        (F.col("person_type") == "pseudonym").asc(),
        F.col("person_id").asc(),
    )
    return (
        activities_df.join(_people_present(participants_df, named_users_df), on="activity_key", how="inner")
        .groupBy(*KEY, "side", "person_type", "person_id")
        .agg(
            _count_type(EMAIL).alias("emails"),
            _count_type(MEETING).alias("meetings"),
            _count_type(CALL).alias("calls"),
            F.count(F.lit(1)).alias("total"),
            F.max("activity_at").alias("last_contacted_at"),
        )
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


def who_knows_whom(
    counting_df: DataFrame,
    participants_df: DataFrame,
    users_df: DataFrame,
    contacts_df: DataFrame,
    leads_df: DataFrame,
    params: ConnectionParams,
) -> DataFrame:
    """For each contact and lead, the five active, not opted-out users with the strongest
    connection over the counting emails and meetings of the lookback, matched by address."""
    age = age_days(F.col("activity_at"))
    activities_df = counting_df.filter(
        F.col("is_reported") & F.col("activity_type").isin(EMAIL, MEETING) & (age <= F.lit(params.lookback_days))
    ).select("as_of_date", "as_of_end", "activity_key", "activity_type", "activity_id", "activity_at")
    roles_df = _roles_by_address(
        participants_df.filter(F.col("activity_type").isin(EMAIL, MEETING) & ~F.col("is_do_not_track"))
    )
    knowing_users_df = users_df.filter(
        F.coalesce(F.col("is_active"), F.lit(True)) & ~F.coalesce(F.col("analytics_opt_out"), F.lit(False))
    ).select("user_id", F.col("email").alias("address"))
    persons_df = (
        contacts_df.filter(~F.coalesce(F.col("do_not_track"), F.lit(False)))
        .select(
            F.lit("contact").alias("record_type"),
            F.col("contact_id").alias("record_id"),
            F.col("email").alias("address"),
        )
        .unionByName(
            leads_df.select(
                F.lit("lead").alias("record_type"), F.col("lead_id").alias("record_id"), F.col("email").alias("address")
            )
        )
    )
    user_side_df = roles_df.join(knowing_users_df, on="address", how="inner").select(
        "activity_key",
        "user_id",
        F.col("address").alias("user_address"),
        F.col("sent").alias("user_sent"),
        F.col("received").alias("user_received"),
        F.col("attended").alias("user_attended"),
    )
    person_side_df = roles_df.join(persons_df, on="address", how="inner")
    is_connected = F.when(
        F.col("activity_type") == EMAIL,
        (F.col("user_sent") & F.col("received")) | (F.col("sent") & F.col("user_received")),
    ).otherwise(F.col("user_attended") & F.col("attended"))
    weights = params.weights
    weight = F.when(F.col("activity_type") == EMAIL, F.lit(weights.email)).otherwise(F.lit(weights.meeting))
    last = by_time("activity_at", "activity_at", "activity_type", latest=True)
    ranking = Window.partitionBy(*KEY).orderBy(
        F.col("score").desc(), F.col("last.activity_at").desc(), F.col("user_id").asc()
    )
    strength = (
        F.when(F.col("score") >= params.strong_at, F.lit("strong"))
        .when(F.col("score") >= params.fair_at, F.lit("fair"))
        .otherwise(F.lit("weak"))
    )
    return (
        activities_df.join(person_side_df, on="activity_key", how="inner")
        .join(user_side_df, on="activity_key", how="inner")
        .filter(is_connected & (F.col("user_address") != F.col("address")))
        .groupBy(*KEY, "user_id")
        .agg(
            # Rounded before ranking: a sum of doubles differs in its last bits with the order
            # Spark adds in, and a back-fill must rank exactly like a run of that day alone.
            F.round(F.sum(weight * F.exp(-age / F.lit(params.decay_days))), SCORE_DECIMALS).alias("score"),
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
            F.col("last.activity_at").alias("last_interaction_at"),
            F.col("last.activity_type").alias("last_interaction_type"),
        )
    )

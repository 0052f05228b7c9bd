"""Relationship health (kpis.md section 9): a 0-100 score of how engaged and balanced a relationship
is, its state, its trend, and the factors that explain it.

Grain of each output: one row per as-of day and record. `health_inputs` sums the decayed activity
of every day in `as_of_df` (reported days and the earlier days trends compare with) from the daily
sums of `record_activity_days`, which factor the decay exactly (see that module);
`relationship_health` grades them and compares each reported day with its earlier day.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.as_of import CUSTOMER, TEAM
from transforms.parameters import Parameters
from transforms.record_activity_days import decay_to_as_of

KEY = ["as_of_date", "record_type", "record_id"]
CUSTOMER_INITIATED_WEIGHT = 1.5
SCORE_STEEPNESS = 1.2
MIN_ACTIVITIES = 3
TREND_STEP = 5
FACTOR_DECIMALS = 6


# A type weight may move an activity type's share by half either way [D].
TypeWeight = Annotated[float, Field(ge=0.5, le=1.5)]
Score = Annotated[int, Field(ge=0, le=100)]


class TypeWeights(Parameters):
    """`kpi.health.weights`: how much one activity of each type adds to engagement."""

    email: TypeWeight = 1.0
    meeting: TypeWeight = 1.0
    call: TypeWeight = 1.0
    task: TypeWeight = 1.0


class HealthParams(Parameters):
    """`kpi.health`: the parameters of section 9 and their defaults."""

    # The communication frequency a seller picks [D]: daily, every few days, weekly, every couple
    # of weeks, monthly.
    frequency_days: Literal[1, 3, 7, 14, 30] = 7
    # Whole days, so that the lookback starts at a midnight: T's own day and the L - 1 before it.
    lookback_days: Annotated[int, Field(gt=0)] = 365
    weights: TypeWeights = TypeWeights()
    good_at: Score = 60
    fair_at: Score = 40

    @model_validator(mode="after")
    def _grades_in_order(self) -> HealthParams:
        if self.fair_at > self.good_at:
            raise ValueError(f"fair_at ({self.fair_at}) must not be above good_at ({self.good_at})")
        return self

    @property
    def tau_days(self) -> float:
        return 2.0 * self.frequency_days

    @property
    def expected_engagement(self) -> float:
        """E_exp: the engagement of one team activity every `frequency_days`, forever."""
        return 1.0 / (1.0 - math.exp(-self.frequency_days / self.tau_days))

    @property
    def trend_days(self) -> int:
        """The score at T is compared with the score this many days earlier."""
        return int(max(7, math.ceil(2 * self.frequency_days)))


def _type_weight(weights: TypeWeights) -> Column:
    pairs = weights.model_dump().items()
    return F.create_map(*[x for kind, w in pairs for x in (F.lit(kind), F.lit(float(w)))])[F.col("activity_type")]


def health_inputs(counting_days_df: DataFrame, params: HealthParams) -> DataFrame:
    """Sums over the counting activities of the lookback: E, C, M, their count and the last one,
    from the rows of `record_activity_days` (made with this tau) that count by each as-of day."""
    in_lookback = (F.col("activity_on") <= F.col("as_of_date")) & (
        F.col("activity_on") > F.date_sub(F.col("as_of_date"), params.lookback_days)
    )
    decay = decay_to_as_of(params.tau_days) * F.col("decayed")
    initiated_weight = F.when(F.col("initiated_by") == CUSTOMER, F.lit(CUSTOMER_INITIATED_WEIGHT)).otherwise(1.0)
    return (
        counting_days_df.filter(in_lookback)
        .groupBy(*KEY)
        .agg(
            F.sum("activities").alias("activities"),
            F.sum(_type_weight(params.weights) * initiated_weight * decay).alias("engagement"),
            F.sum(F.when(F.col("initiated_by") == CUSTOMER, decay).otherwise(0.0)).alias("customer_decayed"),
            F.sum(F.when(F.col("initiated_by") == TEAM, decay).otherwise(0.0)).alias("team_decayed"),
            F.max("last_at").alias("last_activity_at"),
        )
    )


def with_health_score(inputs_df: DataFrame, params: HealthParams) -> DataFrame:
    """Adds the factors (engagement ratio, balance), the score (half up) and the state; the score is
    null unless the record is scored and has at least three counting activities."""
    ratio = F.col("engagement") / F.lit(params.expected_engagement)
    balance = F.least(F.lit(1.0), (F.col("customer_decayed") + 1.0) / (0.5 * F.col("team_decayed") + 1.0))
    raw_score = 100.0 * (1.0 - F.exp(-SCORE_STEEPNESS * ratio * (0.5 + 0.5 * balance)))
    activities = F.coalesce(F.col("activities"), F.lit(0))
    has_enough = F.col("is_scored") & (activities >= MIN_ACTIVITIES)
    score = F.when(has_enough, F.round(raw_score, 0).cast("int"))
    state = (
        F.when(~F.col("is_scored"), F.lit("not_applicable"))
        .when(activities == 0, F.lit("no_activities"))
        .when(activities < MIN_ACTIVITIES, F.lit("not_enough_info"))
        .when(F.col("health_score") >= params.good_at, F.lit("good"))
        .when(F.col("health_score") >= params.fair_at, F.lit("fair"))
        .otherwise(F.lit("poor"))
    )
    has_factors = has_enough  # "every scored row carries the factors": rows with a score
    return (
        # The factors are sums of doubles, whose last bits depend on the order Spark adds in: rounded
        # so that a back-fill and a run of that day alone publish the same values.
        inputs_df.withColumn("health_engagement_ratio", F.when(has_factors, F.round(ratio, FACTOR_DECIMALS)))
        .withColumn("health_balance", F.when(has_factors, F.round(balance, FACTOR_DECIMALS)))
        .withColumn("health_score", score)
        .withColumn("health_state", state)
        .withColumn(
            "days_since_last_activity",
            F.when(has_factors, F.datediff(F.col("as_of_date"), F.to_date("last_activity_at"))),
        )
    )


def relationship_health(
    records_df: DataFrame, as_of_df: DataFrame, inputs_df: DataFrame, params: HealthParams
) -> DataFrame:
    """Every record at every reported day: score, state, trend against `trend_days` earlier (both
    recomputed from the data; `as_of_df` must hold those earlier days), and the factors."""
    days_df = as_of_df.select("as_of_date", "is_reported")
    scored_df = with_health_score(
        records_df.crossJoin(F.broadcast(days_df)).join(inputs_df, on=KEY, how="left"), params
    )
    earlier_df = scored_df.select(
        F.date_add("as_of_date", params.trend_days).alias("as_of_date"),
        "record_type",
        "record_id",
        F.col("health_score").alias("earlier_score"),
    )
    change = F.col("health_score") - F.col("earlier_score")
    trend = (
        F.when(F.col("health_state") == "not_applicable", F.lit(None).cast("string"))
        .when(F.col("health_score").isNull() | F.col("earlier_score").isNull(), F.lit("not_enough_info"))
        .when(change >= TREND_STEP, F.lit("improving"))
        .when(change <= -TREND_STEP, F.lit("declining"))
        .otherwise(F.lit("steady"))
    )
    return (
        scored_df.filter("is_reported")
        .join(earlier_df, on=KEY, how="left")
        .select(
            *KEY,
            "health_score",
            "health_state",
            trend.alias("health_trend"),
            "health_engagement_ratio",
            "health_balance",
            F.col("days_since_last_activity").cast("int").alias("days_since_last_activity"),
        )
    )

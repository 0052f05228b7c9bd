"""The conversation-intelligence home page (kpis.md section 13): the figures of each period (the
standard ones and a custom range, `transforms.periods`) for each team and for the whole org
(`team_id` null), as of the end E of a day T.

A fact falls in a period's window by when it happened: a deal by its close date (at that day's
midnight), a call by its start, a person's time by the time of the activity (counting by E). Its
team: a deal's owner's, a call's seller's (`transforms.call_insights`), a person's own. Facts whose
team is unknown count for the org only. Every table but the top terms has a row for every period
and team (teams: those of the users), with zeros where nothing happened.

- `sales_base_kpis`: won revenue (actual revenue of won deals), deals won and lost, win rate = won
  / (won + lost), average deal size = won revenue / deals won, each with its trend; open pipeline
  = estimated revenue of the deals open at T (created by E), the same for every period.
- `ci_sentiment`: the calls with sentiment (`call_insights`) started in the period: how many,
  how many have a negative share above the mean of those calls, and the % positive, neutral and
  negative by label.
- `ci_top_terms`: the `top_terms` keywords, competitors and other brands with the most mentions
  in the period (ties: more calls, then the term), with the calls mentioning them and the trend.
- `ci_top_sellers`: a team's sellers are its users who are active and have not opted out of
  analytics; its top sellers those whose won revenue in the period (deals they own) is above the
  mean over its sellers. The org's sellers are every team's sellers, its top sellers every team's
  top sellers. For each group (`top`, `team`): its sellers, their calls in the period and those
  calls' mean talk %, listen % and switches per hour, best-practice mentions per call, % of
  analysed calls by sentiment label, and the mean hours per seller by mode (email, call,
  meeting: `transforms.as_of.person_minutes`, the rules of section 3).
- `call_recording_kpis`: per calendar month of the call's start, from the org's first month with a
  counted call to T's month (to date), the recorded calls (flagged `recorded`, or with a
  transcript), their hours, and how many mention a tracked keyword, and a competitor or other
  brand; each with its trend against the month before.
"""

from __future__ import annotations

from datetime import date
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.mentions import BEST_PRACTICE, COMPETITOR, KEYWORD, OTHER_BRAND
from transforms.periods import BEFORE, NOW, in_windows, trend_pct
from transforms.sentiment import SENTIMENT_LABELS

TOP, TEAM = "top", "team"
SELLER_GROUPS = (TOP, TEAM)
TOP_TERM_KINDS = (KEYWORD, COMPETITOR, OTHER_BRAND)
MODES = ("email", "call", "meeting")
SECONDS_PER_HOUR, MINUTES_PER_HOUR = 3_600.0, 60.0


# --- shared -----------------------------------------------------------------------------------
def with_org(facts_df: DataFrame) -> DataFrame:
    """Each fact once for its team (when it has one) and once for the whole org (team_id null)."""
    return facts_df.filter(F.col("team_id").isNotNull()).unionByName(
        facts_df.withColumn("team_id", F.lit(None).cast("string"))
    )


def teams(users_df: DataFrame) -> DataFrame:
    """(team_id): every team of the users, and null for the org."""
    teams_df = users_df.select("team_id").filter(F.col("team_id").isNotNull()).distinct()
    return with_org(teams_df).distinct()  # with_org gives the org's null once per team


def period_spine(windows_df: DataFrame, teams_df: DataFrame) -> DataFrame:
    """(period, team_id, period_start, period_end, days_left): every period for every team."""
    periods_df = windows_df.filter(F.col("window") == NOW).select(
        "period", F.col("window_start").alias("period_start"), F.col("window_end").alias("period_end"), "days_left"
    )
    return periods_df.crossJoin(F.broadcast(teams_df))


def join_on(left_df: DataFrame, right_df: DataFrame, keys: list[str], how: str = "left") -> DataFrame:
    """A join on `keys` where null equals null (the org's `team_id`)."""
    renamed_df = right_df.withColumnsRenamed({k: f"_right_{k}" for k in keys})
    condition = reduce(lambda a, b: a & b, [F.col(k).eqNullSafe(F.col(f"_right_{k}")) for k in keys])
    return left_df.join(renamed_df, condition, how).drop(*[f"_right_{k}" for k in keys])


def _in(window: str, value: Column) -> Column:
    return F.when(F.col("window") == window, value)


def _sum_in(window: str, value: Column) -> Column:
    return F.coalesce(F.sum(_in(window, value)), F.lit(0))


def _ratio(numerator: Column, denominator: Column) -> Column:
    return F.when(denominator > 0, numerator / denominator)


# --- sales base KPIs --------------------------------------------------------------------------
def sales_base_kpis(opportunities_df: DataFrame, users_df: DataFrame, windows_df: DataFrame, as_of_end: Column):
    owners_df = users_df.select(F.col("user_id").alias("owner_id"), "team_id")
    deals_df = opportunities_df.join(owners_df, on="owner_id", how="left")
    closed_df = deals_df.filter(F.col("status").isin("won", "lost") & F.col("actual_close_date").isNotNull()).select(
        "team_id",
        (F.col("status") == "won").alias("is_won"),
        F.coalesce(F.col("actual_revenue"), F.lit(0.0)).alias("revenue"),
        F.col("actual_close_date").cast("timestamp").alias("closed_at"),
    )
    won, lost = F.col("is_won"), ~F.col("is_won")
    placed_df = in_windows(with_org(closed_df), windows_df, F.col("closed_at"))
    per_period_df = placed_df.groupBy("period", "team_id").agg(
        *[
            agg.alias(f"{name}_{window}")
            for window in (NOW, BEFORE)
            for name, agg in (
                ("won_revenue", _sum_in(window, F.when(won, F.col("revenue")).otherwise(0.0))),
                ("deals_won", _sum_in(window, won.cast("long"))),
                ("deals_lost", _sum_in(window, lost.cast("long"))),
            )
        ]
    )
    is_open = (F.col("status") == "open") & (F.col("created_at").isNull() | (F.col("created_at") < as_of_end))
    pipeline_df = (
        with_org(deals_df.filter(is_open).select("team_id", "estimated_revenue"))
        .groupBy("team_id")
        .agg(F.sum("estimated_revenue").alias("open_pipeline"))
    )
    spine_df = period_spine(windows_df, teams(users_df))
    kpis_df = join_on(join_on(spine_df, per_period_df, ["period", "team_id"]), pipeline_df, ["team_id"])
    zero = {c: 0 for c in per_period_df.columns if c.startswith("deals_")}
    kpis_df = kpis_df.fillna({**zero, "won_revenue_now": 0.0, "won_revenue_before": 0.0, "open_pipeline": 0.0})

    def measures(window: str) -> dict[str, Column]:
        won_revenue, deals_won = F.col(f"won_revenue_{window}"), F.col(f"deals_won_{window}")
        return {
            "won_revenue": won_revenue,
            "deals_won": deals_won,
            "win_rate": _ratio(deals_won, deals_won + F.col(f"deals_lost_{window}")),
            "avg_deal_size": _ratio(won_revenue, deals_won),
        }

    now, before = measures(NOW), measures(BEFORE)
    return kpis_df.select(
        "period",
        "team_id",
        "period_start",
        "period_end",
        now["won_revenue"].alias("won_revenue"),
        "open_pipeline",
        now["deals_won"].alias("deals_won"),
        F.col("deals_lost_now").alias("deals_lost"),
        now["win_rate"].alias("win_rate"),
        now["avg_deal_size"].alias("avg_deal_size"),
        "days_left",
        *[trend_pct(now[m], before[m]).alias(f"{m}_trend_pct") for m in now],
    )


# --- customer sentiment -----------------------------------------------------------------------
def ci_sentiment(insights_df: DataFrame, users_df: DataFrame, windows_df: DataFrame) -> DataFrame:
    analysed_df = insights_df.filter(F.col("negative_share").isNotNull()).select(
        "team_id", "started_at", "negative_share", "sentiment_label"
    )
    placed_df = in_windows(with_org(analysed_df), windows_df, F.col("started_at"))
    group_w = Window.partitionBy("period", "window", "team_id")
    marked_df = placed_df.withColumn("is_above_mean", F.col("negative_share") > F.avg("negative_share").over(group_w))
    per_period_df = marked_df.groupBy("period", "team_id").agg(
        _sum_in(NOW, F.lit(1)).alias("calls_analysed"),
        _sum_in(NOW, F.col("is_above_mean").cast("long")).alias("calls_above_avg_negative"),
        F.avg(_in(NOW, F.col("negative_share"))).alias("avg_negative_share"),
        *[_sum_in(NOW, (F.col("sentiment_label") == label).cast("long")).alias(label) for label in SENTIMENT_LABELS],
        _sum_in(BEFORE, F.lit(1)).alias("calls_before"),
        _sum_in(BEFORE, (F.col("sentiment_label") == "negative").cast("long")).alias("negative_before"),
    )
    spine_df = period_spine(windows_df, teams(users_df))
    joined_df = join_on(spine_df, per_period_df, ["period", "team_id"]).fillna(
        {
            c: 0
            for c in (
                "calls_analysed",
                "calls_above_avg_negative",
                *SENTIMENT_LABELS,
                "calls_before",
                "negative_before",
            )
        }
    )
    calls = F.col("calls_analysed")
    pct_negative_before = _ratio(100.0 * F.col("negative_before"), F.col("calls_before"))
    return joined_df.select(
        "period",
        "team_id",
        "period_start",
        "period_end",
        "calls_analysed",
        "calls_above_avg_negative",
        "avg_negative_share",
        *[_ratio(100.0 * F.col(label), calls).alias(f"pct_{label}") for label in SENTIMENT_LABELS],
        trend_pct(calls, F.col("calls_before")).alias("calls_analysed_trend_pct"),
        trend_pct(_ratio(100.0 * F.col("negative"), calls), pct_negative_before).alias("pct_negative_trend_pct"),
    )


# --- top terms --------------------------------------------------------------------------------
def ci_top_terms(mentions_df: DataFrame, insights_df: DataFrame, windows_df: DataFrame, top: int) -> DataFrame:
    facts_df = mentions_df.filter(F.col("term_kind").isin(*TOP_TERM_KINDS)).join(
        insights_df.select("call_id", "team_id", "started_at"), on="call_id", how="inner"
    )
    placed_df = in_windows(with_org(facts_df), windows_df, F.col("started_at"))
    per_term_df = placed_df.groupBy("period", "team_id", "term_kind", "term").agg(
        _sum_in(NOW, F.col("mentions")).alias("mentions"),
        F.count_distinct(_in(NOW, F.col("call_id"))).alias("calls"),
        _sum_in(BEFORE, F.col("mentions")).alias("mentions_before"),
    )
    rank_w = Window.partitionBy("period", "team_id", "term_kind").orderBy(
        F.col("mentions").desc(), F.col("calls").desc(), F.col("term")
    )
    return (
        per_term_df.filter(F.col("mentions") > 0)
        .withColumn("rank", F.row_number().over(rank_w))
        .filter(F.col("rank") <= top)
        .select(
            "period",
            "team_id",
            "term_kind",
            "rank",
            "term",
            "mentions",
            "calls",
            trend_pct(F.col("mentions"), F.col("mentions_before")).alias("trend_pct"),
        )
    )


# --- top sellers ------------------------------------------------------------------------------
def sellers(users_df: DataFrame) -> DataFrame:
    """(user_id, team_id) of the users whose work the home page analyses."""
    is_seller = F.coalesce(F.col("is_active"), F.lit(True)) & ~F.coalesce(F.col("analytics_opt_out"), F.lit(False))
    return users_df.filter(is_seller).select("user_id", "team_id")


def _per_seller_calls(insights_df: DataFrame, mentions_df: DataFrame, now_df: DataFrame) -> DataFrame:
    best_practice_df = (
        mentions_df.filter(F.col("term_kind") == BEST_PRACTICE)
        .groupBy("call_id")
        .agg(F.sum("mentions").alias("best_practice"))
    )
    calls_df = insights_df.filter(F.col("seller_user_id").isNotNull()).join(best_practice_df, on="call_id", how="left")
    placed_df = in_windows(calls_df, now_df, F.col("started_at"))
    return placed_df.groupBy("period", F.col("seller_user_id").alias("user_id")).agg(
        F.count(F.lit(1)).alias("calls"),
        F.sum("talk_pct").alias("talk_pct_sum"),
        F.count("talk_pct").alias("talk_pct_calls"),
        F.sum("switches_per_hour").alias("switches_per_hour_sum"),
        F.count("switches_per_hour").alias("switches_per_hour_calls"),
        F.coalesce(F.sum("best_practice"), F.lit(0)).alias("best_practice"),
        F.count("sentiment_label").alias("analysed"),
        *[F.count(F.when(F.col("sentiment_label") == label, 1)).alias(label) for label in SENTIMENT_LABELS],
    )


def _per_seller_minutes(minutes_df: DataFrame, now_df: DataFrame, as_of_end: Column) -> DataFrame:
    counting_df = minutes_df.filter(F.col("counts_from") < as_of_end)
    placed_df = in_windows(counting_df, now_df, F.col("activity_at"))
    return placed_df.groupBy("period", "user_id").agg(
        *[
            F.sum(F.when(F.col("activity_type") == mode, F.col("minutes")).otherwise(0.0)).alias(f"{mode}_minutes")
            for mode in MODES
        ]
    )


def ci_top_sellers(
    opportunities_df: DataFrame,
    users_df: DataFrame,
    insights_df: DataFrame,
    mentions_df: DataFrame,
    minutes_df: DataFrame,
    windows_df: DataFrame,
    as_of_end: Column,
) -> DataFrame:
    now_df = windows_df.filter(F.col("window") == NOW)
    periods_df = now_df.select("period")
    won_df = (
        in_windows(
            opportunities_df.filter((F.col("status") == "won") & F.col("actual_close_date").isNotNull()).select(
                F.col("owner_id").alias("user_id"),
                F.coalesce(F.col("actual_revenue"), F.lit(0.0)).alias("revenue"),
                F.col("actual_close_date").cast("timestamp").alias("closed_at"),
            ),
            now_df,
            F.col("closed_at"),
        )
        .groupBy("period", "user_id")
        .agg(F.sum("revenue").alias("won_revenue"))
    )
    team_w = Window.partitionBy("period", "team_id")
    ranked_df = (
        periods_df.crossJoin(sellers(users_df))
        .join(won_df, on=["period", "user_id"], how="left")
        .withColumn("won_revenue", F.coalesce(F.col("won_revenue"), F.lit(0.0)))
        .withColumn("is_top", F.col("team_id").isNotNull() & (F.col("won_revenue") > F.avg("won_revenue").over(team_w)))
    )
    members_df = with_org(
        ranked_df.select("period", "team_id", "user_id", F.lit(TEAM).alias("group")).unionByName(
            ranked_df.filter("is_top").select("period", "team_id", "user_id", F.lit(TOP).alias("group"))
        )
    )
    work_df = members_df.join(
        _per_seller_calls(insights_df, mentions_df, now_df), on=["period", "user_id"], how="left"
    ).join(_per_seller_minutes(minutes_df, now_df, as_of_end), on=["period", "user_id"], how="left")
    calls = F.sum("calls")
    per_group_df = work_df.groupBy("period", "team_id", "group").agg(
        F.count(F.lit(1)).alias("sellers"),
        F.coalesce(calls, F.lit(0)).alias("calls"),
        _ratio(F.sum("talk_pct_sum"), F.sum("talk_pct_calls")).alias("talk_pct"),
        _ratio(F.sum("switches_per_hour_sum"), F.sum("switches_per_hour_calls")).alias("switches_per_hour"),
        _ratio(F.sum("best_practice").cast("double"), calls).alias("best_practice_per_call"),
        *[_ratio(100.0 * F.sum(label), F.sum("analysed")).alias(f"pct_{label}") for label in SENTIMENT_LABELS],
        *[
            (F.coalesce(F.sum(f"{mode}_minutes"), F.lit(0.0)) / MINUTES_PER_HOUR / F.count(F.lit(1))).alias(
                f"{mode}_hours"
            )
            for mode in MODES
        ],
    )
    groups_df = F.broadcast(periods_df.sparkSession.createDataFrame([(g,) for g in SELLER_GROUPS], "group string"))
    spine_df = period_spine(windows_df, teams(users_df)).crossJoin(groups_df)
    return (
        join_on(spine_df, per_group_df, ["period", "team_id", "group"])
        .fillna({"sellers": 0, "calls": 0})
        .select(
            "period",
            "team_id",
            "group",
            "period_start",
            "period_end",
            "sellers",
            "calls",
            "talk_pct",
            (100.0 - F.col("talk_pct")).alias("listen_pct"),
            "switches_per_hour",
            "best_practice_per_call",
            *[f"pct_{label}" for label in SENTIMENT_LABELS],
            *[f"{mode}_hours" for mode in MODES],
        )
    )


# --- call recording by month ------------------------------------------------------------------
def call_recording_kpis(recorded_df: DataFrame, mentions_df: DataFrame, users_df: DataFrame, as_of: date) -> DataFrame:
    """`recorded_df`: (call_id, team_id, started_at, duration_seconds) of the recorded calls."""
    kinds_df = mentions_df.groupBy("call_id").agg(
        F.max(F.col("term_kind") == KEYWORD).alias("has_keyword"),
        F.max(F.col("term_kind").isin(COMPETITOR, OTHER_BRAND)).alias("has_competitor_or_brand"),
    )
    facts_df = recorded_df.join(kinds_df, on="call_id", how="left").select(
        "team_id",
        F.trunc("started_at", "month").alias("month"),
        F.coalesce(F.col("duration_seconds"), F.lit(0)).alias("seconds"),
        F.coalesce(F.col("has_keyword"), F.lit(False)).alias("has_keyword"),
        F.coalesce(F.col("has_competitor_or_brand"), F.lit(False)).alias("has_competitor_or_brand"),
    )
    per_month_df = (
        with_org(facts_df)
        .groupBy("month", "team_id")
        .agg(
            F.count(F.lit(1)).alias("calls_recorded"),
            (F.sum("seconds") / SECONDS_PER_HOUR).alias("hours_recorded"),
            F.count(F.when(F.col("has_keyword"), 1)).alias("calls_with_keywords"),
            F.count(F.when(F.col("has_competitor_or_brand"), 1)).alias("calls_with_competitors_or_brands"),
        )
    )
    first_month = recorded_df.agg(F.min(F.trunc("started_at", "month")).alias("first")).select(
        F.explode(F.sequence("first", F.trunc(F.lit(as_of), "month"), F.expr("INTERVAL 1 MONTH"))).alias("month")
    )
    spine_df = first_month.crossJoin(F.broadcast(teams(users_df)))
    measures = ("calls_recorded", "hours_recorded", "calls_with_keywords", "calls_with_competitors_or_brands")
    monthly_df = join_on(spine_df, per_month_df, ["month", "team_id"]).fillna({m: 0 for m in measures})
    previous_w = Window.partitionBy("team_id").orderBy("month")
    return monthly_df.select(
        "month",
        "team_id",
        *measures,
        *[trend_pct(F.col(m), F.lag(m).over(previous_w)).alias(f"{m}_trend_pct") for m in measures],
    )

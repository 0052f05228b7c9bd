"""Gold tables (spec/gold-tables.md): what analysts query and BI tools read.

Every daily table is keyed by `as_of_date` (the T of the run) plus the grain written beside it,
partitioned by `as_of_date` so that a run replaces exactly its day, and carries `computed_at`.
People are named by user, contact or lead id, or by a pseudonymous key; never by address.
"""

from __future__ import annotations

from pyspark.sql import types as T

from schemas import fields

RECORD_TYPES = ("account", "contact", "lead", "opportunity")
HEALTH_STATES = ("good", "fair", "poor", "not_enough_info", "no_activities", "not_applicable")
HEALTH_TRENDS = ("improving", "steady", "declining", "not_enough_info")
STRENGTHS = ("strong", "fair", "weak")
PERSON_TYPES = ("user", "contact", "lead", "pseudonym")
STAGE_COLORS = {"qualify": "dark blue", "develop": "light blue", "propose": "red", "close": "purple"}


def _daily(*specs: tuple[str, T.DataType, bool]) -> T.StructType:
    """A daily table: its own columns between the as-of day and the time it was computed."""
    return fields(("as_of_date", T.DateType(), False), *specs, ("computed_at", T.TimestampType(), False))


_S, _L, _I, _D = T.StringType(), T.LongType(), T.IntegerType(), T.DoubleType()
_TS, _DATE = T.TimestampType(), T.DateType()

# One row per record (every account, contact but do_not_track ones, lead and opportunity) and day.
RELATIONSHIP_KPIS = _daily(
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("emails_sent", _L, False),
    ("emails_received", _L, False),
    ("meetings_sent", _L, False),
    ("meetings_received", _L, False),
    ("calls_made", _L, False),
    ("calls_received", _L, False),
    ("tasks_completed", _L, False),
    ("interactions_by_team", _L, False),
    ("interactions_by_customer", _L, False),
    ("email_ratio_by_us", _D, True),
    ("email_ratio_by_them", _D, True),
    ("team_hours", _D, False),
    ("customer_hours", _D, False),
    ("facetime_hours", _D, False),
    ("replies_by_team", _L, False),
    ("replies_by_customer", _L, False),
    ("response_rate_by_us", _D, True),
    ("response_rate_by_them", _D, True),
    ("avg_response_hours_by_us", _D, True),
    ("avg_response_hours_by_them", _D, True),
    ("last_interaction_at", _TS, True),
    ("last_interaction_type", _S, True),
    ("last_interaction_direction", _S, True),
    ("next_interaction_at", _TS, True),
    ("next_interaction_type", _S, True),
    ("followed_emails", _L, False),
    ("open_rate", _D, True),
    ("click_rate", _D, True),
    ("attachment_view_rate", _D, True),
    ("reply_rate", _D, True),
    ("health_score", _I, True),
    ("health_state", _S, False),
    ("health_trend", _S, True),
    ("health_engagement_ratio", _D, True),
    ("health_balance", _D, True),
    ("days_since_last_activity", _I, True),
    ("summary", _S, False),
)

# One row per record and UTC day of the 60 days up to T, for records with an email, meeting or
# call in that window.
RELATIONSHIP_ACTIVITY_DAILY = _daily(
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("day", _DATE, False),
    ("emails_sent", _L, False),
    ("emails_received", _L, False),
    ("meetings_sent", _L, False),
    ("meetings_received", _L, False),
    ("calls_made", _L, False),
    ("calls_received", _L, False),
)

# One row per account, lead or opportunity, side (team or customer) and rank (1 to 3).
MOST_CONTACTED = _daily(
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("side", _S, False),
    ("rank", _I, False),
    ("person_type", _S, False),
    ("person_id", _S, False),
    ("emails", _L, False),
    ("meetings", _L, False),
    ("calls", _L, False),
    ("total", _L, False),
    ("last_contacted_at", _TS, False),
)

# One row per contact or lead and rank (1 to 5): the users who know that person best.
WHO_KNOWS_WHOM = _daily(
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("rank", _I, False),
    ("user_id", _S, False),
    ("score", _D, False),
    ("strength", _S, False),
    ("last_interaction_at", _TS, False),
    ("last_interaction_type", _S, False),
)

# One row per followed email sent by the team up to T.
EMAIL_ENGAGEMENT = _daily(
    ("email_id", _S, False),
    ("sender_user_id", _S, True),
    ("sent_at", _TS, False),
    ("opens", _L, False),
    ("clicks", _L, False),
    ("attachment_views", _L, False),
    ("replies", _L, False),
    ("last_opened_at", _TS, True),
)

# One row per open opportunity whose estimated close date is on or after T.
DEAL_TRACKER = _daily(
    ("opportunity_id", _S, False),
    ("name", _S, True),
    ("owner_id", _S, True),
    ("account_id", _S, False),
    ("stage", _S, True),
    ("stage_color", _S, True),
    ("estimated_revenue", _D, True),
    ("estimated_close_date", _DATE, False),
    ("health_score", _I, False),
    ("health_state", _S, False),
)

DAILY_TABLES: dict[str, tuple[T.StructType, tuple[str, ...]]] = {
    "relationship_kpis": (RELATIONSHIP_KPIS, ("record_type", "record_id")),
    "relationship_activity_daily": (RELATIONSHIP_ACTIVITY_DAILY, ("record_type", "record_id", "day")),
    "most_contacted": (MOST_CONTACTED, ("record_type", "record_id", "side", "rank")),
    "who_knows_whom": (WHO_KNOWS_WHOM, ("record_type", "record_id", "rank")),
    "email_engagement": (EMAIL_ENGAGEMENT, ("email_id",)),
    "deal_tracker": (DEAL_TRACKER, ("opportunity_id",)),
}


def _weekly(*specs: tuple[str, T.DataType, bool]) -> T.StructType:
    """A weekly table: the refresh it belongs to (the Monday of T's ISO week), the T of the run that
    made it, its own columns, and the time it was computed."""
    return fields(
        ("refreshed_on", _DATE, False),
        ("as_of_date", _DATE, False),
        *specs,
        ("computed_at", _TS, False),
    )


_B = T.BooleanType()

# One row per open opportunity and rank (1 to k; 1 to fallback_size for the fallback).
SIMILAR_WON_DEALS = _weekly(
    ("opportunity_id", _S, False),
    ("rank", _I, False),
    ("similar_opportunity_id", _S, False),
    ("similarity", _D, True),  # null for the fallback
    ("similar_closed_on", _DATE, False),
    ("activities", _L, False),
    ("team_hours", _D, False),
    ("avg_response_hours", _D, True),
    ("response_rate", _D, True),
    ("is_fallback", _B, False),
)

# One row per feature of the similarity, with its learned weight (no rows in a fallback week).
SIMILAR_DEAL_FEATURES = _weekly(
    ("feature", _S, False),
    ("kind", _S, False),
    ("source", _S, False),
    ("weight", _D, False),
    ("model_auc", _D, True),
    ("trained_on_deals", _L, False),
    ("held_out_deals", _L, False),
)

# One row per open opportunity: its KPIs beside their averages over its similar won deals.
OPPORTUNITY_BENCHMARK = _weekly(
    ("opportunity_id", _S, False),
    ("similar_deals", _I, False),
    ("interactions_by_team", _L, True),
    ("similar_interactions_by_team", _D, True),
    ("team_hours", _D, True),
    ("similar_team_hours", _D, True),
    ("customer_hours", _D, True),
    ("similar_customer_hours", _D, True),
    ("avg_response_hours_by_us", _D, True),
    ("similar_avg_response_hours_by_us", _D, True),
    ("avg_response_hours_by_them", _D, True),
    ("similar_avg_response_hours_by_them", _D, True),
    ("email_ratio_by_us", _D, True),
    ("similar_email_ratio_by_us", _D, True),
    ("email_ratio_by_them", _D, True),
    ("similar_email_ratio_by_them", _D, True),
    ("is_fallback", _B, False),
)

# Keyed by refresh (`refreshed_on`) plus the grain, partitioned by `refreshed_on`.
WEEKLY_TABLES: dict[str, tuple[T.StructType, tuple[str, ...]]] = {
    "similar_won_deals": (SIMILAR_WON_DEALS, ("opportunity_id", "rank")),
    "similar_deal_features": (SIMILAR_DEAL_FEATURES, ("feature",)),
    "opportunity_benchmark": (OPPORTUNITY_BENCHMARK, ("opportunity_id",)),
}
GOLD_TABLES = {**DAILY_TABLES, **WEEKLY_TABLES}


def slice_column(table: str) -> str:
    """The column a run replaces one value of: the as-of day, or the weekly refresh."""
    return "refreshed_on" if table in WEEKLY_TABLES else "as_of_date"

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
# --- conversation intelligence (kpis.md section 13), daily like the relationship tables --------
PERIODS = ("last_24_hours", "last_7_days", "this_month", "last_month", "all_time")  # and custom:F..L
TERM_KINDS = ("keyword", "competitor", "best_practice", "other_brand")
SENTIMENT_LABELS = ("positive", "neutral", "negative")
SELLER_GROUPS = ("top", "team")

# One row per call that counts at T and has a transcript.
CALL_INSIGHTS = _daily(
    ("call_id", _S, False),
    ("seller_user_id", _S, True),  # null: unknown, or opted out of analytics
    ("team_id", _S, True),
    ("account_id", _S, True),
    ("opportunity_id", _S, True),
    ("started_at", _TS, False),
    ("duration_seconds", _L, True),
    ("talk_pct", _D, True),  # percent of seller + customer talk time that is the seller's
    ("listen_pct", _D, True),
    ("switches", _L, False),
    ("switches_per_hour", _D, True),
    ("words_per_minute", _D, True),  # the seller's
    ("pause_before_speaking_ms", _D, True),
    ("longest_customer_monologue_s", _D, True),
    ("positive_share", _D, True),  # fractions of customer talk time; null outside covered languages
    ("neutral_share", _D, True),
    ("negative_share", _D, True),
    ("sentiment_label", _S, True),
    ("language", _S, True),  # ISO 639-1, detected; null when too little speech to tell
)

# One row per call, term kind and term mentioned in it (customer speech; seller speech for best practice).
CALL_MENTIONS = _daily(
    ("call_id", _S, False),
    ("term_kind", _S, False),
    ("term", _S, False),
    ("speaker_role", _S, False),
    ("mentions", _L, False),
)


def _period(*specs: tuple[str, T.DataType, bool]) -> T.StructType:
    """A home-page table: one row per period and team (null: the whole org), then its own columns."""
    return _daily(
        ("period", _S, False),
        ("team_id", _S, True),
        *specs,
    )


_WINDOW = (("period_start", _TS, True), ("period_end", _TS, False))  # [start, end); start null: all time

SALES_BASE_KPIS = _period(
    *_WINDOW,
    ("won_revenue", _D, False),
    ("open_pipeline", _D, False),
    ("deals_won", _L, False),
    ("deals_lost", _L, False),
    ("win_rate", _D, True),
    ("avg_deal_size", _D, True),
    ("days_left", _I, False),
    ("won_revenue_trend_pct", _D, True),
    ("deals_won_trend_pct", _D, True),
    ("win_rate_trend_pct", _D, True),
    ("avg_deal_size_trend_pct", _D, True),
)

CI_SENTIMENT = _period(
    *_WINDOW,
    ("calls_analysed", _L, False),
    ("calls_above_avg_negative", _L, False),
    ("avg_negative_share", _D, True),
    ("pct_positive", _D, True),
    ("pct_neutral", _D, True),
    ("pct_negative", _D, True),
    ("calls_analysed_trend_pct", _D, True),
    ("pct_negative_trend_pct", _D, True),
)

# One row per period, team, term kind (keyword, competitor, other_brand) and rank (1 to 20).
CI_TOP_TERMS = _period(
    ("term_kind", _S, False),
    ("rank", _I, False),
    ("term", _S, False),
    ("mentions", _L, False),
    ("calls", _L, False),
    ("trend_pct", _D, True),
)

# One row per period, team and group: the top sellers, and the whole team.
CI_TOP_SELLERS = _period(
    ("group", _S, False),
    *_WINDOW,
    ("sellers", _L, False),
    ("calls", _L, False),
    ("talk_pct", _D, True),
    ("listen_pct", _D, True),
    ("switches_per_hour", _D, True),
    ("best_practice_per_call", _D, True),
    ("pct_positive", _D, True),
    ("pct_neutral", _D, True),
    ("pct_negative", _D, True),
    ("email_hours", _D, True),  # mean per seller in the period; null without sellers
    ("call_hours", _D, True),
    ("meeting_hours", _D, True),
)

# One row per calendar month (its first day) and team, up to T's month.
CALL_RECORDING_KPIS = _daily(
    ("month", _DATE, False),
    ("team_id", _S, True),
    ("calls_recorded", _L, False),
    ("hours_recorded", _D, False),
    ("calls_with_keywords", _L, False),
    ("calls_with_competitors_or_brands", _L, False),
    ("calls_recorded_trend_pct", _D, True),
    ("hours_recorded_trend_pct", _D, True),
    ("calls_with_keywords_trend_pct", _D, True),
    ("calls_with_competitors_or_brands_trend_pct", _D, True),
)

CONVERSATION_TABLES: dict[str, tuple[T.StructType, tuple[str, ...]]] = {
    "call_insights": (CALL_INSIGHTS, ("call_id",)),
    "call_mentions": (CALL_MENTIONS, ("call_id", "term_kind", "term")),
    "sales_base_kpis": (SALES_BASE_KPIS, ("period", "team_id")),
    "ci_sentiment": (CI_SENTIMENT, ("period", "team_id")),
    "ci_top_terms": (CI_TOP_TERMS, ("period", "team_id", "term_kind", "rank")),
    "ci_top_sellers": (CI_TOP_SELLERS, ("period", "team_id", "group")),
    "call_recording_kpis": (CALL_RECORDING_KPIS, ("month", "team_id")),
}
GOLD_TABLES = {**DAILY_TABLES, **WEEKLY_TABLES, **CONVERSATION_TABLES}


def slice_column(table: str) -> str:
    """The column a run replaces one value of: the as-of day, or the weekly refresh."""
    return "refreshed_on" if table in WEEKLY_TABLES else "as_of_date"

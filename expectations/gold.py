"""Great Expectations suites of the gold tables, run before a slice is published: keys unique per
as-of day, scores in 0-100, rates in 0-1, states, trends and other enums in their sets, counts and
hours never negative, and no raw email address in any text column."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from schemas.gold import (
    GOLD_TABLES,
    HEALTH_STATES,
    HEALTH_TRENDS,
    PERSON_TYPES,
    RECORD_TYPES,
    SELLER_GROUPS,
    SENTIMENT_LABELS,
    STAGE_COLORS,
    STRENGTHS,
    TERM_KINDS,
    slice_column,
)
from schemas.silver import ACTIVITY_TYPES, SIDES
from transforms.relationship_kpis import COUNT_COLUMNS

# Anything shaped like an address. Message-IDs look like addresses too: `email_engagement.email_id`
# is the email's own id (its key), not a person, and is the one text column not checked.
ADDRESS_PATTERN = r"[^@\s<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"
NOT_ADDRESSES = {("email_engagement", "email_id")}
RATES = (
    "response_rate_by_us",
    "response_rate_by_them",
    "open_rate",
    "click_rate",
    "attachment_view_rate",
    "reply_rate",
)
RELATIONSHIP_AMOUNTS = (
    *COUNT_COLUMNS,
    "team_hours",
    "customer_hours",
    "facetime_hours",
    "avg_response_hours_by_us",
    "avg_response_hours_by_them",
)


def _between(column: str, low=None, high=None) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def _in_set(column: str, values) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


def _not_null(*columns: str) -> list:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def _key(table: str) -> list[str]:
    _, key = GOLD_TABLES[table]
    return [slice_column(table), *key]


def _common(table: str) -> list:
    """Keys unique and present, and no address in any text column."""
    schema, _ = GOLD_TABLES[table]
    text_columns = [f.name for f in schema.fields if f.dataType.typeName() == "string"]
    required = {f.name for f in schema.fields if not f.nullable}
    return [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=_key(table)),
        *_not_null(*[c for c in _key(table) if c in required]),  # a null team_id is the whole org
        *[
            gxe.ExpectColumnValuesToNotMatchRegex(column=c, regex=ADDRESS_PATTERN)
            for c in text_columns
            if (table, c) not in NOT_ADDRESSES
        ],
    ]


CALL_AMOUNTS = (
    "duration_seconds",
    "switches",
    "switches_per_hour",
    "words_per_minute",
    "pause_before_speaking_ms",
    "longest_customer_monologue_s",
)
# A standard period or a custom range `custom:YYYY-MM-DD..YYYY-MM-DD`.
PERIOD_PATTERN = (
    r"^(last_24_hours|last_7_days|this_month|last_month|all_time|custom:\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$"
)


def _period_name() -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(column="period", regex=PERIOD_PATTERN)


SUITES = {
    "relationship_kpis": lambda: [
        _in_set("record_type", RECORD_TYPES),
        _between("health_score", 0, 100),
        *[_between(rate, 0, 1) for rate in RATES],
        *[_between(count, 0) for count in RELATIONSHIP_AMOUNTS],
        _in_set("health_state", HEALTH_STATES),
        _in_set("health_trend", HEALTH_TRENDS),
        _in_set("last_interaction_type", ACTIVITY_TYPES),
        _in_set("last_interaction_direction", SIDES),
        _in_set("next_interaction_type", ACTIVITY_TYPES),
        _between("health_balance", 0, 1),
        _between("health_engagement_ratio", 0),
        _between("days_since_last_activity", 0),
        *_not_null("health_state", "summary"),
    ],
    "relationship_activity_daily": lambda: [
        _in_set("record_type", RECORD_TYPES),
        *[_between(c, 0) for c in ("emails_sent", "emails_received", "meetings_sent", "meetings_received")],
        *[_between(c, 0) for c in ("calls_made", "calls_received")],
    ],
    "most_contacted": lambda: [
        _in_set("record_type", ("account", "lead", "opportunity")),
        _in_set("side", SIDES),
        _between("rank", 1, 3),
        _in_set("person_type", PERSON_TYPES),
        _between("total", 1),
    ],
    "who_knows_whom": lambda: [
        _in_set("record_type", ("contact", "lead")),
        _between("rank", 1, 5),
        _between("score", 0),
        _in_set("strength", STRENGTHS),
        _in_set("last_interaction_type", ("email", "meeting")),
    ],
    "email_engagement": lambda: [_between(c, 0) for c in ("opens", "clicks", "attachment_views", "replies")],
    "call_insights": lambda: [
        *[_between(c, 0, 100) for c in ("talk_pct", "listen_pct")],
        *[_between(f"{label}_share", 0, 1) for label in SENTIMENT_LABELS],
        *[_between(c, 0) for c in CALL_AMOUNTS],
        _in_set("sentiment_label", SENTIMENT_LABELS),
    ],
    "call_mentions": lambda: [
        _in_set("term_kind", TERM_KINDS),
        _in_set("speaker_role", ("seller", "customer")),
        _between("mentions", 1),
    ],
    "sales_base_kpis": lambda: [
        _period_name(),
        *[_between(c, 0) for c in ("won_revenue", "open_pipeline", "deals_won", "deals_lost", "days_left")],
        _between("win_rate", 0, 1),
        *_not_null("period_end"),
    ],
    "ci_sentiment": lambda: [
        _period_name(),
        *[_between(c, 0) for c in ("calls_analysed", "calls_above_avg_negative")],
        _between("avg_negative_share", 0, 1),
        *[_between(f"pct_{label}", 0, 100) for label in SENTIMENT_LABELS],
    ],
    "ci_top_terms": lambda: [
        _period_name(),
        _in_set("term_kind", ("keyword", "competitor", "other_brand")),
        _between("rank", 1),  # and at most the configured top: `gold_suite(max_rank=...)`
        *[_between(c, 1) for c in ("mentions", "calls")],
    ],
    "ci_top_sellers": lambda: [
        _period_name(),
        _in_set("group", SELLER_GROUPS),
        *[_between(c, 0, 100) for c in ("talk_pct", "listen_pct", *[f"pct_{label}" for label in SENTIMENT_LABELS])],
        *[_between(c, 0) for c in ("sellers", "calls", "switches_per_hour", "best_practice_per_call")],
        *[_between(f"{mode}_hours", 0) for mode in ("email", "call", "meeting")],
    ],
    "call_recording_kpis": lambda: [
        *[_between(c, 0) for c in ("calls_recorded", "hours_recorded")],
        *[_between(c, 0) for c in ("calls_with_keywords", "calls_with_competitors_or_brands")],
    ],
    "deal_tracker": lambda: [
        _between("health_score", 0, 100),
        _in_set("stage_color", STAGE_COLORS.values()),
        _in_set("health_state", HEALTH_STATES),
    ],
}


def gold_suite(table: str, max_rank: int | None = None) -> gx.ExpectationSuite:
    """The table's suite; `max_rank` also bounds its `rank` column (a configured top k)."""
    ranks = [] if max_rank is None else [_between("rank", 1, max_rank)]
    return gx.ExpectationSuite(
        name=f"gold.{table}", expectations=[*_common(table), *SUITES[table](), *ranks], meta={"key": _key(table)}
    )


# The weekly tables are checked with columns the job adds for the check alone (`check_*`), from
# silver and the table's own rows: what a row cannot say about itself.
SIMILAR_DEAL_CHECKS = ("check_similar_is_won", "check_closed_in_window", "check_rank_in_sequence")


def weekly_suite(table: str, max_rank: int, open_deals: int) -> gx.ExpectationSuite:
    """`similar_won_deals`: similarity in [0, 1], ranks 1..max_rank without gaps, every similar
    deal won and closed inside the window; `similar_deal_features`: weights in [0, 1];
    `opportunity_benchmark`: one row per open deal."""
    suites = {
        "similar_won_deals": [
            _between("similarity", 0, 1),
            _between("rank", 1, max_rank),
            *[_in_set(check, [True]) for check in SIMILAR_DEAL_CHECKS],
            *_not_null(*SIMILAR_DEAL_CHECKS),
            _between("activities", 0),
            _between("team_hours", 0),
            _between("response_rate", 0, 1),
            _between("avg_response_hours", 0),
        ],
        "similar_deal_features": [
            _between("weight", 0, 1),
            _between("model_auc", 0, 1),
            _in_set("kind", ("categorical", "numeric")),
        ],
        "opportunity_benchmark": [
            gxe.ExpectTableRowCountToEqual(value=open_deals),
            _in_set("check_is_open", [True]),
            _between("similar_deals", 0, max_rank),
        ],
    }
    return gx.ExpectationSuite(
        name=f"gold.{table}", expectations=[*_common(table), *suites[table]], meta={"key": _key(table)}
    )

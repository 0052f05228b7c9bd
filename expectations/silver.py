"""Great Expectations suites of the silver tables: keys unique and not null, enums in their sets,
times in range, and links to records that never landed reported (severity warning) with their count."""

from __future__ import annotations

from datetime import datetime

import great_expectations as gx
import great_expectations.expectations as gxe

from schemas.landing import (
    EVENT_TYPES,
    LEAD_STATUSES,
    OPPORTUNITY_STAGES,
    OPPORTUNITY_STATUSES,
    RESPONSES,
    SPEAKER_ROLES,
)
from schemas.silver import ACTIVITY_TYPES, LINK_REASONS, PARTICIPANT_ROLES, SIDES

EARLIEST = datetime(2000, 1, 1)
RECORD_TYPES = ["account", "contact", "lead", "opportunity"]


def _key(*columns: str) -> list:
    if len(columns) == 1:
        return [
            gxe.ExpectColumnValuesToNotBeNull(column=columns[0]),
            gxe.ExpectColumnValuesToBeUnique(column=columns[0]),
        ]
    return [gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns))]


def _in_set(column: str, values) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


SUITES = {
    "users": lambda: [*_key("user_id"), gxe.ExpectColumnValuesToNotBeNull(column="email")],
    "accounts": lambda: _key("account_id"),
    "contacts": lambda: [*_key("contact_id"), gxe.ExpectColumnValuesToNotBeNull(column="email")],
    "leads": lambda: [*_key("lead_id"), _in_set("status", LEAD_STATUSES)],
    "opportunities": lambda: [
        *_key("opportunity_id"),
        _in_set("status", OPPORTUNITY_STATUSES),
        _in_set("stage", OPPORTUNITY_STAGES),
        gxe.ExpectColumnValuesToBeInSet(column="is_actual_estimated", value_set=[False], severity="warning"),
    ],
    "activities": lambda: [
        *_key("activity_key"),
        _in_set("activity_type", ACTIVITY_TYPES),
        _in_set("initiated_by", SIDES),
        gxe.ExpectColumnValuesToBeBetween(column="activity_at", min_value=EARLIEST),
    ],
    "activity_participants": lambda: [
        *_key("activity_key", "address", "role"),
        _in_set("role", PARTICIPANT_ROLES),
        _in_set("response", RESPONSES),
    ],
    "record_links": lambda: [
        *_key("activity_key", "record_type", "record_id"),
        _in_set("record_type", RECORD_TYPES),
        _in_set("reason", LINK_REASONS),
        # A regarding link to a record that never landed is kept (it may land later) and reported.
        gxe.ExpectColumnValuesToBeInSet(column="is_known_record", value_set=[True], severity="warning"),
    ],
    "email_threads": lambda: [*_key("email_id"), gxe.ExpectColumnValuesToNotBeNull(column="thread_key")],
    "email_responses": lambda: [
        *_key("request_email_id"),
        _in_set("request_side", SIDES),
        gxe.ExpectColumnValuesToBeBetween(column="response_hours", min_value=0),
    ],
    "email_events": lambda: [*_key("event_id"), _in_set("event_type", EVENT_TYPES)],
    "call_turns": lambda: [*_key("call_id", "turn_index"), _in_set("role", SPEAKER_ROLES)],
}


def silver_suite(table: str) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"silver.{table}", expectations=SUITES[table]())

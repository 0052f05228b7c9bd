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
from transforms.people import CONNECTION_DAYS_KEY, MOST_CONTACTED_RECORDS, PEOPLE_DAYS_KEY

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


# The key of each silver table: unique, and how a failed expectation names its rows.
KEYS = {
    "users": ("user_id",),
    "accounts": ("account_id",),
    "contacts": ("contact_id",),
    "leads": ("lead_id",),
    "opportunities": ("opportunity_id",),
    "activities": ("activity_key",),
    "activity_participants": ("activity_key", "address", "role"),
    "record_links": ("activity_key", "record_type", "record_id"),
    "record_activity_days": ("record_type", "record_id", "counts_on", "activity_on", "activity_type", "initiated_by"),
    "record_people_days": tuple(PEOPLE_DAYS_KEY),
    "connection_days": tuple(CONNECTION_DAYS_KEY),
    "email_threads": ("email_id",),
    "email_responses": ("request_email_id",),
    "email_events": ("event_id",),
    "call_turns": ("call_id", "turn_index"),
    "call_fragments": ("call_id", "fragment_index"),
}

SUITES = {
    "users": lambda: [gxe.ExpectColumnValuesToNotBeNull(column="email")],
    "accounts": lambda: [],
    "contacts": lambda: [gxe.ExpectColumnValuesToNotBeNull(column="email")],
    "leads": lambda: [_in_set("status", LEAD_STATUSES)],
    "opportunities": lambda: [
        _in_set("status", OPPORTUNITY_STATUSES),
        _in_set("stage", OPPORTUNITY_STAGES),
        gxe.ExpectColumnValuesToBeInSet(column="is_actual_estimated", value_set=[False], severity="warning"),
    ],
    "activities": lambda: [
        _in_set("activity_type", ACTIVITY_TYPES),
        _in_set("initiated_by", SIDES),
        gxe.ExpectColumnValuesToBeBetween(column="activity_at", min_value=EARLIEST),
    ],
    "activity_participants": lambda: [
        _in_set("role", PARTICIPANT_ROLES),
        _in_set("response", RESPONSES),
    ],
    "record_links": lambda: [
        _in_set("record_type", RECORD_TYPES),
        _in_set("reason", LINK_REASONS),
        # A regarding link to a record that never landed is kept (it may land later) and reported.
        gxe.ExpectColumnValuesToBeInSet(column="is_known_record", value_set=[True], severity="warning"),
    ],
    "record_activity_days": lambda: [
        _in_set("activity_type", ACTIVITY_TYPES),
        _in_set("initiated_by", SIDES),
        gxe.ExpectColumnValuesToBeBetween(column="activities", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="decayed", min_value=0),
    ],
    "record_people_days": lambda: [
        _in_set("record_type", MOST_CONTACTED_RECORDS),
        _in_set("side", SIDES),
        _in_set("person_type", ("user", "contact", "lead", "pseudonym")),
    ],
    "connection_days": lambda: [
        _in_set("record_type", ("contact", "lead")),
        _in_set("activity_type", ("email", "meeting")),
        gxe.ExpectColumnValuesToBeBetween(column="connections", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="decayed", min_value=0),
    ],
    "email_threads": lambda: [gxe.ExpectColumnValuesToNotBeNull(column="thread_key")],
    "email_responses": lambda: [
        _in_set("request_side", SIDES),
        gxe.ExpectColumnValuesToBeBetween(column="response_hours", min_value=0),
    ],
    "email_events": lambda: [_in_set("event_type", EVENT_TYPES)],
    "call_turns": lambda: [_in_set("role", SPEAKER_ROLES)],
    "call_fragments": lambda: [
        _in_set("role", SPEAKER_ROLES),
        gxe.ExpectColumnValuesToBeBetween(column="duration_ms", min_value=0),
    ],
}


def silver_suite(table: str) -> gx.ExpectationSuite:
    key = KEYS[table]
    # An address is part of the participants' key, but a failure message does not print it.
    meta = {"key": list(key), "hidden": ["address"]}
    return gx.ExpectationSuite(name=f"silver.{table}", expectations=[*_key(*key), *SUITES[table]()], meta=meta)

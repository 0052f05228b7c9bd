"""Silver tables: conformed, deduplicated, UTC. The grain of each table is written beside it.

Silver is the last layer that holds raw addresses, subjects and transcript text; gold names people
by id or pseudonymous key only.
"""

from __future__ import annotations

from pyspark.sql import types as T

from schemas import fields

ACTIVITY_TYPES = ("email", "meeting", "call", "task")
SIDES = ("team", "customer")
PARTICIPANT_ROLES = ("from", "to", "cc", "bcc", "organizer", "attendee", "caller", "callee", "owner")
LINK_REASONS = ("regarding", "participant", "domain")

_S, _L, _I, _D, _B = T.StringType(), T.LongType(), T.IntegerType(), T.DoubleType(), T.BooleanType()
_TS, _DATE, _IDS = T.TimestampType(), T.DateType(), T.ArrayType(T.StringType())
_SECONDS = T.DecimalType(20, 6)  # seconds to the microsecond: sums are exact

# CRM tables: one row per id, its latest landed version.
USERS_SCHEMA = fields(
    ("user_id", _S, False),
    ("email", _S, True),
    ("full_name", _S, True),
    ("team_id", _S, True),
    ("manager_id", _S, True),
    ("is_active", _B, True),
    ("analytics_opt_out", _B, True),
    ("modified_at", _TS, True),
)
ACCOUNTS_SCHEMA = fields(
    ("account_id", _S, False),
    ("name", _S, True),
    ("industry", _S, True),
    ("employee_count", _L, True),
    ("annual_revenue", _D, True),
    ("country", _S, True),
    ("email_domains", _IDS, True),
    ("primary_contact_id", _S, True),
    ("owner_id", _S, True),
    ("created_at", _TS, True),
    ("modified_at", _TS, True),
)
CONTACTS_SCHEMA = fields(
    ("contact_id", _S, False),
    ("email", _S, True),
    ("account_id", _S, True),
    ("full_name", _S, True),
    ("job_title", _S, True),
    ("do_not_track", _B, True),
    ("created_at", _TS, True),
    ("modified_at", _TS, True),
)
LEADS_SCHEMA = fields(
    ("lead_id", _S, False),
    ("email", _S, True),
    ("full_name", _S, True),
    ("company_name", _S, True),
    ("owner_id", _S, True),
    ("status", _S, True),
    ("stakeholder_contact_ids", _IDS, True),
    ("created_at", _TS, True),
    ("modified_at", _TS, True),
)
OPPORTUNITIES_SCHEMA = fields(
    ("opportunity_id", _S, False),
    ("account_id", _S, True),
    ("owner_id", _S, True),
    ("status", _S, True),
    ("name", _S, True),
    ("contact_id", _S, True),
    ("sales_team_user_ids", _IDS, True),
    ("stakeholder_contact_ids", _IDS, True),
    ("stage", _S, True),
    ("estimated_revenue", _D, True),
    ("actual_revenue", _D, True),
    ("product_line", _S, True),
    ("lead_source", _S, True),
    ("created_at", _TS, True),
    ("estimated_close_date", _DATE, True),
    ("actual_close_date", _DATE, True),
    ("is_actual_estimated", _B, True),
    ("modified_at", _TS, True),
)

# One row per activity (`activity_key` = `<type>:<id>`), its latest landed version, in UTC, with
# the side that initiated it and whether it counts at all (`is_tracked`).
ACTIVITIES_SCHEMA = fields(
    ("activity_key", _S, False),
    ("activity_type", _S, False),
    ("activity_id", _S, False),
    ("activity_at", _TS, True),
    ("end_at", _TS, True),
    ("status", _S, True),
    ("counts_from", _TS, True),  # when it starts to count; null: never
    ("planned_at", _TS, True),  # meeting and call start, open task due time
    ("duration_minutes", _D, True),
    ("initiator_address", _S, True),
    ("subject", _S, True),
    ("regarding_type", _S, True),
    ("regarding_id", _S, True),
    ("followed", _B, True),
    ("recorded", _B, True),
    ("thread_id", _S, True),
    ("in_reply_to", _S, True),
    ("references", _IDS, True),
    ("modified_at", _TS, True),
    ("source_file", _S, True),
    ("source_line", _L, True),
    ("ingest_run_id", _S, True),
    ("initiated_by", _S, True),
    ("is_tracked", _B, True),
    ("activity_month", _DATE, True),  # first day of activity_at's month (UTC): the table's partition
)

# One row per activity, address and role, resolved to a user, contact, lead and account.
ACTIVITY_PARTICIPANTS_SCHEMA = fields(
    ("activity_key", _S, False),
    ("activity_type", _S, False),
    ("role", _S, False),
    ("address", _S, False),
    ("response", _S, True),
    ("is_internal", _B, True),
    ("is_present", _B, True),
    ("user_id", _S, True),
    ("contact_id", _S, True),
    ("lead_id", _S, True),
    ("account_id", _S, True),
    ("account_match", _S, True),
    ("is_do_not_track", _B, True),
    ("person_key", _S, True),
    ("activity_month", _DATE, True),  # its activity's, the table's partition
)

# One row per activity and record it is linked to, with the first rule that linked it.
RECORD_LINKS_SCHEMA = fields(
    ("activity_key", _S, False),
    ("activity_type", _S, False),
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("reason", _S, False),
    ("is_known_record", _B, False),
    ("activity_month", _DATE, True),  # its activity's, the table's partition
)

# One row per record, day its activities count from, day they happened, activity type and initiating
# side: the sums of its counting activities that the daily KPIs need (transforms/record_activity_days).
RECORD_ACTIVITY_DAYS_SCHEMA = fields(
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("counts_on", _DATE, False),  # UTC day of counts_from
    ("activity_on", _DATE, False),  # UTC day of activity_at
    ("activity_month", _DATE, False),  # first day of activity_on's month: the table's partition
    ("activity_type", _S, False),
    ("initiated_by", _S, True),
    ("activities", _L, False),
    ("team_seconds", _SECONDS, True),
    ("customer_seconds", _SECONDS, True),
    ("facetime_seconds", _SECONDS, True),
    ("decayed", _D, False),  # sum of e^(-(end of activity_on - activity_at) / tau), tau in the table's properties
    ("last_at", _TS, False),  # the latest activity_at
    ("last_activity_id", _S, False),  # its smallest id
)

# One row per account, lead or opportunity, side, person present, day the activities count from and
# day they happened: the linked emails, meetings and calls most contacted needs (transforms/people).
RECORD_PEOPLE_DAYS_SCHEMA = fields(
    ("record_type", _S, False),
    ("record_id", _S, False),
    ("side", _S, False),  # team or customer
    ("person_type", _S, False),  # user, contact, lead or pseudonym
    ("person_id", _S, False),
    ("counts_on", _DATE, False),
    ("activity_on", _DATE, False),
    ("activity_month", _DATE, False),
    ("emails", _L, False),
    ("meetings", _L, False),
    ("calls", _L, False),
    ("last_at", _TS, False),  # the latest activity_at
)

# One row per contact or lead, user, day counted from, day happened and type (email, meeting): the
# connections between them that who knows whom needs (transforms/people).
CONNECTION_DAYS_SCHEMA = fields(
    ("record_type", _S, False),  # contact or lead
    ("record_id", _S, False),
    ("user_id", _S, False),
    ("counts_on", _DATE, False),
    ("activity_on", _DATE, False),
    ("activity_month", _DATE, False),
    ("activity_type", _S, False),
    ("connections", _L, False),
    ("decayed", _D, False),  # sum of e^(-(end of activity_on - activity_at) / decay), decay in the table's properties
    ("last_at", _TS, False),
    ("last_activity_id", _S, False),  # its smallest id
)

# One row per email thread turn-taking event (kpis.md section 4): a request (a maximal run of
# consecutive counting emails from one side inside a thread) and its response, if any.
EMAIL_RESPONSES_SCHEMA = fields(
    ("thread_key", _S, False),
    ("request_email_id", _S, False),  # first email of the run
    ("request_side", _S, False),  # team or customer
    ("request_sent_at", _TS, False),
    ("request_emails", _I, False),  # emails in the run
    ("response_email_id", _S, True),  # null: no response in the window
    ("response_sent_at", _TS, True),
    ("response_hours", _D, True),
)

# One row per email: the thread it belongs to (the connected group of kpis.md section 4).
EMAIL_THREADS_SCHEMA = fields(("email_id", _S, False), ("thread_key", _S, False))

# One row per email event (`event_id`), its latest version; events of unknown emails are kept.
EMAIL_EVENTS_SCHEMA = fields(
    ("event_id", _S, False),
    ("email_id", _S, True),
    ("event_type", _S, True),
    ("occurred_at", _TS, True),
)

# One row per turn of a call (kpis.md section 13): fragments of one participant closer than the
# merge gap, merged.
CALL_TURNS_SCHEMA = fields(
    ("call_id", _S, False),
    ("turn_index", _I, False),  # 0-based, in start order
    ("participant_id", _S, False),
    ("role", _S, False),  # seller, customer or other
    ("start_ms", _L, False),
    ("end_ms", _L, False),
    ("fragments", _I, False),
    ("words", _I, True),  # null, as text: removed by retention (jobs/retention.py)
    ("text", _S, True),
)

# One row per fragment of a call's latest transcript, numbered in start order: what sentiment reads.
CALL_FRAGMENTS_SCHEMA = fields(
    ("call_id", _S, False),
    ("fragment_index", _I, False),  # 0-based, in start order
    ("participant_id", _S, False),
    ("email", _S, True),  # the speaker's address, as the transcript lists it
    ("role", _S, False),  # seller, customer or other
    ("offset_ms", _L, False),
    ("duration_ms", _L, False),
    ("text", _S, True),  # null: removed by retention (jobs/retention.py)
)

# What conform writes: every silver table's columns, in order, with their types.
SILVER_SCHEMAS = {
    "users": USERS_SCHEMA,
    "accounts": ACCOUNTS_SCHEMA,
    "contacts": CONTACTS_SCHEMA,
    "leads": LEADS_SCHEMA,
    "opportunities": OPPORTUNITIES_SCHEMA,
    "activities": ACTIVITIES_SCHEMA,
    "activity_participants": ACTIVITY_PARTICIPANTS_SCHEMA,
    "record_links": RECORD_LINKS_SCHEMA,
    "record_activity_days": RECORD_ACTIVITY_DAYS_SCHEMA,
    "record_people_days": RECORD_PEOPLE_DAYS_SCHEMA,
    "connection_days": CONNECTION_DAYS_SCHEMA,
    "email_threads": EMAIL_THREADS_SCHEMA,
    "email_responses": EMAIL_RESPONSES_SCHEMA,
    "email_events": EMAIL_EVENTS_SCHEMA,
    "call_turns": CALL_TURNS_SCHEMA,
    "call_fragments": CALL_FRAGMENTS_SCHEMA,
}
SILVER_TABLES = tuple(SILVER_SCHEMAS)

"""Silver tables: conformed, deduplicated, UTC. The grain of each table is written beside it.

Silver is the last layer that holds raw addresses, subjects and transcript text; gold names people
by id or pseudonymous key only.
"""

from __future__ import annotations

from pyspark.sql import types as T

ACTIVITY_TYPES = ("email", "meeting", "call", "task")
SIDES = ("team", "customer")
PARTICIPANT_ROLES = ("from", "to", "cc", "bcc", "organizer", "attendee", "caller", "callee", "owner")
LINK_REASONS = ("regarding", "participant", "domain")
SILVER_TABLES = (
    "users",
    "accounts",
    "contacts",
    "leads",
    "opportunities",
    "activities",
    "activity_participants",
    "record_links",
    "email_threads",
    "email_responses",
    "email_events",
    "call_turns",
)

# One row per email thread turn-taking event (kpis.md section 4): a request (a maximal run of
# consecutive counting emails from one side inside a thread) and its response, if any.
EMAIL_RESPONSES_SCHEMA = T.StructType(
    [
        T.StructField("thread_key", T.StringType(), nullable=False),
        T.StructField("request_email_id", T.StringType(), nullable=False),  # first email of the run
        T.StructField("request_side", T.StringType(), nullable=False),  # team or customer
        T.StructField("request_sent_at", T.TimestampType(), nullable=False),
        T.StructField("request_emails", T.IntegerType(), nullable=False),  # emails in the run
        T.StructField("response_email_id", T.StringType(), nullable=True),  # null: no response in the window
        T.StructField("response_sent_at", T.TimestampType(), nullable=True),
        T.StructField("response_hours", T.DoubleType(), nullable=True),
    ]
)

# One row per email: the thread it belongs to (the connected group of kpis.md section 4).
EMAIL_THREADS_SCHEMA = T.StructType(
    [
        T.StructField("email_id", T.StringType(), nullable=False),
        T.StructField("thread_key", T.StringType(), nullable=False),
    ]
)

# One row per turn of a call (kpis.md section 13): fragments of one participant closer than the
# merge gap, merged.
CALL_TURNS_SCHEMA = T.StructType(
    [
        T.StructField("call_id", T.StringType(), nullable=False),
        T.StructField("turn_index", T.IntegerType(), nullable=False),  # 0-based, in start order
        T.StructField("participant_id", T.StringType(), nullable=False),
        T.StructField("role", T.StringType(), nullable=False),  # seller, customer or other
        T.StructField("start_ms", T.LongType(), nullable=False),
        T.StructField("end_ms", T.LongType(), nullable=False),
        T.StructField("fragments", T.IntegerType(), nullable=False),
        T.StructField("words", T.IntegerType(), nullable=False),
        T.StructField("text", T.StringType(), nullable=False),
    ]
)

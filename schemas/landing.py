"""The raw landing contract (spec/raw-contract.md v1.1) as data: every source, its folder and its fields.

The record parsers (`transforms.raw_records`) validate against these definitions and the bronze
schemas (`schemas.bronze`) are derived from them, so a field is described exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """The value types of the contract. JSON types are checked exactly: no coercion."""

    TEXT = "text"
    EMAIL = "email"  # an address, `"Name" <a@b.com>` reduced to `a@b.com`
    TEXT_LIST = "text_list"
    EMAIL_LIST = "email_list"
    INSTANT = "instant"  # ISO-8601 with a UTC offset, stored as a UTC timestamp
    DATE = "date"  # YYYY-MM-DD
    INTEGER = "integer"  # a JSON integer, never negative in this contract
    NUMBER = "number"  # a JSON number, never negative in this contract
    FLAG = "flag"  # a JSON boolean
    CHOICE = "choice"  # one of `choices`, lowercase and case-sensitive
    RECORDS = "records"  # an array of objects described by `fields`


@dataclass(frozen=True)
class Field:
    """One field of a landed record."""

    name: str
    kind: Kind
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()
    # Instants: True for times when something happened (may not lie in the future), False for
    # planned times (start_at, due_at ...) that may.
    happened: bool = False
    fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class Source:
    """One landing folder and the bronze table it feeds."""

    name: str  # bronze table name
    folder: str  # relative to paths.landing
    key: str  # the record's id field
    fields: tuple[Field, ...]
    mail_files: bool = False  # also reads RFC 5322 .eml / .mbox files

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _text(name, **kw):
    return Field(name, Kind.TEXT, **kw)


def _happened(name, **kw):
    return Field(name, Kind.INSTANT, happened=True, **kw)


def _planned(name, **kw):
    return Field(name, Kind.INSTANT, happened=False, **kw)


REGARDING_TYPES = ("account", "contact", "lead", "opportunity")
ACTIVITY_STATUSES = ("scheduled", "completed", "canceled")
LEAD_STATUSES = ("open", "qualified", "disqualified")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
OPPORTUNITY_STAGES = ("qualify", "develop", "propose", "close")
TASK_STATUSES = ("open", "completed", "canceled")
EVENT_TYPES = ("opened", "link_clicked", "attachment_viewed", "replied")
RESPONSES = ("accepted", "tentative", "declined", "none")
CALL_DIRECTIONS = ("outgoing", "incoming")
SPEAKER_ROLES = ("seller", "customer", "other")

_REGARDING = (
    Field("regarding_type", Kind.CHOICE, choices=REGARDING_TYPES),
    _text("regarding_id"),
)

USERS = Source(
    name="crm_users",
    folder="crm/users",
    key="user_id",
    fields=(
        _text("user_id", required=True),
        Field("email", Kind.EMAIL, required=True),
        _text("full_name"),
        _text("team_id"),
        _text("manager_id"),
        Field("is_active", Kind.FLAG, default=True),
        Field("analytics_opt_out", Kind.FLAG, default=False),
        _happened("modified_at"),
    ),
)

ACCOUNTS = Source(
    name="crm_accounts",
    folder="crm/accounts",
    key="account_id",
    fields=(
        _text("account_id", required=True),
        _text("name", required=True),
        _text("industry"),
        Field("employee_count", Kind.INTEGER),
        Field("annual_revenue", Kind.NUMBER),
        _text("country"),
        Field("email_domains", Kind.TEXT_LIST),
        _text("primary_contact_id"),
        _text("owner_id"),
        _happened("created_at"),
        _happened("modified_at"),
    ),
)

CONTACTS = Source(
    name="crm_contacts",
    folder="crm/contacts",
    key="contact_id",
    fields=(
        _text("contact_id", required=True),
        Field("email", Kind.EMAIL, required=True),
        _text("account_id"),
        _text("full_name"),
        _text("job_title"),
        Field("do_not_track", Kind.FLAG, default=False),
        _happened("created_at"),
        _happened("modified_at"),
    ),
)

LEADS = Source(
    name="crm_leads",
    folder="crm/leads",
    key="lead_id",
    fields=(
        _text("lead_id", required=True),
        Field("email", Kind.EMAIL, required=True),
        _text("full_name"),
        _text("company_name"),
        _text("owner_id"),
        Field("status", Kind.CHOICE, choices=LEAD_STATUSES, default="open"),
        Field("stakeholder_contact_ids", Kind.TEXT_LIST),
        _happened("created_at"),
        _happened("modified_at"),
    ),
)

OPPORTUNITIES = Source(
    name="crm_opportunities",
    folder="crm/opportunities",
    key="opportunity_id",
    fields=(
        _text("opportunity_id", required=True),
        _text("account_id", required=True),
        _text("owner_id", required=True),
        Field("status", Kind.CHOICE, required=True, choices=OPPORTUNITY_STATUSES),
        _text("name"),
        _text("contact_id"),
        Field("sales_team_user_ids", Kind.TEXT_LIST),
        Field("stakeholder_contact_ids", Kind.TEXT_LIST),
        Field("stage", Kind.CHOICE, choices=OPPORTUNITY_STAGES),
        Field("estimated_revenue", Kind.NUMBER),
        Field("actual_revenue", Kind.NUMBER),
        _text("product_line"),
        _text("lead_source"),
        _happened("created_at"),
        Field("estimated_close_date", Kind.DATE),
        Field("actual_close_date", Kind.DATE),
        _happened("modified_at"),
    ),
)

EMAILS = Source(
    name="emails",
    folder="activities/emails",
    key="email_id",
    mail_files=True,
    fields=(
        _text("email_id", required=True),
        Field("from", Kind.EMAIL, required=True),
        Field("to", Kind.EMAIL_LIST, required=True),
        _happened("sent_at", required=True),
        Field("cc", Kind.EMAIL_LIST),
        Field("bcc", Kind.EMAIL_LIST),
        _text("thread_id"),
        _text("in_reply_to"),
        Field("references", Kind.TEXT_LIST),
        _text("subject"),
        *_REGARDING,
        Field("followed", Kind.FLAG, default=False),
        _happened("modified_at"),
    ),
)

EMAIL_EVENTS = Source(
    name="email_events",
    folder="activities/email_events",
    key="event_id",
    fields=(
        _text("event_id", required=True),
        _text("email_id", required=True),
        Field("event_type", Kind.CHOICE, required=True, choices=EVENT_TYPES),
        _happened("occurred_at", required=True),
    ),
)

ATTENDEE = (
    Field("email", Kind.EMAIL, required=True),
    Field("required", Kind.FLAG, default=True),
    Field("response", Kind.CHOICE, choices=RESPONSES, default="none"),
)

MEETINGS = Source(
    name="meetings",
    folder="activities/meetings",
    key="meeting_id",
    fields=(
        _text("meeting_id", required=True),
        Field("organizer", Kind.EMAIL, required=True),
        _planned("start_at", required=True),
        _planned("end_at", required=True),
        Field("attendees", Kind.RECORDS, fields=ATTENDEE),
        Field("status", Kind.CHOICE, choices=ACTIVITY_STATUSES, default="scheduled"),
        _text("subject"),
        *_REGARDING,
        _happened("created_at"),
        _happened("modified_at"),
    ),
)

CALLS = Source(
    name="calls",
    folder="activities/calls",
    key="call_id",
    fields=(
        _text("call_id", required=True),
        Field("from", Kind.EMAIL, required=True),
        Field("to", Kind.EMAIL_LIST, required=True),
        _planned("started_at", required=True),
        Field("duration_seconds", Kind.INTEGER),
        Field("direction", Kind.CHOICE, choices=CALL_DIRECTIONS),
        Field("status", Kind.CHOICE, choices=ACTIVITY_STATUSES, default="completed"),
        Field("recorded", Kind.FLAG, default=False),
        *_REGARDING,
        _happened("modified_at"),
    ),
)

TASKS = Source(
    name="tasks",
    folder="activities/tasks",
    key="task_id",
    fields=(
        _text("task_id", required=True),
        Field("owner", Kind.EMAIL, required=True),
        Field("status", Kind.CHOICE, required=True, choices=TASK_STATUSES),
        _planned("due_at"),
        _happened("completed_at"),
        Field("duration_minutes", Kind.INTEGER),
        *_REGARDING,
        _happened("modified_at"),
    ),
)

SPEAKER = (
    _text("participant_id", required=True),
    Field("email", Kind.EMAIL),
    Field("role", Kind.CHOICE, required=True, choices=SPEAKER_ROLES),
)

FRAGMENT = (
    _text("participant_id", required=True),
    Field("offset_ms", Kind.INTEGER, required=True),
    Field("duration_ms", Kind.INTEGER, required=True),
    _text("text", required=True),
)

TRANSCRIPTS = Source(
    name="transcripts",
    folder="conversations/transcripts",
    key="call_id",
    fields=(
        _text("call_id", required=True),
        _text("language", default="en"),
        Field("participants", Kind.RECORDS, required=True, fields=SPEAKER),
        Field("fragments", Kind.RECORDS, required=True, fields=FRAGMENT),
    ),
)

SOURCES: tuple[Source, ...] = (
    USERS,
    ACCOUNTS,
    CONTACTS,
    LEADS,
    OPPORTUNITIES,
    EMAILS,
    EMAIL_EVENTS,
    MEETINGS,
    CALLS,
    TASKS,
    TRANSCRIPTS,
)

SOURCES_BY_NAME: dict[str, Source] = {s.name: s for s in SOURCES}

import json
from datetime import UTC, date, datetime

import pytest

from schemas.landing import CALLS, CONTACTS, EMAILS, MEETINGS, OPPORTUNITIES, TASKS, TRANSCRIPTS
from transforms.raw_records import BadRecord, Limits, Reason, reduce_address, validate_line

AS_OF = date(2026, 3, 31)
LIMITS = Limits.for_as_of(AS_OF, max_record_bytes=4096, future_tolerance_days=2)

EMAIL = {
    "email_id": "m1@x",
    "from": '"Ann Lee" <Ann@Rapport.Example>',
    "to": ["bob@customer.example"],
    "sent_at": "2026-03-02T00:30:00+01:00",
}
MEETING = {
    "meeting_id": "mt1",
    "organizer": "ann@rapport.example",
    "start_at": "2026-03-02T10:00:00Z",
    "end_at": "2026-03-02T11:00:00Z",
    "attendees": [{"email": "bob@customer.example", "response": "declined"}],
}
TRANSCRIPT = {
    "call_id": "c1",
    "participants": [{"participant_id": "p1", "role": "seller"}, {"participant_id": "p2", "role": "customer"}],
    "fragments": [{"participant_id": "p1", "offset_ms": 0, "duration_ms": 900, "text": "hello"}],
}


def line(obj) -> bytes:
    return json.dumps(obj).encode()


def rejection(source, raw: bytes, limits=LIMITS) -> tuple[str, str | None]:
    with pytest.raises(BadRecord) as caught:
        validate_line(source, raw, limits)
    return caught.value.reason, caught.value.field


def test_email_is_typed_reduced_and_in_utc_with_defaults():
    record = validate_line(EMAILS, line(EMAIL), LIMITS)

    # +01:00 moves the instant to the previous UTC day.
    assert record["sent_at"] == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert record["from"] == "Ann@Rapport.Example"
    assert record["to"] == ["bob@customer.example"]
    assert record["followed"] is False
    assert record["cc"] is None
    assert record["subject"] is None


def test_meeting_attendee_defaults_are_applied():
    record = validate_line(MEETINGS, line(MEETING), LIMITS)

    assert record["attendees"] == [{"email": "bob@customer.example", "required": True, "response": "declined"}]
    assert record["status"] == "scheduled"


def test_planned_times_may_lie_in_the_future_but_happened_times_may_not():
    future_meeting = {**MEETING, "start_at": "2026-06-01T10:00:00Z", "end_at": "2026-06-01T11:00:00Z"}
    assert validate_line(MEETINGS, line(future_meeting), LIMITS)["start_at"].month == 6

    # End of 2026-03-31 plus the 2 days of tolerance is 2026-04-03T00:00Z.
    assert validate_line(EMAILS, line({**EMAIL, "sent_at": "2026-04-02T23:59:59Z"}), LIMITS)
    assert rejection(EMAILS, line({**EMAIL, "sent_at": "2026-04-03T00:00:01Z"})) == (
        Reason.TIMESTAMP_OUT_OF_RANGE,
        "sent_at",
    )


@pytest.mark.parametrize(
    ("source", "raw", "reason", "field"),
    [
        (EMAILS, b'{"email_id": "m1", "from": ', Reason.INVALID_JSON, None),
        (EMAILS, b'{"email_id": NaN}', Reason.INVALID_JSON, None),
        (EMAILS, b"[1, 2]", Reason.NOT_AN_OBJECT, None),
        (EMAILS, b"\xff\xfe{}", Reason.INVALID_ENCODING, None),
        (EMAILS, line({k: v for k, v in EMAIL.items() if k != "sent_at"}), Reason.MISSING_REQUIRED_FIELD, "sent_at"),
        (EMAILS, line({**EMAIL, "email_id": None}), Reason.MISSING_REQUIRED_FIELD, "email_id"),
        (EMAILS, line({**EMAIL, "email_id": 17}), Reason.WRONG_TYPE, "email_id"),
        (EMAILS, line({**EMAIL, "to": "bob@customer.example"}), Reason.WRONG_TYPE, "to"),
        (EMAILS, line({**EMAIL, "followed": "true"}), Reason.WRONG_TYPE, "followed"),
        (EMAILS, line({**EMAIL, "sent_at": "2026-03-01T10:00:00"}), Reason.TIMESTAMP_WITHOUT_OFFSET, "sent_at"),
        (EMAILS, line({**EMAIL, "sent_at": "yesterday"}), Reason.INVALID_TIMESTAMP, "sent_at"),
        (EMAILS, line({**EMAIL, "sent_at": "1999-12-31T23:00:00Z"}), Reason.TIMESTAMP_OUT_OF_RANGE, "sent_at"),
        (EMAILS, line({**EMAIL, "to": [], "cc": []}), Reason.NO_RECIPIENTS, "to"),
        (EMAILS, line({**EMAIL, "cc": ["not-an-address"]}), Reason.INVALID_EMAIL_ADDRESS, "cc[0]"),
        (EMAILS, line({**EMAIL, "regarding_type": "Account"}), Reason.INVALID_ENUM_VALUE, "regarding_type"),
        (
            CALLS,
            line(
                {
                    "call_id": "c",
                    "from": "a@b.co",
                    "to": ["c@d.co"],
                    "started_at": "2026-03-01T10:00:00Z",
                    "duration_seconds": "5",
                }
            ),
            Reason.WRONG_TYPE,
            "duration_seconds",
        ),
        (
            CALLS,
            line(
                {
                    "call_id": "c",
                    "from": "a@b.co",
                    "to": ["c@d.co"],
                    "started_at": "2026-03-01T10:00:00Z",
                    "duration_seconds": True,
                }
            ),
            Reason.WRONG_TYPE,
            "duration_seconds",
        ),
        (
            CALLS,
            line(
                {
                    "call_id": "c",
                    "from": "a@b.co",
                    "to": ["c@d.co"],
                    "started_at": "2026-03-01T10:00:00Z",
                    "duration_seconds": -5,
                }
            ),
            Reason.NEGATIVE_VALUE,
            "duration_seconds",
        ),
        (TASKS, line({"task_id": "t", "owner": "a@b.co", "status": "done"}), Reason.INVALID_ENUM_VALUE, "status"),
        (
            OPPORTUNITIES,
            line(
                {
                    "opportunity_id": "o",
                    "account_id": "a",
                    "owner_id": "u",
                    "status": "won",
                    "estimated_close_date": "2026-13-45",
                }
            ),
            Reason.INVALID_DATE,
            "estimated_close_date",
        ),
        (
            OPPORTUNITIES,
            line({"opportunity_id": "o", "account_id": "a", "owner_id": "u", "status": "won", "actual_revenue": -1.5}),
            Reason.NEGATIVE_VALUE,
            "actual_revenue",
        ),
        (CONTACTS, line({"contact_id": "c", "email": "not-an-address"}), Reason.INVALID_EMAIL_ADDRESS, "email"),
        # Values Python cannot hold as the typed value: quarantined, never a failed run.
        (
            OPPORTUNITIES,
            line(
                {"opportunity_id": "o", "account_id": "a", "owner_id": "u", "status": "won", "actual_revenue": 10**400}
            ),
            Reason.WRONG_TYPE,
            "actual_revenue",
        ),
        (EMAILS, line({**EMAIL, "sent_at": "0001-01-01T00:00:00+01:00"}), Reason.TIMESTAMP_OUT_OF_RANGE, "sent_at"),
        (
            MEETINGS,
            line({**MEETING, "start_at": "9999-12-31T23:30:00-01:00"}),
            Reason.TIMESTAMP_OUT_OF_RANGE,
            "start_at",
        ),
        (EMAILS, b'{"email_id": ' + b"[" * 2000 + b"]" * 2000 + b"}", Reason.INVALID_JSON, None),
        (MEETINGS, line({**MEETING, "end_at": "2026-03-02T09:00:00Z"}), Reason.END_BEFORE_START, "end_at"),
        (
            MEETINGS,
            line({**MEETING, "attendees": [{"email": "x@y.co", "response": "maybe"}]}),
            Reason.INVALID_ENUM_VALUE,
            "attendees[0].response",
        ),
        (
            MEETINGS,
            line({**MEETING, "attendees": [{"required": False}]}),
            Reason.MISSING_REQUIRED_FIELD,
            "attendees[0].email",
        ),
        (
            TRANSCRIPTS,
            line(
                {**TRANSCRIPT, "fragments": [{"participant_id": "p9", "offset_ms": 0, "duration_ms": 5, "text": "hi"}]}
            ),
            Reason.UNKNOWN_FRAGMENT_PARTICIPANT,
            "fragments[0].participant_id",
        ),
        (
            TASKS,
            line({"task_id": "t", "owner": "a@b.co", "status": "open", "padding": "x" * 5000}),
            Reason.RECORD_TOO_LARGE,
            None,
        ),
    ],
)
def test_bad_input_is_rejected_with_reason_and_field(source, raw, reason, field):
    assert rejection(source, raw) == (reason, field)


def test_unknown_extra_fields_are_accepted_and_not_in_the_record():
    record = validate_line(EMAILS, line({**EMAIL, "x_crm_flag": [1, 2]}), LIMITS)

    assert "x_crm_flag" not in record


def test_integers_and_numbers_are_typed_without_coercion():
    record = validate_line(
        OPPORTUNITIES,
        line({"opportunity_id": "o", "account_id": "a", "owner_id": "u", "status": "open", "estimated_revenue": 12}),
        LIMITS,
    )

    assert record["estimated_revenue"] == 12.0
    assert isinstance(record["estimated_revenue"], float)


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("a@b.com", "a@b.com"),
        ("  A.B@Sub.Example.org ", "A.B@Sub.Example.org"),
        ('"Lee, Ann" <ann@x.io>', "ann@x.io"),
        ("Ann Lee <ann@x.io>", "ann@x.io"),
        ("ann@localhost", None),
        ("ann", None),
        ("<>", None),
        ("a b@c.com", None),
        ('"Ann"<ann@x.io>', "ann@x.io"),
        ("Ann\t <ann@x.io>", "ann@x.io"),
        ('"Ann" x <ann@x.io>', None),
        ("a" + " " * 200_000 + "x", None),  # rejected at once: the name pattern does not backtrack over spaces
    ],
)
def test_reduce_address(value, address):
    assert reduce_address(value) == address

from datetime import UTC, date, datetime

import pytest

from schemas.landing import EMAILS
from transforms.mail import content_id, message_to_email, sent_at_iso, split_mbox
from transforms.raw_records import BadRecord, Limits, Reason, validate_record

LIMITS = Limits.for_as_of(date(2026, 3, 31), max_record_bytes=1 << 20, future_tolerance_days=2)


def message(*headers: str, body: str = "Hello.\n") -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def test_headers_map_to_the_email_record():
    raw = message(
        "Message-ID: <abc@mail.example>",
        'From: "Ann Lee" <ann@customer.example>',
        "To: bob@rapport.example, Carl <carl@rapport.example>",
        "Cc: dora@customer.example",
        "Date: Tue, 3 Jan 2023 23:25:42 -0500",
        "In-Reply-To: <first@x> <second@x>",
        "References: <root@x> <first@x>",
        "Subject: =?utf-8?q?Angebot_f=C3=BCr_Q3?=",
    )

    email = message_to_email(raw)

    assert email == {
        "email_id": "abc@mail.example",
        "from": "ann@customer.example",
        "to": ["bob@rapport.example", "carl@rapport.example"],
        "cc": ["dora@customer.example"],
        "bcc": [],
        "sent_at": "2023-01-03T23:25:42-05:00",
        "in_reply_to": "first@x",
        "references": ["root@x", "first@x"],
        "subject": "Angebot für Q3",
    }
    # The -05:00 offset puts it on the next UTC day.
    assert validate_record(EMAILS, email, LIMITS)["sent_at"] == datetime(2023, 1, 4, 4, 25, 42, tzinfo=UTC)


def test_list_rewritten_sender_is_the_person_in_reply_to():
    raw = message(
        "Message-ID: <m@x>",
        'From: "Jane Doe via Sales-L" <sales-l@lists.example.org>',
        "List-Post: <mailto:sales-l@lists.example.org>",
        "Reply-To: Jane Doe <jane@customer.example>",
        "To: sales-l@lists.example.org",
        "Date: Tue, 3 Jan 2023 13:25:42 +0000",
    )

    assert message_to_email(raw)["from"] == "jane@customer.example"


def test_configured_list_address_uses_x_original_from_when_reply_to_is_the_list():
    raw = message(
        "Message-ID: <m@x>",
        "From: Team List <team@lists.example.org>",
        "Reply-To: team@lists.example.org",
        "X-Original-From: Bob <bob@customer.example>",
        "To: team@lists.example.org",
        "Date: Tue, 3 Jan 2023 13:25:42 +0000",
    )

    assert message_to_email(raw, frozenset({"team@lists.example.org"}))["from"] == "bob@customer.example"
    # Without the configuration and without List-Post, From is taken as it is.
    assert message_to_email(raw)["from"] == "team@lists.example.org"


def test_message_without_message_id_gets_a_stable_content_id():
    raw = message("From: a@b.co", "To: c@d.co", "Date: Tue, 3 Jan 2023 13:25:42 +0000")

    first, again = message_to_email(raw)["email_id"], message_to_email(raw)["email_id"]
    other = message_to_email(raw + b"more")["email_id"]

    assert first == again == content_id(raw)
    assert first != other


def test_in_reply_to_falls_back_to_the_last_reference():
    raw = message("Message-ID: <m@x>", "References: <a@x>\r\n <b@x>", "From: a@b.co", "To: c@d.co")

    assert message_to_email(raw)["in_reply_to"] == "b@x"


@pytest.mark.parametrize(
    ("header", "iso"),
    [
        ("Tue, 3 Jan 2023 13:25:42 +0200", "2023-01-03T13:25:42+02:00"),
        ("Tue, 3 Jan 2023 13:25:42 -0000", "2023-01-03T13:25:42+00:00"),
        ("Tue, 3 Jan 2023 13:25:42 +0000 (UTC)", "2023-01-03T13:25:42+00:00"),
        ("Tue, 3 Jan 2023 13:25:42 GMT", "2023-01-03T13:25:42+00:00"),
        ("Tue, 3 Jan 2023 13:25:42", "2023-01-03T13:25:42"),
        ("not a date", "not a date"),
        (None, None),
    ],
)
def test_sent_at_keeps_the_zone_or_leaves_the_value_for_validation(header, iso):
    assert sent_at_iso(header) == iso


@pytest.mark.parametrize(
    ("headers", "reason", "field"),
    [
        (
            ("Message-ID: <m@x>", "To: c@d.co", "Date: Tue, 3 Jan 2023 13:25:42 +0000"),
            Reason.MISSING_REQUIRED_FIELD,
            "from",
        ),
        (("Message-ID: <m@x>", "From: a@b.co", "To: c@d.co"), Reason.MISSING_REQUIRED_FIELD, "sent_at"),
        (
            ("Message-ID: <m@x>", "From: a@b.co", "To: c@d.co", "Date: Tue, 3 Jan 2023 13:25:42"),
            Reason.TIMESTAMP_WITHOUT_OFFSET,
            "sent_at",
        ),
        (("Message-ID: <m@x>", "From: a@b.co", "Date: Tue, 3 Jan 2023 13:25:42 +0000"), Reason.NO_RECIPIENTS, "to"),
    ],
)
def test_messages_missing_what_the_contract_requires_are_rejected(headers, reason, field):
    with pytest.raises(BadRecord) as caught:
        validate_record(EMAILS, message_to_email(message(*headers)), LIMITS)

    assert (caught.value.reason, caught.value.field) == (reason, field)


def test_split_mbox_cuts_messages_and_unquotes_from_lines():
    mbox = (
        b"From alice@x Tue Jan  3 13:25:42 2023\n"
        b"Message-ID: <1@x>\n\nbody one\n>From the start\n>>From deeper\n"
        b"From bob@x Tue Jan  3 13:26:42 2023\n"
        b"Message-ID: <2@x>\n\nbody two\n"
    )

    messages = list(split_mbox(mbox))

    assert [position for position, _ in messages] == [1, 2]
    assert messages[0][1] == b"Message-ID: <1@x>\n\nbody one\nFrom the start\n>From deeper\n"
    assert messages[1][1] == b"Message-ID: <2@x>\n\nbody two\n"


def test_split_mbox_keeps_content_before_the_first_separator_as_position_0():
    mbox = b"stray text\nFrom a@x Tue Jan  3 13:25:42 2023\nMessage-ID: <1@x>\n\nbody\n"

    assert list(split_mbox(mbox)) == [(0, b"stray text\n"), (1, b"Message-ID: <1@x>\n\nbody\n")]
    # Blank lines before the first separator are no content.
    assert [p for p, _ in split_mbox(b"\n\nFrom a@x\nSubject: s\n\nb\n")] == [1]

"""RFC 5322 mail (.eml, mboxrd .mbox) mapped to the email record of the landing contract.

Pure functions over bytes: `split_mbox` cuts an mbox into messages, `message_to_email` maps one
message to the JSON-shaped email record that `transforms.raw_records.validate_record` checks like
any JSON line. A message without a sender, a zoned date or any recipient is left for that
validation to reject with the usual reason.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_tz

_MESSAGE_ID = re.compile(r"<([^<>]+)>")
_MAILTO = re.compile(r"<?mailto:([^>?\s]+)", re.IGNORECASE)
# A Date header that ends in an explicit zone: +hhmm / -hhmm or an RFC 822 zone name.
_ZONED_DATE = re.compile(r"([+-]\d{4}|\b(?:UT|UTC|GMT|[ECMP][SD]T|Z))\s*(\([^)]*\))?\s*$", re.IGNORECASE)

MBOX_SEPARATOR = b"From "


def split_mbox(content: bytes) -> Iterator[tuple[int, bytes]]:
    """(position, message bytes) of each message of an mboxrd file, positions from 1.

    A line starting with "From " opens a message; in bodies, mboxrd quotes such lines as
    ">From ", ">>From " ... and one level of quoting is removed here. Non-blank content before the
    first "From " line is no message, but it is not dropped either: it comes out as position 0.
    """
    position = 0
    lines: list[bytes] = []
    for line in content.splitlines(keepends=True):
        if line.startswith(MBOX_SEPARATOR):
            if position or b"".join(lines).strip():
                yield position, b"".join(lines)
            position += 1
            lines = []
        else:
            lines.append(line[1:] if position and re.match(rb"^>+From ", line) else line)
    if position or b"".join(lines).strip():
        yield position, b"".join(lines)


def decode_text(value) -> str | None:
    """A header value with RFC 2047 encoded words decoded; the raw text where decoding fails."""
    if value is None:
        return None
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeError, ValueError):
        return str(value)


def _addresses(message: Message, header: str) -> list[str]:
    values = [str(v) for v in message.get_all(header, [])]
    return [address.strip() for _, address in getaddresses(values) if address.strip()]


def _ids(value) -> list[str]:
    if value is None:
        return []
    text = str(value)
    bracketed = _MESSAGE_ID.findall(text)
    return [i.strip() for i in bracketed] if bracketed else text.split()


def sent_at_iso(date_header) -> str | None:
    """The Date header as ISO-8601 with offset; without an offset when the header has no zone
    (the validator then rejects it), None when it does not parse as a date at all."""
    if date_header is None:
        return None
    text = str(date_header).strip()
    parsed = parsedate_tz(text)
    if parsed is None:
        return text  # left for the validator: invalid_timestamp names the value
    year, month, day, hour, minute, second = parsed[:6]
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return text
    # parsedate_tz gives offset 0 both for "+0000" and for no zone at all, so the zone's presence
    # is read from the text. "-0000" means UTC with the sender's zone unknown (RFC 5322 3.3).
    if not _ZONED_DATE.search(text):
        return local.isoformat()
    offset = parsed[9] or 0
    return local.replace(tzinfo=timezone(timedelta(seconds=offset))).isoformat()


def content_id(raw: bytes) -> str:
    """A stable id for a message without Message-ID: a hash of its bytes."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@rapport.invalid"


def _sender(message: Message, list_addresses: frozenset[str]) -> str | None:
    """From, unless From is a list address rewritten by a mailing list: then the first person in
    Reply-To or X-Original-From that is not a list address."""
    senders = _addresses(message, "From")
    if not senders:
        return None
    sender = senders[0]
    lists = set(list_addresses)
    list_post = _MAILTO.search(str(message.get("List-Post", "")))
    if list_post:
        lists.add(list_post.group(1).lower())
    if sender.lower() not in lists:
        return sender
    for header in ("Reply-To", "X-Original-From"):
        for person in _addresses(message, header):
            if person.lower() not in lists:
                return person
    return sender


def message_to_email(raw: bytes, list_addresses: frozenset[str] = frozenset()) -> dict:
    """The email record (JSON shape, not yet validated) of one RFC 5322 message.

    `list_addresses` are lowercase mailing-list addresses from the configuration.
    """
    message = message_from_bytes(raw, policy=compat32)
    message_ids = _ids(message.get("Message-ID"))
    references = _ids(message.get("References"))
    in_reply_to = _ids(message.get("In-Reply-To"))
    return {
        "email_id": message_ids[0] if message_ids else content_id(raw),
        "from": _sender(message, list_addresses),
        "to": _addresses(message, "To"),
        "cc": _addresses(message, "Cc"),
        "bcc": _addresses(message, "Bcc"),
        "sent_at": sent_at_iso(message.get("Date")),
        "in_reply_to": in_reply_to[0] if in_reply_to else (references[-1] if references else None),
        "references": references,
        "subject": decode_text(message.get("Subject")),
    }

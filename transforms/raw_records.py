"""Validate one landed record against the contract: a clean, typed record or a quarantine reason.

Plain Python on purpose: Spark's JSON reader coerces (`5` into a string column, `"5"` nowhere
with a field name), and the contract wants exact JSON types and a reason naming the field. The
functions here are pure and run inside `transforms.landing_files`, one call per record.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from schemas.landing import Field, Kind, Source

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
INT64_MAX = 2**63 - 1


class Reason:
    """Machine-readable quarantine reasons (the `reason` column)."""

    RECORD_TOO_LARGE = "record_too_large"
    INVALID_ENCODING = "invalid_encoding"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_REQUIRED_FIELD = "missing_required_field"
    WRONG_TYPE = "wrong_type"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_WITHOUT_OFFSET = "timestamp_without_offset"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    INVALID_DATE = "invalid_date"
    INVALID_ENUM_VALUE = "invalid_enum_value"
    NEGATIVE_VALUE = "negative_value"
    INVALID_EMAIL_ADDRESS = "invalid_email_address"
    NO_RECIPIENTS = "no_recipients"
    END_BEFORE_START = "end_before_start"
    UNKNOWN_FRAGMENT_PARTICIPANT = "unknown_fragment_participant"
    UNPARSEABLE_MESSAGE = "unparseable_message"
    UNSUPPORTED_FILE = "unsupported_file"
    UNREADABLE_FILE = "unreadable_file"


class BadRecord(Exception):
    """A record that breaks the contract: why, in which field, and a sentence for people."""

    def __init__(self, reason: str, field: str | None, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Run-dependent bounds: the latest acceptable time for something that already happened."""

    max_record_bytes: int
    latest_happened_at: datetime

    @classmethod
    def for_as_of(cls, as_of: date, max_record_bytes: int, future_tolerance_days: int) -> Limits:
        end_of_day = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) + timedelta(days=1)
        return cls(max_record_bytes, end_of_day + timedelta(days=future_tolerance_days))


# An address is local@domain with a dotted domain; `"Name" <a@b.com>` and `Name <a@b.com>` reduce
# to the part in angle brackets. Deliberately simple: real addresses, not every RFC 5322 corner.
_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\".]+")
# The unquoted name takes the spaces before `<` itself: with a `\s*` of its own after it, a long run
# of spaces could be split between the two every way, and a 1 MiB record took minutes to reject.
_NAMED_ADDRESS = re.compile(r'^(?:"[^"]*"\s*|[^<>"]*)<([^<>]*)>$')
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def reduce_address(value: str) -> str | None:
    """The bare address of `a@b.com` or `"Name" <a@b.com>`, trimmed; None if it does not parse."""
    text = value.strip()
    named = _NAMED_ADDRESS.match(text)
    if named:
        text = named.group(1).strip()
    return text if _ADDRESS.fullmatch(text) else None


def parse_instant(value: str, path: str) -> datetime:
    """An ISO-8601 timestamp with offset, as a UTC datetime."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRecord(Reason.INVALID_TIMESTAMP, path, f"{path}: {value!r} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise BadRecord(Reason.TIMESTAMP_WITHOUT_OFFSET, path, f"{path}: {value!r} has no UTC offset")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise BadRecord(
            Reason.TIMESTAMP_OUT_OF_RANGE, path, f"{path}: {value!r} is outside the years 1 to 9999 in UTC"
        ) from None


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _wrong_type(path: str, expected: str, value) -> BadRecord:
    return BadRecord(Reason.WRONG_TYPE, path, f"{path}: expected {expected}, got {_json_type(value)}")


def _check_not_negative(value, path: str):
    if value < 0:
        raise BadRecord(Reason.NEGATIVE_VALUE, path, f"{path}: {value} is negative")
    return value


def _convert(field: Field, value, path: str, limits: Limits):
    """One non-null JSON value as the field's typed value, or BadRecord."""
    kind = field.kind
    if kind is Kind.TEXT:
        if not isinstance(value, str):
            raise _wrong_type(path, "a string", value)
        return value
    if kind is Kind.EMAIL:
        if not isinstance(value, str):
            raise _wrong_type(path, "an email address string", value)
        address = reduce_address(value)
        if address is None:
            raise BadRecord(Reason.INVALID_EMAIL_ADDRESS, path, f"{path}: {value!r} is not an email address")
        return address
    if kind in (Kind.TEXT_LIST, Kind.EMAIL_LIST, Kind.RECORDS):
        if not isinstance(value, list):
            raise _wrong_type(path, "an array", value)
        if kind is Kind.RECORDS:
            return [_convert_object(field.fields, item, f"{path}[{i}]", limits) for i, item in enumerate(value)]
        item_field = Field(field.name, Kind.EMAIL if kind is Kind.EMAIL_LIST else Kind.TEXT)
        return [_convert_item(item_field, item, f"{path}[{i}]", limits) for i, item in enumerate(value)]
    if kind is Kind.INSTANT:
        if not isinstance(value, str):
            raise _wrong_type(path, "an ISO-8601 timestamp string", value)
        instant = parse_instant(value, path)
        if instant < EARLIEST:
            raise BadRecord(Reason.TIMESTAMP_OUT_OF_RANGE, path, f"{path}: {value!r} is before 2000")
        if field.happened and instant > limits.latest_happened_at:
            raise BadRecord(
                Reason.TIMESTAMP_OUT_OF_RANGE,
                path,
                f"{path}: {value!r} is after {limits.latest_happened_at.isoformat()} (the run's as-of day + tolerance)",
            )
        return instant
    if kind is Kind.DATE:
        if not isinstance(value, str):
            raise _wrong_type(path, "a YYYY-MM-DD date string", value)
        try:
            if not _DATE.match(value):
                raise ValueError
            day = date.fromisoformat(value)
        except ValueError:
            raise BadRecord(Reason.INVALID_DATE, path, f"{path}: {value!r} is not a YYYY-MM-DD date") from None
        if day < EARLIEST.date():
            raise BadRecord(Reason.TIMESTAMP_OUT_OF_RANGE, path, f"{path}: {value!r} is before 2000")
        return day
    if kind is Kind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(path, "an integer", value)
        if value > INT64_MAX:
            raise BadRecord(Reason.WRONG_TYPE, path, f"{path}: {value} does not fit a 64-bit integer")
        return _check_not_negative(value, path)
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(path, "a number", value)
        try:
            number = float(value)
        except OverflowError:  # an integer beyond a double's range
            number = math.inf
        if not math.isfinite(number):
            raise BadRecord(Reason.WRONG_TYPE, path, f"{path}: {value} is not a finite number")
        _check_not_negative(value, path)
        return number
    if kind is Kind.FLAG:
        if not isinstance(value, bool):
            raise _wrong_type(path, "true or false", value)
        return value
    if kind is Kind.CHOICE:
        if not isinstance(value, str):
            raise _wrong_type(path, "a string", value)
        if value not in field.choices:
            allowed = ", ".join(field.choices)
            raise BadRecord(Reason.INVALID_ENUM_VALUE, path, f"{path}: {value!r} is not one of {allowed}")
        return value
    raise AssertionError(f"unhandled kind {kind}")  # pragma: no cover - the Kind enum is closed


def _convert_item(field: Field, value, path: str, limits: Limits):
    if value is None:
        raise _wrong_type(path, "a value", value)
    return _convert(field, value, path, limits)


def _convert_object(fields: tuple[Field, ...], obj, path: str, limits: Limits) -> dict:
    if not isinstance(obj, dict):
        raise _wrong_type(path or "record", "an object", obj)
    converted = {}
    for field in fields:
        field_path = f"{path}.{field.name}" if path else field.name
        value = obj.get(field.name)
        if value is None:
            if field.required:
                raise BadRecord(Reason.MISSING_REQUIRED_FIELD, field_path, f"{field_path}: required field is missing")
            converted[field.name] = field.default
        else:
            converted[field.name] = _convert(field, value, field_path, limits)
    return converted


def _check_emails(record: dict) -> None:
    if not (record["to"] or record["cc"] or record["bcc"]):
        raise BadRecord(Reason.NO_RECIPIENTS, "to", "to: empty, and no cc or bcc recipient either")


def _check_meetings(record: dict) -> None:
    if record["end_at"] < record["start_at"]:
        raise BadRecord(Reason.END_BEFORE_START, "end_at", "end_at: before start_at")


def _check_transcripts(record: dict) -> None:
    known = {p["participant_id"] for p in record["participants"]}
    for i, fragment in enumerate(record["fragments"]):
        if fragment["participant_id"] not in known:
            path = f"fragments[{i}].participant_id"
            raise BadRecord(
                Reason.UNKNOWN_FRAGMENT_PARTICIPANT,
                path,
                f"{path}: {fragment['participant_id']!r} is not in participants",
            )


# Rules across fields, by source name.
_RECORD_RULES = {"emails": _check_emails, "meetings": _check_meetings, "transcripts": _check_transcripts}


def validate_record(source: Source, obj, limits: Limits) -> dict:
    """A parsed JSON value (or a mail message mapped to one) as the source's typed record, defaults
    applied, or BadRecord naming the first field that breaks the contract."""
    if not isinstance(obj, dict):
        raise BadRecord(Reason.NOT_AN_OBJECT, None, f"record: expected a JSON object, got {_json_type(obj)}")
    record = _convert_object(source.fields, obj, "", limits)
    rule = _RECORD_RULES.get(source.name)
    if rule:
        rule(record)
    return record


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def validate_line(source: Source, line: bytes, limits: Limits) -> dict:
    """One JSON Lines line as the source's typed record, or BadRecord."""
    if len(line) > limits.max_record_bytes:
        raise BadRecord(
            Reason.RECORD_TOO_LARGE, None, f"record: {len(line)} bytes, more than the maximum {limits.max_record_bytes}"
        )
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRecord(
            Reason.INVALID_ENCODING, None, f"record: not UTF-8 ({error.reason} at byte {error.start})"
        ) from None
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise BadRecord(Reason.INVALID_JSON, None, f"record: invalid JSON ({error})") from None
    except RecursionError:
        raise BadRecord(
            Reason.INVALID_JSON, None, "record: invalid JSON (nested deeper than the parser reads)"
        ) from None
    return validate_record(source, obj, limits)

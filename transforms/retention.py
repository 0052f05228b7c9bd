"""Retention of raw text: which rows of bronze and silver still hold the text of an activity that
happened before a cutoff, and what they hold once it is removed.

The raw text is the contract's free text: email and meeting subjects and transcript fragments'
text, and the landed record (`raw_record`) that holds them. Once removed:

- the typed text columns are null (bronze `subject`, each bronze fragment's `text`; silver
  `activities.subject`, `call_turns.text` and `words`, `call_fragments.text`);
- `raw_record` is the record's contract fields but the text, as JSON, first `"_text_removed":true`
  (`text_removed_record`): still valid JSON, with every value conform reads, and what was landed
  outside the contract gone too (an unknown field may be free text: a body, notes). A mail file's
  record (`.eml`, `.mbox`) becomes such JSON as well: its headers' values, without the message.

When an activity happened: an email's `sent_at`, a meeting's `start_at` (as silver's
`activity_at`), a transcript's call's `started_at` (its latest landed version, as silver's), or,
for a transcript whose call never landed, when the transcript was last ingested.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from schemas.landing import SOURCES_BY_NAME, Field, Source
from transforms.versions import filter_latest_version

TEXT_REMOVED = "_text_removed"
REMOVED_PREFIX = '{"_text_removed":true'
# The free-text fields of each source with any: top-level names, or `records.field` inside arrays.
TEXT_FIELDS = {"emails": ("subject",), "meetings": ("subject",), "transcripts": ("fragments.text",)}
# When the activity of a bronze row happened (transcripts: see `call_times`).
HAPPENED_AT = {"emails": "sent_at", "meetings": "start_at"}
TEXT_ACTIVITY_TYPES = ("email", "meeting")
JSON_OPTIONS = {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX", "dateFormat": "yyyy-MM-dd"}


def cutoff(as_of: date, days: int) -> datetime:
    """Midnight UTC that starts day T - days: an activity before it happened more than `days`
    days before T (its UTC day is earlier than T - days) and loses its text."""
    day = as_of - timedelta(days=days)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _text_fields(source: Source) -> tuple[set[str], dict[str, set[str]]]:
    """(top-level text fields, records field -> its nested text fields) of a source."""
    top, nested = set(), {}
    for path in TEXT_FIELDS.get(source.name, ()):
        outer, _, inner = path.partition(".")
        if inner:
            nested.setdefault(outer, set()).add(inner)
        else:
            top.add(outer)
    return top, nested


def _without(field: Field, text: set[str]) -> Column:
    """A records field's array with each item's text fields left out."""
    kept = [f.name for f in field.fields if f.name not in text]
    return F.transform(F.col(field.name), lambda item: F.struct(*[item[name].alias(name) for name in kept]))


def text_removed_record(source_name: str) -> Column:
    """The raw_record of a row of `source_name` once its text is removed: JSON of the contract's
    fields from the row's typed columns (times in UTC with microseconds), text fields left out,
    after `"_text_removed":true`; null values are left out as the contract allows."""
    source = SOURCES_BY_NAME[source_name]
    top, nested = _text_fields(source)
    parts = [F.lit(True).alias(TEXT_REMOVED)]
    for field in source.fields:
        if field.name in top:
            continue
        if field.name in nested:
            parts.append(_without(field, nested[field.name]).alias(field.name))
        else:
            parts.append(F.col(field.name).alias(field.name))
    return F.to_json(F.struct(*parts), JSON_OPTIONS)


def _nulled(field: Field, text: set[str]) -> Column:
    """A records field's array with each item's text fields null (the struct's shape kept)."""

    def item_without_text(item: Column) -> Column:
        return F.struct(
            *[(F.lit(None).cast("string") if f.name in text else item[f.name]).alias(f.name) for f in field.fields]
        )

    return F.transform(F.col(field.name), item_without_text)


def cleared_columns(source_name: str) -> dict[str, Column]:
    """The typed columns of a bronze row with their text nulled, by column name."""
    source = SOURCES_BY_NAME[source_name]
    top, nested = _text_fields(source)
    cleared = {name: F.lit(None).cast("string") for name in top}
    cleared |= {f.name: _nulled(f, nested[f.name]) for f in source.fields if f.name in nested}
    return cleared


def _any_item_has(column: str, inner: str) -> Column:
    def has(item: Column) -> Column:
        return item[inner].isNotNull()

    return F.exists(F.col(column), has)


def holds_text(source_name: str) -> Column:
    """Whether a bronze row still holds text: a typed text value, or a raw_record not yet rewritten."""
    source = SOURCES_BY_NAME[source_name]
    top, nested = _text_fields(source)
    held = ~F.col("raw_record").startswith(REMOVED_PREFIX)
    for name in top:
        held = held | F.col(name).isNotNull()
    for name, text in nested.items():
        for inner in text:
            held = held | _any_item_has(name, inner)
    return held


def call_times(calls_df: DataFrame, transcripts_df: DataFrame) -> DataFrame:
    """(call_id, happened_at) of every call with a landed transcript: the call's start (its latest
    landed version), or when the transcript was last ingested if the call never landed."""
    started_df = filter_latest_version(calls_df, "call_id").select("call_id", "started_at")
    landed_df = transcripts_df.groupBy("call_id").agg(F.max("ingested_at").alias("ingested_at"))
    return landed_df.join(started_df, on="call_id", how="left").select(
        "call_id", F.coalesce("started_at", "ingested_at").alias("happened_at")
    )


def silver_activity_text(before: datetime) -> Column:
    """Silver activities whose subject retention removes: emails and meetings before the cutoff."""
    return (
        F.col("activity_type").isin(*TEXT_ACTIVITY_TYPES)
        & (F.col("activity_at") < F.lit(before))
        & F.col("subject").isNotNull()
    )

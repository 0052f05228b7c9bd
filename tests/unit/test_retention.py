"""What retention makes of a bronze row (transforms/retention.py): the text gone from the typed columns
and from raw_record, which stays JSON of the other contract fields, and a row so rewritten holds
nothing more to remove."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from tests.builders import bronze
from transforms.retention import cleared_columns, cutoff, holds_text, text_removed_record


def retained(df, source: str):
    """The rows as retention rewrites them, with whether they held text before and after."""
    values = {**cleared_columns(source), "raw_record": text_removed_record(source)}
    rewritten = df.withColumn("held", holds_text(source)).withColumns(values)
    return rewritten.withColumn("holds", holds_text(source)).collect()


def test_the_cutoff_is_the_midnight_that_starts_the_day_n_days_before_t():
    assert cutoff(date(2026, 3, 31), 60) == datetime(2026, 1, 30, tzinfo=UTC)
    assert cutoff(date(2026, 3, 31), 0) == datetime(2026, 3, 31, tzinfo=UTC)


def test_an_email_loses_its_subject_and_its_raw_record_keeps_the_other_fields_as_json(spark):
    emails_df = bronze(
        spark,
        "emails",
        [
            {
                "email_id": "m1",
                "from": "ann@ours.com",
                "to": ["bob@theirs.com"],
                "sent_at": datetime(2026, 1, 2, 9, 30),
                "subject": "Our pricing, confidential",
                "references": [],
                "followed": True,
                "raw_record": '{"email_id": "m1", "subject": "Our pricing, confidential", "x_body": "secret"}',
            }
        ],
    )

    [row] = retained(emails_df, "emails")

    assert row["held"] and not row["holds"] and row["subject"] is None
    assert json.loads(row["raw_record"]) == {
        "_text_removed": True,
        "email_id": "m1",
        "from": "ann@ours.com",
        "to": ["bob@theirs.com"],
        "sent_at": "2026-01-02T09:30:00.000000Z",
        "references": [],
        "followed": True,
    }


def test_a_transcript_loses_its_fragments_text_and_keeps_their_timing(spark):
    transcripts_df = bronze(
        spark,
        "transcripts",
        [
            {
                "call_id": "c1",
                "language": "en",
                "participants": [("p1", "ann@ours.com", "seller")],
                "fragments": [("p1", 0, 900, "the discount is 20%"), ("p1", 950, 400, "ok")],
            }
        ],
    )

    [row] = retained(transcripts_df, "transcripts")

    assert row["held"] and not row["holds"]
    assert [tuple(f) for f in row["fragments"]] == [("p1", 0, 900, None), ("p1", 950, 400, None)]
    record = json.loads(row["raw_record"])
    assert record["fragments"] == [
        {"participant_id": "p1", "offset_ms": 0, "duration_ms": 900},
        {"participant_id": "p1", "offset_ms": 950, "duration_ms": 400},
    ]
    assert record["participants"] == [{"participant_id": "p1", "email": "ann@ours.com", "role": "seller"}]

"""Ingest end to end: generated landing zone -> bronze + quarantine with real Spark and Delta."""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import ingest
from jobs.lake import BRONZE, OPS, QUARANTINE
from schemas.bronze import LEDGER_TABLE, QUARANTINE_TABLE
from schemas.landing import SOURCES, SOURCES_BY_NAME
from tests.integration.conftest import AS_OF, table_versions

pytestmark = pytest.mark.integration


def source_of(relative_path: str) -> str:
    folder = str(Path(relative_path).parent)
    return next(s.name for s in SOURCES if s.folder == folder)


def test_every_good_record_is_in_bronze(landed):
    manifest, _, lake, first, *_ = landed

    for source in SOURCES:
        assert lake.read(BRONZE, source.name).count() == manifest.counts[source.name], source.name
    assert first.bronze_rows == {name: n for name, n in manifest.counts.items() if n}


def test_every_bad_record_is_in_quarantine_with_its_reason_file_and_line(landed):
    manifest, _, lake, *_ = landed

    quarantined = {
        (r["source_file"].split("/landing/", 1)[1], r["source_line"], r["reason"], r["source"])
        for r in lake.read(QUARANTINE, QUARANTINE_TABLE).collect()
    }
    expected = {(b.relative_path, b.line, b.reason, source_of(b.relative_path)) for b in manifest.bad}
    assert quarantined == expected
    # The generator covers every reason of the contract at least once.
    reasons = {reason for _, _, reason, _ in quarantined}
    assert {
        "invalid_json",
        "not_an_object",
        "missing_required_field",
        "wrong_type",
        "timestamp_without_offset",
        "timestamp_out_of_range",
        "invalid_date",
        "invalid_enum_value",
        "negative_value",
        "end_before_start",
        "unknown_fragment_participant",
        "invalid_email_address",
        "record_too_large",
        "no_recipients",
    } <= reasons


def test_quarantine_keeps_the_original_text(landed):
    _, _, lake, *_ = landed

    row = lake.read(QUARANTINE, QUARANTINE_TABLE).filter(F.col("reason") == "invalid_json").first()
    landed_line = Path(row["source_file"].removeprefix("file:")).read_text().split("\n")[row["source_line"] - 1]
    assert row["raw_record"] == landed_line
    assert row["detail"].startswith(f"{row['source_file']}:{row['source_line']}: ")


def test_counts_reconcile_per_file_in_the_ledger(landed):
    manifest, _, lake, first, *_ = landed

    ledger = lake.read(OPS, LEDGER_TABLE).collect()
    assert len(ledger) == len(manifest.files) == first.files
    bad_per_file = collections.Counter(b.relative_path for b in manifest.bad)
    for row in ledger:
        relative_path = row["source_file"].split("/landing/", 1)[1]
        assert row["records_read"] == row["rows_bronze"] + row["rows_quarantined"], relative_path
        assert row["rows_quarantined"] == bad_per_file[relative_path], relative_path
    assert sum(r["blank_lines"] for r in ledger) == 2  # one empty and one whitespace-only line


def test_a_second_run_ingests_nothing_and_changes_no_table(landed):
    _, _, lake, _, second, versions, _ = landed

    assert second.files == 0
    assert table_versions(lake) == versions


def test_a_newly_landed_file_is_ingested_alone(landed, spark):
    _, config, lake, *_, root = landed
    folder = root / "landing" / SOURCES_BY_NAME["email_events"].folder
    before = lake.read(BRONZE, "email_events").count()
    new_file = folder / "2026-04-01-00000.jsonl"
    good = '{"event_id": "late-1", "email_id": "x", "event_type": "opened", "occurred_at": "2026-03-31T10:00:00Z"}'
    new_file.write_text(good + "\n" + '{"event_id": "late-2"}\n')

    result = ingest.run(spark, config, AS_OF)

    assert (result.files, result.bronze_rows, result.quarantined_rows) == (
        1,
        {"email_events": 1},
        {"email_events": 1},
    )
    assert lake.read(BRONZE, "email_events").count() == before + 1
    shutil.move(str(new_file), str(root / "moved-away.jsonl"))

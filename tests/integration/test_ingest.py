"""Ingest end to end: generated landing zone -> bronze + quarantine with real Spark and Delta."""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import ingest
from jobs.lake import BRONZE, OPS, QUARANTINE, Lake
from jobs.runtime import JobError
from schemas.bronze import LEDGER_SCHEMA, LEDGER_TABLE, QUARANTINE_TABLE
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


def _event(event_id: str, event_type: str = "opened") -> str:
    return json.dumps(
        {"event_id": event_id, "email_id": "e1", "event_type": event_type, "occurred_at": "2026-03-30T10:00:00Z"}
    )


def _land_events(config, *lines: str) -> Path:
    """One landed email events file of these lines, in a landing zone of its own."""
    folder = Path(config.paths.landing) / "activities" / "email_events"
    folder.mkdir(parents=True, exist_ok=True)
    landed = folder / "2026-03-30-00000.jsonl"
    landed.write_text("\n".join(lines) + "\n")
    return landed


def _file_rows(lake, layer, table, path):
    rows = lake.read(layer, table).filter(F.col("source_file") == path)
    return sorted(
        tuple(r) for r in rows.select(*(["event_id"] if layer == BRONZE else ["source_line", "reason"])).collect()
    )


def test_a_file_delivered_again_with_other_content_replaces_its_rows(spark, lake_config, caplog):
    config = lake_config("quality.enabled=false")
    lake = Lake(spark, config)
    landed = _land_events(config, _event("ev1"), _event("ev2"), '{"event_id": "ev3"}')
    first = ingest.run(spark, config, AS_OF)
    path = f"file:{landed}"
    assert (first.bronze_rows, first.quarantined_rows) == ({"email_events": 2}, {"email_events": 1})

    # The same name, other bytes: ev2 is gone, ev4 is new, the bad line was fixed away.
    _land_events(config, _event("ev1"), _event("ev4", "replied"))
    with caplog.at_level(logging.WARNING, logger="rapport.ingest"):
        again = ingest.run(spark, config, AS_OF)

    assert (again.files, again.bronze_rows, again.quarantined_rows) == (1, {"email_events": 2}, {"email_events": 0})
    assert _file_rows(lake, BRONZE, "email_events", path) == [("ev1",), ("ev4",)]
    assert _file_rows(lake, QUARANTINE, QUARANTINE_TABLE, path) == []
    (ledger,) = lake.read(OPS, LEDGER_TABLE).filter(F.col("source_file") == path).collect()
    assert (ledger["rows_bronze"], ledger["rows_quarantined"], ledger["content_sha256"]) == (
        2,
        0,
        hashlib.sha256(landed.read_bytes()).hexdigest(),
    )
    assert f"{path} was delivered again with other content" in caplog.text
    assert "replacing the 2 bronze and 1 quarantine rows of its earlier delivery" in caplog.text

    # Touched (a copy, a restore): a new modification time, the same bytes: nothing is read again.
    bronze_version = lake.version(BRONZE, "email_events")
    os.utime(landed, (landed.stat().st_atime, landed.stat().st_mtime + 3600))
    touched = ingest.run(spark, config, AS_OF)
    assert touched.files == 0 and lake.version(BRONZE, "email_events") == bronze_version
    (ledger,) = lake.read(OPS, LEDGER_TABLE).filter(F.col("source_file") == path).collect()
    assert ledger["file_modified_at"].replace(tzinfo=UTC).timestamp() == pytest.approx(landed.stat().st_mtime, abs=1e-3)

    # On purpose: --reprocess reads one file again, by its path in the landing zone.
    reprocessed = ingest.run(spark, config, AS_OF, ["activities/email_events/2026-03-30-00000.jsonl"])
    assert (reprocessed.files, reprocessed.bronze_rows) == (1, {"email_events": 2})
    assert _file_rows(lake, BRONZE, "email_events", path) == [("ev1",), ("ev4",)]
    with pytest.raises(JobError, match=r"--reprocess crm/nope\.jsonl: not a file of the landing zone"):
        ingest.run(spark, config, AS_OF, ["crm/nope.jsonl"])


def test_a_ledger_written_before_content_hashes_is_migrated_and_its_files_stay_done(spark, lake_config, caplog):
    config = lake_config("quality.enabled=false")
    lake = Lake(spark, config)
    landed = _land_events(config, _event("ev1"))
    old_schema = T.StructType([f for f in LEDGER_SCHEMA.fields if f.name != "content_sha256"])
    lake.ensure_table(OPS, LEDGER_TABLE, old_schema)
    # What a listing of the file system says: milliseconds.
    modified_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=landed.stat().st_mtime_ns // 1_000_000)
    old_row = ("email_events", f"file:{landed}", landed.stat().st_size, modified_at, 1, 0, 1, 0, modified_at, "old")
    lake.append(spark.createDataFrame([old_row], old_schema), OPS, LEDGER_TABLE)

    with caplog.at_level(logging.WARNING, logger="rapport.lake"):
        result = ingest.run(spark, config, AS_OF)

    assert result.files == 0  # same size and time: done, as the old ledger says
    assert sorted(lake.read(OPS, LEDGER_TABLE).columns) == sorted(LEDGER_SCHEMA.fieldNames())
    assert [r["content_sha256"] for r in lake.read(OPS, LEDGER_TABLE).collect()] == [None]
    assert f"migrated {lake.name(OPS, LEDGER_TABLE)}: added `content_sha256` string" in caplog.text


def test_an_empty_or_mistyped_landing_zone_is_reported_and_nothing_is_written(spark, lake_config):
    config = lake_config()
    (Path(config.paths.landing) / "crm" / "users").mkdir(parents=True)  # folders, but no file

    with pytest.raises(JobError, match=rf"landing zone {config.paths.landing} has no files in any source folder"):
        ingest.run(spark, config, AS_OF)
    assert not Path(config.paths.lake).exists()

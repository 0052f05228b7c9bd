"""Schema drift end to end (issue 13): the small lake's landing zone landed again with unknown fields
in every record gives the same bronze but for raw_record and the same silver, hence the same gold (gold
is made of silver alone; the daily job is not run again here, to keep the test short); renamed fields
and changed types are quarantined with their reason and field, every file reconciling; and a CRM field
outside the contract named in `crm.extra_fields` becomes a silver column when configured."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import conform, ingest
from jobs.lake import BRONZE, OPS, QUARANTINE, SILVER, Lake
from schemas.bronze import LEDGER_TABLE, QUARANTINE_TABLE
from schemas.extra_fields import extra_field_comment
from schemas.landing import SOURCES
from schemas.silver import SILVER_TABLES
from tests.integration.conftest import AS_OF
from transforms.versions import filter_latest_version

pytestmark = pytest.mark.integration

# What a source system started sending: a new top-level field everywhere, and new nested ones.
EVERYWHERE = {"x_priority": "high"}
NESTED = {
    "meetings": ({"x_location": {"room": "4B", "floor": 4, "tags": ["video"]}}, {"attendees": {"x_note": "by phone"}}),
    "transcripts": ({"x_asr_model": "v2"}, {"fragments": {"x_confidence": 0.93}, "participants": {"x_title": "VP"}}),
}
# CRM fields outside the contract, on some records only: text, a number, an object; absent elsewhere.
REGIONS = ("EMEA", "APAC", None)
SEGMENTS = ("enterprise", 3, {"tier": 1}, None)

# Records whose fields were renamed or changed type: (folder, record, reason, field).
GOOD_EMAIL = {"email_id": "drift-e", "from": "a@rapport.example", "to": ["b@customer.example"]}
DRIFTED = [
    ("activities/emails", {**GOOD_EMAIL, "sentAt": "2026-03-30T10:00:00Z"}, "missing_required_field", "sent_at"),
    (
        "activities/emails",
        {**GOOD_EMAIL, "to": "b@customer.example", "sent_at": "2026-03-30T10:00:00Z"},
        "wrong_type",
        "to",
    ),
    (
        "activities/calls",
        {
            "call_id": "drift-c",
            "from": "a@rapport.example",
            "to": ["b@customer.example"],
            "started_at": "2026-03-30T10:00:00Z",
            "duration_seconds": "300",
        },
        "wrong_type",
        "duration_seconds",
    ),
    (
        "activities/meetings",
        {
            "meeting_id": "drift-m",
            "organizer": "a@rapport.example",
            "startAt": "2026-03-30T10:00:00Z",
            "end_at": "2026-03-30T11:00:00Z",
        },
        "missing_required_field",
        "start_at",
    ),
    (
        "conversations/transcripts",
        {
            "call_id": "drift-c",
            "participants": [{"participant_id": "p1", "role": "seller"}],
            "fragments": [{"participant_id": "p1", "offset_ms": 0, "duration_ms": 900, "text": 42}],
        },
        "wrong_type",
        "fragments[0].text",
    ),
    (
        "crm/opportunities",
        {"opportunity_id": "drift-o", "account_id": "a", "owner_id": "u", "state": "open"},
        "missing_required_field",
        "status",
    ),
]


def _with_extras(folder: str, record: dict, line: int) -> dict:
    record = {**record, **EVERYWHERE}
    top, nested = NESTED.get(folder.split("/")[-1], ({}, {}))
    record.update(top)
    for field, extra in nested.items():
        record[field] = [{**item, **extra} for item in record.get(field) or []]
    if folder == "crm/opportunities" and REGIONS[line % len(REGIONS)] is not None:
        record["region"] = REGIONS[line % len(REGIONS)]
    if folder == "crm/accounts" and SEGMENTS[line % len(SEGMENTS)] is not None:
        record["segment"] = SEGMENTS[line % len(SEGMENTS)]
    return record


def add_unknown_fields(landing: Path) -> None:
    """Every JSON Lines record of every source gets the new fields, line for line; every .eml an
    unknown header."""
    for source in SOURCES:
        for path in sorted((landing / source.folder).glob("*")):
            name = path.name
            if name.endswith((".jsonl", ".jsonl.gz")):
                zipped = name.endswith(".gz")
                text = (gzip.decompress(path.read_bytes()) if zipped else path.read_bytes()).decode()
                lines = [
                    json.dumps(_with_extras(source.folder, json.loads(line), n)) if line.strip() else line
                    for n, line in enumerate(text.split("\n"))
                ]
                data = "\n".join(lines).encode()
                path.write_bytes(gzip.compress(data, mtime=0) if zipped else data)
            elif name.endswith(".eml") and b"\nmessage-id:" in b"\n" + path.read_bytes().lower():
                # (one without a Message-ID is named by its content's hash: a header would rename it)
                path.write_bytes(b"X-Priority: 1 (Highest)\n" + path.read_bytes())


def land_drifted(landing: Path) -> None:
    for n, (folder, record, *_) in enumerate(DRIFTED):
        with open(landing / folder / "zz-drift.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record | {"x_line": n}) + "\n")


def without_root(df, root: Path):
    """Paths of the landing zone made relative to it, so two landing zones' rows compare."""
    if "source_file" not in df.columns:
        return df
    return df.withColumn("source_file", F.replace("source_file", F.lit(f"file:{root}/landing/"), F.lit("")))


def rows(lake: Lake, layer: str, table: str, root: Path, drop=()) -> list:
    df = without_root(lake.read(layer, table), root)
    return sorted(df.drop(*[c for c in drop if c in df.columns]).collect(), key=repr)


@pytest.fixture(scope="module")
def drifted(spark, small_lake, tmp_path_factory):
    config, lake, root = small_lake
    work = tmp_path_factory.mktemp("drift")
    shutil.copytree(root / "landing", work / "landing")
    add_unknown_fields(work / "landing")
    land_drifted(work / "landing")
    drift = config.with_overrides(
        [f"paths.landing={work / 'landing'}", f"paths.lake={work / 'lake'}", "catalog.schema_prefix=drift_"]
    )
    drift_lake = Lake(spark, drift)
    ingest.run(spark, drift, AS_OF)
    conform.run(spark, drift)
    silver = {t: rows(drift_lake, SILVER, t, work, ("ingest_run_id",)) for t in SILVER_TABLES}
    return config, lake, root, drift, drift_lake, work, silver


def test_unknown_fields_change_nothing_downstream(drifted):
    _, lake, root, _, drift_lake, work, silver = drifted
    landing = ("raw_record", "file_modified_at", "ingested_at", "ingest_run_id")
    for source in SOURCES:
        assert rows(drift_lake, BRONZE, source.name, work, landing) == rows(lake, BRONZE, source.name, root, landing)
    for table in SILVER_TABLES:
        assert silver[table] == rows(lake, SILVER, table, root, ("ingest_run_id",)), table
    assert all(silver[t] for t in ("activities", "opportunities", "call_turns"))


def test_bronze_keeps_the_unknown_fields_in_raw_record(drifted):
    *_, drift_lake, _, _ = drifted
    meeting = json.loads(drift_lake.read(BRONZE, "meetings").filter("source_format = 'jsonl'").first()["raw_record"])
    assert meeting["x_priority"] == "high" and meeting["x_location"]["room"] == "4B"
    assert all(a["x_note"] == "by phone" for a in meeting["attendees"])
    fragment = json.loads(drift_lake.read(BRONZE, "transcripts").first()["raw_record"])["fragments"][0]
    assert fragment["x_confidence"] == 0.93
    mail = drift_lake.read(BRONZE, "emails").filter("source_format = 'eml'").first()["raw_record"]
    assert mail.startswith("X-Priority: 1")


def test_renamed_fields_and_changed_types_are_quarantined_with_reason_and_field_and_files_reconcile(drifted):
    *_, drift_lake, _, _ = drifted
    quarantined = drift_lake.read(QUARANTINE, QUARANTINE_TABLE).filter(F.col("source_file").endswith("/zz-drift.jsonl"))
    found = {(json.loads(r["raw_record"])["x_line"], r["reason"], r["field"]) for r in quarantined.collect()}
    assert found == {(n, reason, field) for n, (_, _, reason, field) in enumerate(DRIFTED)}
    ledger = drift_lake.read(OPS, LEDGER_TABLE).collect()
    assert all(r["rows_bronze"] + r["rows_quarantined"] == r["records_read"] for r in ledger)
    drift_files = [r for r in ledger if r["source_file"].endswith("/zz-drift.jsonl")]
    assert sorted(r["rows_quarantined"] for r in drift_files) == [1, 1, 1, 1, 2]
    assert all(r["rows_bronze"] == 0 for r in drift_files)


def test_a_configured_crm_field_becomes_a_silver_column_and_adding_it_later_migrates_the_table(spark, drifted):
    *_, drift, drift_lake, work, silver = drifted
    assert "region" not in drift_lake.read(SILVER, "opportunities").columns  # not configured: ignored
    versions = {t: drift_lake.version(SILVER, t) for t in SILVER_TABLES}
    configured = drift.with_overrides(["crm.extra_fields={opportunities: [region], accounts: [segment]}"])

    made = conform.run(spark, configured)  # bronze unchanged: only the two tables are made again

    assert sorted(made.rows) == ["accounts", "opportunities"]
    moved = {t for t in SILVER_TABLES if drift_lake.version(SILVER, t) != versions[t]}
    assert moved == {"accounts", "opportunities"}
    latest = filter_latest_version(drift_lake.read(BRONZE, "crm_opportunities"), "opportunity_id")
    bronze = {r["opportunity_id"]: json.loads(r["raw_record"]).get("region") for r in latest.collect()}
    regions = {r["opportunity_id"]: r["region"] for r in drift_lake.read(SILVER, "opportunities").collect()}
    assert set(regions.values()) == {"EMEA", "APAC", None}
    assert all(regions[o] == bronze[o] for o in regions)  # the latest version's, and null when it has none
    segments = {r["segment"] for r in drift_lake.read(SILVER, "accounts").collect()}
    assert segments == {"enterprise", "3", '{"tier":1}', None}
    schema = spark.table(drift_lake.name(SILVER, "opportunities")).schema
    assert schema["region"].metadata["comment"] == extra_field_comment("opportunities", "region")
    # The contract's columns are as they were.
    before = [tuple(r) for r in silver["opportunities"]]
    after = rows(drift_lake, SILVER, "opportunities", work, ("ingest_run_id", "region"))
    assert [tuple(r) for r in after] == before
    assert conform.run(spark, configured).skipped

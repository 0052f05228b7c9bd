"""Erasure end to end on the generated sample: a copy of the shared lake after ingest, conform, the
daily KPIs and conversation intelligence; two people (an outside address known only by its
pseudonymous key, and a CRM contact) erased with --purge-now; then no table and no file of the lake
holds them, the rest is all there, the log names neither, and the next runs do not bring them back."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
from contextlib import contextmanager

import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs import conform, conversation_insights, daily_kpis, erase, ingest
from jobs.conform import pseudonym_salt
from jobs.lake import BRONZE, GOLD, OPS, SILVER, USER_TABLES, Lake
from schemas.gold import CONVERSATION_TABLES, DAILY_TABLES
from schemas.ops import ERASURES_TABLE
from schemas.silver import SILVER_SCHEMAS
from tests.builders import frame
from tests.conftest import TEST_SPARK_CONF
from tests.integration.conftest import AS_OF
from transforms.erasure import erasure_hash, pseudonym, reference

pytestmark = pytest.mark.integration
STATS_PREFIX = 32  # characters of a string Delta keeps as its statistics
# Where the people are before the erasure (the scan of every table comes after it).
SCANNED_BEFORE = [(BRONZE, "emails"), (BRONZE, "crm_contacts"), (SILVER, "contacts"), (SILVER, "activity_participants")]

ACTIVITY_SOURCES = {"emails": ("email", "email_id"), "meetings": ("meeting", "meeting_id")}
ACTIVITY_SOURCES |= {"calls": ("call", "call_id"), "tasks": ("task", "task_id"), "transcripts": ("call", "call_id")}


@contextmanager
def captured_log():
    """The messages the jobs log under `rapport`, as the job's own log would show them."""
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            messages.append(self.format(record))

    handler, logger = Keep(logging.INFO), logging.getLogger("rapport")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def mentions(text: str, address: str) -> bool:
    """`address` in `text` as an address of its own (not inside joann@... or ...org.uk), any case."""
    pattern = r"(?<![\w.%+'\-])" + re.escape(address) + r"(?![\w\-]|\.[\w\-])"
    return re.search(pattern, text.lower()) is not None


def tables_holding(lake: Lake, needles: list[str], tables=USER_TABLES) -> dict[str, int]:
    """Rows per table (of USER_TABLES by default) holding any needle in any column, as JSON text in
    any case: one Spark job."""
    frames = []
    for layer, table in tables:
        if lake.exists(layer, table):
            df = lake.read(layer, table)
            text = F.lower(F.to_json(F.struct(*[F.col(f"`{c}`") for c in df.columns])))
            frames.append(df.select(F.lit(f"{layer}.{table}").alias("table"), text.alias("text")))
    rows = functools.reduce(DataFrame.unionByName, frames)
    hits = rows.filter(F.exists(F.array(*[F.lit(n) for n in needles]), lambda n: F.col("text").contains(n)))
    return {r["table"]: r["count"] for r in hits.groupBy("table").count().collect()}


def files_holding(root: str, needles: list[str]) -> list[str]:
    """Every file under `root` holding a needle: parquet files decoded (every value, nested ones
    included), any other file as bytes, any case."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            texts = [open(path, "rb").read().lower()]  # noqa: SIM115 - read whole, closed by the GC
            if name.endswith(".parquet"):
                texts.append(str(pq.read_table(path).to_pylist()).lower().encode())
            if any(n.encode() in t for n in needles for t in texts):
                found.append(os.path.relpath(path, root))
    return sorted(found)


def pick_people(lake: Lake, salt: str) -> tuple[str, str]:
    """An outside address no CRM record has, in several activities, and a tracked contact's address
    in several activities: neither inside another address (so that plain text search is fair), and
    preferably ones whose statistics the Delta log keeps (Delta keeps the smallest and largest value of
    a column per file, the first 32 characters), so that the log's purge is put to the test."""
    per_address = (
        lake.read(SILVER, "activity_participants")
        .groupBy("address")
        .agg(
            F.countDistinct("activity_key").alias("n"),
            F.max("contact_id").alias("contact_id"),
            F.max("person_key").alias("person_key"),
            F.max(F.col("is_internal").cast("int")).alias("internal"),
        )
        .collect()
    )
    crm = [lake.read(SILVER, t).select(F.col("email").alias("address")) for t in ("users", "contacts", "leads")]
    every = {r["address"] for r in functools.reduce(DataFrame.unionByName, crm).collect()} | {
        r["address"] for r in per_address
    }
    tracked = {r[0] for r in lake.read(SILVER, "contacts").filter("NOT coalesce(do_not_track, false)").collect()}
    logs = " ".join(
        open(os.path.join(folder, name), "rb").read().decode("utf-8", "replace").lower()  # noqa: SIM115
        for folder, _, names in os.walk(lake.root)
        if folder.endswith("_delta_log")
        for name in names
    )

    def fair(row, low: int, high: int) -> bool:
        address = row["address"]
        alone = not any(address in o or o.startswith(address[:STATS_PREFIX]) for o in every if o and o != address)
        return alone and low <= row["n"] <= high

    def in_log(row) -> bool:
        return any(n[:STATS_PREFIX] in logs for n in (row["address"], pseudonym(row["address"], salt)))

    outsiders = [r for r in per_address if r["person_key"] and not r["internal"] and fair(r, 3, 6)]
    contacts = [r for r in per_address if r["contact_id"] in tracked and fair(r, 2, 10)]
    picked = [
        min(rows, key=lambda r: (not in_log(r), r["n"], r["address"]))["address"] for rows in (outsiders, contacts)
    ]
    return picked[0], picked[1]


def needles_of(people: list[str], salt: str) -> list[str]:
    """The people's addresses and pseudonymous keys, and what Delta's statistics keep of them."""
    full = [*people, *(pseudonym(p, salt) for p in people)]
    return sorted({*full, *(n[:STATS_PREFIX] for n in full)})


def activities_of(lake: Lake, addresses: list[str]) -> set[str]:
    """The activity keys erasure must remove, found apart from it: every activity a bronze version
    of which (or of its transcript) mentions an address, and every one it takes part in in silver."""
    raw = functools.reduce(
        DataFrame.unionByName,
        [
            lake.read(BRONZE, source).select(F.concat(F.lit(f"{kind}:"), key).alias("key"), "raw_record")
            for source, (kind, key) in ACTIVITY_SOURCES.items()
        ],
    )
    keys = {r["key"] for r in raw.collect() if any(mentions(r["raw_record"], a) for a in addresses)}
    participants = lake.read(SILVER, "activity_participants").filter(F.col("address").isin(addresses))
    return keys | {r["activity_key"] for r in participants.select("activity_key").collect()}


@pytest.fixture(scope="module")
def erased(spark, landed, tmp_path_factory):
    """The shared lake with the day's gold, copied, and two people erased from the copy with --purge-now."""
    _, config, lake, *_, root = landed
    conform.run(spark, config)  # nothing to do when an earlier module conformed it
    if not all(lake.exists(GOLD, t) for t in DAILY_TABLES):
        daily_kpis.run(spark, config, [AS_OF])
    if not all(lake.exists(GOLD, t) for t in CONVERSATION_TABLES):
        conversation_insights.run(spark, config, AS_OF)
    copy_root = tmp_path_factory.mktemp("erase")
    shutil.copytree(root / "lake", copy_root / "lake")
    copy = config.with_overrides([f"paths.lake={copy_root / 'lake'}", "catalog.schema_prefix=er_"])
    copied = Lake(spark, copy)
    salt = pseudonym_salt(copy)
    people = list(pick_people(copied, salt))
    needles = needles_of(people, salt)
    before = {
        "tables": tables_holding(copied, needles, SCANNED_BEFORE),
        "files": files_holding(str(copy_root / "lake"), needles),
        "activities": copied.read(SILVER, "activities").count(),
        "contacts": copied.read(SILVER, "contacts").count(),
        "erased": activities_of(copied, people),
        "contact_id": copied.read(SILVER, "contacts").filter(F.col("email") == people[1]).first()["contact_id"],
    }
    with captured_log() as messages:
        result = erase.run(spark, copy, people, purge_now=True)
    return copy, copied, people, needles, before, result, "\n".join(messages)


def test_the_scans_find_the_people_before_the_erasure(erased):
    *_, before, _, _ = erased

    assert sorted(before["tables"]) == sorted(f"{layer}.{table}" for layer, table in SCANNED_BEFORE)
    assert any(f.startswith("silver/activities/") and f.endswith(".parquet") for f in before["files"])
    assert any("/_delta_log/" in f for f in before["files"])  # the log's statistics hold addresses too
    assert len(before["erased"]) >= 4


def test_no_table_holds_the_people_and_everyone_else_is_still_there(erased):
    _, lake, people, needles, before, result, _ = erased

    assert tables_holding(lake, needles) == {}
    assert lake.read(SILVER, "activities").count() == before["activities"] - len(before["erased"])
    assert lake.read(SILVER, "contacts").count() == before["contacts"] - 1
    assert result.rows[lake.name(SILVER, "activities")] == len(before["erased"])
    kpis = lake.read(GOLD, "relationship_kpis")
    assert kpis.filter(F.col("record_id") == before["contact_id"]).count() == 0
    assert kpis.filter(F.col("as_of_date") == AS_OF).count() > 0
    register = lake.read(OPS, ERASURES_TABLE).collect()
    salt = pseudonym_salt(erased[0])
    assert sorted(r["address_hash"] for r in register) == sorted(erasure_hash(p, salt) for p in people)
    assert all(r["purged_at"] is not None and r["rows_erased"] == sum(result.rows.values()) for r in register)


def test_no_file_under_the_lake_holds_the_people_and_every_table_still_reads(spark, erased):
    copy, lake, _, needles, *_ = erased

    assert files_holding(copy.paths.lake, needles) == []
    for layer, table in USER_TABLES:
        if lake.exists(layer, table):
            lake.read(layer, table).count()
    history = spark.sql(f"DESCRIBE HISTORY delta.`{lake.path(SILVER, 'activities')}`").collect()
    assert [r["operation"] for r in history] == ["MERGE"]  # the erasure's commit; the log before it is gone


def test_the_log_counts_the_rows_and_names_no_one(erased):
    _, lake, people, needles, before, result, log = erased

    assert not any(n in log.lower() for n in needles)
    assert f"{lake.name(SILVER, 'activities')}: {len(before['erased'])} rows erased" in log
    assert f"{lake.name(BRONZE, 'emails')}: {result.rows[lake.name(BRONZE, 'emails')]} rows erased" in log
    assert result.references == sorted(reference(erasure_hash(p, pseudonym_salt(erased[0]))) for p in people)
    assert all(ref in log for ref in result.references)
    assert "purged the old versions of" in log


def test_the_next_runs_do_not_bring_them_back(spark, erased):
    copy, lake, _, needles, before, *_ = erased

    assert ingest.run(spark, copy, AS_OF).files == 0  # the ledger: the landed files are not read again
    assert conform.run(spark, copy).skipped  # silver was changed like bronze: nothing to redo
    daily_kpis.run(spark, copy, [AS_OF])

    assert files_holding(copy.paths.lake, needles) == []  # the rows of every table, and all else
    assert lake.read(SILVER, "activities").count() == before["activities"] - len(before["erased"])


def test_an_erased_person_in_a_file_landed_later_is_erased_again_by_ingest(spark, erased, tmp_path):
    copy, lake, people, _, _, result, _ = erased
    salt = pseudonym_salt(copy)
    assert erase.registered_addresses(lake, salt) == []
    # A file landed later (a mailbox exported again) with two emails: one copied to the outsider
    # erased before, one that names nobody erased.
    sample = lake.read(BRONZE, "emails").filter("source_format = 'jsonl'").orderBy("email_id").first()
    record = {k: v for k, v in json.loads(sample["raw_record"]).items() if k not in ("cc", "bcc")}
    naming = record | {"email_id": "names-them-again@rapport.example", "cc": [people[0].upper()]}
    other = record | {"email_id": "names-nobody-erased@rapport.example"}
    landing = tmp_path / "landing" / "activities" / "emails"
    landing.mkdir(parents=True)
    (landing / "2026-04-02-export-00000.jsonl").write_text(json.dumps(naming) + "\n" + json.dumps(other) + "\n")
    later = copy.with_overrides([f"paths.landing={tmp_path / 'landing'}"])

    with captured_log() as messages:
        landed = ingest.run(spark, later, AS_OF)

    assert (landed.files, landed.bronze_rows["emails"]) == (1, 2)
    emails = {r["email_id"] for r in lake.read(BRONZE, "emails").collect()}
    assert "names-nobody-erased@rapport.example" in emails and "names-them-again@rapport.example" not in emails
    assert tables_holding(lake, needles_of([people[0]], salt)) == {}
    registered = lake.read(OPS, ERASURES_TABLE).filter(F.col("trigger") == "reapply").collect()
    assert [r["address_hash"] for r in registered] == [erasure_hash(people[0], salt)]
    log = "\n".join(messages)
    reference_ = reference(erasure_hash(people[0], salt))
    assert f"1 erased addresses ({reference_}) are in the files this ingest read: erasing them again" in log
    assert people[0] not in log.lower() and reference_ in result.references
    assert erase.registered_addresses(lake, salt) == []


def test_without_purge_now_the_old_versions_stay_until_a_run_after_the_retention(spark, lake_config):
    config = lake_config("privacy.erasure_retention_hours=0")
    lake, salt = Lake(spark, config), pseudonym_salt(config)
    lake.ensure_table(SILVER, "contacts", SILVER_SCHEMAS["contacts"])
    people = [{"contact_id": "con-1", "email": "zoe.quist@example.org"}, {"contact_id": "con-2", "email": "al@x.org"}]
    lake.append(frame(spark, SILVER_SCHEMAS["contacts"], people), SILVER, "contacts")
    needles = needles_of(["zoe.quist@example.org"], salt)

    with captured_log() as messages:
        first = erase.run(spark, config, ["zoe.quist@example.org"])
    left = files_holding(config.paths.lake, needles)
    with captured_log() as later:
        second = erase.run(spark, config, [])

    assert first.rows == {lake.name(SILVER, "contacts"): 1} and first.purged == []
    assert [r["contact_id"] for r in lake.read(SILVER, "contacts").collect()] == ["con-2"]
    assert any(f.startswith("silver/contacts/part-") for f in left) and any("_delta_log" in f for f in left)
    assert f"until {first.purge_after.isoformat()}" in "\n".join(messages)
    assert second.purged == [lake.name(SILVER, "contacts")]
    assert files_holding(config.paths.lake, needles) == []
    assert [r["purged_at"] is not None for r in lake.read(OPS, ERASURES_TABLE).collect()] == [True]
    assert "purged the old versions of 1 tables" in "\n".join(later)


def test_a_missing_file_or_a_bad_address_stops_the_command_in_one_line(capsys, tmp_path):
    settings = [a for s in (*TEST_SPARK_CONF, f"paths.lake={tmp_path / 'lake'}") for a in ("--set", s)]

    assert erase.main([*settings, "--file", str(tmp_path / "missing.txt")]) == 1
    assert erase.main([*settings, "--email", "someone@example"]) == 1

    errors = capsys.readouterr().err.strip().splitlines()
    assert [line.split(" erase failed: ")[1] for line in errors] == [
        f"--file {tmp_path / 'missing.txt'}: no such file; nothing was erased",
        "--email number 1 is not an email address; nothing was erased",
    ]
    assert not (tmp_path / "lake").exists()

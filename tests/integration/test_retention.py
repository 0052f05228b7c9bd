"""Retention of raw text end to end, on a copy of the small lake taken to gold: subjects and
transcript text of old activities leave bronze and silver, gold stays exactly as it was (also when
the day's jobs run again after it, on silver without the text), and a second run changes
nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import conform, conversation_insights, daily_kpis, retention
from jobs.lake import BRONZE, GOLD, OPS, QUARANTINE, SILVER, USER_TABLES, Lake
from schemas.gold import GOLD_TABLES
from schemas.landing import SOURCES_BY_NAME
from schemas.silver import SILVER_TABLES
from tests.integration.conftest import AS_OF, copy_lake
from transforms.raw_records import Limits, validate_line
from transforms.retention import REMOVED_PREFIX, cutoff

pytestmark = pytest.mark.integration
DAYS = 60
BEFORE = cutoff(AS_OF, DAYS)


def rows(lake: Lake, layer: str, table: str, drop: tuple[str, ...] = ()) -> list:
    df = lake.read(layer, table)
    return sorted(df.drop(*[c for c in drop if c in df.columns]).collect(), key=repr)


def plain(value):
    """A typed record's value as Spark gives it back: naive UTC times, nested records as dicts."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value.astimezone(UTC).replace(tzinfo=None) if isinstance(value, datetime) else value


def gold_rows(lake: Lake) -> dict[str, list]:
    """Every row of every gold table the lake has (the small lake has no weekly ones)."""
    return {t: rows(lake, GOLD, t, ("computed_at",)) for t in GOLD_TABLES if lake.exists(GOLD, t)}


def silver_rows(lake: Lake) -> dict[str, list]:
    return {t: rows(lake, SILVER, t) for t in SILVER_TABLES}


def versions(lake: Lake) -> dict[str, int]:
    """The latest Delta version of every table of the (local) lake, from the names in its log."""
    logs = {f"{layer}.{t}": Path(lake.path(layer, t)) / "_delta_log" for layer, t in USER_TABLES}
    return {k: max(int(f.stem) for f in log.glob("*.json")) for k, log in logs.items() if log.is_dir()}


@pytest.fixture(scope="module")
def retained(spark, small_lake, tmp_path_factory):
    config, _, root = small_lake
    copy = copy_lake(config, root, tmp_path_factory.mktemp("retention"), "ret_", f"retention.raw_text_days={DAYS}")
    lake = Lake(spark, copy)
    gold, silver_before, bronze_before = gold_rows(lake), silver_rows(lake), versions(lake)
    first = retention.run(spark, copy, AS_OF)
    after_first = versions(lake)
    second = retention.run(spark, copy, AS_OF)
    after_second = versions(lake)
    silver_retained = silver_rows(lake)
    incremental = conform.run(spark, copy)
    silver_conformed = silver_rows(lake)
    daily_kpis.run(spark, copy, [AS_OF])
    conversation_insights.run(spark, copy, AS_OF)
    return {
        "lake": lake,
        "gold": gold,
        "silver_before": silver_before,
        "before": bronze_before,
        "first": first,
        "after_first": after_first,
        "second": second,
        "after_second": after_second,
        "silver_retained": silver_retained,
        "incremental": incremental,
        "silver_conformed": silver_conformed,
    }


def test_old_subjects_and_transcript_text_leave_bronze_and_silver_and_recent_ones_stay(retained):
    lake, first = retained["lake"], retained["first"]
    changed = {table: n for table, n in first.rows.items() if n}
    for layer, table in (
        (BRONZE, "emails"),
        (BRONZE, "meetings"),
        (BRONZE, "transcripts"),
        (SILVER, "activities"),
        (SILVER, "call_turns"),
        (SILVER, "call_fragments"),
    ):
        assert changed.get(lake.name(layer, table), 0) > 0, (table, first.rows)

    activities = lake.read(SILVER, "activities").filter(F.col("activity_type").isin("email", "meeting"))
    old, recent = activities.filter(F.col("activity_at") < BEFORE), activities.filter(F.col("activity_at") >= BEFORE)
    assert old.count() > 0 and old.filter(F.col("subject").isNotNull()).count() == 0
    assert recent.filter(F.col("subject").isNotNull()).count() == recent.count() > 0

    calls = lake.read(SILVER, "activities").filter(F.col("activity_type") == "call")
    old_calls = calls.filter(F.col("activity_at") < BEFORE).select(F.col("activity_id").alias("call_id"))
    turns = lake.read(SILVER, "call_turns")
    old_turns = turns.join(old_calls, on="call_id", how="left_semi")
    assert old_turns.count() > 0
    assert old_turns.filter(F.col("text").isNotNull() | F.col("words").isNotNull()).count() == 0
    assert turns.join(old_calls, on="call_id", how="left_anti").filter(F.col("text").isNull()).count() == 0
    fragments = lake.read(SILVER, "call_fragments").join(old_calls, on="call_id", how="left_semi")
    assert fragments.count() > 0 and fragments.filter(F.col("text").isNotNull()).count() == 0


def test_bronze_raw_records_keep_their_contract_fields_as_json_without_the_text(retained):
    lake = retained["lake"]
    limits = Limits.for_as_of(AS_OF, 2**20, 2)
    for source, at in (("emails", "sent_at"), ("meetings", "start_at")):
        bronze = lake.read(BRONZE, source)
        old = bronze.filter(F.col(at) < BEFORE).collect()
        assert old and all(r["subject"] is None and r["raw_record"].startswith(REMOVED_PREFIX) for r in old)
        assert {r["source_format"] for r in old} >= ({"jsonl", "eml", "mbox"} if source == "emails" else {"jsonl"})
        for row in old:
            record = json.loads(row["raw_record"])
            assert record["_text_removed"] is True and "subject" not in record
            # What is left is still a record of the contract, with the same values as the typed columns.
            typed = validate_line(SOURCES_BY_NAME[source], row["raw_record"].encode(), limits)
            assert plain(typed) == {name: plain(row.asDict(True)[name]) for name in typed}, row["source_file"]
        recent = bronze.filter(F.col(at) >= BEFORE).collect()
        assert recent and not any(r["raw_record"].startswith(REMOVED_PREFIX) for r in recent)

    removed = [r for r in lake.read(BRONZE, "transcripts").collect() if r["raw_record"].startswith(REMOVED_PREFIX)]
    assert removed
    for row in removed:
        assert all(f["text"] is None for f in row["fragments"])
        assert all("text" not in f for f in json.loads(row["raw_record"])["fragments"])


def test_a_second_run_finds_nothing_and_commits_nothing(retained):
    assert not any(retained["second"].rows.values()), retained["second"].rows
    assert retained["after_second"] == retained["after_first"]


def test_gold_is_not_touched_and_the_days_jobs_run_again_give_the_same_gold(retained):
    lake, before, after = retained["lake"], retained["before"], retained["after_first"]
    gold_tables = [k for k in before if k.startswith(f"{GOLD}.")]
    assert gold_tables and {k: after[k] for k in gold_tables} == {k: before[k] for k in gold_tables}
    # Re-run for the same day after retention, on silver without the text: every gold table is the same.
    assert gold_rows(lake) == retained["gold"]
    # ... and that means something: old calls lost their text, yet keep the sentiment and language
    # the text gave them, from their earlier gold row.
    insights = lake.read(GOLD, "call_insights").filter(F.col("as_of_date") == AS_OF)
    old = insights.filter(F.col("started_at") < BEFORE)
    assert old.filter(F.col("language").isNotNull() & F.col("sentiment_label").isNotNull()).count() > 0
    old_ids = old.select("call_id")
    assert lake.read(GOLD, "call_mentions").join(old_ids, on="call_id", how="left_semi").count() > 0


def test_conform_after_retention_has_nothing_to_redo(retained):
    # (A full refresh would make silver from bronze's typed columns, which hold no text either:
    # test_bronze_raw_records_keep_their_contract_fields_as_json_without_the_text.)
    lake = retained["lake"]
    assert retained["incremental"].skipped  # silver was changed alike: the conform state moved past retention
    assert retained["silver_conformed"] == retained["silver_retained"]
    changed = {
        t for t in SILVER_TABLES if retained["silver_retained"][t] != retained["silver_before"][t]
    }  # only the text columns' tables
    assert changed == {"activities", "call_turns", "call_fragments"}
    state = {r["bronze_table"]: r["bronze_version"] for r in lake.read(OPS, "conform_state").collect()}
    assert all(state[s] == retained["after_first"][f"{BRONZE}.{s}"] for s in ("emails", "meetings", "transcripts"))


def test_retention_unset_or_on_a_lake_without_tables_writes_nothing(spark, lake_config):
    config = lake_config()
    assert retention.run(spark, config, AS_OF).rows == {}  # retention.raw_text_days unset: kept forever
    fresh = retention.run(spark, config.with_overrides(["retention.raw_text_days=0"]), AS_OF)
    assert fresh.rows == {}
    assert not Lake(spark, config).exists(QUARANTINE, "records")

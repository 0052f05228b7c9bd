"""Conform end to end on the ingested sample: bronze -> silver with real Spark and Delta."""

from __future__ import annotations

import json
import shutil

import pytest
from pyspark.sql import functions as F

from jobs import conform, daily_kpis, ingest
from jobs.conform import DAYS_TABLE, RESPONSE_WINDOW_PROPERTY
from jobs.lake import BRONZE, OPS, SILVER, Lake
from jobs.runtime import JobError
from samples.landing import generate
from schemas.ops import CONFORM_STATE_TABLE
from schemas.silver import SILVER_TABLES
from tests.integration.conftest import AS_OF
from transforms.people import DECAY_DAYS_PROPERTY
from transforms.record_activity_days import DECAY_TAU_PROPERTY

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conformed(spark, landed):
    _, config, lake, *_ = landed
    first = conform.run(spark, config)
    second = conform.run(spark, config)
    return lake, first, second


def test_every_activity_appears_once_whatever_its_redeliveries(conformed):
    lake, first, _ = conformed

    expected = sum(
        lake.read(BRONZE, source).select(key).distinct().count()
        for source, key in (
            ("emails", "email_id"),
            ("meetings", "meeting_id"),
            ("calls", "call_id"),
            ("tasks", "task_id"),
        )
    )
    assert first.rows["activities"] == lake.read(SILVER, "activities").count() == expected
    # The generator re-delivers some activity ids, so bronze holds more rows than silver.
    assert sum(lake.read(BRONZE, s).count() for s in ("emails", "meetings", "calls", "tasks")) > expected


def test_crm_tables_keep_one_row_per_id(conformed):
    lake, first, _ = conformed

    for table, key in (("users", "user_id"), ("contacts", "contact_id"), ("opportunities", "opportunity_id")):
        df = lake.read(SILVER, table)
        assert df.count() == df.select(key).distinct().count() == first.rows[table], table


def test_do_not_track_contacts_are_linked_to_nothing(conformed):
    lake, *_ = conformed

    untracked = lake.read(SILVER, "contacts").filter("do_not_track").select(F.col("contact_id").alias("record_id"))
    assert untracked.count() > 0  # the sample has some, so the check below means something
    links = lake.read(SILVER, "record_links").filter(F.col("record_type") == "contact")
    assert links.join(untracked, on="record_id", how="inner").count() == 0


def test_people_who_are_neither_user_contact_nor_lead_carry_a_pseudonymous_key_only(conformed):
    lake, *_ = conformed

    participants = lake.read(SILVER, "activity_participants")
    unknown = participants.filter("user_id IS NULL AND contact_id IS NULL AND lead_id IS NULL")
    assert unknown.count() > 0
    assert unknown.filter(F.col("person_key").isNull()).count() == 0
    assert participants.filter("user_id IS NOT NULL AND person_key IS NOT NULL").count() == 0


def test_a_second_conform_on_unchanged_bronze_does_nothing(conformed):
    _, first, second = conformed

    assert (first.skipped, second.skipped) == (False, True)
    assert second.rows == {}


def silver_rows(lake) -> dict[str, list]:
    return {table: sorted(lake.read(SILVER, table).collect(), key=repr) for table in SILVER_TABLES}


def land_activities(landing, batch_name: str, seed: int, scratch) -> None:
    """A further landing of activities and transcripts only (no CRM): conform merges it."""
    generate(scratch / batch_name, as_of=AS_OF, seed=seed, activities=300, batch=batch_name)
    for folder in ("activities", "conversations"):
        shutil.copytree(scratch / batch_name / folder, landing / folder, dirs_exist_ok=True)


LAST_MODIFIED = "2026-03-31T23:59:59Z"  # after every record of the sample, within its as-of day


def moved_deals(lake, deals: int = 3) -> list[dict]:
    """The first deals with links, in their latest version, each at the next stage, modified later."""
    stages = ["qualify", "develop", "propose", "close"]
    linked = lake.read(SILVER, "record_links").filter("record_type = 'opportunity'").select("record_id").distinct()
    chosen = sorted(r["record_id"] for r in linked.collect())[:deals]
    latest = {}
    versions = lake.read(BRONZE, "crm_opportunities").filter(F.col("opportunity_id").isin(chosen))
    for row in versions.orderBy(F.col("modified_at").desc()).collect():
        latest.setdefault(row["opportunity_id"], json.loads(row["raw_record"]))
    return [
        latest[deal] | {"stage": stages[(stages.index(latest[deal]["stage"]) + 1) % 4], "modified_at": LAST_MODIFIED}
        for deal in chosen
    ]


def user_ids(lake) -> list[str]:
    return sorted(r["user_id"] for r in lake.read(SILVER, "users").collect())


def changed_contacts(lake) -> tuple[dict, dict]:
    """A linked contact in its latest version, now `do_not_track`; and a new contact for the first
    outside address that was no user's, contact's or lead's."""
    linked = lake.read(SILVER, "record_links").filter("record_type = 'contact'").orderBy("record_id").first()
    versions = lake.read(BRONZE, "crm_contacts").filter(F.col("contact_id") == linked["record_id"])
    latest = json.loads(versions.orderBy(F.col("modified_at").desc()).first()["raw_record"])
    nobody = (
        lake.read(SILVER, "activity_participants")
        .filter("NOT is_internal AND user_id IS NULL AND contact_id IS NULL AND lead_id IS NULL")
        .orderBy("address")
        .first()["address"]
    )
    stamp = {"modified_at": LAST_MODIFIED}
    newcomer = {"contact_id": "con-newcomer", "email": nobody, "full_name": "New Comer", **stamp}
    return latest | {"do_not_track": True} | stamp, newcomer


def test_incremental_conform_gives_the_same_silver_as_a_full_refresh(spark, landed, conformed, tmp_path):
    _, config, lake, *_, root = landed
    # A copy of the conformed lake, so the shared one stays as the other tests expect it.
    shutil.copytree(root / "lake", tmp_path / "lake")
    landing = tmp_path / "landing"
    copy = config.with_overrides(
        [f"paths.lake={tmp_path / 'lake'}", f"paths.landing={landing}", "catalog.schema_prefix=inc_"]
    )
    copied = Lake(spark, copy)

    land_activities(landing, "2026-03-31b", 11, tmp_path / "scratch")
    ingest.run(spark, copy, AS_OF)
    first_merge = conform.run(spark, copy)
    land_activities(landing, "2026-03-31c", 11, tmp_path / "scratch")
    # ... a file of the first landing delivered again without its first email, which silver must forget ...
    redelivered = sorted((landing / "activities" / "emails").glob("2026-03-31b-*.jsonl"))[0]
    once = (
        copied.read(BRONZE, "emails").groupBy("email_id").agg(F.count("*").alias("n"), F.max("source_file").alias("f"))
    )
    in_that_file_only = once.filter((F.col("n") == 1) & (F.col("f") == f"file:{redelivered}"))
    dropped = in_that_file_only.orderBy("email_id").first()["email_id"]
    lines = redelivered.read_text().splitlines()
    redelivered.write_text("\n".join(line for line in lines if json.loads(line)["email_id"] != dropped) + "\n")
    ingest.run(spark, copy, AS_OF)
    second_merge = conform.run(spark, copy)
    # ... then, alone, a new version of an email conformed at the start: its subject changes, later
    # modified_at, and it moves to another month. Silver's activity tables are partitioned by month,
    # and no other change is in its old month: the merge must look for its old rows there.
    first_email = (
        lake.read(BRONZE, "emails")
        .filter("source_format = 'jsonl'")
        .withColumn("month", F.date_format("sent_at", "yyyy-MM"))  # in UTC, the session's time zone
        .orderBy("email_id")
        .first()
    )
    moved_to = "2026-01-15T09:00:00Z" if first_email["month"] != "2026-01" else "2026-03-16T09:00:00Z"
    update = json.loads(first_email["raw_record"]) | {
        "subject": "Updated",
        "sent_at": moved_to,
        "modified_at": "2026-03-31T12:00:00Z",
    }
    (landing / "activities" / "emails" / "2026-03-31-zz-update.jsonl").write_text(json.dumps(update) + "\n")
    # ... with CRM snapshots: three deals move stage (nothing activities are made of), one of them
    # gets another owner; a contact asks not to be tracked; an address that was nobody's becomes a
    # new contact's. Merged, not rebuilt: the activities these touch are conformed again.
    snapshot = landing / "crm" / "opportunities" / "2026-03-31-zz-snapshot.jsonl"
    for folder in ("opportunities", "contacts"):
        (landing / "crm" / folder).mkdir(parents=True)
    deals = moved_deals(copied)
    deals[0]["owner_id"] = next(u for u in user_ids(copied) if u != deals[0]["owner_id"])
    snapshot.write_text("".join(json.dumps(deal) + "\n" for deal in deals))
    untracked, newcomer = changed_contacts(copied)
    (landing / "crm" / "contacts" / "2026-03-31-zz-snapshot.jsonl").write_text(
        json.dumps(untracked) + "\n" + json.dumps(newcomer) + "\n"
    )
    ingest.run(spark, copy, AS_OF)
    third_merge = conform.run(spark, copy)
    assert conform.run(spark, copy).skipped  # a day with nothing new
    incremental_rows = silver_rows(copied)
    # A rebuild or CRM merge killed half way leaves the mark it sets; the same snapshot delivered
    # again then rebuilds silver from bronze, to the rows the merges gave.
    copied.set_properties(OPS, CONFORM_STATE_TABLE, {conform.UNFINISHED_PROPERTY: "true"})
    shutil.copy(snapshot, snapshot.with_name("2026-03-31-zz-snapshot-again.jsonl"))
    ingest.run(spark, copy, AS_OF)
    rebuilt = conform.run(spark, copy)

    for merged in (first_merge, second_merge, third_merge):  # all merged, none rebuilt
        assert "users" not in merged.rows and merged.rows["activities"] > 0
    assert third_merge.rows["opportunities"] == len(incremental_rows["opportunities"])
    stages = {r["opportunity_id"]: r["stage"] for r in copied.read(SILVER, "opportunities").collect()}
    assert [stages[deal["opportunity_id"]] for deal in deals] == [deal["stage"] for deal in deals]
    assert "users" in rebuilt.rows
    links = copied.read(SILVER, "record_links")
    assert links.filter(F.col("record_id") == untracked["contact_id"]).count() == 0
    newcomer_rows = copied.read(SILVER, "activity_participants").filter(F.col("address") == newcomer["email"])
    assert {r["contact_id"] for r in newcomer_rows.collect()} == {newcomer["contact_id"]}
    assert copied.properties(OPS, CONFORM_STATE_TABLE)[conform.UNFINISHED_PROPERTY] == "false"
    assert copied.read(SILVER, "activities").filter(F.col("activity_id") == dropped).count() == 0
    moved = copied.read(SILVER, "activities").filter(F.col("activity_id") == first_email["email_id"])
    assert [(r["subject"], r["activity_month"].isoformat()) for r in moved.collect()] == [
        ("Updated", moved_to[:8] + "01")
    ]
    # Gold is a function of silver alone (the daily job reads nothing else), so the same silver
    # row for row is the same gold row for row.
    assert silver_rows(copied) == incremental_rows


def test_a_changed_decay_or_response_window_makes_its_table_again_and_the_daily_job_waits(spark, conformed, landed):
    _, config, lake, *_ = landed
    weekly = config.with_overrides(["kpi.health.frequency_days=14"])
    with pytest.raises(JobError, match=r"record_activity_days was made with another kpi.health.frequency_days"):
        daily_kpis.read_silver(lake, weekly)
    assert conform.run(spark, weekly).rows == {"record_activity_days": lake.read(SILVER, DAYS_TABLE).count()}
    assert lake.properties(SILVER, DAYS_TABLE)[DECAY_TAU_PROPERTY] == "28.0"
    conform.run(spark, config)  # back to the decay the other tests use
    assert lake.properties(SILVER, DAYS_TABLE)[DECAY_TAU_PROPERTY] == "14.0"

    shorter = config.with_overrides(["kpi.response_window_days=7"])
    with pytest.raises(JobError, match=r"email_responses was made with another kpi.response_window_days"):
        daily_kpis.read_silver(lake, shorter)
    assert sorted(conform.run(spark, shorter).rows) == ["email_responses", "email_threads"]
    assert lake.properties(SILVER, "email_responses")[RESPONSE_WINDOW_PROPERTY] == "7"
    assert sorted(conform.run(spark, config).rows) == ["email_responses", "email_threads"]

    slower = config.with_overrides(["kpi.who_knows_whom.decay_days=30"])
    with pytest.raises(JobError, match=r"connection_days was made with another kpi.who_knows_whom.decay_days"):
        daily_kpis.read_silver(lake, slower)
    assert sorted(conform.run(spark, slower).rows) == ["connection_days"]
    assert lake.properties(SILVER, "connection_days")[DECAY_DAYS_PROPERTY] == "30.0"
    assert sorted(conform.run(spark, config).rows) == ["connection_days"]


def test_daily_sums_missing_from_a_lake_conformed_before_they_existed_are_made_from_silver(spark, conformed, landed):
    _, config, lake, *_ = landed
    tables = ("record_people_days", "connection_days")
    before = {t: sorted(lake.read(SILVER, t).collect(), key=repr) for t in tables}
    for table in tables:  # as in a lake made by an older version
        spark.sql(f"DROP TABLE {lake.name(SILVER, table)}")
        shutil.rmtree(lake.path(SILVER, table))

    made = conform.run(spark, config)  # bronze unchanged since the last conform: no rebuild

    assert made.rows == {t: len(rows) for t, rows in before.items()}
    assert {t: sorted(lake.read(SILVER, t).collect(), key=repr) for t in tables} == before
    assert conform.run(spark, config).skipped


def test_a_transcript_table_missing_from_a_lake_conformed_before_it_existed_is_made_alone(spark, conformed, landed):
    _, config, lake, *_ = landed
    before = sorted(lake.read(SILVER, "call_fragments").collect(), key=repr)
    spark.sql(f"DROP TABLE {lake.name(SILVER, 'call_fragments')}")  # as in a lake made by an older version
    shutil.rmtree(lake.path(SILVER, "call_fragments"))

    made = conform.run(spark, config)  # bronze unchanged since the last conform

    assert made.rows == {"call_fragments": len(before)} and not made.skipped
    assert sorted(spark.table(lake.name(SILVER, "call_fragments")).collect(), key=repr) == before
    assert conform.run(spark, config).skipped


def test_daily_sums_are_partitioned_by_month_and_a_lake_made_before_is_laid_out_again(spark, conformed, landed):
    _, config, lake, *_ = landed
    tables = ("record_activity_days", "connection_days")
    assert {t: lake.partition_columns(SILVER, t) for t in tables} == {t: ("activity_month",) for t in tables}
    before = {t: lake.read(SILVER, t).collect() for t in tables}
    assert all(row["activity_month"] == row["activity_on"].replace(day=1) for rows in before.values() for row in rows)
    for table in tables:  # as in a lake made by an older version: not partitioned, no activity_month
        old = spark.createDataFrame(before[table], lake.read(SILVER, table).schema).drop("activity_month")
        spark.sql(f"DROP TABLE {lake.name(SILVER, table)}")
        shutil.rmtree(lake.path(SILVER, table))
        lake.overwrite(old, SILVER, table)
        lake.set_properties(SILVER, table, conform.made_with(config)[table])
    assert conform.laid_out_otherwise(lake) == list(tables)

    made = conform.run(spark, config)  # bronze unchanged since the last conform: no rebuild

    assert made.rows == {t: len(rows) for t, rows in before.items()}
    assert {t: lake.partition_columns(SILVER, t) for t in tables} == {t: ("activity_month",) for t in tables}
    assert {t: sorted(lake.read(SILVER, t).collect(), key=repr) for t in tables} == {
        t: sorted(rows, key=repr) for t, rows in before.items()
    }
    assert conform.run(spark, config).skipped


def test_activity_tables_are_partitioned_by_month_and_a_lake_made_before_is_conformed_again(spark, conformed, landed):
    _, config, lake, *_ = landed
    tables = conform.ACTIVITY_TABLES
    assert {t: lake.partition_columns(SILVER, t) for t in tables} == {t: ("activity_month",) for t in tables}
    activities = lake.read(SILVER, "activities")
    assert activities.filter("activity_month IS DISTINCT FROM trunc(to_date(activity_at), 'month')").count() == 0
    for table in ("activity_participants", "record_links"):  # each row of an activity, in its month
        mismatched = (
            lake.read(SILVER, table)
            .alias("r")
            .join(activities.alias("a"), "activity_key", "left")
            .filter("a.activity_type IS NULL OR r.activity_month IS DISTINCT FROM a.activity_month")
        )
        assert mismatched.count() == 0, table
    before = silver_rows(lake)
    for table in tables:  # as in a lake made by an older version: not partitioned, no activity_month
        old = lake.read(SILVER, table).drop("activity_month").localCheckpoint()
        spark.sql(f"DROP TABLE {lake.name(SILVER, table)}")
        shutil.rmtree(lake.path(SILVER, table))
        lake.overwrite(old, SILVER, table)
    assert conform.laid_out_otherwise(lake, tables) == list(tables)

    made = conform.run(spark, config)  # bronze unchanged since the last conform: silver made again from bronze

    assert not made.skipped and made.rows["activities"] == len(before["activities"])
    assert {t: lake.partition_columns(SILVER, t) for t in tables} == {t: ("activity_month",) for t in tables}
    assert silver_rows(lake) == before
    assert conform.run(spark, config).skipped

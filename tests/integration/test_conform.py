"""Conform end to end on the ingested sample: bronze -> silver with real Spark and Delta."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from jobs import conform
from jobs.lake import BRONZE, SILVER

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

"""Tables that outlive a release: a gold table created before a column was added gets it on the
next run, by an explicit, logged migration; a column whose type changed stops the job. And a lake
copied with its catalog, whose entries name the original's folders, is written by its own paths.
A write's row counts, a table's properties and partitions, and its catalog entry are read from the
Delta log and the metastore as Delta's and Spark's own answers have them."""

from __future__ import annotations

import logging
import shutil
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from pyspark.sql import types as T

from jobs import daily_kpis
from jobs.delta_log import DeltaLog
from jobs.lake import GOLD, SILVER, Lake, cast_to
from jobs.runtime import JobError
from schemas.gold import DEAL_TRACKER
from schemas.silver import SILVER_SCHEMAS
from tests.builders import frame

pytestmark = pytest.mark.integration
BEFORE, T_DAY = date(2026, 3, 9), date(2026, 3, 10)
COMPUTED = datetime(2026, 3, 10, 6, 0)


def with_spark_jobs(spark, read):
    """What `read()` returns, and the ids of the Spark jobs it ran (a job group of its own)."""
    context, group = spark.sparkContext, f"read-{uuid.uuid4().hex}"  # the jobs of this read alone
    try:
        context.setJobGroup(group, "the read a test counts the jobs of")
        return read(), context.statusTracker().getJobIdsForGroup(group)
    finally:
        for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
            context.setLocalProperty(key, None)


def deal(day: date, **columns) -> dict:
    return {
        "as_of_date": day,
        "opportunity_id": "o1",
        "account_id": "a1",
        "estimated_close_date": date(2026, 4, 1),
        "health_score": 59,
        "computed_at": COMPUTED,
        **columns,
    }


def test_a_table_created_before_a_column_was_added_gets_it_on_the_next_run(spark, lake_config, caplog):
    config = lake_config("quality.enabled=false")
    lake = Lake(spark, config)
    old_schema = T.StructType([f for f in DEAL_TRACKER.fields if f.name != "health_state"])
    lake.ensure_table(GOLD, "deal_tracker", old_schema, partition_by=("as_of_date",))
    lake.append(frame(spark, old_schema, [deal(BEFORE)]), GOLD, "deal_tracker")

    today_df = frame(spark, DEAL_TRACKER, [deal(T_DAY, health_state="fair")]).drop("computed_at")
    with caplog.at_level(logging.WARNING, logger="rapport.lake"):
        written = daily_kpis.publish(lake, config, "deal_tracker", today_df, [T_DAY], COMPUTED)

    assert written == 1
    rows = lake.read(GOLD, "deal_tracker").select("as_of_date", "health_score", "health_state").collect()
    assert sorted(tuple(r) for r in rows) == [(BEFORE, 59, None), (T_DAY, 59, "fair")]
    assert f"migrated {lake.name(GOLD, 'deal_tracker')}: added `health_state` string" in caplog.text


def test_a_column_whose_type_changed_stops_the_job_naming_it(spark, lake_config):
    config = lake_config()
    lake = Lake(spark, config)
    old_schema = T.StructType(
        [T.StructField(f.name, T.StringType()) if f.name == "health_score" else f for f in DEAL_TRACKER.fields]
    )
    lake.ensure_table(GOLD, "deal_tracker", old_schema, partition_by=("as_of_date",))

    with pytest.raises(JobError, match=r"column types changed \(health_score is string in the table, int now\)"):
        lake.ensure_table(GOLD, "deal_tracker", DEAL_TRACKER, partition_by=("as_of_date",))


def test_rows_that_do_not_match_a_silver_schema_stop_before_anything_is_written(spark):
    schema = SILVER_SCHEMAS["email_threads"]
    rows = spark.createDataFrame([("e1", "e1", "x")], "email_id string, thread_key string, stray string")

    with pytest.raises(JobError, match=r"silver.email_threads: .*; not in the schema stray$"):
        cast_to(rows, schema, "silver.email_threads")
    with pytest.raises(JobError, match=r"; missing thread_key$"):
        cast_to(rows.select("email_id"), schema, "silver.email_threads")
    assert cast_to(rows.drop("stray"), schema, "silver.email_threads").collect() == [("e1", "e1")]


def test_rows_replaced_by_key_change_in_one_commit_and_other_keys_stay(spark, lake_config):
    lake = Lake(spark, lake_config())
    schema = T.StructType([T.StructField("k", T.StringType()), T.StructField("n", T.LongType())])
    lake.ensure_table("silver", "pairs", schema)
    lake.append(
        frame(spark, schema, [{"k": k, "n": n} for k, n in [("a", 1), ("a", 2), ("b", 3), ("c", 4)]]), "silver", "pairs"
    )
    before = lake.version("silver", "pairs")

    # a: two rows become one; b: its row goes (no new rows); d: new; c: not named, stays
    new_df = frame(spark, schema, [{"k": "a", "n": 10}, {"k": "d", "n": 40}])
    keys_df = spark.createDataFrame([("a",), ("b",), ("d",), ("a",)], "k string")
    written = lake.replace_keys(new_df, "silver", "pairs", keys_df, "k")

    assert written == 2
    assert lake.version("silver", "pairs") == before + 1  # one commit: a kill leaves all of it or none
    assert sorted(tuple(r) for r in lake.read("silver", "pairs").collect()) == [("a", 10), ("c", 4), ("d", 40)]


def test_rows_replaced_by_a_key_of_several_columns_only_where_the_condition_holds(spark, lake_config):
    # A record's rows of the days named are replaced (conform's refresh of a CRM change's records).
    lake = Lake(spark, lake_config())
    columns = ("kind", "id", "day", "n")
    schema = T.StructType([T.StructField(c, T.LongType() if c == "n" else T.StringType()) for c in columns])
    rows = lambda *values: frame(spark, schema, [dict(zip(columns, v, strict=True)) for v in values])  # noqa: E731
    lake.ensure_table("silver", "sums", schema)
    lake.append(
        rows(("a", "1", "d1", 1), ("a", "1", "d2", 2), ("c", "1", "d1", 3), ("a", "2", "d1", 4)), "silver", "sums"
    )
    keys_df = spark.createDataFrame([("a", "1"), ("a", "3")], "kind string, id string")

    written = lake.replace_keys(
        rows(("a", "1", "d1", 10), ("a", "3", "d1", 30)),
        "silver",
        "sums",
        keys_df,
        ("kind", "id"),
        within="t.day = 'd1'",
    )

    assert written == 2
    assert sorted(tuple(r) for r in lake.read("silver", "sums").collect()) == [
        ("a", "1", "d1", 10),  # replaced
        ("a", "1", "d2", 2),  # its key, but outside the condition: stays
        ("a", "2", "d1", 4),  # another id of the same kind: stays
        ("a", "3", "d1", 30),  # new
        ("c", "1", "d1", 3),  # the same id of another kind: stays
    ]


def test_each_write_counts_its_rows_from_the_log_as_describe_history_has_them(spark, lake_config):
    lake = Lake(spark, lake_config())
    schema = T.StructType([T.StructField("k", T.StringType()), T.StructField("n", T.LongType())])
    rows = lambda *pairs: frame(spark, schema, [{"k": k, "n": n} for k, n in pairs])  # noqa: E731
    lake.ensure_table("silver", "pairs", schema)

    written = [
        lake.append(rows(("a", 1), ("b", 2), ("c", 3)), "silver", "pairs"),
        lake.replace_where(rows(("b", 20), ("b", 21)), "silver", "pairs", "k = 'b'"),  # rewrites the one file
        lake.replace_keys(rows(("d", 4)), "silver", "pairs", spark.createDataFrame([("a",), ("d",)], "k string"), "k"),
        lake.replace_slice(rows(), "silver", "pairs", "k = 'zz'"),  # nothing there and nothing new: no commit
        lake.overwrite(rows(("e", 5)), "silver", "pairs"),
    ]

    assert written == [3, 2, 1, 0, 1]
    history = spark.sql(f"DESCRIBE HISTORY delta.`{lake.path('silver', 'pairs')}`").collect()
    log_ = DeltaLog(spark, lake.path("silver", "pairs"))
    assert log_.version() == history[0]["version"] == 4  # made, 3 writes, overwritten: deleting nothing commits nothing
    assert [log_.operation_metrics(r["version"]) for r in history] == [r["operationMetrics"] for r in history]


def test_a_tables_rows_come_from_the_checksum_of_its_version_else_they_are_counted(spark, lake_config):
    lake = Lake(spark, lake_config())
    schema = T.StructType([T.StructField("k", T.StringType()), T.StructField("n", T.LongType())])
    rows = lambda *pairs: frame(spark, schema, [{"k": k, "n": n} for k, n in pairs])  # noqa: E731
    lake.ensure_table("silver", "pairs", schema)
    made = lake.rows("silver", "pairs")
    lake.append(rows(("a", 1), ("b", 2), ("c", 3)), "silver", "pairs")
    lake.replace_where(rows(("b", 20), ("b", 21), ("b", 22)), "silver", "pairs", "k = 'b'")
    lake.replace_keys(rows(("d", 4)), "silver", "pairs", spark.createDataFrame([("a",), ("c",)], "k string"), "k")
    counted, jobs = with_spark_jobs(spark, lambda: lake.rows("silver", "pairs"))

    assert (made, counted) == (0, 4) == (0, lake.read("silver", "pairs").count())  # b20, b21, b22, d4
    assert jobs == []  # from the checksum file's list of files and their statistics
    # A version without its checksum file (a writer that wrote none) is counted.
    path = lake.path("silver", "pairs")
    version = lake.version("silver", "pairs")
    (Path(path) / "_delta_log" / f"{version:020d}.crc").unlink()
    DeltaLog(spark, path).forget()
    assert DeltaLog(spark, path).rows() is None
    assert lake.rows("silver", "pairs") == 4


def test_a_lake_whose_catalog_names_another_folder_is_written_by_its_own_paths(spark, lake_config, tmp_path):
    config = lake_config("quality.enabled=false")
    original = Lake(spark, config)
    original.overwrite(frame(spark, DEAL_TRACKER, [deal(T_DAY, health_state="fair")]), GOLD, "deal_tracker")
    # A copy of the lake that shares its catalog (entries naming the original's folders), and the original gone.
    shutil.copytree(tmp_path / "lake", tmp_path / "copy", ignore=shutil.ignore_patterns("_catalog"))
    shutil.rmtree(tmp_path / "lake" / "gold")
    copy = Lake(spark, config.with_overrides([f"paths.lake={tmp_path / 'copy'}"]))

    copy.ensure_table(GOLD, "deal_tracker", DEAL_TRACKER)
    written = copy.overwrite(frame(spark, DEAL_TRACKER, [deal(T_DAY, health_state="good")]), GOLD, "deal_tracker")

    assert written == 1
    assert [r["health_state"] for r in copy.read(GOLD, "deal_tracker").collect()] == ["good"]
    assert copy.registered(GOLD, "deal_tracker") and not copy.registered(GOLD, "most_contacted")


def test_properties_and_partitions_are_the_logs_and_only_the_metastores_entries_are_registered(spark, lake_config):
    lake = Lake(spark, lake_config())
    schema = T.StructType([T.StructField("k", T.StringType()), T.StructField("month", T.StringType())])
    lake.ensure_table(SILVER, "by_month", schema, partition_by=("month",))
    lake.set_properties(SILVER, "by_month", {"rapport.decay_tau_days": "28.0"})
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{lake.path(SILVER, 'by_month')}`").first()
    spark.range(1).createOrReplaceTempView("scratch")  # a temporary view: the session's, not the catalog's
    try:
        (properties, partitions, entries), jobs = with_spark_jobs(
            spark,
            lambda: (
                lake.properties(SILVER, "by_month"),
                lake.partition_columns(SILVER, "by_month"),
                [lake.registered(SILVER, "by_month"), lake.registered(SILVER, "scratch"), lake.registered(GOLD, "k")],
            ),
        )
    finally:
        spark.catalog.dropTempView("scratch")

    assert properties == dict(detail["properties"]) and properties["rapport.decay_tau_days"] == "28.0"
    assert partitions == tuple(detail["partitionColumns"]) == ("month",)
    assert entries == [True, False, False]
    assert jobs == []  # read from the log and the metastore, no Spark job
    with pytest.raises(ValueError, match="no Delta table"):
        lake.properties(SILVER, "never_made")

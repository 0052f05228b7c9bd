"""jobs.maintenance on a lake of many small commits: it compacts, checkpoints the log and deletes
expired log entries, VACUUMs what left the tables once past the retention, never changes a row,
leaves a table whose change feed conform has not read, and a second run does nothing at all."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest

from jobs import maintenance
from jobs.conform import read_positions
from jobs.lake import BRONZE, GOLD, OPS, USER_TABLES, Lake
from jobs.runtime import JobError
from schemas.gold import GOLD_TABLES
from schemas.ops import CONFORM_STATE_SCHEMA, CONFORM_STATE_TABLE
from tests.builders import bronze, frame

pytestmark = pytest.mark.integration
DAYS = (date(2026, 3, 30), date(2026, 3, 31))
COMPUTED = datetime(2026, 3, 31, 6, 0)
APPENDS = 10  # commits of two rows to bronze.emails, a file per row


def write(df, path: str, *partition_by: str) -> None:
    """Append `df` to the Delta table at `path`, one file per row."""
    writer = df.write.format("delta").mode("append").option("maxRecordsPerFile", 1)
    writer.partitionBy(*partition_by).save(path) if partition_by else writer.save(path)


def deal(day: date, opportunity: str) -> dict:
    return {"as_of_date": day, "opportunity_id": opportunity, "account_id": "a1", "computed_at": COMPUTED}


def contents(lake: Lake) -> dict[str, list]:
    """Every table's rows, in a stable order."""
    return {
        f"{layer}.{table}": sorted(lake.read(layer, table).collect(), key=repr)
        for layer, table in USER_TABLES
        if lake.exists(layer, table)
    }


def log_listing(lake: Lake, layer: str, table: str) -> set[str]:
    return set(os.listdir(f"{lake.path(layer, table)}/_delta_log"))


def age_logs(lake: Lake, days: int) -> None:
    """Make every log entry `days` older, as if the commits had been made then."""
    for layer, table in USER_TABLES:
        log_dir = f"{lake.path(layer, table)}/_delta_log"
        if os.path.isdir(log_dir):
            for entry in os.scandir(log_dir):
                if entry.is_file():
                    then = entry.stat().st_mtime - days * 86_400
                    os.utime(entry.path, (then, then))


def by_table(reports) -> dict[str, maintenance.TableReport]:
    return {r.table: r for r in reports}


@pytest.fixture
def small_commits_lake(spark, lake_config):
    """bronze.emails from 12 commits of 2 files; gold.deal_tracker with 2 partitions of 6 files and
    one of 1; gold.who_knows_whom with 3 files, too few to compact."""
    config = lake_config()
    lake = Lake(spark, config)
    for commit in range(APPENDS):
        rows = [{"email_id": f"e{commit}-{n}", "subject": f"hello {n}"} for n in range(2)]
        write(bronze(spark, "emails", rows), lake.path(BRONZE, "emails"))
    deals_schema = GOLD_TABLES["deal_tracker"][0]
    deals = [deal(day, f"o{n}") for day in DAYS for n in range(6)]
    write(frame(spark, deals_schema, deals), lake.path(GOLD, "deal_tracker"), "as_of_date")
    write(frame(spark, deals_schema, [deal(date(2026, 3, 29), "o1")]), lake.path(GOLD, "deal_tracker"), "as_of_date")
    people = [{"as_of_date": DAYS[1], "record_type": "contact", "record_id": "c1", "rank": n} for n in (1, 2, 3)]
    write(frame(spark, GOLD_TABLES["who_knows_whom"][0], people), lake.path(GOLD, "who_knows_whom"), "as_of_date")
    return config, lake


@pytest.fixture
def without_vacuum_safety_check(spark):
    spark.conf.set(maintenance.RETENTION_CHECK, "false")
    yield
    spark.conf.unset(maintenance.RETENTION_CHECK)


def test_maintenance_compacts_checkpoints_vacuums_past_retention_and_then_does_nothing(
    spark, small_commits_lake, without_vacuum_safety_check
):
    config, lake = small_commits_lake
    rows_before = contents(lake)
    age_logs(lake, days=10)  # older than the 7 days of log retention

    first = by_table(maintenance.run(spark, config))

    assert set(first) == {"bronze.emails", "gold.deal_tracker", "gold.who_knows_whom"}
    emails, deals, people = first["bronze.emails"], first["gold.deal_tracker"], first["gold.who_knows_whom"]
    assert (emails.before.files, emails.after.files) == (2 * APPENDS, 1)
    assert (deals.before.files, deals.after.files) == (13, 3)  # one file per partition
    assert (people.before.files, people.after.files) == (3, 3)  # 3 compactable files: under the 10 needed
    # The replaced files stay on storage for the 168 hours of VACUUM's retention.
    assert (emails.before.disk_files, emails.after.disk_files) == (2 * APPENDS, 2 * APPENDS + 1)
    for report in first.values():
        assert report.after.checkpoint == report.after.version  # the whole log is in a checkpoint
        assert report.after.log_retention == "interval 7 days"
    # Writing the checkpoint deleted the aged commits it sums up.
    assert "00000000000000000000.json" not in log_listing(lake, BRONZE, "emails")
    assert emails.after.log_files < emails.before.log_files
    assert contents(lake) == rows_before

    # Past the retention (0 hours here), VACUUM deletes the files OPTIMIZE replaced.
    spark.conf.set(maintenance.RETENTION_CHECK, "true")
    no_retention = config.with_overrides(["maintenance.vacuum_retain_hours=0"])
    with pytest.raises(JobError, match="retentionDurationCheck"):
        maintenance.run(spark, no_retention)
    spark.conf.set(maintenance.RETENTION_CHECK, "false")

    second = by_table(maintenance.run(spark, no_retention))

    assert (second["bronze.emails"].before.disk_files, second["bronze.emails"].after.disk_files) == (2 * APPENDS + 1, 1)
    assert (second["gold.deal_tracker"].after.files, second["gold.deal_tracker"].after.disk_files) == (3, 3)
    assert second["gold.who_knows_whom"].after.disk_files == 3
    assert all(r.after.checkpoint == r.after.version for r in second.values())
    assert contents(lake) == rows_before

    # Nothing left to do: no commit, no file written or deleted, not even in the log.
    listings = {name: log_listing(lake, *name.split(".")) for name in second}

    third = maintenance.run(spark, no_retention)

    assert [(r.table, r.done, r.changed) for r in third] == [(name, [], False) for name in second]
    assert {name: log_listing(lake, *name.split(".")) for name in second} == listings
    assert contents(lake) == rows_before


def test_a_bronze_table_conform_has_not_read_to_its_end_is_left_for_after_conform(spark, lake_config):
    config = lake_config("maintenance.optimize_min_files=2")
    lake = Lake(spark, config)
    for commit in range(2):
        write(bronze(spark, "emails", [{"email_id": f"e{commit}"}]), lake.path(BRONZE, "emails"))
    state = spark.createDataFrame([("emails", 0, COMPUTED)], CONFORM_STATE_SCHEMA)
    state.write.format("delta").save(lake.path(OPS, CONFORM_STATE_TABLE))
    version = lake.version(BRONZE, "emails")

    (report,) = maintenance.run(spark, config, ["bronze.emails"])

    assert report.left and "version 0 of 1" in report.left
    assert (report.changed, report.done, lake.version(BRONZE, "emails")) == (False, [], version)

    # Conform has read it all: maintained. Its own commits since change no row, so a run before the
    # next conform does not leave the table for them; it finds nothing to do.
    read_to_the_end = spark.createDataFrame([("emails", version, COMPUTED)], CONFORM_STATE_SCHEMA)
    read_to_the_end.write.format("delta").mode("overwrite").save(lake.path(OPS, CONFORM_STATE_TABLE))
    (maintained,) = maintenance.run(spark, config, ["bronze.emails"])
    state_version = lake.version(OPS, CONFORM_STATE_TABLE)
    (again,) = maintenance.run(spark, config, ["bronze.emails"])

    assert (maintained.left, maintained.after.files, maintained.after.version) == (None, 1, version + 2)
    assert (again.left, again.done, again.changed) == (None, [], False)
    # ... and conform's position moved past them: the next conform has nothing new to read.
    assert read_positions(lake) == {"emails": version + 2}
    assert lake.version(OPS, CONFORM_STATE_TABLE) == state_version  # the second run had nothing to move


def test_an_unknown_table_stops_the_job_naming_it(capsys):
    with pytest.raises(SystemExit) as stopped:
        maintenance.main(["--table", "bronze.emails", "--table", "gold.nope"])

    assert stopped.value.code == 2
    assert "--table gold.nope: not a table of the lake" in capsys.readouterr().err

"""Maintenance: keep the lake's file and Delta log counts flat. Weekly, after the daily chain.

Every daily run adds small files (an append, a replaced slice, a merge) and log entries (a commit
each) to most tables. For every table of the lake (`USER_TABLES` that exist, or those named with
`--table`), in this order:

1. log retention: `delta.logRetentionDuration` becomes `maintenance.log_retention_days` where the
   table says otherwise (one commit, on the first run);
2. OPTIMIZE (Delta's compaction) once `maintenance.optimize_min_files` of its files are compactable:
   smaller than Delta's `spark.databricks.delta.optimize.minFileSize` and in a partition with
   another such file (a partition of one file has nothing to compact);
3. VACUUM with `maintenance.vacuum_retain_hours`, when a dry run finds files to delete (a VACUUM
   commits to the log even when it deletes nothing);
4. a checkpoint of the Delta log when it has commits since the last one; writing it also deletes
   the log entries older than the log retention (Delta's expired log cleanup).

No table's rows change: OPTIMIZE rewrites files into larger ones in a commit that says so
(`dataChange=false`: change feed readers see nothing), VACUUM deletes only files no version within
the retention reads, a checkpoint sums up the log. A second run right after finds nothing to do and
commits nothing. A bronze table with commits that change rows after the version conform has read
(`ops.conform_state`; this job's own commits change none) is left for a run after conform: VACUUM or
the log cleanup could take what conform still has to read from its change feed. Where conform had
read a bronze table to the end, its position in `ops.conform_state` is moved past this job's
commits, as jobs.retention does, so the next conform finds nothing new where nothing is.

Delta has no Python or SQL API for a checkpoint or the list of a version's files: jobs.delta_log
reaches Delta's Scala `DeltaLog` through py4j.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import faults
from jobs.config import Config, MaintenanceConfig
from jobs.conform import move_positions, read_positions
from jobs.delta_log import DeltaLog
from jobs.lake import BRONZE, CONFLICTS, USER_TABLES, Lake
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job

log = logging.getLogger("rapport.maintenance")

LOG_RETENTION = "delta.logRetentionDuration"
DELTA_LOG_RETENTION = "interval 30 days"  # Delta's default, when a table does not say
DELTA_SAFE_RETAIN_HOURS = 168  # Delta's delta.deletedFileRetentionDuration default, its VACUUM safety minimum
RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
MIN_FILE_SIZE = "spark.databricks.delta.optimize.minFileSize"
# VACUUM lists a table's folders in this many Spark tasks; Spark's default of 10,000 costs minutes on
# a small machine, so VACUUM gets the session's default parallelism unless this is configured.
LISTING_PARALLELISM = "spark.sql.sources.parallelPartitionDiscovery.parallelism"
DELTA_MIN_FILE_SIZE = 1024**3  # Delta's default: OPTIMIZE compacts files below 1 GiB
# Commits that change no row: what this job makes. A change feed reader has nothing to read in them.
MAINTENANCE_OPERATIONS = frozenset({"OPTIMIZE", "VACUUM START", "VACUUM END", "SET TBLPROPERTIES"})

DESCRIPTION = """\
Keep the lake's file and Delta log counts flat: for every table, OPTIMIZE (compaction) once enough
small files have gathered, VACUUM what left the table more than maintenance.vacuum_retain_hours
ago, and a checkpoint of the Delta log, which deletes log entries older than
maintenance.log_retention_days. No row changes (conform's position in ops.conform_state moves past
the job's own bronze commits); a second run does nothing. Prints per table the data files, files
on storage, log files and versions before and after.

examples:
  python -m jobs.maintenance --as-of 2026-03-31
  python -m jobs.maintenance --table bronze.emails --table ops.dq_results
  python -m jobs.maintenance --set maintenance.vacuum_retain_hours=0 \\
      --set spark.conf.spark.databricks.delta.retentionDurationCheck.enabled=false   # no time travel left
"""


@dataclass(frozen=True)
class TableState:
    version: int
    checkpoint: int  # the version of the latest checkpoint, -1 for none
    files: int  # data files of the current version
    disk_files: int  # data files on storage: the current version's and those VACUUM has not removed yet
    disk_bytes: int
    log_files: int  # files in _delta_log: commits, their checksums, checkpoints
    log_retention: str  # delta.logRetentionDuration


@dataclass
class TableReport:
    table: str
    before: TableState
    after: TableState
    done: list[str] = field(default_factory=list)
    seconds: float = 0.0
    left: str | None = None  # why the table was left as it was

    @property
    def changed(self) -> bool:
        return self.before != self.after


def storage_counts(spark: SparkSession, path: str) -> tuple[int, int]:
    """(files, bytes) under `path` on its file system (Hadoop's; local checksum files not counted)."""
    hadoop_path = spark._jvm.org.apache.hadoop.fs.Path(path)
    summary = hadoop_path.getFileSystem(spark._jsc.hadoopConfiguration()).getContentSummary(hadoop_path)
    return summary.getFileCount(), summary.getLength()


def table_state(spark: SparkSession, path: str, delta_log: DeltaLog) -> TableState:
    snapshot = delta_log.snapshot()
    table_files, table_bytes = storage_counts(spark, path)
    log_files, log_bytes = storage_counts(spark, f"{path}/_delta_log")
    return TableState(
        version=snapshot.version(),
        checkpoint=snapshot.checkpointProvider().version(),
        files=snapshot.numOfFiles(),
        disk_files=table_files - log_files,
        disk_bytes=table_bytes - log_bytes,
        log_files=log_files,
        log_retention=delta_log.setting(snapshot, LOG_RETENTION) or DELTA_LOG_RETENTION,
    )


def compactable_files(files: DataFrame, min_size: int) -> int:
    """Files OPTIMIZE would rewrite: smaller than `min_size`, in a partition with another such file."""
    small = files.filter(F.col("size") < min_size).groupBy(F.to_json("partitionValues").alias("partition")).count()
    return sum(row["count"] for row in small.collect() if row["count"] >= 2)


def apply_log_retention(lake: Lake, layer: str, table: str, state: TableState, days: int) -> str | None:
    """Set the table's log retention to `days` where it says otherwise; what was done, or None."""
    wanted = f"interval {days} days"
    if state.log_retention == wanted:
        return None
    lake.set_properties(layer, table, {LOG_RETENTION: wanted})
    return f"log retention {state.log_retention} -> {wanted}"


def compact(spark: SparkSession, path: str, delta_log: DeltaLog, state: TableState, min_files: int) -> str | None:
    """OPTIMIZE the table when at least `min_files` of its files are compactable; what was done, or None."""
    if state.files < min_files:
        return None
    min_size = int(spark.conf.get(MIN_FILE_SIZE, str(DELTA_MIN_FILE_SIZE)))
    compactable = compactable_files(delta_log.files(delta_log.snapshot()), min_size)
    if compactable < min_files:
        return None
    DeltaTable.forPath(spark, path).optimize().executeCompaction().collect()
    written = delta_log.snapshot().numOfFiles() - (state.files - compactable)
    return f"OPTIMIZE {compactable} files into {written}"


@contextmanager
def session_setting(spark: SparkSession, key: str, value: str | None):
    """`key` set to `value` in the session meanwhile (None: left as it is)."""
    before = spark.conf.get(key, None)
    if value is not None:
        spark.conf.set(key, value)
    try:
        yield
    finally:
        if value is not None and before is None:
            spark.conf.unset(key)
        elif value is not None:
            spark.conf.set(key, before)


def vacuum(spark: SparkSession, path: str, delta_log: DeltaLog, hours: int, listing: str | None) -> str | None:
    """VACUUM when a dry run finds files to delete; what was done, or None. No dry run when storage
    holds no file but the current version's (VACUUM lists every folder of the table)."""
    state = table_state(spark, path, delta_log)
    if state.disk_files <= state.files:
        return None
    with session_setting(spark, LISTING_PARALLELISM, listing):
        doomed = spark.sql(f"VACUUM delta.`{path}` RETAIN {hours} HOURS DRY RUN").count()
        if doomed:
            DeltaTable.forPath(spark, path).vacuum(float(hours))
    return f"VACUUM {doomed} files" if doomed else None


def checkpoint(delta_log: DeltaLog, name: str) -> str | None:
    """A checkpoint of the latest version when the log has commits since the last one, or None."""
    snapshot = delta_log.snapshot()
    version, last = snapshot.version(), snapshot.checkpointProvider().version()
    if version <= last:
        return None
    delta_log.checkpoint(snapshot)
    written = delta_log.snapshot().checkpointProvider().version()
    if written != version:  # Delta logs why and carries on: a checkpoint is never worth failing a run
        log.warning("%s: the checkpoint of version %d was not written (Spark's log says why)", name, version)
        return None
    return f"checkpoint {version}"


def check_vacuum_retention(spark: SparkSession, hours: int) -> None:
    """Stop before anything is done when VACUUM would go below Delta's safety minimum unasked."""
    if hours < DELTA_SAFE_RETAIN_HOURS and spark.conf.get(RETENTION_CHECK, "true").lower() != "false":
        raise JobError(
            f"maintenance.vacuum_retain_hours = {hours} is below Delta's safety minimum of {DELTA_SAFE_RETAIN_HOURS} "
            "hours (VACUUM would delete files that a running query, time travel or a lagging change feed reader "
            f"still reads); to mean it, also --set spark.conf.{RETENTION_CHECK}=false"
        )


def unread_changes(spark: SparkSession, path: str, read: int, version: int) -> bool:
    """Whether commits after version `read` change rows: anything but this job's own commits, or
    commits the log no longer holds."""
    if read >= version:
        return False
    later = DeltaTable.forPath(spark, path).history().filter(F.col("version") > read).select("version", "operation")
    operations = {row["version"]: row["operation"] for row in later.collect()}
    return len(operations) < version - read or not set(operations.values()) <= MAINTENANCE_OPERATIONS


def move_conform_state(lake: Lake, conform_read: dict[str, int], bronze: list[TableReport]) -> list[str]:
    """Move conform's position past this job's commits to the bronze tables it had read to the end:
    they change no row, and the next conform would otherwise take them for news (a commit to a CRM
    table is compared with silver's and merged). The tables moved."""
    moved = {}
    for report in bronze:
        table = report.table.split(".", 1)[1]
        read, version = conform_read.get(table), report.after.version
        if read is None or read >= version:
            continue
        if not unread_changes(lake.spark, lake.path(BRONZE, table), read, version):
            moved[table] = version
    if not moved:
        return []
    move_positions(lake, moved)
    log.info("conform's position moved past this job's commits to bronze %s", ", ".join(sorted(moved)))
    return sorted(moved)


def maintain(
    lake: Lake,
    settings: MaintenanceConfig,
    layer: str,
    table: str,
    conform_read: dict[str, int],
    listing_parallelism: str | None = None,
) -> TableReport:
    """One table's maintenance, each step only where it has something to do."""
    started = time.monotonic()
    name, path = f"{layer}.{table}", lake.path(layer, table)
    delta_log = DeltaLog(lake.spark, path)
    before = table_state(lake.spark, path, delta_log)
    report = TableReport(name, before, before)
    read = conform_read.get(table, before.version) if layer == BRONZE else before.version
    if unread_changes(lake.spark, path, read, before.version):
        report.left = f"conform has read its change feed to version {read} of {before.version}: left for after conform"
    else:
        steps = (
            ("log retention", lambda: apply_log_retention(lake, layer, table, before, settings.log_retention_days)),
            ("optimize", lambda: compact(lake.spark, path, delta_log, before, settings.optimize_min_files)),
            ("vacuum", lambda: vacuum(lake.spark, path, delta_log, settings.vacuum_retain_hours, listing_parallelism)),
            ("checkpoint", lambda: checkpoint(delta_log, name)),
        )
        for step, action in steps:
            faults.reached(f"maintenance: {step} {name}")
            try:
                done = action()
            except CONFLICTS as conflict:  # another run wrote the table meanwhile: nothing of the step committed
                report.left = f"{step} conflicted with another run ({type(conflict).__name__}): left for the next run"
                break
            if done:
                report.done.append(done)
        report.after = table_state(lake.spark, path, delta_log)
    report.seconds = round(time.monotonic() - started, 1)
    log.info("%s", describe(report))
    return report


def describe(report: TableReport) -> str:
    b, a = report.before, report.after
    what = "; ".join(report.done) or "nothing to do"
    if report.left:
        what = f"{what}; {report.left}" if report.done else report.left
    return (
        f"{report.table}: {what}; data files {b.files} -> {a.files}, on storage {b.disk_files} -> {a.disk_files}, "
        f"log files {b.log_files} -> {a.log_files}, version {b.version} -> {a.version} ({report.seconds:.1f} s)"
    )


def run(spark: SparkSession, config: Config, tables: list[str] | None = None) -> list[TableReport]:
    """Maintain every table of the lake (or `tables`, as layer.table) that exists; one report each."""
    settings = config.maintenance
    check_vacuum_retention(spark, settings.vacuum_retain_hours)
    lake = Lake(spark, config)
    chosen = [(layer, table) for layer, table in USER_TABLES if tables is None or f"{layer}.{table}" in tables]
    present = [(layer, table) for layer, table in chosen if lake.exists(layer, table)]
    conform_read = read_positions(lake)
    listing = None if LISTING_PARALLELISM in config.spark.conf else str(spark.sparkContext.defaultParallelism)
    started = time.monotonic()
    # Bronze first: conform's position moves past this job's commits to it before ops is maintained.
    reports = [maintain(lake, settings, layer, t, conform_read, listing) for layer, t in present if layer == BRONZE]
    move_conform_state(lake, conform_read, reports)
    reports += [maintain(lake, settings, layer, t, conform_read, listing) for layer, t in present if layer != BRONZE]
    log.info(
        "maintenance: %d tables, %d changed; data files %d -> %d, on storage %d -> %d, log files %d -> %d (%.1f s)",
        len(reports),
        sum(r.changed for r in reports),
        sum(r.before.files for r in reports),
        sum(r.after.files for r in reports),
        sum(r.before.disk_files for r in reports),
        sum(r.after.disk_files for r in reports),
        sum(r.before.log_files for r in reports),
        sum(r.after.log_files for r in reports),
        time.monotonic() - started,
    )
    return reports


def summary(reports: list[TableReport]) -> str:
    """One line per table: data files, files on storage, log files and version, before -> after."""

    def pair(before: int, after: int) -> str:
        return f"{before:,} -> {after:,}"

    header = f"{'table':<34} {'data files':>14} {'on storage':>14} {'log files':>14} {'version':>14} {'s':>6}  done"
    lines = [header]
    for r in reports:
        b, a = r.before, r.after
        done = "; ".join(r.done) or ("-" if not r.left else "")
        done += f"{'; ' if r.done else ''}{r.left}" if r.left else ""
        lines.append(
            f"{r.table:<34} {pair(b.files, a.files):>14} {pair(b.disk_files, a.disk_files):>14} "
            f"{pair(b.log_files, a.log_files):>14} {pair(b.version, a.version):>14} {r.seconds:>6.1f}  {done}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("maintenance", DESCRIPTION)
    parser.add_argument(
        "--table",
        dest="tables",
        metavar="LAYER.TABLE",
        action="append",
        default=None,
        help="maintain only this table, e.g. bronze.emails (repeatable; default: every table of the lake)",
    )
    args, config = parse_job_args(parser, argv)
    known = {f"{layer}.{table}" for layer, table in USER_TABLES}
    unknown = sorted(set(args.tables or ()) - known)
    if unknown:
        parser.error(f"--table {', '.join(unknown)}: not a table of the lake (one of {', '.join(sorted(known))})")

    def body() -> int:
        spark = build_session(config, "rapport-maintenance")
        reports = run(spark, config, args.tables)
        print(f"\nRapport maintenance, as of {args.as_of}: lake {config.paths.lake}\n", file=sys.stdout)
        print(summary(reports), file=sys.stdout)
        return 0

    return run_job(body, "maintenance")


if __name__ == "__main__":
    raise SystemExit(main())

"""Ingest: landed files -> bronze Delta tables, one per source, and the quarantine table.

Each landed file is processed exactly once: the ledger `ops.ingest_files` records it after its
rows are committed, and rows are written with `replaceWhere` on their file names, so a run that
died half-way is simply run again. For every file, the records read by an independent reader
(Spark's own line reader) must equal the rows read back from bronze plus quarantine; the job
fails loudly, naming the file, if they do not.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from expectations.bronze import bronze_suite, quarantine_suite
from expectations.runner import validate
from jobs.config import Config
from jobs.lake import BRONZE, OPS, QUARANTINE, Lake, in_list
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job
from schemas.bronze import (
    BRONZE_SCHEMAS,
    LEDGER_SCHEMA,
    LEDGER_TABLE,
    QUARANTINE_SCHEMA,
    QUARANTINE_STATS_COLUMNS,
    QUARANTINE_TABLE,
    STATS_COLUMNS,
)
from schemas.landing import SOURCES, Source
from transforms.landing_files import EML, JSONL, MBOX, bronze_rows, file_format, quarantine_rows, with_parsed_records
from transforms.raw_records import Limits

log = logging.getLogger("rapport.ingest")
TARGET_FILE_BYTES = 256 * 2**20

DESCRIPTION = """\
Land raw files into bronze: one Delta table per source of the landing contract, bad records into
quarantine with a reason, each file exactly once (re-running ingests nothing new).

examples:
  python -m jobs.ingest
  python -m jobs.ingest --as-of 2026-03-31 --set paths.landing=/data/landing
"""


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: str
    size: int
    modified_at: datetime


@dataclass
class FileCount:
    records: int = 0
    blank_lines: int = 0
    bronze: int = 0
    quarantined: int = 0


@dataclass
class IngestResult:
    run_id: str
    files: int = 0
    bronze_rows: dict[str, int] = field(default_factory=dict)
    quarantined_rows: dict[str, int] = field(default_factory=dict)


def ensure_tables(lake: Lake) -> None:
    for source in SOURCES:
        lake.ensure_table(
            BRONZE, source.name, BRONZE_SCHEMAS[source.name], stats_columns=STATS_COLUMNS, change_feed=True
        )
    lake.ensure_table(
        QUARANTINE, QUARANTINE_TABLE, QUARANTINE_SCHEMA, stats_columns=QUARANTINE_STATS_COLUMNS, change_feed=True
    )
    lake.ensure_table(OPS, LEDGER_TABLE, LEDGER_SCHEMA)


def _path_exists(spark: SparkSession, path: str) -> bool:
    jvm_path = spark._jvm.org.apache.hadoop.fs.Path(path)
    return jvm_path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(jvm_path)


def list_landed_files(spark: SparkSession, landing: str) -> list[LandedFile]:
    """Every file under each source folder (hidden `.`/`_` files excluded, as Spark does)."""
    frames = []
    for source in SOURCES:
        folder = f"{landing}/{source.folder}"
        if not _path_exists(spark, folder):
            log.info("%s: no folder %s", source.name, folder)
            continue
        frames.append(
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load(folder)
            .select(F.lit(source.name).alias("source"), "path", "length", "modificationTime")
        )
    if not frames:
        return []
    listed = frames[0]
    for frame in frames[1:]:
        listed = listed.unionByName(frame)
    return [
        LandedFile(r["source"], r["path"], r["length"], r["modificationTime"].replace(tzinfo=UTC))
        for r in listed.collect()
    ]


def new_files(lake: Lake, landed: list[LandedFile]) -> list[LandedFile]:
    done = {r["source_file"] for r in lake.read(OPS, LEDGER_TABLE).select("source_file").collect()}
    return sorted((f for f in landed if f.path not in done), key=lambda f: (f.source, f.path))


def count_records(spark: SparkSession, files: list[LandedFile]) -> dict[str, FileCount]:
    """Records per file by an independent reader: Spark's line reader for JSON Lines (non-blank
    lines) and mbox ("From " lines); one per .eml. Rows the parser gives a whole file (line 0: a
    file of a type its folder does not take, an unreadable file, an mbox preamble) are added by
    `reconcile`."""
    counts = {f.path: FileCount(records=1 if file_format(f.path) == EML else 0) for f in files}
    text_files = [f.path for f in files if file_format(f.path) in (JSONL, MBOX)]
    if not text_files:
        return counts
    is_blank = F.col("value").rlike(r"^\s*$")
    per_file = (
        spark.read.option("lineSep", "\n")
        .option("ignoreCorruptFiles", "true")  # an unreadable file is quarantined whole by the parser
        .text(text_files)
        .groupBy(F.col("_metadata.file_path").alias("path"))
        .agg(
            F.count_if(~is_blank).alias("lines"),
            F.count_if(is_blank).alias("blank_lines"),
            F.count_if(F.col("value").startswith("From ")).alias("from_lines"),
        )
        .collect()
    )
    for row in per_file:
        is_mbox = file_format(row["path"]) == MBOX
        counts[row["path"]] = FileCount(
            records=row["from_lines"] if is_mbox else row["lines"],
            blank_lines=0 if is_mbox else row["blank_lines"],
        )
    for path in text_files:
        counts.setdefault(path, FileCount())  # an empty file has no line at all
    return counts


def reconcile(source: Source, files: list[LandedFile], expected: dict[str, FileCount], parsed: DataFrame) -> FileCount:
    """Check, per file, records read by the independent reader = rows the parser gave; fill in the counts."""
    is_bad = F.col("quarantine_reason").isNotNull()
    per_file = {
        r["source_file"]: r
        for r in parsed.groupBy("source_file")
        .agg(
            F.count_if(~is_bad).alias("good"),
            F.count_if(is_bad).alias("bad"),
            F.count_if(F.col("source_line") == 0).alias("whole_file"),
        )
        .collect()
    }
    total = FileCount()
    for file in files:
        count, row = expected[file.path], per_file.get(file.path)
        count.bronze, count.quarantined = (row["good"], row["bad"]) if row else (0, 0)
        count.records += row["whole_file"] if row else 0
        if count.records != count.bronze + count.quarantined:
            raise JobError(
                f"{file.path}: {count.records} records read, but the parser gave {count.bronze} good and "
                f"{count.quarantined} bad rows; nothing was written for {source.name}"
            )
        log.info(
            "%s: %s: %d records read = %d to bronze + %d quarantined%s",
            source.name,
            file.path,
            count.records,
            count.bronze,
            count.quarantined,
            f" ({count.blank_lines} blank lines)" if count.blank_lines else "",
        )
        for name in ("records", "blank_lines", "bronze", "quarantined"):
            setattr(total, name, getattr(total, name) + getattr(count, name))
    return total


def _check_committed(table: str, committed: int, meant: int) -> None:
    if committed != meant:
        raise JobError(f"{table}: Delta committed {committed} rows where {meant} were meant; the ledger is not updated")


def _ledger_df(spark: SparkSession, files: list[LandedFile], counts: dict[str, FileCount], ingested_at, run_id):
    rows = [
        (
            f.source,
            f.path,
            f.size,
            f.modified_at,
            counts[f.path].records,
            counts[f.path].blank_lines,
            counts[f.path].bronze,
            counts[f.path].quarantined,
            ingested_at,
            run_id,
        )
        for f in files
    ]
    return spark.createDataFrame(rows, LEDGER_SCHEMA)


def run(spark: SparkSession, config: Config, as_of: date) -> IngestResult:
    """Ingest every landed file not yet in the ledger. Per source: parse, reconcile, validate, write
    bronze; then one quarantine commit and one ledger commit for the whole run."""
    lake = Lake(spark, config)
    ensure_tables(lake)
    landing = config.path("paths.landing")
    result = IngestResult(run_id=f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    files = new_files(lake, list_landed_files(spark, landing))
    log.info("landing %s: %d new files (run %s, as of %s)", landing, len(files), result.run_id, as_of)
    if not files:
        return result
    limits = Limits.for_as_of(
        as_of, int(config.get("ingest.max_record_bytes")), int(config.get("ingest.future_tolerance_days"))
    )
    list_addresses = frozenset(a.lower() for a in config.get("org.mailing_lists", []) or [])
    batch_rows = int(config.get("ingest.records_per_batch", 10_000))
    check_quality = bool(config.get("quality.enabled", True))
    counts = count_records(spark, files)
    ingested_at = datetime.now(UTC).replace(microsecond=0)
    parsed_frames: list[DataFrame] = []
    quarantine_df: DataFrame | None = None
    try:
        for source in SOURCES:
            source_files = [f for f in files if f.source == source.name]
            if not source_files:
                continue
            started = time.monotonic()
            paths = [f.path for f in source_files]
            files_df = spark.read.format("binaryFile").load(paths)
            parsed = with_parsed_records(files_df, source, limits, list_addresses, batch_rows)
            parsed = parsed.persist(StorageLevel.MEMORY_AND_DISK)
            parsed_frames.append(parsed)
            total = reconcile(source, source_files, counts, parsed)

            table = lake.name(BRONZE, source.name)
            bronze_df = bronze_rows(parsed, source, ingested_at, result.run_id)
            if check_quality and total.bronze:
                validate(bronze_df, bronze_suite(source), table)
            # Parsing ran at full parallelism into the persisted frame; the write is packed into
            # files of about TARGET_FILE_BYTES of landed input each instead of one per input split.
            output_files = max(1, math.ceil(sum(f.size for f in source_files) / TARGET_FILE_BYTES))
            committed = lake.replace_where(
                bronze_df.coalesce(output_files), BRONZE, source.name, in_list("source_file", paths)
            )
            _check_committed(table, committed, total.bronze)

            bad_df = quarantine_rows(parsed, source, ingested_at, result.run_id)
            quarantine_df = bad_df if quarantine_df is None else quarantine_df.unionByName(bad_df)
            result.files += len(source_files)
            result.bronze_rows[source.name] = total.bronze
            result.quarantined_rows[source.name] = total.quarantined
            log.info(
                "%s: %d files, %d records -> %s %d rows, %d to quarantine (%.1f s)",
                source.name,
                len(source_files),
                total.records,
                table,
                total.bronze,
                total.quarantined,
                time.monotonic() - started,
            )

        # One quarantine commit and one ledger commit per run, after every bronze table is written:
        # a run that dies before the ledger commit is repaired by running again.
        table = lake.name(QUARANTINE, QUARANTINE_TABLE)
        quarantined = sum(result.quarantined_rows.values())
        if check_quality and quarantined:
            validate(quarantine_df, quarantine_suite(), table)
        condition = in_list("source_file", [f.path for f in files])
        committed = lake.replace_where(quarantine_df.coalesce(1), QUARANTINE, QUARANTINE_TABLE, condition)
        _check_committed(table, committed, quarantined)
    finally:
        for parsed in parsed_frames:
            parsed.unpersist()

    lake.append(_ledger_df(spark, files, counts, ingested_at, result.run_id), OPS, LEDGER_TABLE)
    log.info(
        "ingest done: %d files, %d rows to bronze, %d to quarantine, ledger %s",
        result.files,
        sum(result.bronze_rows.values()),
        quarantined,
        lake.name(OPS, LEDGER_TABLE),
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("ingest", DESCRIPTION)
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-ingest")
        run(spark, config, args.as_of)
        return 0

    return run_job(body, "ingest")


if __name__ == "__main__":
    raise SystemExit(main())

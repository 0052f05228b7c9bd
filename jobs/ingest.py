"""Ingest: landed files -> bronze Delta tables, one per source, and the quarantine table.

Each landed file is processed exactly once: the ledger `ops.ingest_files` records it (size,
modification time, SHA-256) after its rows are committed, and rows are written with `replaceWhere`
on their file names, so a run that died half-way is simply run again. A file delivered again under
the same name with other content is ingested again, replacing its earlier rows, with a warning;
`--reprocess PATH` does the same on purpose. For every file, the records read by an independent
reader (Spark's own line reader) must equal the rows read back from bronze plus quarantine; the job
fails loudly, naming the file, if they do not. A landing zone without any file is an error, and
then nothing is written.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from expectations.runner import validate
from jobs import erase
from jobs.config import Config, is_uri
from jobs.lake import BRONZE, OPS, QUARANTINE, Lake, in_list
from jobs.quality import keeps_validations
from jobs.runtime import (
    JobError,
    build_session,
    job_parser,
    parse_job_args,
    run_job,
    session_settings,
    side_by_side,
)
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
# What opening one more landed file costs, in bytes Spark could read meanwhile: how it packs files
# into tasks. With Spark's 4 MiB, 10,000 mail files of 3 KiB made 313 tasks, each paying Python's
# fixed cost of a task for 15 ms of parsing; with 128 KiB, 10 tasks (27.1 s -> 3.6 s of parsing).
LANDED_FILE_OPEN_BYTES = 128 * 2**10

DESCRIPTION = """\
Land raw files into bronze: one Delta table per source of the landing contract, bad records into
quarantine with a reason, each file exactly once (re-running ingests nothing new).

examples:
  python -m jobs.ingest
  python -m jobs.ingest --as-of 2026-03-31 --set paths.landing=/data/landing
  python -m jobs.ingest --reprocess crm/users/2026-03-31-00000.jsonl.gz    # read one file again
"""


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: str
    size: int
    modified_at: datetime
    modified_us: int  # the modification time in microseconds since the epoch, for exact comparison


@dataclass(frozen=True)
class IngestPlan:
    """What a run reads: new, changed and asked-for files; and the ledger rows of files touched
    without a change (same bytes, a new modification time), which only need that time."""

    files: list[LandedFile]
    hashes: dict[str, str]  # path -> hex SHA-256, of every file in `files`
    earlier: dict[str, dict] = field(default_factory=dict)  # path -> its ledger row, for files read before
    touched: list[dict] = field(default_factory=list)  # ledger rows with their new modification time

    @property
    def ledger_paths(self) -> list[str]:
        """The files whose ledger rows this run writes."""
        return [f.path for f in self.files] + [row["source_file"] for row in self.touched]


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


def _is_visible(relative: Path) -> bool:
    """Spark skips names starting with `.` or `_` (the usual marks of uploads in progress)."""
    return not any(part.startswith((".", "_")) for part in relative.parts)


def require_landed_files(landing: str) -> None:
    """Stop before anything starts if a local landing zone holds no file in any source folder: a
    mistyped or empty path must not create a lake. (An object-store landing zone is checked by
    `run`, before it writes anything.)"""
    if is_uri(landing):
        return
    root = Path(landing)
    if not root.is_dir():
        raise JobError(f"landing zone {landing} does not exist: check paths.landing; nothing was read or written")
    for source in SOURCES:
        folder = root / source.folder
        if folder.is_dir() and any(p.is_file() and _is_visible(p.relative_to(folder)) for p in folder.rglob("*")):
            return
    raise JobError(_no_files_message(landing))


def _no_files_message(landing: str) -> str:
    folders = ", ".join(f"{s.folder}/" for s in SOURCES)
    return (
        f"landing zone {landing} has no files in any source folder ({folders}): check paths.landing; "
        "nothing was read or written"
    )


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
            .select(
                F.lit(source.name).alias("source"),
                "path",
                "length",
                "modificationTime",
                F.unix_micros("modificationTime").alias("modified_us"),
            )
        )
    if not frames:
        return []
    listed = frames[0]
    for frame in frames[1:]:
        listed = listed.unionByName(frame)
    return [
        LandedFile(r["source"], r["path"], r["length"], r["modificationTime"].replace(tzinfo=UTC), r["modified_us"])
        for r in listed.collect()
    ]


def file_hashes(spark: SparkSession, paths: list[str]) -> dict[str, str]:
    """Hex SHA-256 of each file's bytes, computed by Spark where the files are."""
    if not paths:
        return {}
    hashed = spark.read.format("binaryFile").load(paths).select("path", F.sha2("content", 256).alias("sha256"))
    return {r["path"]: r["sha256"] for r in hashed.collect()}


def _ledger_rows(lake: Lake) -> dict[str, dict]:
    """The ledger row of every ingested file, with its modification time in microseconds."""
    ledger_df = lake.read(OPS, LEDGER_TABLE).withColumn("modified_us", F.unix_micros("file_modified_at"))
    return {r["source_file"]: r.asDict() for r in ledger_df.collect()}


def resolve_reprocess(landing: str, landed: list[LandedFile], asked: list[str]) -> set[str]:
    """The landed paths of `--reprocess` arguments: a path inside the landing zone (relative to
    it, absolute, or as the URI the ledger shows)."""
    by_path = {f.path: f.path for f in landed}
    by_path.update({f.path.removeprefix("file:"): f.path for f in landed})
    found = set()
    for given in asked:
        candidates = [given, given.removeprefix("file:"), f"{landing}/{given.lstrip('/')}"]
        if not is_uri(given):
            candidates.append(str(Path(given).expanduser().resolve()))
        match = next((by_path[c] for c in candidates if c in by_path), None)
        if match is None:
            raise JobError(
                f"--reprocess {given}: not a file of the landing zone {landing} "
                "(give its path in the landing zone, e.g. crm/users/2026-03-31-00000.jsonl.gz)"
            )
        found.add(match)
    return found


def plan_files(
    spark: SparkSession, ledger: dict[str, dict], landed: list[LandedFile], reprocess: set[str]
) -> IngestPlan:
    """Which landed files this run reads. A file in the ledger with the same size and modification
    time is done; one whose size or time moved is hashed: other bytes mean it was delivered again
    and is read again (its earlier rows replaced), the same bytes only refresh its ledger row."""
    unseen, moved = [], []
    for file in landed:
        entry = ledger.get(file.path)
        if entry is None or file.path in reprocess:
            unseen.append(file)
        elif (entry["file_size"], entry["modified_us"]) != (file.size, file.modified_us):
            moved.append(file)
    hashes = file_hashes(spark, [f.path for f in unseen + moved])
    changed, touched = [], []
    for file in moved:
        entry = ledger[file.path]
        if entry["content_sha256"] is not None and entry["content_sha256"] == hashes[file.path]:
            touched.append({**entry, "file_modified_at": file.modified_at})
            log.info("%s: modified time changed, content did not: not read again", file.path)
            continue
        changed.append(file)
        log.warning(
            "%s was delivered again with other content (%d -> %d bytes, sha256 %s -> %s): reading it again, "
            "replacing the %d bronze and %d quarantine rows of its earlier delivery",
            file.path,
            entry["file_size"],
            file.size,
            (entry["content_sha256"] or "unknown")[:12],
            hashes[file.path][:12],
            entry["rows_bronze"],
            entry["rows_quarantined"],
        )
    for path in sorted(reprocess & set(ledger)):
        log.info("%s: reprocessing as asked, replacing its earlier rows", path)
    files = sorted(unseen + changed, key=lambda f: (f.source, f.path))
    earlier = {f.path: ledger[f.path] for f in files if f.path in ledger}
    return IngestPlan(files, hashes, earlier, touched)


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


def _ledger_df(spark: SparkSession, plan: IngestPlan, counts: dict[str, FileCount], ingested_at, run_id):
    rows = [
        (
            f.source,
            f.path,
            f.size,
            f.modified_at,
            plan.hashes[f.path],
            counts[f.path].records,
            counts[f.path].blank_lines,
            counts[f.path].bronze,
            counts[f.path].quarantined,
            ingested_at,
            run_id,
        )
        for f in plan.files
    ]
    rows += [tuple(row[c] for c in LEDGER_SCHEMA.fieldNames()) for row in plan.touched]
    return spark.createDataFrame(rows, LEDGER_SCHEMA)


def replace_file_rows(
    lake: Lake, df: DataFrame, layer: str, table: str, paths: list[str], rows: int, earlier: dict
) -> int:
    """Replace the rows of `paths` with `df` (`rows` rows). Delta commits nothing for an empty
    frame, so when a file read before now gives no rows its old ones are deleted instead."""
    if rows:
        return lake.replace_where(df, layer, table, in_list("source_file", paths))
    read_before = [p for p in paths if p in earlier]
    if read_before:
        lake.delete(layer, table, in_list("source_file", read_before))
    return 0


@keeps_validations("ingest")
def run(spark: SparkSession, config: Config, as_of: date, reprocess: list[str] | None = None) -> IngestResult:
    """Ingest every landed file not yet in the ledger, delivered again with other content, or
    named in `reprocess`. Per source: parse, reconcile, validate, write bronze; then one quarantine
    commit and one ledger commit for the whole run."""
    with session_settings(spark, {"spark.sql.files.openCostInBytes": str(LANDED_FILE_OPEN_BYTES)}):
        return _ingest(spark, config, as_of, reprocess)


def _ingest(spark: SparkSession, config: Config, as_of: date, reprocess: list[str] | None) -> IngestResult:
    lake = Lake(spark, config)
    landing = config.paths.landing
    landed = list_landed_files(spark, landing)
    if not landed:
        raise JobError(_no_files_message(landing))
    asked = resolve_reprocess(landing, landed, reprocess or [])
    ensure_tables(lake)
    result = IngestResult(run_id=f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    plan = plan_files(spark, _ledger_rows(lake), landed, asked)
    files = plan.files
    log.info(
        "landing %s: %d files, %d to read (%d read before), %d touched (run %s, as of %s)",
        landing,
        len(landed),
        len(files),
        len(plan.earlier),
        len(plan.touched),
        result.run_id,
        as_of,
    )
    if not files:
        if plan.touched:
            touched_df = _ledger_df(spark, plan, {}, None, result.run_id)
            lake.replace_where(touched_df, OPS, LEDGER_TABLE, in_list("source_file", plan.ledger_paths))
        return result
    limits = Limits.for_as_of(as_of, config.ingest.max_record_bytes, config.ingest.future_tolerance_days)
    list_addresses = frozenset(config.org.mailing_lists)
    batch_rows = config.ingest.records_per_batch
    check_quality = config.quality.enabled
    counts = count_records(spark, files)
    ingested_at = datetime.now(UTC).replace(microsecond=0)
    parsed_frames: list[DataFrame] = []

    def ingest_source(source: Source, source_files: list[LandedFile]) -> tuple[FileCount, DataFrame]:
        """Parse, reconcile, validate and write one source's files; its quarantine rows to write."""
        started = time.monotonic()
        paths = [f.path for f in source_files]
        files_df = spark.read.format("binaryFile").load(paths)
        parsed = with_parsed_records(files_df, source, limits, list_addresses, batch_rows)
        # Read three times (reconcile, check, write): kept on local disk, not in the heap, which
        # the parsing and the other source's work need; released as soon as the source is written.
        parsed = parsed.persist(StorageLevel.DISK_ONLY)
        parsed_frames.append(parsed)
        total = reconcile(source, source_files, counts, parsed)
        table = lake.name(BRONZE, source.name)
        bronze_df = bronze_rows(parsed, source, ingested_at, result.run_id)
        if check_quality and total.bronze:
            from expectations.bronze import bronze_suite  # Great Expectations: seconds to import

            validate(bronze_df, bronze_suite(source), table)
        # Parsing ran at full parallelism into the persisted frame; the write is packed into
        # files of about TARGET_FILE_BYTES of landed input each instead of one per input split.
        output_files = max(1, math.ceil(sum(f.size for f in source_files) / TARGET_FILE_BYTES))
        committed = replace_file_rows(
            lake, bronze_df.coalesce(output_files), BRONZE, source.name, paths, total.bronze, plan.earlier
        )
        _check_committed(table, committed, total.bronze)
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
        # The few rejected rows are kept apart, so that the whole parsed frame can go now.
        bad_df = quarantine_rows(parsed, source, ingested_at, result.run_id).localCheckpoint()
        parsed.unpersist()
        return total, bad_df

    work = [(s, [f for f in files if f.source == s.name]) for s in SOURCES]
    work = [(source, source_files) for source, source_files in work if source_files]
    # The largest first: the small sources' commits and checks then fill the gaps of the large
    # ones' parsing, instead of the last large source parsing alone at the end.
    work.sort(key=lambda item: -sum(f.size for f in item[1]))
    try:
        # Sources are independent tables: run them side by side, so that one source's Python
        # parsing, commits and checks overlap another's, and both cores stay busy.
        steps = [functools.partial(ingest_source, source, source_files) for source, source_files in work]
        outcomes = side_by_side(steps, config.ingest.parallel_sources)
        quarantine_df: DataFrame | None = None
        for (source, source_files), (total, bad_df) in zip(work, outcomes, strict=True):
            quarantine_df = bad_df if quarantine_df is None else quarantine_df.unionByName(bad_df)
            result.files += len(source_files)
            result.bronze_rows[source.name] = total.bronze
            result.quarantined_rows[source.name] = total.quarantined

        # One quarantine commit and one ledger commit per run, after every bronze table is written:
        # a run that dies before the ledger commit is repaired by running again.
        table = lake.name(QUARANTINE, QUARANTINE_TABLE)
        quarantined = sum(result.quarantined_rows.values())
        if check_quality and quarantined:
            from expectations.bronze import quarantine_suite

            validate(quarantine_df, quarantine_suite(), table)
        paths = [f.path for f in files]
        committed = replace_file_rows(
            lake, quarantine_df.coalesce(1), QUARANTINE, QUARANTINE_TABLE, paths, quarantined, plan.earlier
        )
        _check_committed(table, committed, quarantined)
    finally:
        for parsed in parsed_frames:
            parsed.unpersist()

    # People erased before stay erased: found in what this run wrote, they are erased again (whole
    # records, every layer) before the ledger commit, so that a run killed in between does it again.
    erase.erase_landed_again(spark, config, result.run_id)

    # Rows of files read before (delivered again, or reprocessed) replace theirs; touched files
    # get their new modification time.
    ledger_df = _ledger_df(spark, plan, counts, ingested_at, result.run_id)
    lake.replace_where(ledger_df, OPS, LEDGER_TABLE, in_list("source_file", plan.ledger_paths))
    log.info(
        "ingest done: %d files, %d rows to bronze, %d to quarantine, ledger %s",
        result.files,
        sum(result.bronze_rows.values()),
        quarantined,
        lake.name(OPS, LEDGER_TABLE),
    )
    return result


def add_reprocess_option(parser) -> None:
    parser.add_argument(
        "--reprocess",
        metavar="PATH",
        action="append",
        default=[],
        help="read this landed file again, replacing its earlier rows (its path in the landing zone; repeatable)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("ingest", DESCRIPTION)
    add_reprocess_option(parser)
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        require_landed_files(config.paths.landing)
        spark = build_session(config, "rapport-ingest")
        run(spark, config, args.as_of, args.reprocess)
        return 0

    return run_job(body, "ingest")


if __name__ == "__main__":
    raise SystemExit(main())

"""Landed files -> one parsed row per record: the typed record, or the reason it was rejected.

Grain of `with_parsed_records` output: one row per record of each file (JSON line, or message of
an .eml / .mbox), plus one row for a file that cannot be read at all. Blank lines are not records.
The per-record work is plain Python (see `transforms.raw_records`), run inside Spark with
`mapInArrow` so it scales out with the files.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import to_arrow_schema

from schemas.bronze import BRONZE_SCHEMAS, record_schema
from schemas.landing import Source
from transforms.mail import message_to_email, split_mbox
from transforms.raw_records import BadRecord, Limits, Reason, validate_line, validate_record

JSONL, EML, MBOX = "jsonl", "eml", "mbox"

PROBLEM_COLUMNS = (
    T.StructField("quarantine_reason", T.StringType(), nullable=True),
    T.StructField("quarantine_field", T.StringType(), nullable=True),
    T.StructField("quarantine_detail", T.StringType(), nullable=True),
)
POSITION_COLUMNS = (
    T.StructField("raw_record", T.StringType(), nullable=True),
    T.StructField("source_format", T.StringType(), nullable=False),
    T.StructField("source_file", T.StringType(), nullable=False),
    T.StructField("source_line", T.LongType(), nullable=False),
    T.StructField("file_modified_at", T.TimestampType(), nullable=False),
)


def parsed_schema(source: Source) -> T.StructType:
    """Record fields (all nullable: a rejected record has none) + position + problem columns."""
    record_fields = [T.StructField(f.name, f.dataType, nullable=True) for f in record_schema(source).fields]
    return T.StructType([*record_fields, *POSITION_COLUMNS, *PROBLEM_COLUMNS])


def file_format(path: str) -> str | None:
    name = path.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz")):
        return JSONL
    if name.endswith(".eml"):
        return EML
    if name.endswith(".mbox"):
        return MBOX
    return None


@dataclass(frozen=True)
class Outcome:
    """One record of a file: its line (or message position) and either a record or a problem."""

    line: int
    raw: str | None
    record: dict | None = None
    problem: BadRecord | None = None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def jsonl_lines(content: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, line without its end) of every non-blank line."""
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the file opens no line
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix(b"\r")
        if line.strip():
            yield number, line


def _validated(line: int, raw: str, check: Callable[[], dict]) -> Outcome:
    try:
        return Outcome(line, raw, record=check())
    except BadRecord as problem:
        return Outcome(line, raw, problem=problem)


def parse_file(
    source: Source, path: str, content: bytes, limits: Limits, list_addresses: frozenset[str] = frozenset()
) -> Iterator[Outcome]:
    """Every record of one landed file, validated. Never raises for bad content."""
    kind = file_format(path)
    if kind is None or (kind != JSONL and not source.mail_files):
        detail = f"{path}: not a file type the {source.folder} folder takes"
        yield Outcome(0, None, problem=BadRecord(Reason.UNSUPPORTED_FILE, None, detail))
        return
    if path.lower().endswith(".gz"):
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as error:
            yield Outcome(0, None, problem=BadRecord(Reason.UNREADABLE_FILE, None, f"{path}: {error}"))
            return
    if kind == JSONL:
        for number, line in jsonl_lines(content):
            yield _validated(number, _text(line), lambda line=line: validate_line(source, line, limits))
        return
    messages = split_mbox(content) if kind == MBOX else iter([(1, content)])
    for position, message in messages:
        yield _validated(position, _text(message), lambda m=message: _mail_record(source, m, limits, list_addresses))


def _mail_record(source: Source, message: bytes, limits: Limits, list_addresses: frozenset[str]) -> dict:
    if len(message) > limits.max_record_bytes:
        raise BadRecord(
            Reason.RECORD_TOO_LARGE,
            None,
            f"message: {len(message)} bytes, more than the maximum {limits.max_record_bytes}",
        )
    try:
        email = message_to_email(message, list_addresses)
    except Exception as error:  # noqa: BLE001 - any parser failure is this message's problem, not the run's
        raise BadRecord(Reason.UNPARSEABLE_MESSAGE, None, f"message: {type(error).__name__}: {error}") from None
    return validate_record(source, email, limits)


def outcome_row(source: Source, path: str, modified_at: datetime, outcome: Outcome) -> dict:
    row = dict(outcome.record) if outcome.record else dict.fromkeys(f.name for f in source.fields)
    problem = outcome.problem
    row.update(
        raw_record=outcome.raw,
        source_format=file_format(path) or "unknown",
        source_file=path,
        source_line=outcome.line,
        file_modified_at=modified_at,
        quarantine_reason=problem.reason if problem else None,
        quarantine_field=problem.field if problem else None,
        quarantine_detail=f"{path}:{outcome.line}: {problem.detail}" if problem else None,
    )
    return row


def _file_parser(source: Source, limits: Limits, list_addresses: frozenset[str], batch_rows: int, schema: pa.Schema):
    def parse_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows: list[dict] = []
        for batch in batches:
            for file in batch.to_pylist():
                modified_at = file["modificationTime"]
                if modified_at.tzinfo is None:
                    modified_at = modified_at.replace(tzinfo=UTC)
                for outcome in parse_file(source, file["path"], file["content"], limits, list_addresses):
                    rows.append(outcome_row(source, file["path"], modified_at, outcome))
                    if len(rows) >= batch_rows:
                        yield pa.RecordBatch.from_pylist(rows, schema=schema)
                        rows = []
        if rows:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return parse_batches


def with_parsed_records(
    files_df: DataFrame,
    source: Source,
    limits: Limits,
    list_addresses: frozenset[str] = frozenset(),
    batch_rows: int = 10_000,
) -> DataFrame:
    """A `binaryFile` frame (path, modificationTime, length, content) -> one row per record."""
    schema = parsed_schema(source)
    arrow_schema = to_arrow_schema(schema)
    parser = _file_parser(source, limits, list_addresses, batch_rows, arrow_schema)
    return files_df.select("path", "modificationTime", "content").mapInArrow(parser, schema)


def bronze_rows(parsed_df: DataFrame, source: Source, ingested_at: datetime, run_id: str) -> DataFrame:
    """The good records of a parsed frame as rows of the source's bronze table."""
    stamped = {"ingested_at": F.lit(ingested_at), "ingest_run_id": F.lit(run_id)}
    return parsed_df.filter(F.col("quarantine_reason").isNull()).select(
        *[stamped.get(f.name, F.col(f.name)).cast(f.dataType).alias(f.name) for f in BRONZE_SCHEMAS[source.name].fields]
    )


def quarantine_rows(parsed_df: DataFrame, source: Source, ingested_at: datetime, run_id: str) -> DataFrame:
    """The rejected records of a parsed frame as rows of the quarantine table."""
    return parsed_df.filter(F.col("quarantine_reason").isNotNull()).select(
        F.lit(source.name).alias("source"),
        "source_file",
        "source_line",
        F.col("quarantine_reason").alias("reason"),
        F.col("quarantine_field").alias("field"),
        F.col("quarantine_detail").alias("detail"),
        "raw_record",
        "file_modified_at",
        F.lit(ingested_at).alias("ingested_at"),
        F.lit(run_id).alias("ingest_run_id"),
    )

"""Bronze tables: each landed record as it came (`raw_record`), its validated typed fields, and where
and when it landed. Grain of every source table: one row per landed record (file, line).

Also the quarantine table (one row per rejected record) and the ingest ledger (one row per file).
"""

from __future__ import annotations

from pyspark.sql import types as T

from schemas.landing import SOURCES, Field, Kind, Source

# Where and when a record landed; appended to every bronze source table.
LANDING_COLUMNS = (
    T.StructField("raw_record", T.StringType(), nullable=False),
    T.StructField("source_format", T.StringType(), nullable=False),  # jsonl, eml or mbox
    T.StructField("source_file", T.StringType(), nullable=False),
    T.StructField("source_line", T.LongType(), nullable=False),
    T.StructField("file_modified_at", T.TimestampType(), nullable=False),
    T.StructField("ingested_at", T.TimestampType(), nullable=False),
    T.StructField("ingest_run_id", T.StringType(), nullable=False),
)

# Delta keeps min/max statistics of these columns only, so raw identities (addresses, names,
# message text) never sit in the transaction log.
STATS_COLUMNS = ("source_file", "source_line", "ingested_at", "ingest_run_id")

_SPARK_TYPES = {
    Kind.TEXT: T.StringType(),
    Kind.EMAIL: T.StringType(),
    Kind.TEXT_LIST: T.ArrayType(T.StringType()),
    Kind.EMAIL_LIST: T.ArrayType(T.StringType()),
    Kind.INSTANT: T.TimestampType(),
    Kind.DATE: T.DateType(),
    Kind.INTEGER: T.LongType(),
    Kind.NUMBER: T.DoubleType(),
    Kind.FLAG: T.BooleanType(),
    Kind.CHOICE: T.StringType(),
}


def spark_type(field: Field) -> T.DataType:
    if field.kind is Kind.RECORDS:
        # Delta enforces no NOT NULL inside arrays; the parser guarantees nested required fields.
        return T.ArrayType(T.StructType([spark_field(f, nested=True) for f in field.fields]))
    return _SPARK_TYPES[field.kind]


def spark_field(field: Field, nested: bool = False) -> T.StructField:
    # Required fields and fields with a default are never null once validated.
    nullable = nested or not (field.required or field.default is not None)
    return T.StructField(field.name, spark_type(field), nullable=nullable)


def record_schema(source: Source) -> T.StructType:
    """The validated contract fields of one source, in contract order."""
    return T.StructType([spark_field(f) for f in source.fields])


def bronze_schema(source: Source) -> T.StructType:
    return T.StructType([*record_schema(source).fields, *LANDING_COLUMNS])


BRONZE_SCHEMAS: dict[str, T.StructType] = {s.name: bronze_schema(s) for s in SOURCES}

QUARANTINE_TABLE = "records"
QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), nullable=False),
        T.StructField("source_file", T.StringType(), nullable=False),
        T.StructField("source_line", T.LongType(), nullable=False),  # 0: the whole file
        T.StructField("reason", T.StringType(), nullable=False),
        T.StructField("field", T.StringType(), nullable=True),
        T.StructField("detail", T.StringType(), nullable=False),
        T.StructField("raw_record", T.StringType(), nullable=True),
        T.StructField("file_modified_at", T.TimestampType(), nullable=False),
        T.StructField("ingested_at", T.TimestampType(), nullable=False),
        T.StructField("ingest_run_id", T.StringType(), nullable=False),
    ]
)
QUARANTINE_STATS_COLUMNS = ("source", "source_file", "source_line", "reason", "ingested_at", "ingest_run_id")

# One row per landed file that was ingested: what it held when it was read, and where it went. A
# file delivered again with other content replaces its row (and its rows in bronze and quarantine).
LEDGER_TABLE = "ingest_files"
LEDGER_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), nullable=False),
        T.StructField("source_file", T.StringType(), nullable=False),
        T.StructField("file_size", T.LongType(), nullable=False),
        T.StructField("file_modified_at", T.TimestampType(), nullable=False),
        # Hex SHA-256 of the file's bytes as read; null on rows written before the ledger had it.
        T.StructField("content_sha256", T.StringType(), nullable=True),
        T.StructField("records_read", T.LongType(), nullable=False),
        T.StructField("blank_lines", T.LongType(), nullable=False),
        T.StructField("rows_bronze", T.LongType(), nullable=False),
        T.StructField("rows_quarantined", T.LongType(), nullable=False),
        T.StructField("ingested_at", T.TimestampType(), nullable=False),
        T.StructField("ingest_run_id", T.StringType(), nullable=False),
    ]
)

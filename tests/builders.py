"""Tiny hand-written frames in the shape of project tables: name only the columns a test cares about."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from schemas.bronze import BRONZE_SCHEMAS

LANDED = {"raw_record": "{}", "source_format": "jsonl", "source_file": "file:/l/f.jsonl", "ingest_run_id": "r1"}


def frame(spark: SparkSession, schema: T.StructType, rows: list[dict]) -> DataFrame:
    """Rows given as dicts; absent columns are null. Nullability is relaxed for hand-made rows."""
    relaxed = T.StructType([T.StructField(f.name, f.dataType, nullable=True) for f in schema.fields])
    return spark.createDataFrame([tuple(row.get(f.name) for f in schema.fields) for row in rows], relaxed)


def bronze(spark: SparkSession, source: str, rows: list[dict]) -> DataFrame:
    """Bronze rows of a source, each on its own line of one landed file unless given."""
    return frame(
        spark,
        BRONZE_SCHEMAS[source],
        [{**LANDED, "source_line": line, **row} for line, row in enumerate(rows, start=1)],
    )

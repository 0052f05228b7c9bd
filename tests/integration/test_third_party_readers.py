"""Every gold table read without Spark: the `deltalake` package (delta-rs) reads the Delta log and
files, DuckDB queries its Arrow output, and both give exactly the rows Spark reads.

This is what a BI tool or a notebook without a JVM does (README, "Reading gold without Spark").
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest
from deltalake import DeltaTable

from jobs.lake import GOLD
from schemas.gold import GOLD_TABLES

pytestmark = pytest.mark.integration


def plain(value):
    """A value as both readers can agree on it: instants as UTC ISO text (PySpark gives naive local
    datetimes, DuckDB zone-aware ones), structs as sorted pairs, lists as tuples."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return tuple(sorted((k, plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(plain(v) for v in value)
    return value


def spark_rows(lake, table: str) -> list[tuple]:
    return sorted(
        (plain(list(row.asDict(recursive=True).values())) for row in lake.read(GOLD, table).collect()), key=repr
    )


def open_reader_rows(path: str, columns: list[str]) -> list[tuple]:
    """The rows of the table at `path`, its `columns` in that order (delta-rs puts partition columns last)."""
    arrow = DeltaTable(path).to_pyarrow_table()
    with duckdb.connect() as con:
        con.register("gold_table", arrow)
        quoted = ", ".join(f'"{column}"' for column in columns)
        rows = con.execute(f"SELECT {quoted} FROM gold_table").fetchall()
    return sorted((plain(row) for row in rows), key=repr)


@pytest.mark.parametrize("table", sorted(GOLD_TABLES))
def test_deltalake_and_duckdb_read_the_rows_spark_reads(every_gold_table, table):
    _, lake = every_gold_table
    expected = spark_rows(lake, table)

    rows = open_reader_rows(lake.path(GOLD, table), lake.read(GOLD, table).columns)

    assert expected, f"gold.{table} is empty: nothing would be compared"
    assert rows == expected

"""Table contracts: every table's columns, in order, with their types (grain beside each)."""

from __future__ import annotations

from pyspark.sql import types as T


def fields(*specs: tuple[str, T.DataType, bool]) -> T.StructType:
    """(name, type, nullable) triples -> a schema."""
    return T.StructType([T.StructField(name, data_type, nullable) for name, data_type, nullable in specs])

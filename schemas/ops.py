"""The lake's own bookkeeping tables, beside the ingest ledger of `schemas.bronze`.

`ops.conform_state`: one row per bronze table, the version silver was last conformed from.
`ops.dq_results`: one row per validation of a table by a job run and expectation of its suite: what
every run found, kept so that a failed or warned run can be read afterwards (`make dq-docs`).
`ops.erasures`: one row per address a run of `jobs.erase` erased (the erasure register).
"""

from __future__ import annotations

from pyspark.sql import types as T

from schemas.bronze import LEDGER_SCHEMA, LEDGER_TABLE

CONFORM_STATE_TABLE = "conform_state"
CONFORM_STATE_SCHEMA = T.StructType(
    [
        T.StructField("bronze_table", T.StringType(), nullable=False),
        T.StructField("bronze_version", T.LongType(), nullable=False),
        T.StructField("conformed_at", T.TimestampType(), nullable=False),
    ]
)

DQ_RESULTS_TABLE = "dq_results"
DQ_RESULTS_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), nullable=False),
        T.StructField("job", T.StringType(), nullable=False),
        T.StructField("validated_at", T.TimestampType(), nullable=False),
        T.StructField("table_name", T.StringType(), nullable=False),
        T.StructField("rows_validated", T.LongType(), nullable=True),  # null when Great Expectations did not say
        T.StructField("expectation_type", T.StringType(), nullable=False),
        T.StructField("column_name", T.StringType(), nullable=True),  # null: a table-level expectation
        T.StructField("expectation_kwargs", T.StringType(), nullable=False),  # JSON
        T.StructField("severity", T.StringType(), nullable=False),
        T.StructField("success", T.BooleanType(), nullable=False),
        T.StructField("unexpected_count", T.LongType(), nullable=True),
    ]
)

# `ops.erasures`: one row per address erased by a run of jobs.erase, without the address or its
# pseudonymous key: a salted hash of it (transforms/erasure.py) that recognises it in data landed later.
ERASURES_TABLE = "erasures"
ERASURES_SCHEMA = T.StructType(
    [
        T.StructField("address_hash", T.StringType(), nullable=False),
        T.StructField("reference", T.StringType(), nullable=False),  # its first 12 hex digits, as logs name it
        T.StructField("run_id", T.StringType(), nullable=False),
        T.StructField("trigger", T.StringType(), nullable=False),  # request or reapply
        T.StructField("erased_at", T.TimestampType(), nullable=False),
        T.StructField("rows_erased", T.LongType(), nullable=False),  # by the run, for all its addresses
        T.StructField("tables", T.ArrayType(T.StringType()), nullable=False),  # <layer>.<table> it changed
        T.StructField("purge_after", T.TimestampType(), nullable=False),
        T.StructField("purged_at", T.TimestampType(), nullable=True),  # null: old versions not purged yet
    ]
)

OPS_SCHEMAS: dict[str, T.StructType] = {
    LEDGER_TABLE: LEDGER_SCHEMA,
    CONFORM_STATE_TABLE: CONFORM_STATE_SCHEMA,
    DQ_RESULTS_TABLE: DQ_RESULTS_SCHEMA,
    ERASURES_TABLE: ERASURES_SCHEMA,
}

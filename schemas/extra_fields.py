"""CRM fields outside the landing contract that the configuration names (`crm.extra_fields`): the
text columns they add to a silver CRM table, and the names they may not take.

The contract keeps unknown fields in bronze's `raw_record` and ignores them downstream; a field
named in `crm.extra_fields.<table>` is the exception: conform reads it from `raw_record` into a
string column of `silver.<table>` with the field's name, described in the catalog as coming from
the configuration. Gold is untouched (its tables follow the gold spec): analysts join silver.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import types as T

from schemas.bronze import LANDING_COLUMNS
from schemas.comments import COLUMNS, TABLE_COLUMNS
from schemas.landing import SOURCES_BY_NAME
from schemas.silver import SILVER_SCHEMAS

CRM_TABLES = ("users", "accounts", "contacts", "leads", "opportunities")


def extra_field_comment(table: str, name: str) -> str:
    return (
        f"from the configuration (crm.extra_fields.{table}): the landed record's field {name!r}, which the "
        "landing contract does not define, as text (an object or array as JSON); null when the record has none"
    )


def extra_field_problem(table: str, name: str) -> str | None:
    """Why `name` cannot be a configured extra column of `silver.<table>`, or None."""
    if name in SILVER_SCHEMAS[table].fieldNames():
        return f"is a column of silver.{table} already"
    if any(f.name == name for f in SOURCES_BY_NAME[f"crm_{table}"].fields):
        return f"is a field of the landing contract's {table}"
    if name in {f.name for f in LANDING_COLUMNS}:
        return "is a column bronze adds to every record"
    if name in COLUMNS or name in TABLE_COLUMNS.get(f"silver.{table}", {}):
        return "is a column name the lake describes with another meaning; the field cannot take it"
    return None


def extra_fields_of(stored: T.StructType, table: str) -> list[str]:
    """The configured extra columns a stored silver CRM table has: the ones beyond its declared schema."""
    declared = set(SILVER_SCHEMAS[table].fieldNames())
    return [f.name for f in stored.fields if f.name not in declared]


def silver_schema(table: str, extra_fields: Iterable[str] = ()) -> T.StructType:
    """`SILVER_SCHEMAS[table]` with a nullable string column per configured extra field, in the
    configuration's order, each carrying its catalog comment as field metadata."""
    extra = [T.StructField(n, T.StringType(), True, {"comment": extra_field_comment(table, n)}) for n in extra_fields]
    return T.StructType([*SILVER_SCHEMAS[table].fields, *extra])

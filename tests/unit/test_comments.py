"""Every table an analyst can query is described, and so is each of its columns (schemas/comments.py),
so that the catalog's comments can explain them; nothing described is missing from the schemas."""

from __future__ import annotations

from jobs.lake import USER_TABLES, schema_of
from schemas.comments import COLUMNS, TABLE_COLUMNS, TABLES, column_comment

SCHEMAS = {f"{layer}.{table}": schema_of(layer, table) for layer, table in USER_TABLES}


def test_every_table_and_column_has_a_description():
    undescribed = [f"{t}.{c}" for t, schema in SCHEMAS.items() for c in schema.fieldNames() if not column_comment(t, c)]

    assert sorted(TABLES) == sorted(SCHEMAS)
    assert undescribed == []


def test_no_description_names_a_table_or_column_that_does_not_exist():
    every_column = {c for schema in SCHEMAS.values() for c in schema.fieldNames()}
    stray = [f"{t}.{c}" for t, columns in TABLE_COLUMNS.items() for c in columns if c not in SCHEMAS[t].fieldNames()]

    assert set(TABLE_COLUMNS) <= set(SCHEMAS)
    assert stray == []
    assert sorted(set(COLUMNS) - every_column) == []


def test_a_tables_own_meaning_wins_over_the_names():
    assert column_comment("gold.relationship_activity_daily", "emails_sent") != COLUMNS["emails_sent"]
    assert column_comment("gold.relationship_kpis", "emails_sent") == COLUMNS["emails_sent"]

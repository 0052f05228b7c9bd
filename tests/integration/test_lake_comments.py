"""The catalog explains the lake: every table a job wrote is registered with its description as the
table's comment and each column's as the column's (schemas/comments.py), so `DESCRIBE TABLE` answers
what a column means; a table made before the comments existed gets them on its next write."""

from __future__ import annotations

import pytest
from delta.tables import DeltaTable

from jobs.lake import GOLD, USER_TABLES, Lake, schema_of
from schemas.comments import TABLES, column_comment
from schemas.gold import DEAL_TRACKER
from tests.builders import frame

pytestmark = pytest.mark.integration


def test_every_table_of_the_lake_is_described_in_the_catalog(spark, every_gold_table):
    _, lake = every_gold_table
    written = [(layer, table) for layer, table in USER_TABLES if lake.exists(layer, table)]
    undescribed, wrong_tables = [], []
    for layer, table in written:
        key, name = f"{layer}.{table}", lake.name(layer, table)
        comments = {c.name: c.description for c in spark.catalog.listColumns(name)}
        undescribed += [
            f"{key}.{c}" for c in schema_of(layer, table).fieldNames() if comments[c] != column_comment(key, c)
        ]
        if spark.catalog.getTable(name).description != TABLES[key]:
            wrong_tables.append(key)

    # every table but, at most, a run's data-quality results and the erasure register (only jobs.erase writes it)
    assert len(written) >= len(USER_TABLES) - 2
    assert undescribed == []
    assert wrong_tables == []
    described = spark.sql(f"DESCRIBE TABLE {lake.name(GOLD, 'deal_tracker')}").collect()
    assert {r["col_name"]: r["comment"] for r in described}["health_score"] == column_comment(
        "gold.deal_tracker", "health_score"
    )


def test_a_table_made_before_comments_existed_gets_them_in_two_commits_once(spark, lake_config):
    lake = Lake(spark, lake_config())
    name, path = lake.name(GOLD, "deal_tracker"), lake.path(GOLD, "deal_tracker")
    frame(spark, DEAL_TRACKER, []).write.format("delta").save(path)  # an older release's table, no comments
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS {lake.prefix}{GOLD}")
    spark.sql(f"CREATE TABLE {name} USING DELTA LOCATION '{path}'")
    before = lake.version(GOLD, "deal_tracker")

    lake.ensure_table(GOLD, "deal_tracker", DEAL_TRACKER)
    lake.ensure_table(GOLD, "deal_tracker", DEAL_TRACKER)

    history = DeltaTable.forPath(spark, path).history().orderBy("version").collect()
    assert [(r["version"] - before, r["operation"]) for r in history if r["version"] > before] == [
        (1, "CHANGE COLUMNS"),
        (2, "SET TBLPROPERTIES"),
    ]
    comments = {c.name: c.description for c in spark.catalog.listColumns(name)}
    assert comments == {c: column_comment("gold.deal_tracker", c) for c in DEAL_TRACKER.fieldNames()}
    assert spark.catalog.getTable(name).description == TABLES["gold.deal_tracker"]

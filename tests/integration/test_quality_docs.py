"""Every job run keeps what its data-quality checks found in ops.dq_results, a failed run too, and
`make dq-docs` renders them as Great Expectations data docs."""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
from pyspark.sql import functions as F

from expectations.runner import DataQualityError, validate
from jobs import dq_docs
from jobs.lake import GOLD, OPS, Lake
from jobs.quality import keeps_validations
from schemas.gold import GOLD_TABLES
from schemas.ops import DQ_RESULTS_TABLE
from tests.conftest import TEST_SPARK_CONF

pytestmark = pytest.mark.integration


def test_every_validating_job_keeps_its_results_and_the_docs_show_each_validation(spark, every_gold_table, tmp_path):
    config, lake = every_gold_table
    results_df = lake.read(OPS, DQ_RESULTS_TABLE)
    validated = {(r["job"], r["table_name"]) for r in results_df.select("job", "table_name").distinct().collect()}
    validations = results_df.select("run_id", "table_name").distinct().count()

    jobs = {"ingest", "conform", "daily_kpis", "similar_deals", "conversation_insights"}
    assert {job for job, _ in validated} == jobs
    assert {t for _, t in validated if t.startswith(lake.name(GOLD, ""))} == {lake.name(GOLD, t) for t in GOLD_TABLES}
    assert results_df.where("severity = 'critical' AND NOT success").count() == 0
    assert results_df.where(F.col("rows_validated").isNull()).count() == 0

    index = dq_docs.run(spark, config, tmp_path / "docs", runs=1000)

    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert index == tmp_path / "docs" / "index.html"
    assert len(pages) == validations
    assert "deal_tracker" in index.read_text()
    assert (tmp_path / "docs" / "expectations" / f"{lake.prefix}gold" / "deal_tracker.html").exists()


def test_a_run_stopped_by_a_failed_expectation_keeps_its_results(spark, lake_config, tmp_path):
    config = lake_config()
    suite = gx.ExpectationSuite(
        name="t.dq_kept",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="health_score"),
            gxe.ExpectColumnValuesToBeBetween(column="health_score", min_value=0, max_value=100),
        ],
    )

    @keeps_validations("scoring")
    def scoring(spark, config, day: date):
        validate(spark.createDataFrame([(50,), (None,), (120,)], "health_score int"), suite, "gold.scores")

    with pytest.raises(DataQualityError):
        scoring(spark, config, date(2026, 3, 31))

    lake = Lake(spark, config)
    kept = lake.read(OPS, DQ_RESULTS_TABLE).orderBy("expectation_type").collect()
    assert [(r["job"], r["table_name"], r["rows_validated"]) for r in kept] == [("scoring", "gold.scores", 3)] * 2
    assert [(r["expectation_type"], r["success"], r["unexpected_count"]) for r in kept] == [
        ("expect_column_values_to_be_between", False, 1),
        ("expect_column_values_to_not_be_null", False, 1),
    ]

    dq_docs.run(spark, config, tmp_path / "docs")

    (page,) = (tmp_path / "docs" / "validations").rglob("*.html")
    assert "Failed" in page.read_text()
    assert kept[0]["run_id"] in page.as_posix()
    # A folder that is not a docs site is never replaced: the job stops, naming it.
    occupied = tmp_path / "notes"
    (occupied / "keep.txt").parent.mkdir()
    (occupied / "keep.txt").write_text("mine")
    settings = [f"paths.lake={config.paths.lake}", f"catalog.schema_prefix={config.catalog.schema_prefix}"]
    assert (
        dq_docs.main([*(a for s in [*TEST_SPARK_CONF, *settings] for a in ("--set", s)), "--out", str(occupied)]) == 1
    )
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]

"""What the validating jobs keep of their data-quality checks: one row per table validated and
expectation in `ops.dq_results`, the run's whole record, warnings and failures included.

A job's `run` is decorated with `@keeps_validations("<job>")`: every validation made while it runs,
from any thread, is appended when it ends, and also when a critical expectation (or anything else)
stopped it, since a failed run's results are the ones most worth reading. `make dq-docs` renders the
table as Great Expectations data docs (`jobs.dq_docs`).
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from expectations.runner import Report, collected_reports
from jobs.config import Config
from jobs.lake import OPS, Lake
from schemas.ops import DQ_RESULTS_SCHEMA, DQ_RESULTS_TABLE

log = logging.getLogger("rapport.quality")


def keeps_validations(job: str):
    """Decorate a job's `run(spark, config, ...)` so that its validations land in `ops.dq_results`."""

    def decorate(run):
        @functools.wraps(run)
        def run_keeping_validations(spark: SparkSession, config: Config, *args, **kwargs):
            run_id = f"{job}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
            with collected_reports() as reports:
                try:
                    result = run(spark, config, *args, **kwargs)
                except BaseException:
                    try:
                        keep(Lake(spark, config), job, run_id, reports)
                    except Exception as error:  # noqa: BLE001 - the run's own error is the one to raise
                        log.warning("could not keep the data-quality results of the failed run %s: %s", run_id, error)
                    raise
                keep(Lake(spark, config), job, run_id, reports)
                return result

        return run_keeping_validations

    return decorate


def keep(lake: Lake, job: str, run_id: str, reports: list[Report]) -> int:
    """Append one row per expectation of each report; return the rows written."""
    rows = [
        (
            run_id,
            job,
            report.validated_at,  # aware (UTC): Spark stores the instant
            report.table,
            report.rows,
            outcome.expectation_type,
            outcome.column,
            outcome.kwargs_json,
            outcome.severity,
            outcome.success,
            outcome.unexpected_count,
        )
        for report in reports
        for outcome in report.outcomes
    ]
    if not rows:
        return 0
    lake.ensure_table(OPS, DQ_RESULTS_TABLE, DQ_RESULTS_SCHEMA)
    written = lake.append(lake.spark.createDataFrame(rows, DQ_RESULTS_SCHEMA), OPS, DQ_RESULTS_TABLE)
    failed = sum(not outcome.success for report in reports for outcome in report.outcomes)
    log.info(
        "kept %d expectation results of %d validations (%d not met) in %s (run %s)",
        written,
        len(reports),
        failed,
        lake.name(OPS, DQ_RESULTS_TABLE),
        run_id,
    )
    return written

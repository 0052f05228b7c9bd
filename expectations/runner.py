"""Validate a DataFrame against its table's Great Expectations suite before it is written.

A failed expectation of severity `critical` (the default) stops the job with a message naming
the table, the expectation and the column; a failed `warning` is logged and the write goes on.
One ephemeral GX context per process; the Spark data source does not persist the frame.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger("rapport.expectations")
RESULT_FORMAT = "BASIC"  # counts of unexpected rows, without collecting lists of them


class DataQualityError(RuntimeError):
    """A critical expectation failed; the table is not published."""


@dataclass(frozen=True)
class Finding:
    table: str
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None

    def __str__(self) -> str:
        where = f" on column {self.column}" if self.column else ""
        count = f" ({self.unexpected_count} unexpected rows)" if self.unexpected_count is not None else ""
        return f"{self.table}: {self.expectation}{where} failed{count}"


@dataclass
class Report:
    table: str
    evaluated: int = 0
    failures: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


_context = None


def _batch_definition(table: str):
    global _context
    import great_expectations as gx

    if _context is None:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        _context = gx.get_context(mode="ephemeral")
        # Job logs say what was validated; GX's per-metric progress bars would only clutter them.
        _context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _context.data_sources.add_spark(name="rapport", persist=False)
    source = _context.data_sources.get("rapport")
    try:
        asset = source.get_asset(table)
    except LookupError:
        asset = source.add_dataframe_asset(name=table)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


def _column_of(config) -> str | None:
    kwargs = config.kwargs
    return kwargs.get("column") or (",".join(kwargs["column_list"]) if kwargs.get("column_list") else None)


def validate(df, suite, table: str) -> Report:
    """Run `suite` on `df`; raise DataQualityError if a critical expectation fails."""
    started = time.monotonic()
    batch = _batch_definition(table).get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    report = Report(table=table, evaluated=len(result.results))
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        severity = str(getattr(config.severity, "value", config.severity or "critical"))
        finding = Finding(
            table, config.type, _column_of(config), severity, (outcome.result or {}).get("unexpected_count")
        )
        (report.failures if severity == "critical" else report.warnings).append(finding)
    for finding in report.warnings:
        log.warning("expectation warning: %s", finding)
    log.info(
        "validated %s: %d expectations, %d failed, %d warnings (%.1f s)",
        table,
        report.evaluated,
        len(report.failures),
        len(report.warnings),
        time.monotonic() - started,
    )
    if report.failures:
        raise DataQualityError("; ".join(str(f) for f in report.failures))
    return report

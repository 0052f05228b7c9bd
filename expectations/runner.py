"""Validate a DataFrame against its table's Great Expectations suite before it is written.

A failed expectation of severity `critical` (the default) stops the job with a message naming
the table, the expectation, the column and a few failing rows by their key (a suite names its key
columns in `meta["key"]`); a failed `warning` is logged and the write goes on.

A suite is first checked in one aggregate pass over the frame (`one_pass_counts`: one Spark job
for every expectation, instead of Great Expectations' several jobs and its fixed cost per suite).
When no critical expectation fails there, that is the answer, and failed warnings are reported
with their counts. When one does, or a suite holds an expectation the pass cannot evaluate, Great
Expectations validates the suite itself and its results are the report: one ephemeral GX context
per process, the Spark data source does not persist the frame, counts only; the failing rows are
looked up afterwards, for the failed expectations alone.

Every report, with each expectation's outcome and the rows validated, also goes to the lists that
`collected_reports()` blocks hold open: how a job keeps its results in `ops.dq_results`
(`jobs.quality`), failed validations included.
"""

from __future__ import annotations

import functools
import json
import logging
import operator
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from re import _constants as re_constants
from re import _parser as re_parser

log = logging.getLogger("rapport.expectations")
RESULT_FORMAT = "BASIC"  # counts of unexpected rows, without collecting lists of them
EXAMPLE_ROWS = 3  # failing rows shown per failed expectation
# Expectations whose failing value may be personal data (an address in a text column): the rows
# are shown by their key, the value is not.
HIDDEN_VALUE_TYPES = ("expect_column_values_to_not_match_regex", "expect_column_values_to_match_regex")


class DataQualityError(RuntimeError):
    """A critical expectation failed; the table is not published."""


@dataclass(frozen=True)
class Finding:
    table: str
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" on column {self.column}" if self.column else ""
        count = f" ({self.unexpected_count} unexpected rows)" if self.unexpected_count is not None else ""
        shown = f", e.g. {' | '.join(self.examples)}" if self.examples else ""
        return f"{self.table}: {self.expectation}{where} failed{count}{shown}"


@dataclass(frozen=True)
class Outcome:
    """One expectation of a validation, held or not: what `ops.dq_results` keeps of it."""

    expectation_type: str
    column: str | None
    kwargs_json: str
    severity: str
    success: bool
    unexpected_count: int | None


@dataclass
class Report:
    table: str
    evaluated: int = 0
    failures: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    rows: int | None = None  # rows validated, when counted
    validated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


# The reports of every validation made while a `collected_reports()` block is open, failed ones too.
_collectors: list[list[Report]] = []
_collectors_lock = threading.Lock()


@contextmanager
def collected_reports() -> Iterator[list[Report]]:
    """A list that receives the report of every validation made, from any thread, until the block ends."""
    reports: list[Report] = []
    with _collectors_lock:
        _collectors.append(reports)
    try:
        yield reports
    finally:
        with _collectors_lock:
            _collectors[:] = [c for c in _collectors if c is not reports]


_context = None
# Jobs validate tables from several threads (ingest's sources); Great Expectations' context is
# used by one at a time.
_context_lock = threading.RLock()


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


def _severity(config) -> str:
    return str(getattr(config.severity, "value", config.severity or "critical"))


def _outcome(config, unexpected_count: int | None, success: bool) -> Outcome:
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    return Outcome(
        config.type,
        _column_of(config),
        json.dumps(kwargs, sort_keys=True, default=str),
        _severity(config),
        success,
        unexpected_count,
    )


def _column_of(config) -> str | None:
    kwargs = config.kwargs
    return kwargs.get("column") or (",".join(kwargs["column_list"]) if kwargs.get("column_list") else None)


def _example(row: dict, expectation_type: str, column: str | None, key: list[str], hidden: list[str]) -> str:
    """`key=value, ..., column=value` of one failing row; a value that may be personal data is hidden."""
    hide_value = expectation_type in HIDDEN_VALUE_TYPES
    parts = []
    for name, value in row.items():
        if name in key or name == column:
            parts.append(f"{name}=<hidden>" if name in hidden or (name == column and hide_value) else f"{name}={value}")
    return ", ".join(parts)


def failing_rows(df, table: str, configs: list, key: list[str], hidden: list[str]) -> dict[str, tuple[str, ...]]:
    """A few failing rows of each failed expectation, by the suite's key columns and the value
    that failed: a second, small validation of only those expectations."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{table}.failed", expectations=[c.to_domain_obj() for c in configs])
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLE_ROWS}
    if key:
        result_format["unexpected_index_column_names"] = key
    batch = _batch_definition(table).get_batch(batch_parameters={"dataframe": df})
    examples = {}
    for outcome in batch.validate(suite, result_format=result_format).results:
        config, result = outcome.expectation_config, outcome.result or {}
        column = config.kwargs.get("column")
        if key and result.get("partial_unexpected_index_list"):
            rows = [_example(r, config.type, column, key, hidden) for r in result["partial_unexpected_index_list"]]
        elif config.type not in HIDDEN_VALUE_TYPES and column not in hidden:
            rows = [repr(v) for v in result.get("partial_unexpected_list") or []]
        else:
            rows = []
        examples[_identity(config)] = tuple(rows[:EXAMPLE_ROWS])
    return examples


def _identity(config) -> str:
    return f"{config.type}:{sorted(config.kwargs.items(), key=lambda kv: kv[0])!r}"


def _row_condition(kwargs: dict) -> tuple[bool, str | None]:
    """Take the row condition out of an expectation's arguments: whether this pass can evaluate it,
    and its Spark SQL text (None without one). GX 1.x keeps a condition given as text as
    `{"type": "pass_through", "pass_through_filter": text}`; one in GX's own grammar is left to GX."""
    condition, parser = kwargs.pop("row_condition", None), kwargs.pop("condition_parser", None)
    if condition is None:
        return True, None
    if isinstance(condition, dict) and condition.get("type") == "pass_through":
        condition = condition.get("pass_through_filter")
    return (parser == "spark" and isinstance(condition, str)), condition


def _unexpected(config):
    """The number of rows an expectation finds unexpected, as one aggregate Spark column (for
    uniqueness: more than zero exactly when GX finds duplicates); None when this pass cannot
    evaluate the expectation (then Great Expectations does)."""
    from pyspark.sql import functions as F

    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    evaluable, row_condition = _row_condition(kwargs)
    if not evaluable or (row_condition and config.type not in ROW_CONDITION_TYPES):
        return None  # a condition in GX's own grammar, or on a table-wide expectation
    if set(kwargs) - ONE_PASS_KWARGS.get(config.type, set()):
        return None  # e.g. `mostly`, strict bounds
    column = F.col(kwargs["column"]) if "column" in kwargs else None
    if config.type == "expect_column_values_to_not_be_null":
        condition = column.isNull()
    elif config.type == "expect_column_values_to_be_in_set":
        condition = column.isNotNull() & ~column.isin(list(kwargs["value_set"]))
    elif config.type == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        outside = F.lit(False)
        if low is not None:
            outside = outside | (column < F.lit(low))
        if high is not None:
            outside = outside | (column > F.lit(high))
        condition = column.isNotNull() & outside
    elif config.type == "expect_column_values_to_not_match_regex":
        condition = column.isNotNull() & _matches(column, kwargs["regex"])
    elif config.type == "expect_column_values_to_match_regex":
        condition = column.isNotNull() & ~_matches(column, kwargs["regex"])
    elif config.type == "expect_column_values_to_be_unique":
        return F.count(column) - F.count_distinct(column)
    elif config.type == "expect_table_row_count_to_equal":
        return F.abs(F.count(F.lit(1)) - F.lit(int(kwargs["value"])))
    elif config.type == "expect_compound_columns_to_be_unique":
        columns = [F.col(c) for c in kwargs["column_list"]]
        # GX ignores a row only when all its columns are missing.
        kept = ~F.least(*[c.isNull() for c in columns]) if len(columns) > 1 else columns[0].isNotNull()
        return F.count(F.when(kept, F.lit(1))) - F.count_distinct(F.when(kept, F.struct(*columns)))
    else:
        return None
    if row_condition:
        # GX leaves out the rows the condition does not hold for (false or null) before it counts.
        condition = F.expr(row_condition) & condition
    return F.count(F.when(condition, F.lit(1)))


def _matches(column, regex: str):
    """`column RLIKE regex`, with the characters every match holds looked for first: a byte search
    on Spark's own string, so that the regex (run on a Java string made for each value) runs only
    on values that can match (docs/decisions.md, "A regex is run only on values ...")."""
    from pyspark.sql import functions as F

    may_match = [column.contains(F.lit(c)) for c in sorted(required_characters(regex))]
    return functools.reduce(operator.and_, [*may_match, column.rlike(regex)])


@functools.cache
def required_characters(regex: str) -> frozenset[str]:
    """Printable ASCII characters other than letters that every match of `regex` holds: a value
    without one of them cannot match. Read from Python's parse of the pattern, and none at all
    where Python may read it otherwise than Java (Spark's regex engine): a pattern Python cannot
    parse; a backslash before a digit (octal escapes and back-references) or `\\b{` (Java's
    grapheme boundary); comments mode (`(?x)`, which Java also applies inside classes); a class
    holding `[` or `&` (Java's nested classes, unions and intersections). Letters are left out,
    which a case flag could change."""
    if re.search(r"\\(\d|[bB]\{)", regex):
        return frozenset()
    try:
        parsed = re_parser.parse(regex)
    except re.error:
        return frozenset()
    if parsed.state.flags & re.VERBOSE or not _read_alike(parsed):
        return frozenset()
    return frozenset(c for c in _literals(parsed) if c.isascii() and c.isprintable() and not c.isalpha())


def _read_alike(pattern) -> bool:
    """Whether no class of a parsed pattern holds `[` or `&` and no group turns comments mode on."""
    for op, arg in pattern:
        if op is re_constants.IN and any(kind is re_constants.LITERAL and chr(v) in "[&" for kind, v in arg):
            return False
        if op is re_constants.SUBPATTERN and arg[1] & re.VERBOSE:
            return False
        if not all(_read_alike(inner) for inner in _inner_patterns(op, arg)):
            return False
    return True


def _inner_patterns(op, arg) -> list:
    """The patterns a parsed node holds: a group's, a lookaround's, a repeat's, each branch's."""
    if op is re_constants.BRANCH:
        return list(arg[1])
    if isinstance(arg, re_parser.SubPattern):
        return [arg]
    return [a for a in arg if isinstance(a, re_parser.SubPattern)] if isinstance(arg, tuple) else []


def _literals(pattern) -> set[str]:
    """The characters a parsed pattern's every match holds: its own literals, those of its groups,
    and those of what it repeats at least once (not those of a lookaround or of one branch)."""
    found: set[str] = set()
    for op, arg in pattern:
        if op is re_constants.LITERAL:
            found.add(chr(arg))
        elif op is re_constants.SUBPATTERN:
            found |= _literals(arg[-1])
        elif op is re_constants.ATOMIC_GROUP:
            found |= _literals(arg)
        elif op in (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT) and arg[0] >= 1:
            found |= _literals(arg[2])
    return found


ONE_PASS_KWARGS = {
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value"},
    "expect_column_values_to_not_match_regex": {"column", "regex"},
    "expect_column_values_to_match_regex": {"column", "regex"},
    "expect_column_values_to_be_unique": {"column"},
    "expect_compound_columns_to_be_unique": {"column_list"},
    "expect_table_row_count_to_equal": {"value"},
}
# The expectations of one value per row, which the pass evaluates under a Spark SQL row condition.
ROW_CONDITION_TYPES = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex",
}


def one_pass_counts(df, suite) -> tuple[int, list[int]] | None:
    """The frame's rows and the unexpected rows of each of the suite's expectations, in order, from
    one aggregate pass; None if the suite holds one this pass cannot evaluate."""
    from pyspark.sql import functions as F

    configs = [expectation.configuration for expectation in suite.expectations]
    columns = [_unexpected(config) for config in configs]
    if not columns or any(c is None for c in columns):
        return None
    row = df.agg(F.count(F.lit(1)).alias("rows"), *[c.alias(f"e{n}") for n, c in enumerate(columns)]).first()
    return int(row["rows"]), [int(row[f"e{n}"]) for n in range(len(columns))]


def validate(df, suite, table: str) -> Report:
    """Run `suite` on `df`; raise DataQualityError if a critical expectation fails."""
    started = time.monotonic()
    counted = one_pass_counts(df, suite)
    if counted is not None:
        rows, counts = counted
        configs = [expectation.configuration for expectation in suite.expectations]
        failed = [(c, n) for c, n in zip(configs, counts, strict=True) if n > 0]
        if all(_severity(c) != "critical" for c, _ in failed):
            return _report(
                Report(
                    table=table,
                    evaluated=len(configs),
                    outcomes=[_outcome(c, n, n == 0) for c, n in zip(configs, counts, strict=True)],
                    rows=rows,
                ),
                [Finding(table, c.type, _column_of(c), _severity(c), n) for c, n in failed],
                started,
            )
    with _context_lock:
        return _validate_with_gx(df, suite, table, started)


def _validate_with_gx(df, suite, table: str, started: float) -> Report:
    batch = _batch_definition(table).get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    failed = [outcome for outcome in result.results if not outcome.success]
    critical = [o.expectation_config for o in failed if _severity(o.expectation_config) == "critical"]
    meta = suite.meta or {}
    key, hidden = list(meta.get("key", [])), list(meta.get("hidden", []))
    examples = failing_rows(df, table, critical, key, hidden) if critical else {}
    findings = [
        Finding(
            table,
            o.expectation_config.type,
            _column_of(o.expectation_config),
            _severity(o.expectation_config),
            (o.result or {}).get("unexpected_count"),
            examples.get(_identity(o.expectation_config), ()),
        )
        for o in failed
    ]
    outcomes = [
        _outcome(o.expectation_config, (o.result or {}).get("unexpected_count"), bool(o.success))
        for o in result.results
    ]
    counted = [n for o in result.results if (n := (o.result or {}).get("element_count")) is not None]
    report = Report(table=table, evaluated=len(result.results), outcomes=outcomes, rows=max(counted, default=None))
    return _report(report, findings, started)


def _report(report: Report, findings: list[Finding], started: float) -> Report:
    """Log the findings; raise DataQualityError if a critical one is among them."""
    for finding in findings:
        (report.failures if finding.severity == "critical" else report.warnings).append(finding)
    for finding in report.warnings:
        log.warning("expectation warning: %s", finding)
    log.info(
        "validated %s: %d expectations, %d failed, %d warnings (%.1f s)",
        report.table,
        report.evaluated,
        len(report.failures),
        len(report.warnings),
        time.monotonic() - started,
    )
    with _collectors_lock:
        for reports in _collectors:
            reports.append(report)
    if report.failures:
        raise DataQualityError("; ".join(str(f) for f in report.failures))
    return report

"""The one-pass check of a suite agrees with Great Expectations' own validation of it, expectation by
expectation, on a frame that breaks every kind the project's suites use."""

from __future__ import annotations

from datetime import datetime

import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

from expectations.gold import ADDRESS_PATTERN, PERIOD_PATTERN
from expectations.runner import (
    DataQualityError,
    Outcome,
    _batch_definition,
    collected_reports,
    one_pass_counts,
    required_characters,
    validate,
)

ROWS = [
    # id, pair, side, score, at, text
    ("a", 1, "team", 10, datetime(2026, 1, 1), "fine"),
    ("a", 1, "customer", 101, datetime(1999, 1, 1), "mail bob@acme.com"),  # id and (id, pair) repeat
    ("b", None, "robot", -1, None, None),
    (None, None, None, None, datetime(2026, 3, 1), "also fine"),
    (None, None, "team", 50, datetime(2026, 3, 2), "bob@acme.com"),  # (null, null) is ignored twice
]
SCHEMA = "id string, pair int, side string, score int, at timestamp, text string"
SUITE = [
    gxe.ExpectColumnValuesToNotBeNull(column="id"),
    gxe.ExpectColumnValuesToBeInSet(column="side", value_set=["team", "customer"]),
    gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=100),
    gxe.ExpectColumnValuesToBeBetween(column="at", min_value=datetime(2000, 1, 1)),
    gxe.ExpectColumnValuesToNotMatchRegex(column="text", regex=r"[a-z]+@[a-z]+\.com"),
    gxe.ExpectColumnValuesToBeUnique(column="id"),
    gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "pair"]),
    gxe.ExpectColumnValuesToBeUnique(column="text"),  # passes: nulls are not values
    # Under a condition only the rows it holds for count (a null side is not 'team').
    gxe.ExpectColumnValuesToNotBeNull(column="pair", row_condition="side = 'team'", condition_parser="spark"),
    gxe.ExpectColumnValuesToBeBetween(
        column="score", max_value=20, row_condition="pair IS NULL", condition_parser="spark"
    ),
]


def _key(config) -> str:
    return repr((config.type, sorted((k, repr(v)) for k, v in config.kwargs.items() if k != "batch_id")))


def test_one_pass_counts_agree_with_great_expectations(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    suite = gx.ExpectationSuite(name="t.one_pass", expectations=SUITE)

    rows, counts = one_pass_counts(df, suite)
    batch = _batch_definition("t.one_pass").get_batch(batch_parameters={"dataframe": df})
    results = batch.validate(suite, result_format="BASIC").results

    assert rows == 5
    assert counts == [2, 1, 2, 1, 2, 1, 1, 0, 1, 1]
    by_gx = {_key(r.expectation_config): r for r in results}  # GX does not keep the suite's order
    for expectation, count in zip(SUITE, counts, strict=True):
        result = by_gx[_key(expectation.configuration)]
        if "unique" in expectation.expectation_type:  # GX counts every row of a repeated value
            assert (count > 0) == (not result.success), expectation
        else:
            assert count == result.result["unexpected_count"], expectation


@pytest.mark.parametrize(
    ("regex", "required"),
    [
        (ADDRESS_PATTERN, {"@", "."}),  # the "." of a group repeated at least once
        (r"[a-z]+@[a-z]+\.com", {"@", "."}),  # not c, o, m: a case flag could change letters
        (r"(?:x@)+-", {"@", "-"}),
        (r"a|@", set()),  # either branch
        (r"(@)?x{0,3}#*", set()),  # optional
        (PERIOD_PATTERN, set()),
        (r"(?=@)a(?>-)", {"-"}),  # not what a lookahead looks for
        # Java reads these otherwise than Python: \0100 is "@", [a&&[b]] an intersection, [a[b]@]
        # and [a-z[0-9]] unions, (?x) skips spaces in classes too, \b{g} is one boundary, \v a class.
        (r"\0100", set()),
        (r"[a&&[b]]x", set()),
        (r"[a[b]@]x", set()),
        (r"(?:y|[a-z[0-9]])@", set()),
        (r"(?x)[ ]x]", set()),
        (r"(?x:[ ]x])", set()),
        (r"\b{g}@", set()),
        (r"\Qa@\E", set()),
        (r"\v", set()),
    ],
)
@pytest.mark.filterwarnings("ignore:Possible set:FutureWarning")  # Python's own, on Java's classes
def test_the_characters_every_match_holds_are_read_from_the_pattern_only_where_java_reads_it_alike(regex, required):
    assert required_characters(regex) == required


def test_a_regex_is_still_run_on_every_value_holding_its_characters(spark):
    """The byte search before the regex only spares values that cannot match."""
    df = spark.createDataFrame([("a@b.c",), ("a@b",), ("x.y@",), ("@.",), ("id-1",), (None,)], "text string")
    suite = gx.ExpectationSuite(
        name="t.regex",
        expectations=[
            gxe.ExpectColumnValuesToNotMatchRegex(column="text", regex=ADDRESS_PATTERN),
            gxe.ExpectColumnValuesToMatchRegex(column="text", regex=r"^[a-z]+@[a-z]+\.[a-z]$"),
        ],
    )

    assert one_pass_counts(df, suite) == (6, [1, 4])


def test_a_failed_critical_expectation_is_reported_by_great_expectations_with_its_rows(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    suite = gx.ExpectationSuite(
        name="t.critical",
        expectations=[gxe.ExpectColumnValuesToBeInSet(column="side", value_set=["team", "customer"])],
        meta={"key": ["id"]},
    )

    with pytest.raises(DataQualityError, match=r"side failed \(1 unexpected rows\), e\.g\. id=b, side=robot"):
        validate(df, suite, "t.critical")


def test_failed_warnings_pass_with_their_counts(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    suite = gx.ExpectationSuite(
        name="t.warning", expectations=[gxe.ExpectColumnValuesToNotBeNull(column="pair", severity="warning")]
    )

    report = validate(df, suite, "t.warning")

    assert [(f.column, f.severity, f.unexpected_count) for f in report.warnings] == [("pair", "warning", 3)]
    assert report.failures == []


def test_an_expectation_the_pass_cannot_evaluate_goes_to_great_expectations(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    expectation = gxe.ExpectColumnValuesToNotBeNull(column="id", mostly=0.5)
    mostly = gx.ExpectationSuite(name="t.mostly", expectations=[expectation])

    assert one_pass_counts(df, mostly) is None
    assert validate(df, mostly, "t.mostly").failures == []  # 3 of 5 are not null: enough for GX


def test_every_validation_inside_a_collection_is_reported_failed_ones_too(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    warned = gx.ExpectationSuite(
        name="t.kept_warning",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="pair", severity="warning"),
            gxe.ExpectColumnValuesToBeUnique(column="text"),
        ],
    )
    critical = gx.ExpectationSuite(
        name="t.kept_critical",
        expectations=[gxe.ExpectColumnValuesToBeInSet(column="side", value_set=["team", "customer"])],
    )

    validate(df, warned, "t.before")  # outside: not collected
    with collected_reports() as reports:
        validate(df, warned, "t.warned")
        with pytest.raises(DataQualityError):
            validate(df, critical, "t.critical")
    validate(df, warned, "t.after")

    assert [(r.table, r.rows) for r in reports] == [("t.warned", 5), ("t.critical", 5)]
    assert reports[0].outcomes == [
        Outcome("expect_column_values_to_not_be_null", "pair", '{"column": "pair"}', "warning", False, 3),
        Outcome("expect_column_values_to_be_unique", "text", '{"column": "text"}', "critical", True, 0),
    ]
    assert reports[1].outcomes == [
        Outcome(
            "expect_column_values_to_be_in_set",
            "side",
            '{"column": "side", "value_set": ["team", "customer"]}',
            "critical",
            False,
            1,
        )
    ]


def test_every_suite_of_the_project_is_evaluated_by_the_one_pass(spark):
    """Great Expectations itself runs only on failure: a suite the pass cannot evaluate would cost
    a full GX validation on every run (bronze opportunities did, for its two row conditions)."""
    from expectations.bronze import bronze_suite, quarantine_suite
    from expectations.gold import SUITES as GOLD_SUITES
    from expectations.gold import gold_suite, weekly_suite
    from expectations.runner import _unexpected
    from expectations.silver import SUITES as SILVER_SUITES
    from expectations.silver import silver_suite
    from schemas.landing import SOURCES

    suites = [
        *(bronze_suite(source) for source in SOURCES),
        quarantine_suite(),
        *(silver_suite(table) for table in SILVER_SUITES),
        *(gold_suite(table, max_rank=3) for table in GOLD_SUITES),
        *(weekly_suite(t, 5, 10) for t in ("similar_won_deals", "similar_deal_features", "opportunity_benchmark")),
    ]

    left_to_gx = [
        f"{suite.name}: {e.expectation_type}"
        for suite in suites
        for e in suite.expectations
        if _unexpected(e.configuration) is None
    ]

    conditioned = [s.name for s in suites for e in s.expectations if "row_condition" in e.configuration.kwargs]
    assert conditioned == ["bronze.crm_opportunities", "bronze.crm_opportunities"]  # the conditions are covered
    assert left_to_gx == []

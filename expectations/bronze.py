"""Great Expectations suites of the bronze tables, one per source, derived from the contract.

Parsing already rejected what breaks the contract, so these suites are the independent check that
nothing slipped through (keys, required fields, enums, one row per landed record), plus the
contract's flagged-but-kept cases as warnings.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from schemas.landing import OPPORTUNITIES, Kind, Source

WARNING = "warning"
# Where a failing row landed: how a failed expectation names it.
POSITION = {"key": ["source_file", "source_line"]}


def bronze_suite(source: Source) -> gx.ExpectationSuite:
    expectations = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_line"]),
        *(gxe.ExpectColumnValuesToNotBeNull(column=f.name) for f in source.fields if f.required),
        *(
            gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.choices))
            for f in source.fields
            if f.kind is Kind.CHOICE
        ),
    ]
    if source is OPPORTUNITIES:
        # "A won deal without them is kept, flagged by the expectations" (raw contract, CRM).
        expectations += [
            gxe.ExpectColumnValuesToNotBeNull(
                column=column, row_condition="status = 'won'", condition_parser="spark", severity=WARNING
            )
            for column in ("actual_revenue", "actual_close_date")
        ]
    return gx.ExpectationSuite(name=f"bronze.{source.name}", expectations=expectations, meta=dict(POSITION))


def quarantine_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="quarantine",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_line"]),
            gxe.ExpectColumnValuesToNotBeNull(column="reason"),
            gxe.ExpectColumnValuesToNotBeNull(column="detail"),
        ],
        meta=dict(POSITION),
    )

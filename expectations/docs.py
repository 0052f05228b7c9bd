"""Great Expectations data docs of the runs' validations, from the rows of `ops.dq_results`.

Each run's validation of a table becomes a GX `ExpectationSuiteValidationResult` (suite: the table's
name, run: the job run), and each table's suite page shows the expectations of its latest validation.
GX's own site builder renders them, with its index of runs, into a folder of static HTML.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SITE = "rapport"


@dataclass(frozen=True)
class Validation:
    run_id: str
    job: str
    table: str
    validated_at: datetime
    result: object  # great_expectations.core.ExpectationSuiteValidationResult


def validations(rows: Iterable[dict]) -> list[Validation]:
    """One validation per (run, table) of `ops.dq_results` rows (dicts), in the order first seen."""
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    grouped: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        grouped.setdefault((row["run_id"], row["table_name"]), []).append(row)
    made = []
    for (run_id, table), outcomes in grouped.items():
        first = outcomes[0]
        results = [
            ExpectationValidationResult(
                success=o["success"],
                expectation_config=ExpectationConfiguration(
                    type=o["expectation_type"], kwargs=json.loads(o["expectation_kwargs"]), severity=o["severity"]
                ),
                result=_counts(o["unexpected_count"], o["rows_validated"]),
            )
            for o in outcomes
        ]
        met = sum(o["success"] for o in outcomes)
        result = ExpectationSuiteValidationResult(
            success=met == len(outcomes),
            results=results,
            suite_name=table,
            statistics={
                "evaluated_expectations": len(outcomes),
                "successful_expectations": met,
                "unsuccessful_expectations": len(outcomes) - met,
                "success_percent": 100.0 * met / len(outcomes),
            },
            meta={
                "run_id": RunIdentifier(run_name=run_id, run_time=first["validated_at"]),
                "batch_spec": {"data_asset_name": table},
                "validation_time": first["validated_at"].isoformat(),
            },
        )
        made.append(Validation(run_id, first["job"], table, first["validated_at"], result))
    return made


def _counts(unexpected: int | None, rows: int | None) -> dict:
    counts = {"unexpected_count": unexpected, "element_count": rows}
    if unexpected is not None and rows:
        counts["unexpected_percent"] = 100.0 * unexpected / rows
    return {k: v for k, v in counts.items() if v is not None}


def build_site(found: list[Validation], out: Path) -> Path:
    """Render the validations (and each table's latest suite) as GX data docs into `out`, replacing
    a site built there before; return the index page."""
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out = Path(out)
    if out.exists() and not (out / "index.html").exists():
        raise FileExistsError(f"{out} exists and is not a data docs site: choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        context = gx.get_context(mode="ephemeral")
        context.add_data_docs_site(
            SITE,
            {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(building)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        latest: dict[str, Validation] = {}
        for v in found:
            if v.table not in latest or v.validated_at > latest[v.table].validated_at:
                latest[v.table] = v
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=v.table),
                run_id=v.result.meta["run_id"],
                batch_identifier=v.job,
            )
            context.validation_results_store.set(key, v.result)
        for table, v in latest.items():
            expectations = [r.expectation_config.to_domain_obj() for r in v.result.results]
            context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations))
        context.build_data_docs(site_names=[SITE])
        if out.exists():
            shutil.rmtree(out)
        building.rename(out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return out / "index.html"

"""Land a CRM CSV export as the landing contract's CRM sources; rows it cannot map go to quarantine.

`python -m jobs.import_crm_csv --from FOLDER [--as-of DAY]` reads the export's four files
(`transforms/crm_csv.py` has the mapping) and writes, for the export day D:

    <landing>/crm/users/crm-csv-D.jsonl
    <landing>/crm/accounts/crm-csv-D.jsonl
    <landing>/crm/opportunities/crm-csv-D.jsonl

which `jobs.ingest` then reads like any other landed file. Landed files are never rewritten: the
same export again writes nothing, another export for the same day is refused (give it its own
--as-of). The rows it cannot map replace the export's earlier rows in `quarantine.records`
(source `crm_csv`), with reason, field and line, and the log reconciles each file:
rows read = records landed + rows quarantined. Columns the mapping does not read are kept in the
landed records as text fields (`transforms/crm_csv.py`), for `crm.extra_fields` to carry into silver.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from jobs.config import Config
from jobs.lake import QUARANTINE, Lake, in_list
from jobs.landing import land_records
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job
from schemas.bronze import QUARANTINE_SCHEMA, QUARANTINE_TABLE
from transforms.crm_csv import FILES, Mapped, map_export

log = logging.getLogger("rapport.import_crm_csv")
SOURCE = "crm_csv"

DESCRIPTION = """\
Map a CRM CSV export (the layout of Maven Analytics' CRM Sales Opportunities: sales_teams.csv,
accounts.csv, products.csv, sales_pipeline.csv) to the landing contract's CRM users, accounts and
opportunities, and land them for jobs.ingest. Rows that cannot be mapped go to quarantine.records
with a reason; every file's rows read = records landed + rows quarantined.

examples:
  python -m jobs.import_crm_csv --from ~/exports/crm-2017-12-31 --as-of 2017-12-31
  python -m jobs.import_crm_csv --from ./export --email-domain sales.example --set paths.landing=/data/landing
"""


def land(landing: Path, mapped: Mapped, day) -> dict[str, str]:
    """Write each source's records as one JSON Lines file; what became of each file (all or none)."""
    paths = {source: landing / "crm" / source / f"crm-csv-{day.isoformat()}.jsonl" for source in mapped.records}
    outcome = land_records(
        {paths[source]: records for source, records in mapped.records.items()},
        again="import this export with its own --as-of",
    )
    return {source: outcome[path] for source, path in paths.items()}


def quarantine(spark, config: Config, folder: Path, mapped: Mapped) -> int:
    """Replace the export's rows in `quarantine.records` with the rows rejected now."""
    lake = Lake(spark, config)
    lake.ensure_table(QUARANTINE, QUARANTINE_TABLE, QUARANTINE_SCHEMA)
    now = datetime.now(UTC).replace(microsecond=0)
    run_id = f"crm-csv-{now:%Y%m%dT%H%M%S}"
    paths = {name: (folder / name).resolve().as_uri() for name in FILES}
    modified = {
        name: datetime.fromtimestamp((folder / name).stat().st_mtime, UTC).replace(microsecond=0) for name in FILES
    }
    rows = [
        (SOURCE, paths[r.file], r.line, r.reason, r.field, r.detail, r.raw, modified[r.file], now, run_id)
        for r in mapped.rejected
    ]
    condition = in_list("source_file", list(paths.values()))
    if rows:
        return lake.replace_where(
            spark.createDataFrame(rows, QUARANTINE_SCHEMA), QUARANTINE, QUARANTINE_TABLE, condition
        )
    lake.delete(QUARANTINE, QUARANTINE_TABLE, condition)
    return 0


def run(spark, config: Config, folder: Path, day, email_domain: str) -> Mapped:
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise JobError(f"{folder}: no {', '.join(missing)}; an export holds {', '.join(FILES)}")
    mapped = map_export(folder, email_domain, day)
    for name in FILES:
        rejected = sum(1 for r in mapped.rejected if r.file == name)
        log.info(
            "%s: %d rows read = %d mapped + %d quarantined",
            folder / name,
            mapped.rows_read[name],
            mapped.rows_mapped[name],
            rejected,
        )
    reasons: dict[tuple[str, str], int] = {}
    for r in mapped.rejected:
        reasons[(r.reason, r.field or "")] = reasons.get((r.reason, r.field or ""), 0) + 1
    for (reason, column), count in sorted(reasons.items()):
        log.info("quarantined: %d rows %s (%s)", count, reason, column)
    for name, columns in mapped.extra_columns.items():
        if columns:
            log.info("%s: columns %s kept in the landed records as they came", name, ", ".join(columns))
    for line in land(Path(config.paths.landing), mapped, day).values():
        log.info("landed %s", line)
    quarantined = quarantine(spark, config, folder, mapped)
    log.info("%d rows to %s", quarantined, Lake(spark, config).name(QUARANTINE, QUARANTINE_TABLE))
    return mapped


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("import_crm_csv", DESCRIPTION)
    parser.add_argument("--from", dest="folder", metavar="FOLDER", type=Path, required=True, help="the export")
    parser.add_argument(
        "--email-domain",
        default=None,
        help="the domain of the sellers' made-up addresses (default: the first of org.internal_domains)",
    )
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        domain = args.email_domain or next(iter(config.org.internal_domains), None)
        if not domain:
            raise JobError("no --email-domain and no org.internal_domains: sellers need an address domain")
        if "://" in config.paths.landing:
            raise JobError(f"paths.landing {config.paths.landing}: the importer writes to a local landing zone")
        spark = build_session(config, "rapport-import-crm-csv")
        run(spark, config, args.folder.expanduser().resolve(), args.as_of, domain)
        return 0

    return run_job(body, "import_crm_csv")


if __name__ == "__main__":
    raise SystemExit(main())

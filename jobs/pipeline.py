"""The whole pipeline in order, with one set of options: what `make run` and a scheduler call.

Layers so far: ingest (landing -> bronze + quarantine), conform (bronze -> silver). Later layers
join the same list.
"""

from __future__ import annotations

import logging
import sys

from jobs import conform, generate_sample_data, ingest
from jobs.lake import BRONZE, OPS, QUARANTINE, SILVER, Lake
from jobs.runtime import build_session, job_parser, parse_job_args, run_job
from schemas.bronze import LEDGER_TABLE, QUARANTINE_TABLE
from schemas.landing import SOURCES
from schemas.silver import SILVER_TABLES

log = logging.getLogger("rapport.pipeline")

DESCRIPTION = """\
Run every layer of Rapport in order for one as-of day: ingest (landing -> bronze + quarantine),
then conform (bronze -> silver).

examples:
  python -m jobs.pipeline --sample-if-empty          # what `make run` does
  python -m jobs.pipeline --as-of 2026-03-31 --set paths.landing=/data/landing
"""


def summary(lake: Lake, written: dict[str, int]) -> str:
    """A table of every table the pipeline keeps: rows written by this run and rows in all."""
    tables = [(BRONZE, s.name) for s in SOURCES] + [(QUARANTINE, QUARANTINE_TABLE), (OPS, LEDGER_TABLE)]
    tables += [(SILVER, t) for t in SILVER_TABLES]
    lines = [f"{'table':<34} {'written now':>12} {'rows':>12}"]
    for layer, table in tables:
        name = lake.name(layer, table)
        total = lake.read(layer, table).count() if lake.exists(layer, table) else 0
        lines.append(f"{name:<34} {written.get(name, 0):>12,} {total:>12,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("pipeline", DESCRIPTION)
    parser.add_argument(
        "--sample-if-empty",
        action="store_true",
        help="generate the seeded sample landing zone first if the landing folder has no files",
    )
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        if args.sample_if_empty:
            generate_sample_data.generate_if_empty(config, args.as_of)
        spark = build_session(config, "rapport-pipeline")
        lake = Lake(spark, config)
        result = ingest.run(spark, config, args.as_of)
        written = {lake.name(BRONZE, s): n for s, n in result.bronze_rows.items()}
        written[lake.name(QUARANTINE, QUARANTINE_TABLE)] = sum(result.quarantined_rows.values())
        written[lake.name(OPS, LEDGER_TABLE)] = result.files
        conformed = conform.run(spark, config)
        written.update({lake.name(SILVER, t): n for t, n in conformed.rows.items()})
        print(f"\nRapport pipeline, as of {args.as_of}: lake {lake.root}\n", file=sys.stdout)
        print(summary(lake, written), file=sys.stdout)
        return 0

    return run_job(body, "pipeline")


if __name__ == "__main__":
    raise SystemExit(main())

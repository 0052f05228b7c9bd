"""Great Expectations data docs of the lake's validations (`make dq-docs`): every job run's results
from `ops.dq_results`, browsable as static HTML, with GX's index of runs and a page per table's suite.

The site is written beside the lake, never into it: `<lake's folder>/dq-docs/index.html` by default
(`data/dq-docs/` for the embedded default), or `--out DIR`. Building it again replaces it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pyspark.sql import functions as F

from expectations.docs import build_site, validations
from jobs.config import Config
from jobs.lake import OPS, Lake, beside_lake
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job
from schemas.ops import DQ_RESULTS_TABLE

log = logging.getLogger("rapport.dq_docs")

DESCRIPTION = """\
Render the data-quality results that every job run keeps (ops.dq_results) as Great Expectations
data docs: an index of runs, a page per validation with each expectation's outcome and counts.

examples:
  python -m jobs.dq_docs                     # the latest 50 runs, into data/dq-docs/
  python -m jobs.dq_docs --runs 500 --out /srv/www/rapport-dq
"""
DEFAULT_RUNS = 50


def default_out(config: Config) -> Path:
    """`<dirname of paths.lake>/dq-docs`: data/dq-docs in the embedded default."""
    return beside_lake(config) / "dq-docs"


def run(spark, config: Config, out: Path, runs: int = DEFAULT_RUNS) -> Path:
    """Build the docs of the latest `runs` job runs into `out`; return the index page."""
    lake = Lake(spark, config)
    if not lake.exists(OPS, DQ_RESULTS_TABLE):
        raise JobError(f"{lake.name(OPS, DQ_RESULTS_TABLE)} does not exist yet: run a job first (make run)")
    results_df = lake.read(OPS, DQ_RESULTS_TABLE)
    latest_runs_df = (
        results_df.groupBy("run_id").agg(F.min("validated_at").alias("started_at")).orderBy(F.desc("started_at"))
    ).limit(runs)
    rows = [
        r.asDict()
        for r in results_df.join(latest_runs_df.select("run_id"), on="run_id", how="left_semi")
        .orderBy("validated_at", "table_name")
        .collect()
    ]
    found = validations(rows)
    try:
        index = build_site(found, out)
    except FileExistsError as error:
        raise JobError(str(error)) from None
    failed = sum(not v.result.success for v in found)
    log.info(
        "data docs of %d validations (%d with an expectation not met) from %d runs in %s: %s",
        len(found),
        failed,
        len({v.run_id for v in found}),
        lake.name(OPS, DQ_RESULTS_TABLE),
        index,
    )
    return index


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("dq_docs", DESCRIPTION, as_of=False)
    parser.add_argument("--out", metavar="DIR", type=Path, help="where to write the site (default: beside the lake)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"the latest N runs (default {DEFAULT_RUNS})")
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-dq-docs")
        index = run(spark, config, args.out or default_out(config), args.runs)
        print(f"data docs: {index}")
        return 0

    return run_job(body, "dq_docs")


if __name__ == "__main__":
    raise SystemExit(main())

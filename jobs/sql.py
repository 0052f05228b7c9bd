"""A Spark SQL shell on the lake's catalog (`make sql`): bronze.*, silver.*, gold.* by name.

Statements end with `;`. `-e "SQL"` runs one statement and exits: 0 when it ran, 1 with the error
when it failed, so that scripts and schedulers see a failure; `--format csv|json` prints every row
for a script to read.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from datetime import date, datetime
from decimal import Decimal

from jobs.config import is_uri
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job

DESCRIPTION = """\
Query the lake with Spark SQL, on the same catalog the jobs write.

examples:
  python -m jobs.sql
  python -m jobs.sql -e "SELECT source, reason, count(*) FROM quarantine.records GROUP BY 1, 2"
  python -m jobs.sql --format csv -e "SELECT * FROM gold.deal_tracker" > deals.csv
"""
TABLE_ROWS = 50  # the table format shows this many rows; csv and json print all of them


def _plain(value):
    """A value as JSON writes it: instants and days as ISO-8601 text, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def print_rows(df, output_format: str) -> None:
    """Every row of `df` on standard output: csv with a header, json one object a line, or a text
    table of the first rows."""
    out = sys.stdout
    if output_format == "table":
        df.show(TABLE_ROWS, truncate=False)
        return
    rows = df.toLocalIterator()
    if output_format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(df.columns)
        for row in rows:
            writer.writerow(["" if v is None else _plain(v) for v in row])
        return
    for row in rows:
        out.write(json.dumps(_plain(row.asDict(recursive=True)), ensure_ascii=False) + "\n")


def first_line(error: Exception) -> str:
    """Spark's errors carry the plan and a JVM trace after their first line; a person needs that line."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("sql", DESCRIPTION, as_of=False)
    parser.add_argument("-e", "--execute", metavar="SQL", help="run one statement and exit (1 if it fails)")
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="how rows are printed: a text table of the first 50 (default), or every row as csv or JSON lines",
    )
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        lake = config.paths.lake
        if not is_uri(lake) and not os.path.isdir(lake):
            raise JobError(f"no lake at {lake}: check paths.lake, or run the pipeline first (make run)")
        spark = build_session(config, "rapport-sql")

        def run(statement: str) -> bool:
            try:
                print_rows(spark.sql(statement.strip().rstrip(";")), args.format)
                return True
            except Exception as error:  # noqa: BLE001 - a bad statement is the user's to fix, not a crash
                print(f"error: {first_line(error)}", file=sys.stderr)
                return False

        if args.execute:
            return 0 if run(args.execute) else 1
        print("Rapport SQL on the lake's catalog; end statements with ';', quit with Ctrl-D.")
        run("SHOW SCHEMAS")
        buffer: list[str] = []
        while True:
            try:
                line = input("rapport-sql> " if not buffer else "        ...> ")
            except EOFError:
                print()
                return 0
            buffer.append(line)
            if line.rstrip().endswith(";"):
                run("\n".join(buffer))
                buffer = []

    return run_job(body, "sql")


if __name__ == "__main__":
    raise SystemExit(main())

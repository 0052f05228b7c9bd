"""A Spark SQL shell on the lake's catalog (`make sql`): bronze.*, silver.*, gold.* by name.

Statements end with `;`. `-e "SQL"` runs one statement and exits.
"""

from __future__ import annotations

import sys

from jobs.runtime import build_session, job_parser, parse_job_args, run_job

DESCRIPTION = """\
Query the lake with Spark SQL, on the same catalog the jobs write.

examples:
  python -m jobs.sql
  python -m jobs.sql -e "SELECT source, reason, count(*) FROM quarantine.records GROUP BY 1, 2"
"""
MAX_ROWS = 50


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("sql", DESCRIPTION, as_of=False)
    parser.add_argument("-e", "--execute", metavar="SQL", help="run one statement and exit")
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-sql")

        def run(statement: str) -> None:
            try:
                spark.sql(statement).show(MAX_ROWS, truncate=False)
            except Exception as error:  # noqa: BLE001 - a shell reports a bad query and goes on
                print(f"error: {str(error).splitlines()[0]}", file=sys.stderr)

        if args.execute:
            run(args.execute)
            return 0
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
                run("\n".join(buffer).rstrip().rstrip(";"))
                buffer = []

    return run_job(body, "sql")


if __name__ == "__main__":
    raise SystemExit(main())

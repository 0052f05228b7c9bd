"""The Spark Thrift JDBC/ODBC server on the lake's catalog (`make serve`): what BI tools connect to.

It is Spark's own HiveThriftServer2 (it ships with pyspark), started inside the session every job
uses, so it sees the same catalog, Delta and settings: `jdbc:hive2://localhost:10000/default`
lists bronze, silver, gold, quarantine and ops like `make sql` does. It binds to localhost unless
told otherwise, and runs until it is stopped (SIGTERM or SIGINT; `make serve-stop`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time

from jobs.lake import Lake
from jobs.runtime import JobError, build_session, delta_jars, job_parser, parse_job_args, run_job

log = logging.getLogger("rapport.serve")

DESCRIPTION = """\
Serve the lake's catalog over JDBC/ODBC (Spark Thrift server) until stopped.

examples:
  python -m jobs.serve                       # jdbc:hive2://localhost:10000/default
  python -m jobs.serve --port 10001
  .venv/lib/python3.11/site-packages/pyspark/bin/beeline -u jdbc:hive2://localhost:10000/default \\
      -e "SELECT count(*) FROM gold.relationship_kpis"
"""


def jdbc_url(host: str, port: int) -> str:
    return f"jdbc:hive2://{host}:{port}/default"


def wait_for_port(host: str, port: int, seconds: float = 60.0) -> None:
    """Return once the server accepts connections (it starts listening on a thread of its own)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise JobError(f"the JDBC server did not listen on {host}:{port} within {seconds:.0f} s") from None
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("serve", DESCRIPTION, as_of=False)
    parser.add_argument("--host", default="localhost", help="the address to bind (default: localhost only)")
    parser.add_argument("--port", type=int, default=10000, help="the port to listen on (default: 10000)")
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        # The server reads its address from the Hive configuration, which Spark builds from the
        # session's Hadoop settings (spark.hadoop.*), as `--hiveconf` would set them.
        address = {"hive.server2.thrift.bind.host": args.host, "hive.server2.thrift.port": str(args.port)}
        settings = [f"spark.conf.spark.hadoop.{key}={value}" for key, value in address.items()]
        # The server opens each client's session on its own threads, whose class loader sees the
        # JVM's class path but not spark.jars: Delta goes on the class path too.
        jars = delta_jars(config.spark.delta_jars)
        if jars:
            settings.append(f"spark.conf.spark.driver.extraClassPath={os.pathsep.join(jars)}")
        served = config.with_overrides(settings)
        spark = build_session(served, "rapport-jdbc")
        Lake(spark, served).register_existing()
        jvm = spark.sparkContext._jvm
        jvm.org.apache.spark.sql.hive.thriftserver.HiveThriftServer2.startWithContext(spark._jsparkSession.sqlContext())
        wait_for_port(args.host, args.port)
        log.info(
            "serving %s over JDBC at %s (stop with make serve-stop)", config.paths.lake, jdbc_url(args.host, args.port)
        )
        stopped = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopped.set())
        stopped.wait()
        log.info("stopping the JDBC server")
        spark.stop()
        return 0

    return run_job(body, "serve")


if __name__ == "__main__":
    raise SystemExit(main())

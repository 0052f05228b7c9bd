"""The JDBC server as a BI tool meets it: a real `python -m jobs.serve` (Spark's Thrift server) on
the generated lake, queried with `beeline` (it ships with pyspark) and with a Python DB-API client
(impyla), then stopped."""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest
from impala.dbapi import connect
from pyspark.sql import functions as F

from jobs.config import REPO_ROOT
from jobs.lake import GOLD
from jobs.serve import jdbc_url
from tests.conftest import TEST_SPARK_CONF
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.integration
BEELINE = Path(pyspark.__file__).parent / "bin" / "beeline"
STARTUP_SECONDS = 240
QUERY = "SELECT opportunity_id, health_score FROM {prefix}gold.deal_tracker WHERE as_of_date = DATE'{day}' ORDER BY 1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(every_gold_table, tmp_path_factory):
    """The JDBC server on the shared lake (its own embedded catalog, which it fills from the lake)."""
    config, lake = every_gold_table
    port = free_port()
    log_path = tmp_path_factory.mktemp("serve") / "log"
    settings = [f"paths.lake={config.paths.lake}", f"catalog.schema_prefix={config.catalog.schema_prefix}"]
    command = [sys.executable, "-m", "jobs.serve", "--port", str(port)]
    command += [arg for setting in (*TEST_SPARK_CONF, *settings) for arg in ("--set", setting)]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while "over JDBC at" not in log_path.read_text():
        assert process.poll() is None, f"the server stopped:\n{log_path.read_text()}"
        assert time.monotonic() < deadline, f"no server after {STARTUP_SECONDS} s:\n{log_path.read_text()}"
        time.sleep(1)
    yield process, port, config, lake, log_path
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)


def expected_deals(lake) -> list[tuple[str, int]]:
    rows = lake.read(GOLD, "deal_tracker").filter(F.col("as_of_date") == AS_OF).orderBy("opportunity_id").collect()
    return [(r["opportunity_id"], r["health_score"]) for r in rows]


def test_beeline_reads_a_gold_table_over_jdbc(server):
    _, port, config, lake, _ = server
    query = QUERY.format(prefix=config.catalog.schema_prefix, day=AS_OF.isoformat())

    options = ["-n", "analyst", "--silent=true", "--outputformat=csv2", "-e", query]
    result = subprocess.run(
        [str(BEELINE), "-u", jdbc_url("localhost", port), *options],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SPARK_HOME": str(BEELINE.parent.parent)},
    )

    assert result.returncode == 0, result.stderr[-2000:]
    # Beeline may still print its prompt before the header; the rows are what follows it.
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.endswith("opportunity_id,health_score"))
    lines[header] = "opportunity_id,health_score"
    rows = list(csv.reader(io.StringIO("\n".join(lines[header:]))))
    assert len(rows) > 1, "no deal in the sample: nothing was read over JDBC"
    assert [(deal, int(score)) for deal, score in rows[1:]] == expected_deals(lake)


def test_a_python_client_reads_the_same_rows_then_the_server_stops_cleanly(server):
    process, port, config, lake, log_path = server
    query = QUERY.format(prefix=config.catalog.schema_prefix, day=AS_OF.isoformat())

    with connect(host="localhost", port=port, auth_mechanism="PLAIN", user="analyst", password="unused") as db:
        cursor = db.cursor()
        cursor.execute(query)
        rows = cursor.fetchall()
        started = time.perf_counter()
        cursor.execute(query)
        cursor.fetchall()
        print(f"a second query of gold.deal_tracker over JDBC took {time.perf_counter() - started:.3f} s")
        cursor.close()

    assert [(deal, score) for deal, score in rows] == expected_deals(lake)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 0
    assert "stopping the JDBC server" in log_path.read_text()

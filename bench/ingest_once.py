"""One measured ingest, then conform, in this process: prints one JSON line with times, rows and peak memory.

Run by `bench.run` in a fresh process per scale, so each JVM's peak resident memory is its own.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from jobs import conform, ingest
from jobs.config import load_config
from jobs.lake import SILVER, Lake
from jobs.runtime import build_session, iso_date, setup_logging
from transforms.record_links import link_candidates


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def link_rows(lake: Lake, meetings_need_regarding: bool) -> dict[str, int]:
    """Links written, and the rows the opportunity and lead rules went through before their
    semi-join (counted after the timed conform, from silver)."""
    silver = {
        table: lake.read(SILVER, table)
        for table in ("activities", "activity_participants", "accounts", "contacts", "leads", "opportunities")
    }
    candidates = link_candidates(
        silver["activities"],
        silver["activity_participants"],
        silver["accounts"],
        silver["contacts"],
        silver["leads"],
        silver["opportunities"],
        meetings_need_regarding=meetings_need_regarding,
    )
    return {
        "links": lake.read(SILVER, "record_links").count(),
        "link_rule_rows": sum(df.count() for df in candidates.values()),
    }


def main(argv: list[str]) -> int:
    landing, lake, as_of = argv[0], argv[1], iso_date(argv[2])
    setup_logging("INFO")  # to the log file bench.run keeps beside the results
    config = load_config(overrides=[f"paths.landing={landing}", f"paths.lake={lake}", *argv[3:]])
    started = time.monotonic()
    spark = build_session(config, "rapport-bench")
    session_s = time.monotonic() - started
    started = time.monotonic()
    result = ingest.run(spark, config, as_of)
    ingest_s = time.monotonic() - started
    started = time.monotonic()
    conformed = conform.run(spark, config)
    conform_s = time.monotonic() - started
    activities = conformed.rows.get("activities", 0)
    links = link_rows(Lake(spark, config), config.kpi.meetings_need_regarding_for_opportunity)
    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    records = sum(result.bronze_rows.values()) + sum(result.quarantined_rows.values())
    print(
        json.dumps(
            {
                "files": result.files,
                "records": records,
                "session_s": round(session_s, 1),
                "ingest_s": round(ingest_s, 1),
                "records_per_s": round(records / ingest_s),
                "conform_s": round(conform_s, 1),
                "silver_activities": activities,
                "activities_per_s": round(activities / conform_s),
                **links,
                "driver_jvm_peak_mib": round(peak_rss_mib(jvm_pid)),
                "driver_python_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

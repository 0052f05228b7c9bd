"""One measured year and one new day, landing to gold, in this process; prints one JSON line.

`python -m bench.once LANDING LAKE ACTIVITIES AS_OF [KEY=VALUE ...]`: generates a year of sample data
(ACTIVITIES activities, ending AS_OF) into LANDING, runs ingest, conform and the daily job for AS_OF
into LAKE, each timed; then lands one new day (ACTIVITIES / 365 activities, all of that day) and times the scheduled
path for AS_OF + 1: ingest of the new files, the incremental conform, the daily job; then the same for
a day of a year of 1M (2,739 activities) on AS_OF + 2, the same day at every scale. Run by
`bench.run` in a fresh process per scale, so the driver JVM's peak resident memory is its own.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from jobs import conform, daily_kpis, ingest
from jobs.config import load_config
from jobs.lake import SILVER, Lake
from jobs.runtime import build_session, iso_date, setup_logging
from samples.landing import generate
from transforms.record_links import link_candidates

YEAR_DAYS = 365
FIXED_DAY_ACTIVITIES = 1_000_000 // YEAR_DAYS  # a day of a year of 1M


def peak_rss_mib(pid: int) -> float:
    """Peak resident set size of a process (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_memory(spark) -> dict[str, int]:
    """The peak resident memory of this process' driver JVM and of its Python, in MiB."""
    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    return {
        "driver_jvm_peak_mib": round(peak_rss_mib(jvm_pid)),
        "driver_python_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def link_rows(lake: Lake, meetings_need_regarding: bool) -> dict[str, int]:
    """Links written, and the rows the opportunity and lead rules went through before their
    semi-join (counted after the timed runs, from silver)."""
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


def _timed(action) -> tuple[object, float]:
    started = time.monotonic()
    result = action()
    return result, round(time.monotonic() - started, 1)


def _records(result: ingest.IngestResult) -> int:
    return sum(result.bronze_rows.values()) + sum(result.quarantined_rows.values())


def new_day(spark, config, landing: Path, day: date, phase: str, activities: int) -> dict:
    """Land `activities` all happening on `day` and time the scheduled path for it: ingest of the
    new files, the incremental conform, the daily job."""
    measured = {"phase": phase, "activities": activities}
    scratch = Path(config.paths.lake).parent / f"{phase.replace(' ', '-')}-{day}"
    _, measured["generate_s"] = _timed(
        lambda: generate(scratch, as_of=day, seed=99, activities=activities, batch=f"{day}-new", history_days=1)
    )
    for folder in ("activities", "conversations"):
        shutil.copytree(scratch / folder, landing / folder, dirs_exist_ok=True)
    result, measured["ingest_s"] = _timed(lambda: ingest.run(spark, config, day))
    merged, measured["conform_s"] = _timed(lambda: conform.run(spark, config))
    _, measured["daily_s"] = _timed(lambda: daily_kpis.run(spark, config, [day]))
    measured["records"] = _records(result)
    measured["conform_merged"] = not merged.skipped and "users" not in merged.rows
    return measured


def main(argv: list[str]) -> int:
    landing, lake, activities, as_of = Path(argv[0]), Path(argv[1]), int(argv[2]), iso_date(argv[3])
    setup_logging("INFO")  # to the log file bench.run keeps beside the results
    config = load_config(overrides=[f"paths.landing={landing}", f"paths.lake={lake}", *argv[4:]])
    manifest, generate_s = _timed(lambda: generate(landing, as_of=as_of, activities=activities))
    spark = build_session(config, "rapport-bench")
    year = {"phase": "year", "activities": activities, "generate_s": generate_s}
    result, year["ingest_s"] = _timed(lambda: ingest.run(spark, config, as_of))
    _, year["conform_s"] = _timed(lambda: conform.run(spark, config))
    _, year["daily_s"] = _timed(lambda: daily_kpis.run(spark, config, [as_of]))
    year["records"] = _records(result)

    day = new_day(spark, config, landing, as_of + timedelta(days=1), "new day", max(1, activities // YEAR_DAYS))
    # The same size of day at every scale: what one day costs on top of a larger history.
    fixed = new_day(spark, config, landing, as_of + timedelta(days=2), "fixed day", FIXED_DAY_ACTIVITIES)

    links = link_rows(Lake(spark, config), config.kpi.meetings_need_regarding_for_opportunity)
    memory = peak_memory(spark)
    for phase in (year, day, fixed):
        phase["pipeline_s"] = round(phase["ingest_s"] + phase["conform_s"] + phase["daily_s"], 1)
        phase["records_per_s"] = round(phase["records"] / phase["pipeline_s"])
    year |= links
    landed = sum(manifest.counts.values())
    print(json.dumps({"year": year, "new_day": day, "fixed_day": fixed, "memory": memory, "landed_records": landed}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Measured daily KPI runs in this process; prints one JSON line with times and peak memory.

Two modes, each run by `bench.run` in a fresh process so that the JVM's peak memory is its own:

- `synthetic LAKE ACTIVITIES END`: writes a year of synthetic silver (`bench.synthetic_silver`)
  ending on END, then times the daily job for END: the daily job at scales ingest cannot reach
  on this machine.
- `incremental LANDING LAKE ACTIVITIES AS_OF`: the scheduled path for one new day on top of a year.
  Generates a year of sample data (ACTIVITIES) and runs ingest, conform and the daily job for AS_OF;
  then lands one day's worth of new activities (ACTIVITIES / 400: the sample spans 400 days) and
  times the incremental path for AS_OF + 1 (ingest of the new files, conform merging them, the
  daily job) against a full recompute (conform --full-refresh, the daily job).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.ingest_once import peak_rss_mib
from bench.synthetic_silver import write_synthetic_silver
from jobs import conform, daily_kpis, ingest
from jobs.config import load_config
from jobs.runtime import build_session, iso_date, setup_logging
from samples.landing import HISTORY_DAYS, generate


def _timed(action) -> tuple[object, float]:
    started = time.monotonic()
    result = action()
    return result, round(time.monotonic() - started, 1)


def _memory(spark) -> dict:
    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    return {
        "driver_jvm_peak_mib": round(peak_rss_mib(jvm_pid)),
        "driver_python_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def synthetic(lake: str, activities: int, end_text: str, overrides: list[str]) -> dict:
    end = iso_date(end_text)
    config = load_config(overrides=[f"paths.lake={lake}", *overrides])
    spark = build_session(config, "rapport-bench-daily")
    written, generate_s = _timed(lambda: write_synthetic_silver(spark, config, activities, end=end))
    gold, daily_s = _timed(lambda: daily_kpis.run(spark, config, [end]))
    return {
        "activities": activities,
        "silver_rows": sum(written.values()),
        "synthetic_silver_s": generate_s,
        "daily_s": daily_s,
        "gold_rows": sum(gold.values()),
        **_memory(spark),
    }


def incremental(landing: str, lake: str, activities: int, as_of_text: str, overrides: list[str]) -> dict:
    as_of = iso_date(as_of_text)
    next_day = as_of + timedelta(days=1)
    config = load_config(overrides=[f"paths.landing={landing}", f"paths.lake={lake}", *overrides])
    generate(Path(landing), as_of=as_of, activities=activities)
    spark = build_session(config, "rapport-bench-incremental")
    _, year_s = _timed(
        lambda: (ingest.run(spark, config, as_of), conform.run(spark, config), daily_kpis.run(spark, config, [as_of]))
    )
    day_activities = max(1, activities // HISTORY_DAYS)
    scratch = Path(lake).parent / "new-day"
    generate(scratch, as_of=next_day, seed=99, activities=day_activities, batch=f"{next_day}-new")
    for folder in ("activities", "conversations"):
        shutil.copytree(scratch / folder, Path(landing) / folder, dirs_exist_ok=True)
    _, ingest_s = _timed(lambda: ingest.run(spark, config, next_day))
    merged, conform_s = _timed(lambda: conform.run(spark, config))
    _, daily_s = _timed(lambda: daily_kpis.run(spark, config, [next_day]))
    _, full_conform_s = _timed(lambda: conform.run(spark, config, full=True))
    _, full_daily_s = _timed(lambda: daily_kpis.run(spark, config, [next_day]))
    return {
        "activities": activities,
        "new_day_activities": day_activities,
        "year_first_run_s": year_s,
        "new_day_ingest_s": ingest_s,
        "new_day_conform_s": conform_s,
        "new_day_daily_s": daily_s,
        "incremental_total_s": round(ingest_s + conform_s + daily_s, 1),
        "full_conform_s": full_conform_s,
        "full_daily_s": full_daily_s,
        "full_recompute_total_s": round(ingest_s + full_conform_s + full_daily_s, 1),
        "conform_merged": not merged.skipped and "users" not in merged.rows,
        **_memory(spark),
    }


def main(argv: list[str]) -> int:
    setup_logging("INFO")  # to the log file bench.run keeps beside the results
    mode, args = argv[0], argv[1:]
    if mode == "synthetic":
        result = synthetic(args[0], int(args[1]), args[2], args[3:])
    elif mode == "incremental":
        result = incremental(args[0], args[1], int(args[2]), args[3], args[4:])
    else:
        raise SystemExit(f"unknown mode {mode!r}: synthetic or incremental")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

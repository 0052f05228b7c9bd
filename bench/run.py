"""`make bench`: throughput, wall time and peak driver memory of every job, at several scales.

- ingest + conform (`--scales`): generate the seeded landing zone (timed), then ingest it into a
  fresh lake and conform it to silver; records/s and activities/s.
- the daily KPI job (`--daily-scales`): on a year of synthetic silver written straight to the lake
  (ingest cannot produce 10 million activities on a small machine in reasonable time).
- one new day on top of a year (`--incremental-scale`): ingest of the new files, incremental
  conform and the daily job, against conform --full-refresh and the daily job.
Each measurement runs in a fresh process, so each JVM's peak resident memory is its own. Results
are printed as tables and kept in bench/results/bench-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from samples.landing import generate

ROOT = Path(__file__).resolve().parent
AS_OF = date(2026, 3, 31)


def bench_scale(activities: int, work: Path, quality: bool) -> dict:
    landing, lake = work / f"{activities}" / "landing", work / f"{activities}" / "lake"
    shutil.rmtree(work / f"{activities}", ignore_errors=True)
    started = time.monotonic()
    manifest = generate(landing, as_of=AS_OF, activities=activities, progress=lambda line: print("  " + line))
    generate_s = time.monotonic() - started
    command = [sys.executable, "-m", "bench.ingest_once", str(landing), str(lake), AS_OF.isoformat()]
    if not quality:
        command.append("quality.enabled=false")
    result = _measure(command, f"bench-{activities}.log")
    landing_mib = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20
    return {
        "activities": activities,
        "generated_records": sum(manifest.counts.values()),
        "generate_s": round(generate_s, 1),
        "landing_mib": round(landing_mib, 1),
        **result,
    }


def _measure(command: list[str], log_name: str) -> dict:
    """Run one bench process; its stderr goes to a log beside the results, its last line is JSON."""
    log_path = ROOT / "results" / log_name
    with open(log_path, "w", encoding="utf-8") as log_file:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=log_file, text=True, cwd=ROOT.parent)
    if run.returncode != 0:
        tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
        raise SystemExit(f"{log_name} failed (exit {run.returncode}); last lines:\n" + "\n".join(tail))
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench_daily(activities: int, work: Path, quality: bool) -> dict:
    lake = work / f"daily-{activities}" / "lake"
    shutil.rmtree(lake.parent, ignore_errors=True)
    command = [sys.executable, "-m", "bench.daily_once", "synthetic", str(lake), str(activities), AS_OF.isoformat()]
    return _measure(command + ([] if quality else ["quality.enabled=false"]), f"bench-daily-{activities}.log")


def bench_incremental(activities: int, work: Path, quality: bool) -> dict:
    root = work / f"incremental-{activities}"
    shutil.rmtree(root, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "bench.daily_once",
        "incremental",
        str(root / "landing"),
        str(root / "lake"),
        str(activities),
        AS_OF.isoformat(),
    ]
    return _measure(command + ([] if quality else ["quality.enabled=false"]), f"bench-incremental-{activities}.log")


def _table(title: str, rows: list[dict], columns: list[str]) -> None:
    if not rows:
        return
    print(f"\n{title}")
    print("  ".join(f"{c:>14}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]:>14,}" if isinstance(row[c], int) else f"{row[c]!s:>14}" for c in columns))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--scales", nargs="*", type=int, default=[30_000, 300_000], help="activities per ingest + conform scale"
    )
    parser.add_argument(
        "--daily-scales", nargs="*", type=int, default=[1_000_000, 10_000_000], help="activities of synthetic silver"
    )
    parser.add_argument(
        "--incremental-scale", nargs="*", type=int, default=[30_000], help="activities of the year under a new day"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "work", help="scratch folder")
    parser.add_argument("--no-quality", action="store_true", help="skip the Great Expectations suites")
    args = parser.parse_args(argv)
    rows, daily_rows, incremental_rows = [], [], []
    (ROOT / "results").mkdir(parents=True, exist_ok=True)
    quality = not args.no_quality
    for activities in args.scales:
        print(f"ingest + conform, {activities:,} activities ...", flush=True)
        rows.append(bench_scale(activities, args.work, quality))
        print("  " + json.dumps(rows[-1]), flush=True)
    for activities in args.daily_scales:
        print(f"daily KPIs on synthetic silver, {activities:,} activities ...", flush=True)
        daily_rows.append(bench_daily(activities, args.work, quality))
        print("  " + json.dumps(daily_rows[-1]), flush=True)
    for activities in args.incremental_scale:
        print(f"one new day on top of a year of {activities:,} activities ...", flush=True)
        incremental_rows.append(bench_incremental(activities, args.work, quality))
        print("  " + json.dumps(incremental_rows[-1]), flush=True)
    columns = [
        "activities",
        "records",
        "files",
        "landing_mib",
        "generate_s",
        "ingest_s",
        "records_per_s",
        "conform_s",
        "activities_per_s",
        "links",
        "link_rule_rows",
        "driver_jvm_peak_mib",
        "driver_python_peak_mib",
    ]
    gx = "on" if quality else "off"
    _table(
        f"ingest (landing -> bronze + quarantine) and conform (bronze -> silver), Great Expectations {gx}",
        rows,
        columns,
    )
    _table(
        f"daily KPIs (silver -> 6 gold tables, one as-of day) on a year of synthetic silver, Great Expectations {gx}",
        daily_rows,
        ["activities", "silver_rows", "synthetic_silver_s", "daily_s", "gold_rows", "driver_jvm_peak_mib"],
    )
    _table(
        "one new day on top of a year: incremental (ingest new files, conform merge, daily) against full recompute",
        incremental_rows,
        [
            "activities",
            "new_day_activities",
            "new_day_ingest_s",
            "new_day_conform_s",
            "new_day_daily_s",
            "incremental_total_s",
            "full_conform_s",
            "full_daily_s",
            "full_recompute_total_s",
        ],
    )
    out = ROOT / "results" / f"bench-{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"ingest": rows, "daily": daily_rows, "incremental": incremental_rows}, indent=2))
    shutil.rmtree(args.work, ignore_errors=True)
    print(f"\nresults: {out}")
    print("records_per_s: landed records (all sources) per second of ingest; activities_per_s: silver activities")
    print("per second of conform; links: silver.record_links rows; link_rule_rows: the rows the opportunity and")
    print("lead rules go through before keeping their links; peak memory: VmHWM of the driver JVM and its Python")
    return 0


if __name__ == "__main__":
    sys.exit(main())

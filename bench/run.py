"""`make bench`: ingest and conform throughput and peak driver memory at several scales.

For each scale: generate the seeded landing zone (timed), then ingest it into a fresh lake and
conform it to silver, in a fresh process, and report records/s, activities/s and the driver JVM's
peak resident memory. Results are printed as a table and kept in bench/results/bench-<date>.json.
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

from jobs.sample_data import generate

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
    log_path = ROOT / "results" / f"bench-{activities}.log"
    with open(log_path, "w", encoding="utf-8") as log_file:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=log_file, text=True, cwd=ROOT.parent)
    if run.returncode != 0:
        tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
        raise SystemExit(
            f"scale {activities:,} failed (exit {run.returncode}); last lines of {log_path}:\n" + "\n".join(tail)
        )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    landing_mib = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20
    return {
        "activities": activities,
        "generated_records": sum(manifest.counts.values()),
        "generate_s": round(generate_s, 1),
        "landing_mib": round(landing_mib, 1),
        **result,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scales", nargs="+", type=int, default=[30_000, 300_000], help="activities per scale")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "work", help="scratch folder")
    parser.add_argument("--no-quality", action="store_true", help="skip the Great Expectations suites")
    args = parser.parse_args(argv)
    rows = []
    (ROOT / "results").mkdir(parents=True, exist_ok=True)
    for activities in args.scales:
        print(f"scale {activities:,} activities ...", flush=True)
        rows.append(bench_scale(activities, args.work, not args.no_quality))
        print("  " + json.dumps(rows[-1]), flush=True)
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
        "driver_jvm_peak_mib",
        "driver_python_peak_mib",
    ]
    quality = "off" if args.no_quality else "on"
    print(f"\ningest (landing -> bronze + quarantine) and conform (bronze -> silver), Great Expectations {quality}")
    print("  ".join(f"{c:>14}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]:>14,}" if isinstance(row[c], int) else f"{row[c]:>14}" for c in columns))
    out = ROOT / "results" / f"bench-{date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    shutil.rmtree(args.work, ignore_errors=True)
    print(f"\nresults: {out}")
    print("records_per_s: landed records (all sources) per second of ingest; activities_per_s: silver activities")
    print("per second of conform; peak memory: VmHWM of the driver JVM and the driver's Python process")
    return 0


if __name__ == "__main__":
    sys.exit(main())

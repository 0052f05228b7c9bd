"""`make bench-load`: a month of daily runs on top of a year, without and with weekly maintenance.

Generates a year of history (`--activities`, 20,000 by default) ending AS_OF and runs it landing to
gold with `python -m jobs.pipeline`; then, day after day for `--days` days (30), lands one day of new
activities and conversations (a year's activities / 365, all of that day: `generate(...,
batch=f"{day}-new", history_days=1)`, as bench.once does) and runs the pipeline for that day in a
fresh process, as a scheduler would. Every `--maintenance-every` days (7) `python -m
jobs.maintenance` runs after it, in its own process. After each day the bench counts the lake:
the data files of the tables' current versions, data files on storage, Delta log files, table
versions and bytes. By default the month runs twice on the same landings, without maintenance and
with it (`--no-maintenance` or `--maintenance-only` for one), and prints both, so the growth of small
files and of the log is visible without it and flat with it.

The month passes in about an hour, where retention periods count wall-clock time. So after each day
the bench ages every `_delta_log` file of the lake by one day (its modification time, which Delta's
expired log cleanup reads), in both runs; and maintenance runs VACUUM with 0 hours of retention,
since a removed file's time is written inside the log, where it cannot be aged: each maintenance
deletes every file replaced before it, where production's 168 hours keep the last week's as well.

Results: bench/results/load-<date>.json (every day's counts, per table too); each run's log under
bench/results/load-logs/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from jobs.lake import USER_TABLES
from samples.landing import generate

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
LOGS = RESULTS / "load-logs"
AS_OF = date(2026, 3, 31)
YEAR_DAYS = 365
DAY_FOLDERS = ("activities", "conversations")  # what a day brings; the CRM stays as the year left it
# The month is an hour: VACUUM deletes what was replaced before it (see the module's docstring).
MAINTENANCE_OVERRIDES = (
    "maintenance.vacuum_retain_hours=0",
    "spark.conf.spark.databricks.delta.retentionDurationCheck.enabled=false",
)
LARGEST = 3  # tables shown on their own: the most data files on storage on the last day


def run_job(module: str, day: date, root: Path, overrides: list[str], log_name: str) -> float:
    """`python -m <module> --as-of day` on the run's landing zone and lake, in a fresh process;
    its wall time in seconds. Its output goes to load-logs/<log_name>.log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{log_name}.log"
    arguments = [f"paths.landing={root / 'landing'}", f"paths.lake={root / 'lake'}", *overrides]
    command = [sys.executable, "-m", module, "--as-of", day.isoformat()]
    for assignment in arguments:
        command += ["--set", assignment]
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log_file:
        run = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT.parent)
    seconds = round(time.monotonic() - started, 1)
    if run.returncode != 0:
        tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
        raise SystemExit(f"{' '.join(command)} failed (exit {run.returncode}), {log_path}:\n" + "\n".join(tail))
    return seconds


def visible_files(folder: Path) -> list[os.DirEntry]:
    """Regular files under `folder`, recursively, leaving out hidden ones (local checksums, `.crc`)."""
    found = []
    for entry in os.scandir(folder):
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            found += visible_files(Path(entry.path))
        elif entry.is_file(follow_symlinks=False):
            found.append(entry)
    return found


def table_counts(path: Path) -> dict[str, int]:
    """One Delta table: data files of its current version (read with delta-rs, no JVM), data files
    and bytes on storage, log files, version."""
    from deltalake import DeltaTable

    table = DeltaTable(str(path))
    log_dir = path / "_delta_log"
    data = [f for entry in os.scandir(path) if entry.name != "_delta_log" for f in _files_of(entry)]
    log_files = visible_files(log_dir)
    return {
        "files": len(table.file_uris()),
        "disk_files": len(data),
        "log_files": len(log_files),
        "version": table.version(),
        "bytes": sum(f.stat().st_size for f in data) + sum(f.stat().st_size for f in log_files),
    }


def _files_of(entry: os.DirEntry) -> list[os.DirEntry]:
    if entry.name.startswith("."):
        return []
    if entry.is_dir(follow_symlinks=False):
        return visible_files(Path(entry.path))
    return [entry] if entry.is_file(follow_symlinks=False) else []


def lake_counts(lake: Path) -> dict:
    """The lake's totals and every table's counts."""
    tables = {
        f"{layer}.{table}": table_counts(lake / layer / table)
        for layer, table in USER_TABLES
        if (lake / layer / table / "_delta_log").is_dir()
    }
    versions = [t["version"] for t in tables.values()]
    return {
        "tables": len(tables),
        "files": sum(t["files"] for t in tables.values()),
        "disk_files": sum(t["disk_files"] for t in tables.values()),
        "log_files": sum(t["log_files"] for t in tables.values()),
        "version_max": max(versions, default=0),
        "version_sum": sum(versions),
        "lake_mib": round(sum(t["bytes"] for t in tables.values()) / 2**20, 1),
        "per_table": tables,
    }


def age_logs(lake: Path, days: int = 1) -> None:
    """Every `_delta_log` file of the lake `days` older: a simulated day passes for Delta's log cleanup."""
    for layer, table in USER_TABLES:
        log_dir = lake / layer / table / "_delta_log"
        if log_dir.is_dir():
            for entry in os.scandir(log_dir):
                if entry.is_file(follow_symlinks=False):
                    then = entry.stat().st_mtime - days * 86_400
                    os.utime(entry.path, (then, then))


def day_landing(work: Path, index: int, day: date, activities: int) -> Path:
    """One day's new landing (generated once, landed by every run)."""
    folder = work / "days" / day.isoformat()
    if not (folder / "activities").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, as_of=day, seed=1000 + index, activities=activities, batch=f"{day}-new", history_days=1)
    return folder


def run_month(mode: str, every: int | None, args, work: Path, year_landing: Path) -> list[dict]:
    """The year, then `args.days` daily runs (and maintenance every `every` days); a row per day."""
    root = work / mode
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(year_landing, root / "landing")
    print(f"\n{mode}: the year of {args.activities:,} activities, landing to gold ...", flush=True)
    year_s = run_job("jobs.pipeline", AS_OF, root, args.overrides, f"{mode}-{AS_OF}-pipeline")
    rows = [{"mode": mode, "day": AS_OF.isoformat(), "pipeline_s": year_s, **lake_counts(root / "lake")}]
    print(_line(rows[-1]), flush=True)
    age_logs(root / "lake")
    per_day = max(1, args.activities // YEAR_DAYS)
    for index in range(1, args.days + 1):
        day = AS_OF + timedelta(days=index)
        landing = day_landing(work, index, day, per_day)
        for folder in DAY_FOLDERS:
            shutil.copytree(landing / folder, root / "landing" / folder, dirs_exist_ok=True)
        row = {"mode": mode, "day": day.isoformat(), "activities": per_day}
        row["pipeline_s"] = run_job("jobs.pipeline", day, root, args.overrides, f"{mode}-{day}-pipeline")
        if every and index % every == 0:
            overrides = [*args.overrides, *MAINTENANCE_OVERRIDES]
            row["maintenance_s"] = run_job("jobs.maintenance", day, root, overrides, f"{mode}-{day}-maintenance")
        rows.append(row | lake_counts(root / "lake"))
        print(_line(rows[-1]), flush=True)
        age_logs(root / "lake")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return rows


COLUMNS = ("day", "pipeline_s", "maintenance_s", "files", "disk_files", "log_files", "version_max", "version_sum")


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _line(row: dict, largest: list[str] = ()) -> str:
    cells = [f"{_cell(row.get(c)):>13}" for c in (*COLUMNS, "lake_mib")]
    for name in largest:
        counts = row["per_table"].get(name, {})
        shown = "/".join(_cell(counts.get(k)) for k in ("files", "disk_files", "log_files"))
        cells.append(f"{shown:>{max(13, len(name))}}")
    return "  ".join(cells)


def print_month(mode: str, rows: list[dict], largest: list[str]) -> None:
    print(f"\n{mode}")
    header = [f"{h:>13}" for h in (*COLUMNS, "lake_mib")] + [f"{name:>13}" for name in largest]
    print("  ".join(header))
    for row in rows:
        print(_line(row, largest))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=20_000, help="activities of the year (default 20,000)")
    parser.add_argument("--days", type=int, default=30, help="daily runs after the year (default 30)")
    parser.add_argument("--maintenance-every", type=int, default=7, metavar="N", help="maintenance every N days")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-maintenance", action="store_true", help="only the month without maintenance")
    which.add_argument("--maintenance-only", action="store_true", help="only the month with maintenance")
    parser.add_argument("--work", type=Path, default=RESULTS / "work" / "load", help="scratch folder")
    parser.add_argument("--keep", action="store_true", help="keep the lakes and landing zones in --work")
    parser.add_argument(
        "--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[], help="a configuration override"
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOGS, ignore_errors=True)
    year_landing = args.work / "year"
    if not (year_landing / "activities").is_dir():
        print(f"generating a year of {args.activities:,} activities ending {AS_OF} ...", flush=True)
        shutil.rmtree(year_landing, ignore_errors=True)
        generate(year_landing, as_of=AS_OF, activities=args.activities)
    modes = []
    if not args.maintenance_only:
        modes.append(("no maintenance", None))
    if not args.no_maintenance:
        modes.append((f"maintenance every {args.maintenance_every} days", args.maintenance_every))
    months = {mode: run_month(mode.replace(" ", "-"), every, args, args.work, year_landing) for mode, every in modes}
    last = next(iter(months.values()))[-1]["per_table"]
    largest = sorted(last, key=lambda name: last[name]["disk_files"], reverse=True)[:LARGEST]
    for mode, rows in months.items():
        print_month(mode, rows, largest)
    print(
        "\nfiles: data files of the tables' current versions; disk_files: data files on storage (VACUUM removes the "
        "others); log_files: files in _delta_log (commits, checksums, checkpoints); versions: of the lake's tables; "
        f"the last columns: files/disk_files/log_files of {', '.join(largest)}"
    )
    out = RESULTS / f"load-{date.today().isoformat()}.json"
    settings = {k: v for k, v in vars(args).items() if k != "work"}
    out.write_text(json.dumps({"settings": settings, "months": months}, indent=2, default=str))
    print(f"results: {out}; logs: {LOGS}")
    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`: the whole pipeline from landing to gold on generated data, a year, then one new
day and a day of a 1M year, at each scale; then the weekly similar-deals job on synthetic deals at
each size (`--similar OPENxWON ...`, with recall@k against exact search); then the daily
conversation-intelligence job on synthetic calls (`--calls N ...`, `bench.calls`). Wall time per job,
records/s, links and the rows the link rules went through, and peak driver memory, with the
previous run's figures beside them.

Each scale runs in a fresh process (`bench.once`), with the driver heap it must fit in
(`--driver-memory`, 4g by default), so each JVM's peak resident memory is its own. Results are kept
in bench/results/bench-<date>.json; the newest earlier file gives the previous figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
AS_OF = date(2026, 3, 31)
COLUMNS = (
    "generate_s",
    "ingest_s",
    "conform_s",
    "daily_s",
    "pipeline_s",
    "records",
    "records_per_s",
    "links",
    "link_rule_rows",
    "driver_jvm_peak_mib",
)
COMPARED = ("ingest_s", "conform_s", "daily_s", "pipeline_s", "driver_jvm_peak_mib")


def measured_in_fresh_process(module: str, root: Path, arguments: list[str], name: str, what: str) -> dict:
    """Run `python -m module` with a scratch folder `root` (removed after), its log kept as
    bench-<name>.log; the JSON line it prints last."""
    shutil.rmtree(root, ignore_errors=True)
    log_path = RESULTS / f"bench-{name}.log"
    with open(log_path, "w", encoding="utf-8") as log_file:
        run = subprocess.run(
            [sys.executable, "-m", module, *arguments],
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            cwd=ROOT.parent,
        )
    shutil.rmtree(root, ignore_errors=True)
    if run.returncode != 0:
        tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
        raise SystemExit(f"{log_path} ({what}) failed (exit {run.returncode}):\n" + "\n".join(tail))
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench_scale(activities: int, work: Path, overrides: list[str]) -> dict:
    root = work / str(activities)
    arguments = [str(root / "landing"), str(root / "lake"), str(activities), AS_OF.isoformat(), *overrides]
    return measured_in_fresh_process("bench.once", root, arguments, str(activities), f"{activities:,} activities")


def bench_similar(size: str, work: Path, overrides: list[str]) -> dict:
    """`OPENxWON`: the weekly similar-deals job on synthetic deals, in a fresh process."""
    open_deals, won = (int(n) for n in size.lower().split("x"))
    root = work / f"similar-{size}"
    arguments = [str(root / "lake"), str(open_deals), str(won), *overrides]
    return measured_in_fresh_process("bench.similar", root, arguments, f"similar-{size}", f"similar deals {size}")


def bench_calls(calls: int, work: Path, overrides: list[str]) -> dict:
    """The daily conversation-intelligence job on synthetic calls, in a fresh process."""
    root = work / f"calls-{calls}"
    arguments = [str(root / "lake"), str(calls), *overrides]
    return measured_in_fresh_process("bench.calls", root, arguments, f"calls-{calls}", f"{calls:,} calls")


def previous_results(today: Path) -> dict[tuple[int, str], dict]:
    """The newest earlier results file, by (activities of the year, phase)."""
    earlier = sorted(p for p in RESULTS.glob("bench-*.json") if p != today)
    if not earlier:
        return {}
    rows = json.loads(earlier[-1].read_text(encoding="utf-8")).get("rows", [])
    return {(row["scale"], row["phase"]): row for row in rows}


def kept_rows(today: Path, scales: list[int]) -> list[dict]:
    """Today's earlier rows for scales this run does not measure again (one file per day holds them all)."""
    if not today.exists():
        return []
    rows = json.loads(today.read_text(encoding="utf-8")).get("rows", [])
    return [row for row in rows if row["scale"] not in scales]


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(rows: list[dict], previous: dict) -> None:
    header = ["scale", "phase", *COLUMNS, *[f"prev {c}" for c in COMPARED]]
    print("  ".join(f"{h:>14}" for h in header))
    for row in rows:
        before = previous.get((row["scale"], row["phase"]), {})
        cells = [row["scale"], row["phase"], *[row.get(c) for c in COLUMNS], *[before.get(c) for c in COMPARED]]
        print("  ".join(f"{_cell(c):>14}" for c in cells))


def print_rows(title: str, header: list[str], rows: list[dict]) -> None:
    if not rows:
        return
    print(f"\n{title}")
    print("  ".join(f"{h:>14}" for h in header))
    for row in rows:
        print("  ".join(f"{_cell(row.get(h)):>14}" for h in header))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scales", nargs="*", type=int, default=[1_000_000, 10_000_000], help="activities a year")
    parser.add_argument("--driver-memory", default="4g", help="the driver heap every scale must fit in")
    parser.add_argument("--work", type=Path, default=ROOT / "results" / "work", help="scratch folder")
    parser.add_argument(
        "--similar", nargs="*", default=["10000x100000", "50000x500000"], help="weekly job sizes, OPENxWON deals"
    )
    parser.add_argument(
        "--calls", nargs="*", type=int, default=[10_000, 100_000], help="conversation job sizes, calls with transcripts"
    )
    parser.add_argument("--no-quality", action="store_true", help="skip the Great Expectations suites")
    parser.add_argument(
        "--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[], help="a configuration override"
    )
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    overrides = [f"spark.conf.spark.driver.memory={args.driver_memory}", *args.overrides]
    if args.no_quality:
        overrides.append("quality.enabled=false")
    out = RESULTS / f"bench-{date.today().isoformat()}.json"
    previous = previous_results(out)
    rows = []
    for activities in args.scales:
        print(f"a year of {activities:,} activities, a new day, a 1M-year's day, landing to gold ...", flush=True)
        measured = bench_scale(activities, args.work, overrides)
        print("  " + json.dumps(measured), flush=True)
        for phase in ("year", "new_day", "fixed_day"):
            rows.append({"scale": activities, **measured[phase], **measured["memory"]})
    print(f"\nlanding -> bronze -> silver -> gold, driver heap {args.driver_memory}")
    print_table(rows, previous)
    similar = []
    for size in args.similar:
        print(f"weekly similar won deals, {size} open x won deals ...", flush=True)
        similar.append(bench_similar(size, args.work, overrides))
        print("  " + json.dumps(similar[-1]), flush=True)
    print_rows(
        "weekly similar won deals (recall_at_k: on 500 open deals against exact search)",
        ["open", "won", "weekly_s", "matches", "recall_at_k", "driver_jvm_peak_mib"],
        similar,
    )
    calls = []
    for size in args.calls:
        print(f"daily conversation intelligence, {size:,} calls ...", flush=True)
        calls.append(bench_calls(size, args.work, overrides))
        print("  " + json.dumps(calls[-1]), flush=True)
    print_rows(
        "daily conversation intelligence (about 150 fragments a call)",
        ["calls", "fragments", "job_s", "insights", "mentions", "driver_jvm_peak_mib"],
        calls,
    )
    earlier = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    kept_similar = [r for r in earlier.get("similar", []) if f"{r['open']}x{r['won']}" not in args.similar]
    kept_calls = [r for r in earlier.get("calls", []) if r["calls"] not in args.calls]
    results = {
        "rows": kept_rows(out, args.scales) + rows,
        "similar": kept_similar + similar,
        "calls": kept_calls + calls,
    }
    out.write_text(json.dumps(results, indent=2))
    print(f"\nresults: {out}")
    print("records: landed records read by ingest; records_per_s: of the whole pipeline; links: silver.record_links")
    print("rows; link_rule_rows: the rows the opportunity and lead rules go through before keeping their links;")
    print("driver_jvm_peak_mib: VmHWM of the driver JVM over both phases; prev: the newest earlier results file")
    return 0


if __name__ == "__main__":
    sys.exit(main())

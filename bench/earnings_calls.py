"""`make check-real-data` (second half): conversation intelligence on Rev's Earnings-21 calls.

Lands ../shared/data/earnings-calls/earnings21 (not part of the project; skipped when absent) with
`jobs.import_earnings_calls` into a scratch landing zone, runs the whole pipeline on it, and prints:
- speaker changes counted from the transcripts' fragments (turns merged with a gap of 0 and of the
  default 300 ms, no 1-second rule) against the corpus' `speaker_switches` minus one, on the calls
  whose transcript and diarization agree on the speaker order, and on all;
- the median talk % and switches per hour of `gold.call_insights`;
- the other brands and organisations found on three calls, each marked real when the corpus tags it
  (or a name holding it) as an organisation or product, and that precision over every call.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs import import_earnings_calls, pipeline
from jobs.config import load_config
from jobs.lake import GOLD, SILVER, Lake
from jobs.runtime import build_session, setup_logging
from transforms.earnings_calls import read_corpus
from transforms.mentions import OTHER_BRAND, normalise
from transforms.turns import merge_turns, speaker_changes

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "earnings-calls" / "earnings21"
AS_OF = date(2026, 3, 31)
SHOWN_CALLS = ("4366522", "4320211", "4385939")  # a biotech, a car-service chain, a bank: three kinds of talk


def _stripped(name: str) -> str:
    key = normalise(name).strip()
    return key[4:] if key.startswith("the ") else key


def is_real(name: str, organisations: set[str]) -> bool:
    """Whether a detected name is one the corpus tags as an organisation or product, or holds one
    or is held by one (word-wise)."""
    key = f" {_stripped(name)} "
    return any(f" {o} " in key or key in f" {o} " for o in map(_stripped, organisations) if o)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.earnings_calls", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--keep", action="store_true", help="keep the scratch lake and print where it is")
    args = parser.parse_args(argv)
    if not (args.corpus / "earnings21-file-metadata.csv").is_file():
        print(f"skipped: no Earnings-21 corpus in {args.corpus} (the shared real data is not on this machine)")
        return 0
    setup_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="rapport-earnings21-"))
    try:
        overrides = [f"paths.landing={work / 'landing'}", f"paths.lake={work / 'lake'}"]
        import_earnings_calls.main(["--from", str(args.corpus), "--as-of", AS_OF.isoformat(), *_sets(overrides)])
        pipeline.main(["--as-of", AS_OF.isoformat(), "--log-level", "WARNING", *_sets(overrides)])
        config = load_config(overrides=overrides)
        spark = SparkSession.getActiveSession() or build_session(config, "rapport-earnings21")  # the pipeline's
        report(Lake(spark, config), list(read_corpus(args.corpus)))
    finally:
        if args.keep:
            print(f"lake kept in {work / 'lake'}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _sets(overrides: list[str]) -> list[str]:
    return [arg for override in overrides for arg in ("--set", override)]


def report(lake: Lake, calls) -> None:
    by_id = {c.call_id: c for c in calls}
    fragments_df = lake.read(SILVER, "call_fragments")
    counted = {
        gap: {r["call_id"]: r["speaker_changes"] for r in speaker_changes(turns, min_turn_ms=0).collect()}
        for gap, turns in (
            ("0 ms", merge_turns(fragments_df, merge_gap_ms=0)),
            ("300 ms", lake.read(SILVER, "call_turns")),
        )
    }
    ordered = [c for c in calls if c.turn_order_matches]
    print(f"\nEarnings-21: {len(calls)} calls; transcript and diarization agree on the speaker order of {len(ordered)}")
    for gap, changes in counted.items():
        agree = [c for c in ordered if changes.get(c.call_id) == c.speaker_switches - 1]
        agree_all = [c for c in calls if changes.get(c.call_id) == c.speaker_switches - 1]
        off = [abs(changes.get(c.call_id, 0) - (c.speaker_switches - 1)) for c in calls]
        print(
            f"speaker changes, turns merged under {gap}, no 1-second rule: equal to speaker_switches - 1 on "
            f"{len(agree)} of the {len(ordered)} calls in agreed order, {len(agree_all)} of {len(calls)} in all "
            f"(median difference {statistics.median(off):g}, largest {max(off)})"
        )
    insights = lake.read(GOLD, "call_insights").collect()
    labels = Counter(r["sentiment_label"] for r in insights)
    print(
        f"median talk % {statistics.median(r['talk_pct'] for r in insights):.1f}, median switches per hour "
        f"{statistics.median(r['switches_per_hour'] for r in insights):.1f}, median words per minute "
        f"{statistics.median(r['words_per_minute'] for r in insights):.0f} over {len(insights)} calls; "
        f"sentiment labels {dict(sorted(labels.items(), key=str))}"
    )
    names_df = lake.read(GOLD, "call_mentions").filter(F.col("term_kind") == OTHER_BRAND)
    found: dict[str, list[tuple[str, int]]] = {}
    for row in names_df.collect():
        found.setdefault(row["call_id"], []).append((row["term"], row["mentions"]))
    real = total = 0
    for call_id, names in found.items():
        organisations = by_id[call_id].organisations() | {by_id[call_id].company}
        real += sum(1 for name, _ in names if is_real(name, organisations))
        total += len(names)
    print(
        f"other brands and organisations: {total} names on {len(found)} calls, {real} tagged as organisations "
        f"or products by the corpus: precision {real / max(total, 1):.2f}"
    )
    for file_id in SHOWN_CALLS:
        call = by_id.get(f"e21-{file_id}")
        if call is None:
            continue
        organisations = call.organisations() | {call.company}
        names = sorted(found.get(call.call_id, []), key=lambda n: (-n[1], n[0]))
        marked = [f"{name} x{count}{'' if is_real(name, organisations) else ' (not tagged)'}" for name, count in names]
        hits = sum(1 for name, _ in names if is_real(name, organisations))
        print(f"\n{file_id} {call.company}: {len(names)} names, {hits} tagged as organisations or products")
        print("  " + "; ".join(marked))


if __name__ == "__main__":
    raise SystemExit(main())

"""Write the seeded sample landing zone (every source of the contract), for `make run`, tests and benchmarks."""

from __future__ import annotations

import logging
import sys
import time
from datetime import date
from pathlib import Path

from jobs.config import Config, is_uri
from jobs.runtime import job_parser, parse_job_args
from samples.landing import SCALES, generate

log = logging.getLogger("rapport.sample")

DESCRIPTION = """\
Generate a seeded sample landing zone per the raw contract: CRM, emails (JSON Lines and .eml/.mbox),
email events, meetings, calls, tasks and transcripts. Same seed, scale and as-of: same bytes.

examples:
  python -m jobs.generate_sample_data                       # tiny, into paths.landing
  python -m jobs.generate_sample_data --scale small --bad-lines
  python -m jobs.generate_sample_data --activities 10000000 --set paths.landing=/tmp/landing
"""


def scale_activities(text: str) -> int:
    return SCALES[text] if text in SCALES else int(text)


def landing_is_empty(landing: str) -> bool:
    if is_uri(landing):
        return False  # sample data is written to local folders only
    root = Path(landing)
    return not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def generate_into(config: Config, as_of: date, activities: int, seed: int, bad_lines: bool) -> dict[str, int]:
    landing = config.paths.landing
    if is_uri(landing):
        raise SystemExit(f"sample data is written to local folders only, not {landing}")
    started = time.monotonic()
    tracking = config.tracking
    manifest = generate(
        Path(landing),
        as_of=as_of,
        seed=seed,
        activities=activities,
        internal_domain=(config.org.internal_domains or ["rapport.example"])[0],
        keywords=tuple(tracking.keywords),
        competitors=tuple(tracking.competitors),
        best_practice=tuple(tracking.best_practice_keywords),
        bad_lines=bad_lines,
        progress=log.info,
    )
    total = sum(manifest.counts.values())
    log.info(
        "sample landing zone %s: %d files, %d records (%s), %d bad records, as of %s, seed %d (%.1f s)",
        landing,
        len(manifest.files),
        total,
        ", ".join(f"{k} {v}" for k, v in sorted(manifest.counts.items())),
        len(manifest.bad),
        as_of,
        seed,
        time.monotonic() - started,
    )
    return manifest.counts


def generate_if_empty(config: Config, as_of: date) -> bool:
    """Generate the configured sample (`sample.*`) if the embedded default's landing zone has no
    file; True if it did. A landing zone or lake the user named never gets sample data: an empty
    one is their typo or their empty folder, and ingest reports it."""
    landing = config.paths.landing
    if not landing_is_empty(landing):
        return False
    if not config.is_embedded_default:
        log.info(
            "landing zone %s is empty, but it is not the embedded default's: no sample data is generated "
            "(make sample, or python -m jobs.generate_sample_data, writes sample data anywhere on purpose)",
            landing,
        )
        return False
    log.info("landing zone %s is empty: generating the sample landing zone first", landing)
    generate_into(config, as_of, scale_activities(str(config.sample.scale)), config.sample.seed, False)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("generate_sample_data", DESCRIPTION)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: sample.seed)")
    parser.add_argument(
        "--scale",
        default=None,
        help=f"{', '.join(f'{k} (~{v:,} activities)' for k, v in SCALES.items())}, or a number of activities",
    )
    parser.add_argument("--bad-lines", action="store_true", help="also write one bad record per quarantine reason")
    parser.add_argument("--if-empty", action="store_true", help="do nothing if the landing zone already has files")
    args, config = parse_job_args(parser, argv)
    landing = config.paths.landing
    if args.if_empty and not landing_is_empty(landing):
        log.info("landing zone %s already has files: nothing generated", landing)
        return 0
    try:
        activities = scale_activities(args.scale or str(config.sample.scale))
    except ValueError:
        parser.error(f"--scale {args.scale!r}: expected one of {', '.join(SCALES)} or a number")
    seed = args.seed if args.seed is not None else config.sample.seed
    generate_into(config, args.as_of, activities, seed, args.bad_lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

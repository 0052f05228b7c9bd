"""`make check-real-data`: ingest the public usrp-users mailing-list archive through the .eml path.

Reads ../shared/data/usrp-users-mail (not part of the project; skipped when absent), links its
messages into a scratch landing zone, ingests them with `ettus.com` as the internal domain, and
prints how many landed in bronze and why any were quarantined.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from jobs import ingest
from jobs.config import load_config
from jobs.lake import BRONZE, QUARANTINE, Lake
from jobs.runtime import build_session, setup_logging
from schemas.bronze import QUARANTINE_TABLE

DEFAULT_ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "usrp-users-mail" / "messages"
AS_OF = date(2023, 7, 1)  # the archive ends on 2023-06-30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.real_mail", description=__doc__)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    args = parser.parse_args(argv)
    messages = sorted(args.archive.glob("*.eml")) if args.archive.is_dir() else []
    if not messages:
        print(f"skipped: no .eml files in {args.archive} (the shared real data is not on this machine)")
        return 0
    setup_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="rapport-real-mail-"))
    try:
        emails = work / "landing" / "activities" / "emails"
        emails.mkdir(parents=True)
        for message in messages:
            (emails / message.name).symlink_to(message)
        config = load_config(
            overrides=[
                f"paths.landing={work / 'landing'}",
                f"paths.lake={work / 'lake'}",
                "org.internal_domains=[ettus.com]",
            ]
        )
        spark = build_session(config, "rapport-real-mail")
        result = ingest.run(spark, config, AS_OF)
        lake = Lake(spark, config)
        print(f"{len(messages)} messages in {args.archive}")
        print(f"bronze.emails: {result.bronze_rows.get('emails', 0)} rows")
        reasons = lake.read(QUARANTINE, QUARANTINE_TABLE).groupBy("reason", "field").count().collect()
        print(f"quarantined: {sum(r['count'] for r in reasons)}")
        for row in reasons:
            print(f"  {row['reason']} ({row['field'] or 'whole record'}): {row['count']}")
        bronze = lake.read(BRONZE, "emails")
        print(f"generated ids (no Message-ID): {bronze.filter(bronze.email_id.endswith('@rapport.invalid')).count()}")
        print(f"distinct senders: {bronze.select('from').distinct().count()}")
        lacking = [r for r in reasons if r["field"] in ("from", "email_id", "sent_at")]
        return 1 if lacking else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

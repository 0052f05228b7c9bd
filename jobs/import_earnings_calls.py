"""Land Rev's Earnings-21 corpus as calls with transcripts, to run conversation intelligence on real speech.

`python -m jobs.import_earnings_calls --from FOLDER [--as-of DAY]` reads an `earnings21/` folder
(`transforms/earnings_calls.py` has the mapping: company speakers are sellers, analysts and the
operator customers) and writes, for the day D before --as-of:

    <landing>/crm/users/earnings21-D.jsonl            the company speakers, a team per company
    <landing>/crm/contacts/earnings21-D.jsonl         the analysts and operators
    <landing>/activities/calls/earnings21-D.jsonl     one call per earnings call, on day D
    <landing>/conversations/transcripts/earnings21-D.jsonl

which `jobs.ingest` then reads like any other landed file; landed files are never rewritten. The
log says, call by call, whether the transcript's and the diarization's speaker order agree.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from jobs.landing import land_records
from jobs.runtime import JobError, job_parser, parse_job_args, run_job
from transforms.earnings_calls import call_records, read_corpus

log = logging.getLogger("rapport.import_earnings_calls")

DESCRIPTION = """\
Map Rev's Earnings-21 corpus (transcripts/nlp_references/*.nlp, rttms/*.rttm, speaker-metadata.csv,
earnings21-file-metadata.csv) to the landing contract's users, contacts, calls and transcripts, so
that jobs.pipeline computes call insights, mentions and the home page on 44 real earnings calls.
The calls happen on the day before --as-of.

examples:
  python -m jobs.import_earnings_calls --from ../shared/data/earnings-calls/earnings21 --as-of 2026-03-31
"""

FOLDERS = {
    "users": "crm/users",
    "contacts": "crm/contacts",
    "calls": "activities/calls",
    "transcripts": "conversations/transcripts",
}


def run(folder: Path, landing: Path, day, internal_domain: str) -> dict[str, int]:
    """Land every call of the corpus on `day`; return records landed per source."""
    if not (folder / "earnings21-file-metadata.csv").is_file():
        raise JobError(f"{folder}: no earnings21-file-metadata.csv; give the corpus' earnings21/ folder")
    records: dict[str, list[dict]] = {source: [] for source in FOLDERS}
    start = datetime.combine(day, datetime.min.time())
    matched = 0
    for index, call in enumerate(read_corpus(folder)):
        for source, rows in call_records(call, index, start, internal_domain).items():
            records[source].extend(rows)
        matched += call.turn_order_matches
        kinds = call.kinds()
        log.info(
            "%s %s: %d speakers (%d company), %d words, %d segments, speaker order %s",
            call.file_id,
            call.company,
            len(kinds),
            sum(1 for k in kinds.values() if k == "company"),
            len(call.tokens),
            len(call.segments),
            "agrees" if call.turn_order_matches else "differs",
        )
    calls = len(records["calls"])
    if not calls:
        raise JobError(f"{folder}: no call has a transcript, an RTTM and metadata")
    log.info("%d calls; the transcript and the diarization agree on the speaker order of %d", calls, matched)
    name = f"earnings21-{day.isoformat()}.jsonl"
    files = {landing / FOLDERS[source] / name: rows for source, rows in records.items()}
    for line in land_records(files, again="import the corpus with another --as-of").values():
        log.info("landed %s", line)
    return {source: len(rows) for source, rows in records.items()}


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("import_earnings_calls", DESCRIPTION)
    parser.add_argument("--from", dest="folder", metavar="FOLDER", type=Path, required=True, help="earnings21/")
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        domain = next(iter(config.org.internal_domains), None)
        if not domain:
            raise JobError("no org.internal_domains: the company speakers need an internal address domain")
        if "://" in config.paths.landing:
            raise JobError(f"paths.landing {config.paths.landing}: the importer writes to a local landing zone")
        day = args.as_of - timedelta(days=1)
        run(args.folder.expanduser().resolve(), Path(config.paths.landing), day, domain)
        return 0

    return run_job(body, "import_earnings_calls")


if __name__ == "__main__":
    raise SystemExit(main())

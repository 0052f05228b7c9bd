"""Retention of raw text: remove the text of activities that happened more than
`retention.raw_text_days` days before the as-of day T from bronze, silver and quarantine.

What goes (`transforms/retention.py` says how): email and meeting subjects and transcript text
(bronze `subject` and fragments' `text`, silver `activities.subject`, `call_turns.text` and
`words`, `call_fragments.text`), and the `raw_record` that holds them, rewritten as JSON of the
record's contract fields without the text, marked `"_text_removed":true`. Quarantined records of
those sources lose their `raw_record` once ingested more than that many days before T. Everything
else stays: ids, times, participants, turn timing. Gold holds no text and is not touched.

Idempotent: a second run finds nothing to change and makes no commit; a lake with no text to
remove (or no tables yet) is left as it is. Silver and bronze are changed alike, so the next
conform has nothing to redo: the conform state is moved past retention's own bronze commits when
silver was up to date before them. A full refresh from bronze gives the same silver (text stays
removed). Conversation intelligence keeps the text measures of a call whose text is gone from its
latest earlier gold row (`jobs/conversation_insights.py`), so gold stays as it was computed.

Old table versions and Delta's change data keep the text until VACUUM removes their files (after
`delta.deletedFileRetentionDuration`, 7 days by default).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.config import Config
from jobs.conform import move_past
from jobs.lake import BRONZE, QUARANTINE, SILVER, Lake
from jobs.runtime import build_session, job_parser, parse_job_args, run_job
from schemas.bronze import QUARANTINE_TABLE
from transforms.retention import (
    HAPPENED_AT,
    TEXT_FIELDS,
    call_times,
    cleared_columns,
    cutoff,
    holds_text,
    silver_activity_text,
    text_removed_record,
)

log = logging.getLogger("rapport.retention")
OLD_CALL = "old_call_id"  # the merge source's key, named apart from the target's call_id

DESCRIPTION = """\
Remove the raw text (email and meeting subjects, transcript text, and the raw_record that holds
them) of activities that happened more than retention.raw_text_days days before the as-of day,
from bronze, silver and quarantine. Gold is not touched. A second run changes nothing.

examples:
  python -m jobs.retention --as-of 2026-03-31 --set retention.raw_text_days=365
"""


@dataclass
class RetentionResult:
    cutoff: datetime | None = None
    rows: dict[str, int] = field(default_factory=dict)  # table name -> rows whose text was removed


def _update(lake: Lake, layer: str, table: str, condition: Column, values: dict[str, Column]) -> int:
    """Set `values` on the rows matching `condition`; no commit when none does."""
    if lake.read(layer, table).filter(condition).isEmpty():
        return 0
    before = lake.version(layer, table)
    lake.commit(layer, table, lambda: DeltaTable.forPath(lake.spark, lake.path(layer, table)).update(condition, values))
    return lake.counted_since(layer, table, before, "numUpdatedRows")


def _update_calls(
    lake: Lake, layer: str, table: str, old_calls: DataFrame, condition: Column, values: dict[str, Column]
) -> int:
    """Set `values` on the rows of the calls `old_calls` (column OLD_CALL) matching `condition`;
    no commit when none does."""
    todo = (
        lake.read(layer, table)
        .filter(condition)
        .join(old_calls, F.col("call_id") == F.col(OLD_CALL), "left_semi")
        .select(F.col("call_id").alias(OLD_CALL))
        .distinct()
        .localCheckpoint()
    )
    if todo.isEmpty():
        return 0
    before = lake.version(layer, table)
    lake.commit(
        layer,
        table,
        lambda: (
            DeltaTable.forPath(lake.spark, lake.path(layer, table))
            .alias("t")
            .merge(todo.alias("s"), f"t.call_id = s.{OLD_CALL}")
            .whenMatchedUpdate(condition=condition, set=values)
            .execute()
        ),
    )
    return lake.counted_since(layer, table, before, "numTargetRowsUpdated")


def old_calls(lake: Lake, before: datetime) -> DataFrame | None:
    """(OLD_CALL) of the calls with a transcript that happened before `before` (ingest makes every
    bronze table at once: with transcripts, calls are there too)."""
    if not lake.exists(BRONZE, "transcripts"):
        return None
    times = call_times(lake.read(BRONZE, "calls"), lake.read(BRONZE, "transcripts"))
    return times.filter(F.col("happened_at") < F.lit(before)).select(F.col("call_id").alias(OLD_CALL)).localCheckpoint()


def retain_silver(lake: Lake, before: datetime, calls: DataFrame | None) -> dict[str, int]:
    rows = {}
    if lake.exists(SILVER, "activities"):
        rows["activities"] = _update(
            lake, SILVER, "activities", silver_activity_text(before), {"subject": F.lit(None).cast("string")}
        )
    null_text = F.lit(None).cast("string")
    for table, values in (
        ("call_turns", {"text": null_text, "words": F.lit(None).cast("int")}),
        ("call_fragments", {"text": null_text}),
    ):
        if calls is not None and lake.exists(SILVER, table):
            rows[table] = _update_calls(lake, SILVER, table, calls, F.col("text").isNotNull(), values)
    return {lake.name(SILVER, t): n for t, n in rows.items()}


def retain_bronze(lake: Lake, before: datetime, calls: DataFrame | None) -> dict[str, int]:
    rows = {}
    for source in TEXT_FIELDS:
        if not lake.exists(BRONZE, source):
            continue
        values = {**cleared_columns(source), "raw_record": text_removed_record(source)}
        if source in HAPPENED_AT:
            condition = (F.col(HAPPENED_AT[source]) < F.lit(before)) & holds_text(source)
            rows[source] = _update(lake, BRONZE, source, condition, values)
        elif calls is not None:
            rows[source] = _update_calls(lake, BRONZE, source, calls, holds_text(source), values)
    return {lake.name(BRONZE, t): n for t, n in rows.items()}


def retain_quarantine(lake: Lake, before: datetime) -> dict[str, int]:
    """Quarantined records of text sources ingested before `before` lose their raw_record (their
    activity time is unknown: they broke the contract)."""
    if not lake.exists(QUARANTINE, QUARANTINE_TABLE):
        return {}
    condition = (
        F.col("source").isin(*TEXT_FIELDS) & (F.col("ingested_at") < F.lit(before)) & F.col("raw_record").isNotNull()
    )
    changed = _update(lake, QUARANTINE, QUARANTINE_TABLE, condition, {"raw_record": F.lit(None).cast("string")})
    return {lake.name(QUARANTINE, QUARANTINE_TABLE): changed}


def run(spark: SparkSession, config: Config, as_of: date) -> RetentionResult:
    """Remove the raw text of activities older than `retention.raw_text_days` before `as_of`."""
    days = config.retention.raw_text_days
    if days is None:
        log.info("retention.raw_text_days is not set: raw text is kept forever, nothing to do")
        return RetentionResult()
    started = time.monotonic()
    lake = Lake(spark, config)
    before = cutoff(as_of, days)
    log.info("removing the raw text of activities before %s (%d days before %s)", before.isoformat(), days, as_of)
    calls = old_calls(lake, before)
    bronze_before = {s: lake.version(BRONZE, s) for s in TEXT_FIELDS if lake.exists(BRONZE, s)}
    rows = retain_silver(lake, before, calls)
    rows |= retain_quarantine(lake, before)
    rows |= retain_bronze(lake, before, calls)
    moved = move_past(lake, bronze_before)  # silver was changed alike: nothing to redo
    for table, changed in rows.items():
        log.info("%s: text removed from %d rows", table, changed)
    if moved:
        log.info("conform state moved past retention's commits to %s", ", ".join(moved))
    log.info(
        "retention as of %s done: %d rows changed in %d tables (%.1f s)",
        as_of,
        sum(rows.values()),
        sum(1 for n in rows.values() if n),
        time.monotonic() - started,
    )
    return RetentionResult(cutoff=before, rows=rows)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("retention", DESCRIPTION)
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        if config.retention.raw_text_days is None:
            log.info("retention.raw_text_days is not set: raw text is kept forever, nothing to do")
            return 0
        spark = build_session(config, "rapport-retention")
        run(spark, config, args.as_of)
        return 0

    return run_job(body, "retention")


if __name__ == "__main__":
    raise SystemExit(main())

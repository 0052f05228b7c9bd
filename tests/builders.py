"""Tiny hand-written frames in the shape of project tables: name only the columns a test cares about."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from schemas.bronze import BRONZE_SCHEMAS

LANDED = {"raw_record": "{}", "source_format": "jsonl", "source_file": "file:/l/f.jsonl", "ingest_run_id": "r1"}


def frame(spark: SparkSession, schema: T.StructType, rows: list[dict]) -> DataFrame:
    """Rows given as dicts; absent columns are null. Nullability is relaxed for hand-made rows."""
    relaxed = T.StructType([T.StructField(f.name, f.dataType, nullable=True) for f in schema.fields])
    return spark.createDataFrame([tuple(row.get(f.name) for f in schema.fields) for row in rows], relaxed)


def bronze(spark: SparkSession, source: str, rows: list[dict]) -> DataFrame:
    """Bronze rows of a source, each on its own line of one landed file unless given."""
    return frame(
        spark,
        BRONZE_SCHEMAS[source],
        [{**LANDED, "source_line": line, **row} for line, row in enumerate(rows, start=1)],
    )


# Silver rows for the gold transforms: only the columns gold reads, built the way conform builds
# them (when an activity counts, when it is planned), so tests state activities, not flags.
SILVER_ACTIVITY_COLUMNS = (
    "activity_key string, activity_type string, activity_id string, activity_at timestamp, "
    "status string, counts_from timestamp, planned_at timestamp, duration_minutes double, "
    "followed boolean, thread_id string, in_reply_to string, references array<string>, "
    "initiated_by string, is_tracked boolean"
)
SILVER_PARTICIPANT_COLUMNS = (
    "activity_key string, activity_type string, role string, address string, response string, "
    "is_internal boolean, is_present boolean, user_id string, contact_id string, lead_id string, "
    "is_do_not_track boolean, person_key string"
)
SILVER_LINK_COLUMNS = "activity_key string, activity_type string, record_type string, record_id string"


def at(text: str):
    """'2026-03-01 10:00' -> a naive datetime, read as UTC by the UTC session."""
    from datetime import datetime

    return datetime.fromisoformat(text)


def activity(
    kind: str,
    activity_id: str,
    when: str,
    *,
    by: str = "team",
    minutes: float | None = None,
    status: str | None = None,
    due: str | None = None,
    followed: bool = False,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    thread_id: str | None = None,
    tracked: bool = True,
) -> tuple:
    """One silver activity; `when` is its time (sent, start, started, done)."""
    from datetime import timedelta

    start = at(when)
    status = status or "completed"
    if kind == "email":
        counts_from, planned_at = start, None
    elif kind == "meeting":
        end = start + timedelta(minutes=minutes or 0)
        counts_from = None if status == "canceled" else end
        planned_at = None if status == "canceled" else start
    elif kind == "call":
        counts_from = start if status == "completed" else None
        planned_at = None if status == "canceled" else start
    else:
        counts_from = start if status == "completed" else None
        planned_at = at(due) if status == "open" and due else None
    return (
        f"{kind}:{activity_id}",
        kind,
        activity_id,
        start,
        status,
        counts_from,
        planned_at,
        None if minutes is None else float(minutes),
        followed if kind == "email" else None,
        thread_id,
        in_reply_to,
        references or [],
        "team" if kind == "task" else by,
        tracked,
    )


def person(address: str, *, internal: bool, user=None, contact=None, lead=None, key=None, dnt=False) -> dict:
    return {
        "address": address,
        "internal": internal,
        "user": user,
        "contact": contact,
        "lead": lead,
        "key": key,
        "dnt": dnt,
    }


def took_part(key: str, *members: tuple) -> list[tuple]:
    """Participant rows of activity `key`: members are (role, person) or (role, person, response)."""
    rows = []
    for role, who, *response in members:
        answer = response[0] if response else None
        rows.append(
            (
                key,
                key.split(":")[0],
                role,
                who["address"],
                answer,
                who["internal"],
                answer != "declined",
                who["user"],
                who["contact"],
                who["lead"],
                who["dnt"],
                who["key"],
            )
        )
    return rows


def linked(key: str, *records: str) -> list[tuple]:
    """Record links of activity `key`: records given as 'contact:c1'."""
    return [(key, key.split(":")[0], *record.split(":", 1)) for record in records]

"""Conform: bronze -> silver, one clean model of what happened, between whom, about which record.

Silver tables (grain in `transforms/`): users, accounts, contacts, leads, opportunities (latest
version of each id), activities, activity_participants, record_links, the daily sums
(record_activity_days, record_people_days, connection_days), email_threads, email_responses,
email_events, call_turns, call_fragments.

Incremental by default: the bronze table versions a conform has read are kept in
`ops.conform_state`; the next run reads only what bronze received since (Delta change data feed),
conforms those activities and transcripts alone and merges them by key, sums again the days those
activities were on, and threads again the emails of the threads the changed emails touch. A CRM
change is merged too: the activities it may change (`touched_activities`, from the CRM fields silver
is made of, `ACTIVITY_CRM_FIELDS`) are conformed again with it, and the daily sums of the records
they may change are made again on their days (`refresh_record_sums`). `--full-refresh`, a CRM
change that touches more than a fifth of the activities, and a conform after one that died half way
rebuild silver from bronze; both paths give the same tables. Nothing new: nothing done.

The activity tables and the daily sums are partitioned by the month of their activity
(`activity_month`): a merge and a refresh of days read and rewrite only the months they touch.

CRM fields outside the contract named by `crm.extra_fields` are text columns of the silver CRM
tables (`schemas.extra_fields`); a table whose columns differ from the configuration's is made
again from bronze on the next run, whatever bronze received.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from expectations.runner import validate
from jobs.config import Config, ConfigError
from jobs.lake import BRONZE, OPS, SILVER, Lake, cast_to, in_list, sql_string
from jobs.quality import keeps_validations
from jobs.runtime import build_session, job_parser, parse_job_args, run_job, side_by_side
from schemas.extra_fields import CRM_TABLES, extra_fields_of, silver_schema
from schemas.landing import SOURCES
from schemas.ops import CONFORM_STATE_SCHEMA, CONFORM_STATE_TABLE
from schemas.silver import SILVER_SCHEMAS, SILVER_TABLES
from transforms.conform_activities import activity_key, conform_activities, explode_participants
from transforms.conform_crm import (
    conform_accounts,
    conform_contacts,
    conform_leads,
    conform_opportunities,
    conform_users,
)
from transforms.people import DECAY_DAYS_PROPERTY, connection_days, record_people_days
from transforms.record_activity_days import DECAY_TAU_PROPERTY, record_activity_days
from transforms.record_links import link_records, with_tracked_flag
from transforms.threads import (
    email_responses,
    email_threads,
    thread_edges,
    thread_labels,
    threads_to_refresh,
)
from transforms.turns import explode_fragments, merge_turns, number_fragments
from transforms.versions import filter_latest_version

log = logging.getLogger("rapport.conform")

DAYS_TABLE, RESPONSES_TABLE = "record_activity_days", "email_responses"
PEOPLE_DAYS_TABLE, CONNECTION_DAYS_TABLE = "record_people_days", "connection_days"
# Silver's sums per day of what the daily KPIs need of history, made from silver's activities and
# kept by replacing the days whose activities bronze changed, and the rows of the records a CRM
# change may change on the days of its activities.
DAY_SUM_TABLES = (DAYS_TABLE, PEOPLE_DAYS_TABLE, CONNECTION_DAYS_TABLE)
# The activity tables conform merges by activity, and the daily sums, are partitioned by the month
# their activities happened in (`activity_month`): a merge names the months of what it replaces, and
# Delta reads and rewrites those months' partitions only, whatever the length of history.
BY_MONTH = ("activity_month",)
ACTIVITY_TABLES = ("activities", "activity_participants", "record_links")
RESPONSE_WINDOW_PROPERTY = "rapport.response_window_days"
# A merge of activities on more days than this may make the daily sums again whole (`sums_after_merge`).
SUMS_REFRESH_DAYS = 31
# A CRM change touching more than this share of the activities rebuilds silver rather than merging.
CRM_MERGE_SHARE = 0.2
RECORD_KEYS = {
    "accounts": ("account", "account_id"),
    "contacts": ("contact", "contact_id"),
    "leads": ("lead", "lead_id"),
    "opportunities": ("opportunity", "opportunity_id"),
}
# Set on ops.conform_state while a conform rebuilds silver over an earlier one or merges a CRM
# change: both change silver's CRM tables and the activity tables made with them in several
# commits, so a conform that finds it set (the one before died half way) rebuilds silver (`run`).
UNFINISHED_PROPERTY = "rapport.conform_unfinished"
CRM_SOURCES = ("crm_users", "crm_accounts", "crm_contacts", "crm_leads", "crm_opportunities")
# The CRM fields silver's activities, participants, links and daily sums are made of: who is who by
# address, account domains and primary contacts, owners, sales teams, stakeholders, do-not-track.
# Those tables see the CRM through these columns only (`as_activities_read`), so a CRM snapshot that
# leaves them as they were changes the CRM tables alone, and conform merges instead of rebuilding.
ACTIVITY_CRM_FIELDS = {
    "users": ("user_id", "email"),
    "accounts": ("account_id", "email_domains", "primary_contact_id"),
    "contacts": ("contact_id", "email", "account_id", "do_not_track"),
    "leads": ("lead_id", "email", "owner_id", "stakeholder_contact_ids"),
    "opportunities": (
        "opportunity_id",
        "account_id",
        "contact_id",
        "owner_id",
        "sales_team_user_ids",
        "stakeholder_contact_ids",
    ),
}
ACTIVITY_SOURCES = {"emails": "email_id", "meetings": "meeting_id", "calls": "call_id", "tasks": "task_id"}
UNREAD_LANDING_COLUMNS = ("raw_record", "file_modified_at", "ingested_at")
ACTIVITY_KINDS = {"emails": "email", "meetings": "meeting", "calls": "call", "tasks": "task"}

DESCRIPTION = """\
Conform bronze into silver: latest CRM records, activities in UTC with who initiated them,
participants resolved to users, contacts, leads and accounts, record links, email threads and
responses, call turns. Skips when bronze has not changed since the last conform.

examples:
  python -m jobs.conform
  python -m jobs.conform --full-refresh --set org.internal_domains=[acme.com]
"""


@dataclass
class ConformResult:
    skipped: bool = False
    rows: dict[str, int] = field(default_factory=dict)


def pseudonym_salt(config: Config) -> str:
    """The salt of pseudonymous keys: from the environment; the embedded default may fall back to
    its development salt, any other configuration must set the variable."""
    variable = config.privacy.salt_env
    salt = os.environ.get(variable)
    if salt:
        return salt
    fallback = config.privacy.embedded_default_salt
    if fallback and config.catalog.metastore == "embedded":
        log.warning("%s is not set: using the embedded default's development salt", variable)
        return fallback
    raise ConfigError(f"set the environment variable {variable} to the salt of pseudonymous keys")


def bronze_versions(lake: Lake) -> dict[str, int]:
    """The latest version of each bronze table there is."""
    return {s.name: lake.version(BRONZE, s.name) for s in SOURCES if lake.exists(BRONZE, s.name)}


# --- conform's position in bronze (ops.conform_state) --------------------------------------------------------------


def read_positions(lake: Lake) -> dict[str, int]:
    """The version of each bronze table conform has read to ({} before the first conform)."""
    if not lake.exists(OPS, CONFORM_STATE_TABLE):
        return {}
    return {r["bronze_table"]: r["bronze_version"] for r in lake.read(OPS, CONFORM_STATE_TABLE).collect()}


def move_positions(lake: Lake, moved: dict[str, int]) -> None:
    """Move conform's position in the bronze tables of `moved` to the versions given, each one's
    `conformed_at` kept. For the jobs that commit to bronze behind conform's back and leave it
    nothing to read there: erasure and retention change silver alike, maintenance changes no row.
    The next conform must not take their commits for news (one to a CRM table is compared and
    merged)."""
    if not moved:
        return
    rows = [
        (r["bronze_table"], moved.get(r["bronze_table"], r["bronze_version"]), r["conformed_at"])
        for r in lake.read(OPS, CONFORM_STATE_TABLE).collect()
    ]
    lake.overwrite(lake.spark.createDataFrame(rows, CONFORM_STATE_SCHEMA), OPS, CONFORM_STATE_TABLE)


def move_past(lake: Lake, versions_before: dict[str, int]) -> list[str]:
    """Move conform's position past the commits made since `versions_before` (`bronze_versions`)
    to the bronze tables conform had read to then; the tables moved."""
    positions = read_positions(lake)
    moved = {
        table: now
        for table, before in versions_before.items()
        if positions.get(table) == before and (now := lake.version(BRONZE, table)) != before
    }
    move_positions(lake, moved)
    return sorted(moved)


CRM_CONFORMERS = {
    "users": conform_users,
    "accounts": conform_accounts,
    "contacts": conform_contacts,
    "leads": conform_leads,
    "opportunities": conform_opportunities,
}


def extra_fields(config: Config, table: str) -> tuple[str, ...]:
    """The fields outside the contract that the configuration adds to a silver CRM table."""
    return tuple(config.crm.extra_fields.get(table, ()))


def crm_tables(bronze: dict[str, DataFrame], config: Config, tables: tuple[str, ...] = CRM_TABLES) -> dict:
    return {table: CRM_CONFORMERS[table](bronze[f"crm_{table}"], extra_fields(config, table)) for table in tables}


def as_activities_read(crm: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """CRM tables as silver's activity tables and daily sums read them: `ACTIVITY_CRM_FIELDS` only."""
    return {table: df.select(*ACTIVITY_CRM_FIELDS[table]) for table, df in crm.items()}


def activity_tables(
    activity_bronze: dict[str, DataFrame], crm: dict[str, DataFrame], config: Config, salt: str
) -> dict[str, DataFrame]:
    """Activities, participants and record links of the given bronze activity rows. Each row of
    these tables depends only on its own activity's versions and on the CRM's `ACTIVITY_CRM_FIELDS`,
    so any subset of activities can be conformed alone and merged."""
    crm = as_activities_read(crm)
    # Each deduplicated activity frame feeds the participants and the activities: computed once,
    # without the landed text (raw_record: most of a bronze row), which neither reads; kept on
    # local disk, not in the heap, and released as soon as both are made.
    latest = {
        source: filter_latest_version(df.drop(*UNREAD_LANDING_COLUMNS), ACTIVITY_SOURCES[source]).persist(
            StorageLevel.DISK_ONLY
        )
        for source, df in activity_bronze.items()
    }
    emails, meetings, calls, tasks = (latest[s] for s in ("emails", "meetings", "calls", "tasks"))
    internal_domains = config.org.internal_domains
    try:
        participants = explode_participants(
            emails,
            meetings,
            calls,
            tasks,
            crm["users"],
            crm["contacts"],
            crm["leads"],
            crm["accounts"],
            internal_domains,
            salt,
        ).localCheckpoint()
        activities = (
            with_tracked_flag(
                conform_activities(emails, meetings, calls, tasks, crm["users"], internal_domains), participants
            )
            .withColumn("activity_month", F.trunc(F.to_date("activity_at"), "month"))
            .localCheckpoint()
        )
    finally:
        for df in latest.values():
            df.unpersist()
    links = link_records(
        activities,
        participants,
        crm["accounts"],
        crm["contacts"],
        crm["leads"],
        crm["opportunities"],
        link_by_domain=config.kpi.link_by_domain,
        meetings_need_regarding=config.kpi.meetings_need_regarding_for_opportunity,
    )
    months = activities.select("activity_key", "activity_month")  # each participant and link in its activity's
    return {
        "activities": activities,
        "activity_participants": participants.join(months, on="activity_key", how="left"),
        "record_links": with_known_record_flag(links, crm).join(months, on="activity_key", how="left"),
    }


def with_known_record_flag(links_df: DataFrame, crm: dict[str, DataFrame]) -> DataFrame:
    known = union_all(
        [
            crm[table].select(F.lit(record_type).alias("record_type"), F.col(key).alias("record_id"))
            for table, (record_type, key) in RECORD_KEYS.items()
        ]
    )
    return links_df.join(
        known.withColumn("is_known_record", F.lit(True)), on=["record_type", "record_id"], how="left"
    ).select(
        "activity_key",
        "activity_type",
        "record_type",
        "record_id",
        "reason",
        F.coalesce("is_known_record", F.lit(False)).alias("is_known_record"),
    )


def thread_emails(activities_df: DataFrame) -> DataFrame:
    """The emails of silver activities, with what threads and responses need of them."""
    return activities_df.filter(F.col("activity_type") == "email").select(
        F.col("activity_id").alias("email_id"),
        "in_reply_to",
        "references",
        "thread_id",
        F.col("activity_at").alias("sent_at"),
        # Emails left out of everything stay in their thread but outside the sequence.
        F.when(F.col("is_tracked"), F.col("initiated_by")).alias("side"),
    )


def thread_tables(emails: DataFrame, config: Config) -> dict[str, DataFrame]:
    """Email threads and requests/responses of these emails (a closed set of threads)."""
    emails = emails.localCheckpoint()
    threads = email_threads(emails, thread_labels(thread_edges(emails))).localCheckpoint()
    sequence = threads.join(emails.select("email_id", "sent_at", "side"), on="email_id", how="inner")
    return {
        "email_threads": threads,
        "email_responses": email_responses(sequence, config.kpi.response_window_days),
    }


def rebuild_threads(lake: Lake, config: Config) -> dict[str, int]:
    """Threads and responses of every email again, from silver (the response window changed)."""
    tables = thread_tables(thread_emails(lake.read(SILVER, "activities")), config)
    written = {
        table: _publish(lake, config, table, df, lambda d, t=table: lake.overwrite(d, SILVER, t))
        for table, df in tables.items()
    }
    _record_made_with(lake, config, RESPONSES_TABLE)
    return written


def refresh_threads(lake: Lake, config: Config, changed_ids: DataFrame) -> dict[str, int]:
    """Threads and responses again for the threads that emails `changed_ids` (added, changed or
    removed, already merged into silver activities) touch; the other threads stay as they are."""
    emails = thread_emails(lake.read(SILVER, "activities"))
    old_threads = lake.read(SILVER, "email_threads")
    members = threads_to_refresh(emails, old_threads, changed_ids).localCheckpoint()
    old_keys = old_threads.join(members, on="email_id", how="left_semi").select("thread_key").localCheckpoint()
    tables = thread_tables(emails.join(members, on="email_id", how="left_semi"), config)
    keys = old_keys.unionByName(tables["email_threads"].select("thread_key")).distinct().localCheckpoint()
    log.info("email threads: %d emails of %d threads to thread again", members.count(), keys.count())
    # Responses first: the threads table is what the emails to thread again are found from, so it
    # changes last, and a run killed in between finds the same emails when it runs again.
    written = {
        "email_responses": _publish(
            lake,
            config,
            "email_responses",
            tables["email_responses"],
            lambda d: lake.replace_keys(d, SILVER, "email_responses", keys, "thread_key"),
        )
    }
    written["email_threads"] = _publish(
        lake,
        config,
        "email_threads",
        tables["email_threads"],
        lambda d: lake.replace_keys(d, SILVER, "email_threads", members, "email_id"),
    )
    return written


def event_table(events_bronze: DataFrame) -> DataFrame:
    """Email events, each `event_id` once (its latest version); events of unknown emails are kept
    here and ignored by gold's join."""
    return filter_latest_version(events_bronze, "event_id").select("event_id", "email_id", "event_type", "occurred_at")


def turn_table(transcripts_bronze: DataFrame) -> DataFrame:
    return merge_turns(explode_fragments(filter_latest_version(transcripts_bronze, "call_id")))


def fragment_table(transcripts_bronze: DataFrame) -> DataFrame:
    return number_fragments(explode_fragments(filter_latest_version(transcripts_bronze, "call_id")))


# Silver tables made from bronze transcripts alone: one missing from a lake conformed before it
# existed (call_fragments came later) is made alone, instead of rebuilding all of silver.
TRANSCRIPT_TABLES = {"call_turns": turn_table, "call_fragments": fragment_table}


def _publish(lake: Lake, config: Config, table: str, df: DataFrame, write) -> int:
    """Cast one silver frame to its table's schema, validate it, then write it with `write(df)`;
    return the rows written."""
    started = time.monotonic()
    name = lake.name(SILVER, table)
    schema = silver_schema(table, extra_fields(config, table)) if table in CRM_TABLES else SILVER_SCHEMAS[table]
    df = cast_to(df, schema, name)
    described = [F.col(f.name).alias(f.name, metadata=f.metadata) for f in schema.fields]  # configured columns'
    df = df.select(*described).localCheckpoint()  # computed once for the suite and the write
    if config.quality.enabled:
        from expectations.silver import silver_suite  # Great Expectations: seconds to import

        validate(df, silver_suite(table), name)
    rows = write(df)
    log.info("%s: %d rows written (%.1f s)", name, rows, time.monotonic() - started)
    return rows


def _publish_all(
    lake: Lake, config: Config, frames: dict[str, DataFrame], write, then=None, workers: int = 1
) -> dict[str, int]:
    """`_publish` every frame, written with `write(df, table)`, `workers` tables at a time; with more
    than one, no frame may read a table another of them writes. `then(table)` runs after its
    table's write. The rows written of each table."""

    def step(table: str, df: DataFrame) -> tuple[str, int]:
        rows = _publish(lake, config, table, df, lambda d: write(d, table))
        if then is not None:
            then(table)
        return table, rows

    steps = [functools.partial(step, table, df) for table, df in frames.items()]
    return dict(side_by_side(steps, workers))


def full_refresh(lake: Lake, config: Config, salt: str) -> dict[str, int]:
    bronze = {s.name: lake.read(BRONZE, s.name) for s in SOURCES}
    crm = {table: df.localCheckpoint() for table, df in crm_tables(bronze, config).items()}
    tables = {**crm, **activity_tables({s: bronze[s] for s in ACTIVITY_SOURCES}, crm, config, salt)}
    tables.update(thread_tables(thread_emails(tables["activities"]), config))
    tables["email_events"] = event_table(bronze["email_events"])
    tables["call_turns"] = turn_table(bronze["transcripts"])
    tables["call_fragments"] = fragment_table(bronze["transcripts"])
    written = _publish_all(
        lake,
        config,
        tables,
        lambda df, table: lake.overwrite(df, SILVER, table, partition_by=BY_MONTH if table in ACTIVITY_TABLES else ()),
    )
    _record_made_with(lake, config, RESPONSES_TABLE)
    return written | rebuild_day_sums(lake, config)


def made_with(config: Config) -> dict[str, dict[str, str]]:
    """The parameters silver tables are made with, as the table properties that record them: the
    record sums bake in the health decay, the connection sums who knows whom's decay, the
    responses the response window."""
    return {
        DAYS_TABLE: {DECAY_TAU_PROPERTY: repr(float(config.kpi.health.tau_days))},
        CONNECTION_DAYS_TABLE: {DECAY_DAYS_PROPERTY: repr(float(config.kpi.who_knows_whom.decay_days))},
        RESPONSES_TABLE: {RESPONSE_WINDOW_PROPERTY: str(config.kpi.response_window_days)},
    }


# The setting behind each of those parameters, for messages.
MADE_WITH_SETTING = {
    DAYS_TABLE: "kpi.health.frequency_days",
    CONNECTION_DAYS_TABLE: "kpi.who_knows_whom.decay_days",
    RESPONSES_TABLE: "kpi.response_window_days",
}


def stale_tables(lake: Lake, config: Config) -> list[str]:
    """The tables made from silver that are missing or were made with other parameters."""
    wanted = {table: made_with(config).get(table, {}) for table in (*DAY_SUM_TABLES, RESPONSES_TABLE)}
    return [
        table
        for table, properties in wanted.items()
        if not lake.exists(SILVER, table)
        or not properties.items() <= lake.properties(SILVER, table).items()  # one read of the log a table
    ]


def stale_crm_tables(lake: Lake, config: Config) -> list[str]:
    """The silver CRM tables whose extra columns are not the ones `crm.extra_fields` names."""
    return [
        table
        for table in CRM_TABLES
        if lake.exists(SILVER, table)
        and set(extra_fields_of(lake.read(SILVER, table).schema, table)) != set(extra_fields(config, table))
    ]


def rebuild_crm_tables(
    lake: Lake, config: Config, tables: list[str], versions: dict[str, int] | None = None
) -> dict[str, int]:
    """Make these silver CRM tables again from bronze (as of `versions`, the ones a conform records,
    where given), with the extra columns the configuration names now: added ones filled from each
    record's raw_record, dropped ones gone. Only their own columns change: every other silver table
    is made from the contract's fields alone."""
    written = {}
    bronze = {f"crm_{t}": lake.read(BRONZE, f"crm_{t}", version=(versions or {}).get(f"crm_{t}")) for t in tables}
    for table, df in crm_tables(bronze, config, tuple(tables)).items():
        had = extra_fields_of(lake.read(SILVER, table).schema, table)
        log.warning(
            "migrating %s to crm.extra_fields.%s: columns [%s] -> [%s], made again from bronze",
            lake.name(SILVER, table),
            table,
            ", ".join(had),
            ", ".join(extra_fields(config, table)),
        )
        written[table] = _publish(lake, config, table, df, lambda d, t=table: lake.overwrite(d, SILVER, t))
    return written


def _record_made_with(lake: Lake, config: Config, table: str) -> None:
    if table in made_with(config):
        lake.set_properties(SILVER, table, made_with(config)[table])


def rebuild_stale(lake: Lake, config: Config, stale: list[str]) -> dict[str, int]:
    """Make again, from silver, the `stale` tables (`tables_to_remake`)."""
    written: dict[str, int] = {}
    for table in stale:
        log.info("conform: %s is missing, or made with other parameters or layout: making it from silver", table)
    day_sums = [t for t in DAY_SUM_TABLES if t in stale]
    if day_sums:
        written |= rebuild_day_sums(lake, config, day_sums)
    if RESPONSES_TABLE in stale:
        written |= rebuild_threads(lake, config)
    return written


def _day_sums(
    lake: Lake,
    config: Config,
    tables: list[str],
    days: list[str] | None = None,
    crm: dict | None = None,
    records: DataFrame | None = None,
) -> dict[str, DataFrame]:
    """The daily sums `tables` from silver: all of them, or the rows of activities on `days`, and of
    those only the rows of `records` (`record_type`, `record_id`) where given (with `days` only);
    with the CRM tables `crm` where given, else silver's."""
    crm = {t: lake.read(SILVER, t) for t in ("users", "contacts", "leads")} | (crm or {})
    people = as_activities_read({t: crm[t] for t in ("users", "contacts", "leads")})
    activities = lake.read(SILVER, "activities")
    participants, links = lake.read(SILVER, "activity_participants"), lake.read(SILVER, "record_links")
    if days is not None:
        if not laid_out_otherwise(lake, ACTIVITY_TABLES):  # only the days' months are read
            activities, participants, links = (
                df.filter(F.expr(in_months("activity_month", months_of(days))))
                for df in (activities, participants, links)
            )
        activities = activities.filter(F.to_date("activity_at").isin(days))
        if records is not None:  # a record's rows on a day sum the activities linked or addressed to it
            records = F.broadcast(records.select("record_type", "record_id"))
            for table in ("contacts", "leads"):  # connection_days matches them by address
                record_type, key = RECORD_KEYS[table]
                ids = records.filter(F.col("record_type") == record_type).select(F.col("record_id").alias(key))
                people[table] = people[table].join(ids, on=key, how="left_semi")
            addresses = union_all([people[t].select(F.col("email").alias("address")) for t in ("contacts", "leads")])
            links = links.join(records, on=["record_type", "record_id"], how="left_semi").localCheckpoint()
            addressed = participants.join(F.broadcast(addresses), on="address", how="left_semi")
            activities = activities.join(
                links.select("activity_key").unionByName(addressed.select("activity_key")),
                on="activity_key",
                how="left_semi",
            )
        # The days' activities are read once: the sums, their participants and links all use them.
        activities = activities.localCheckpoint()
        keys = activities.select("activity_key")
        participants = participants.join(keys, on="activity_key", how="left_semi").localCheckpoint()
        links = links.join(keys, on="activity_key", how="left_semi")
    make = {
        DAYS_TABLE: lambda: record_activity_days(activities, participants, links, config.kpi.health.tau_days),
        PEOPLE_DAYS_TABLE: lambda: record_people_days(activities, participants, links),
        CONNECTION_DAYS_TABLE: lambda: connection_days(
            activities, participants, *people.values(), config.kpi.who_knows_whom.decay_days
        ),
    }
    return {table: make[table]().withColumn("activity_month", F.trunc("activity_on", "month")) for table in tables}


def rebuild_day_sums(
    lake: Lake, config: Config, tables: list[str] = DAY_SUM_TABLES, crm: dict | None = None
) -> dict[str, int]:
    """Every per-day sum of `tables` again, from silver (first conform, a parameter or the layout
    changed, or a merge touched most days; `crm` as for `_day_sums`), one file per month."""
    if not tables:
        return {}
    frames = {table: df.repartition(*BY_MONTH) for table, df in _day_sums(lake, config, list(tables), crm=crm).items()}
    return _publish_all(
        lake,
        config,
        frames,
        lambda df, table: lake.overwrite(df, SILVER, table, partition_by=BY_MONTH),
        then=lambda table: _record_made_with(lake, config, table),
    )


def laid_out_otherwise(lake: Lake, tables: tuple[str, ...] = DAY_SUM_TABLES) -> list[str]:
    """Those of `tables` (the daily sums by default) there are that are not partitioned by month
    (made before they were)."""
    return [
        table for table in tables if lake.exists(SILVER, table) and lake.partition_columns(SILVER, table) != BY_MONTH
    ]


def months_of(days: set[str] | list[str]) -> list[str]:
    """The first days of the months of `days` (ISO dates), in order."""
    return sorted({day[:7] + "-01" for day in days})


def in_months(column: str, months: list[str]) -> str:
    """SQL: `column` is one of `months` (ISO dates) or null, the month of an activity without a time."""
    listed = f"{column} IN ({', '.join(f'DATE {sql_string(m)}' for m in months)}) OR " if months else ""
    return f"({listed}{column} IS NULL)"


def tables_to_remake(lake: Lake, config: Config) -> list[str]:
    """The tables made from silver to make again whole: missing, made with other parameters than
    the configuration's, or laid out otherwise."""
    stale = stale_tables(lake, config)
    return stale + [t for t in laid_out_otherwise(lake) if t not in stale]


def sums_after_merge(
    lake: Lake, config: Config, days: set[str], tables: list[str], crm: dict, crm_merge: CrmMerge | None = None
) -> dict[str, int]:
    """The daily sums after a merge of what bronze received, activities on `days`, and of what a CRM
    change touched (`crm_merge`): those days refreshed, then the rows of the CRM change's records on
    its days. When `days` are more than `SUMS_REFRESH_DAYS` and more than half the days silver has
    activities on, the sums are made again whole instead, which then costs less than replacing day
    after day."""
    if len(days) > SUMS_REFRESH_DAYS and tables:
        had = lake.read(SILVER, "activities").select(F.to_date("activity_at").alias("day")).distinct().count()
        if 2 * len(days) > had:
            log.info("conform: the merge touched %d of %d days: the daily sums are made again whole", len(days), had)
            return rebuild_day_sums(lake, config, tables, crm)
    written = refresh_day_sums(lake, config, days, tables, crm)
    if crm_merge is None:
        return written
    by_record = refresh_record_sums(lake, config, crm_merge, crm_merge.days - days, tables, crm)
    return {table: written.get(table, 0) + by_record.get(table, 0) for table in written | by_record}


def refresh_day_sums(
    lake: Lake, config: Config, days: set[str], tables: list[str], crm: dict | None = None
) -> dict[str, int]:
    """The per-day sums of the days whose activities changed, again from silver (with `crm`, the CRM
    tables as the merge has them, where given)."""
    if not days or not tables:
        return {}
    condition = f"{in_list('activity_month', months_of(days))} AND {in_list('activity_on', sorted(days))}"
    sums = _day_sums(lake, config, tables, sorted(days), crm)
    frames = {table: df.repartition(*BY_MONTH) for table, df in sums.items()}
    written = _publish_all(
        lake,
        config,
        frames,
        lambda df, table: lake.replace_slice(df, SILVER, table, condition),
        workers=config.conform.parallel_merges,
    )
    log.info("%s: %d days refreshed", ", ".join(lake.name(SILVER, t) for t in tables), len(days))
    return written


def refresh_record_sums(
    lake: Lake, config: Config, crm_merge: CrmMerge, days: set[str], tables: list[str], crm: dict
) -> dict[str, int]:
    """The per-day sums of the records a CRM change may have changed (`crm_merge.records`, and those
    its activities are linked to now) on `days` (those of its activities not refreshed whole), again
    from silver after the merge: a record's row on a day sums the activities of that day linked to
    it (or, for `connection_days`, addressed to it), so only the activities of these records on
    these days are read, and one MERGE a table replaces their rows."""
    if not days or not tables:
        return {}
    links = lake.read(SILVER, "record_links").filter(F.expr(in_months("activity_month", months_of(days))))
    links = links.join(crm_merge.keys, on="activity_key", how="left_semi")
    records = crm_merge.records.unionByName(links.select("record_type", "record_id")).distinct().localCheckpoint()
    days = sorted(days)
    within = f"{in_list('t.activity_month', months_of(days))} AND {in_list('t.activity_on', days)}"
    sums = _day_sums(lake, config, tables, days, crm, records)
    written = _publish_all(
        lake,
        config,
        {table: df.repartition(*BY_MONTH) for table, df in sums.items()},
        lambda df, table: lake.replace_keys(df, SILVER, table, records, ("record_type", "record_id"), within=within),
        workers=config.conform.parallel_merges,
    )
    log.info(
        "%s: the rows of %d records on %d days refreshed",
        ", ".join(lake.name(SILVER, t) for t in tables),
        records.count(),
        len(days),
    )
    return written


def activity_days(lake: Lake, keys_df: DataFrame) -> set[str]:
    """The UTC days of silver's activities with these keys, as ISO dates."""
    rows = (
        lake.read(SILVER, "activities")
        .join(keys_df, on="activity_key", how="left_semi")
        .select(F.date_format(F.to_date("activity_at"), "yyyy-MM-dd").alias("day"))
        .distinct()
        .collect()
    )
    return {row["day"] for row in rows}


def _changes(lake: Lake, source: str, since_version: int, until_version: int) -> DataFrame:
    """The rows a bronze table received or lost after `since_version` up to `until_version`, from its
    change feed, with their `_change_type` (insert or delete). Rows are lost when a file delivered
    again replaces its earlier rows."""
    return (
        lake.spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", since_version + 1)
        .option("endingVersion", until_version)
        .load(lake.path(BRONZE, source))
        .filter(F.col("_change_type").isin("insert", "delete"))
    )


def _changed_ids(lake: Lake, source: str, since_version: int, until_version: int, key: str) -> DataFrame:
    """Ids of the rows a bronze table received or lost after `since_version`: an id that was only
    in an earlier delivery is conformed again too, to nothing, so silver forgets it."""
    return _changes(lake, source, since_version, until_version).select(key).distinct()


def _version_days(versions: dict[str, DataFrame], users_df: DataFrame, config: Config) -> set[str]:
    """The UTC days (ISO dates) that bronze rows of activities put them on, by conform's own rule.

    Given every version of the changed activities (those in bronze and those a re-delivery took
    out of it), these are the days the activities were on in silver before this conform and are on
    after it, whatever state silver is in: a run killed after merging activities and before summing
    their days finds the same days when it runs again."""
    emails, meetings, calls, tasks = (versions[s] for s in ("emails", "meetings", "calls", "tasks"))
    days_df = conform_activities(emails, meetings, calls, tasks, users_df, config.org.internal_domains)
    rows = days_df.select(F.date_format(F.to_date("activity_at"), "yyyy-MM-dd").alias("day")).distinct().collect()
    return {row["day"] for row in rows if row["day"] is not None}


@dataclass(frozen=True)
class CrmMerge:
    """What a merge needs of a CRM change: the changed CRM tables (`crm`, written to silver before
    the merge), and the activities it may touch (`touched_activities`): their ids by source (`ids`),
    keys (`keys`), the UTC days they are on (`days`, ISO dates), and the records whose daily sums on
    those days they may change as far as silver before the merge tells (`records`, from
    `touched_records`; `refresh_record_sums` adds those linked after it). A CRM change never moves
    an activity to another day: its time comes from bronze alone (`conform_activities` reads users
    for who initiated it), so the days of silver before the merge are those after it."""

    crm: dict[str, DataFrame]
    ids: dict[str, DataFrame]
    keys: DataFrame
    days: set[str]
    records: DataFrame


def incremental(
    lake: Lake,
    config: Config,
    salt: str,
    changed: set[str],
    last: dict[str, int],
    now: dict[str, int],
    crm_merge: CrmMerge | None = None,
) -> dict[str, int]:
    """Conform only the activities and transcripts bronze received since the last conform (`last`,
    versions of bronze tables) up to `now`, merge them by key, then sum again the days and thread
    again the emails that the changed activities touch. The merges, and then the day sums, are
    written `conform.parallel_merges` tables at a time.

    Bronze is read as of `now`, the versions this conform records as read: an ingest committing
    meanwhile is left whole to the next conform, and the versions a merge looks at are all those
    of its activities up to then. `crm_merge`: a CRM change, whose activities are conformed again
    too."""
    crm = {table: lake.read(SILVER, table) for table in CRM_TABLES} | (crm_merge.crm if crm_merge else {})
    stale = tables_to_remake(lake, config)  # these are made again whole, after the merge
    merges: list[Callable[[], dict[str, int]]] = []  # the first round: each step merges its table(s)
    changed_emails, days = None, set()
    also = crm_merge.ids if crm_merge else {}
    if any(s in changed or s in also for s in ACTIVITY_SOURCES):
        keys, changed_emails, days, tables = _changed_activities(lake, config, salt, crm, changed, last, now, also)
        months = months_of(days | (crm_merge.days if crm_merge else set()))
        within = in_months("t.activity_month", months)  # where the rows of `keys` are, and go
        log.info(
            "conform: the activities bronze changed were and are on %d days; the merge reads the months %s",
            len(days),
            ", ".join(m[:7] for m in months) or "none",
        )
        merges += [
            functools.partial(_merge_activity_table, lake, config, t, df, keys, within) for t, df in tables.items()
        ]
    merges += [
        functools.partial(_merge_bronze_keyed, lake, config, source, key, transforms, last[source], now[source])
        for source, key, transforms in (
            ("email_events", "event_id", {"email_events": event_table}),
            ("transcripts", "call_id", TRANSCRIPT_TABLES),
        )
        if source in changed
    ]
    written: dict[str, int] = {}
    for rows in side_by_side(merges, config.conform.parallel_merges):
        written |= rows
    # Then what reads the merged activities: the sums of their days (side by side), their threads.
    written |= sums_after_merge(lake, config, days, [t for t in DAY_SUM_TABLES if t not in stale], crm, crm_merge)
    if changed_emails is not None and RESPONSES_TABLE not in stale:
        written |= refresh_threads(lake, config, changed_emails)
    written |= rebuild_stale(lake, config, stale)
    written |= rebuild_crm_tables(lake, config, stale_crm_tables(lake, config), now)
    return written


def _changed_activities(
    lake: Lake,
    config: Config,
    salt: str,
    crm: dict[str, DataFrame],
    changed: set[str],
    last: dict[str, int],
    now: dict[str, int],
    also: dict[str, DataFrame],
) -> tuple[DataFrame, DataFrame | None, set[str], dict[str, DataFrame]]:
    """The activities bronze received or lost since the last conform, and those of `also` (ids by
    source, activities a CRM change touches): their keys, the ids of the changed emails (None when
    no email changed), the days those bronze changed were on before and are on now, and their rows
    of the activity tables (activities, participants, links), to merge by key."""
    subsets, versions, keys, changed_emails = {}, {}, None, None
    for source, key in ACTIVITY_SOURCES.items():
        if source not in changed and source not in also:
            subsets[source] = versions[source] = lake.read(BRONZE, source).drop(*UNREAD_LANDING_COLUMNS).limit(0)
            continue
        bronze = lake.read(BRONZE, source, version=now[source]).drop(*UNREAD_LANDING_COLUMNS)
        changes = (
            _changes(lake, source, last[source], now[source])
            if source in changed
            else bronze.withColumn("_change_type", F.lit("insert")).limit(0)
        ).localCheckpoint()
        ids = changes.select(key)
        if source in also:
            ids = ids.unionByName(also[source].select(key))
        ids = ids.distinct().localCheckpoint()
        changed_emails = ids if source == "emails" else changed_emails
        # Every bronze version of the changed ids, read from bronze once for their days and their rows.
        subsets[source] = bronze.join(ids, on=key, how="left_semi").localCheckpoint()
        removed = changes.filter(F.col("_change_type") == "delete").select(*bronze.columns)
        received = (
            subsets[source].join(changes.select(key), on=key, how="left_semi") if source in also else subsets[source]
        )
        versions[source] = received.unionByName(removed)
        new_keys = ids.select(activity_key(ACTIVITY_KINDS[source], key).alias("activity_key"))
        keys = new_keys if keys is None else keys.unionByName(new_keys)
    keys = keys.distinct().localCheckpoint()
    # The days the activities bronze changed were on before, and are on now.
    days = (
        _version_days(versions, as_activities_read(crm)["users"], config) if changed & set(ACTIVITY_SOURCES) else set()
    )
    return keys, changed_emails, days, activity_tables(subsets, crm, config, salt)


def _merge_activity_table(
    lake: Lake, config: Config, table: str, df: DataFrame, keys: DataFrame, within: str
) -> dict[str, int]:
    """Replace the rows of the activities `keys` in one activity table with `df`, their rows now;
    `within`: a condition on the table's partitions that holds the rows of `keys`."""
    return {
        table: _publish(
            lake, config, table, df, lambda d: lake.replace_keys(d, SILVER, table, keys, "activity_key", within=within)
        )
    }


def _merge_bronze_keyed(
    lake: Lake, config: Config, source: str, key: str, transforms: dict, since_version: int, until_version: int
) -> dict[str, int]:
    """Merge into the silver tables made of bronze `source` alone (`transforms`) the rows of the
    ids it received or lost after `since_version` up to `until_version`."""
    ids = _changed_ids(lake, source, since_version, until_version, key).localCheckpoint()
    # Every version of the changed ids, read from bronze once for all the tables made of them.
    bronze = lake.read(BRONZE, source, version=until_version)
    rows = bronze.drop(*UNREAD_LANDING_COLUMNS).join(ids, on=key, how="left_semi")
    if len(transforms) > 1:
        rows = rows.persist(StorageLevel.DISK_ONLY)
    try:
        return {
            table: _publish(
                lake, config, table, transform(rows), lambda d, t=table: lake.replace_keys(d, SILVER, t, ids, key)
            )
            for table, transform in transforms.items()
        }
    finally:
        rows.unpersist()


def make_missing_transcript_tables(lake: Lake, config: Config) -> dict[str, int]:
    missing = [t for t in TRANSCRIPT_TABLES if not lake.exists(SILVER, t)]
    if not missing or not lake.exists(BRONZE, "transcripts"):
        return {}
    log.info("conform: %s missing from silver: making it from bronze transcripts", ", ".join(missing))
    transcripts = lake.read(BRONZE, "transcripts")
    return {
        table: _publish(
            lake, config, table, TRANSCRIPT_TABLES[table](transcripts), lambda d, t=table: lake.overwrite(d, SILVER, t)
        )
        for table in missing
    }


def crm_changes(lake: Lake, config: Config, sources: set[str], versions: dict[str, int]) -> dict[str, DataFrame]:
    """The CRM tables of the changed bronze `sources`, conformed from bronze as of `versions`."""
    tables = tuple(sorted(source.removeprefix("crm_") for source in sources))
    bronze = {f"crm_{t}": lake.read(BRONZE, f"crm_{t}", version=versions[f"crm_{t}"]) for t in tables}
    return {table: df.localCheckpoint() for table, df in crm_tables(bronze, config, tables).items()}


def changed_where_read(table: str, after: DataFrame, before: DataFrame) -> DataFrame:
    """The rows of two versions of a CRM table that differ in the fields activities are made of
    (`ACTIVITY_CRM_FIELDS`): each changed or new record in its new version, and each changed one in
    its old version too; multisets of rows of those fields, in `before`'s types."""
    fields = [F.col(name).cast(before.schema[name].dataType) for name in ACTIVITY_CRM_FIELDS[table]]
    after, before = after.select(*fields), before.select(*fields)
    return after.exceptAll(before).unionByName(before.exceptAll(after))


def touched_activities(
    before: dict[str, DataFrame],
    crm_now: dict[str, DataFrame],
    activities_df: DataFrame,
    participants_df: DataFrame,
    links_df: DataFrame,
) -> DataFrame:
    """The activities (`activity_key`, `activity_type`, `activity_id` and the UTC day they are on,
    `activity_on`) whose silver rows may change when the CRM tables `before` (silver's) become
    `crm_now` (the changed ones), by what activities are made of:
    - a changed user, contact or lead: the activities of its address, before and after;
    - a changed account: those of an outside address in its domains, and of its primary contact;
    - a changed deal: those of its contact, stakeholders and its account's primary contact (each
      link of a deal needs one of them taking part); a changed lead: those of its stakeholders;
    - any changed record: the activities regarding it or linked to it.
    A superset, never fewer: conforming an untouched activity again gives its rows unchanged. A
    field added to `ACTIVITY_CRM_FIELDS` needs its rule here."""
    after = before | crm_now
    changed = {t: changed_where_read(t, df, before[t]).localCheckpoint() for t, df in crm_now.items()}
    empty_ids = F.array().cast("array<string>")
    addresses, contact_ids, domains, records = [], [], [], []
    for table, rows in changed.items():
        if table in ("users", "contacts", "leads"):
            addresses.append(rows.select(F.col("email").alias("address")))
        if table == "accounts":
            domains.append(rows.select(F.explode("email_domains").alias("domain")))
            contact_ids.append(rows.select(F.col("primary_contact_id").alias("contact_id")))
        if table == "leads":
            contact_ids.append(rows.select(F.explode("stakeholder_contact_ids").alias("contact_id")))
        if table == "opportunities":
            people = F.concat(F.array("contact_id"), F.coalesce("stakeholder_contact_ids", empty_ids))
            contact_ids.append(rows.select(F.explode(people).alias("contact_id")))
            primaries = before["accounts"].unionByName(after["accounts"]).select("account_id", "primary_contact_id")
            contact_ids.append(
                rows.join(primaries, on="account_id").select(F.col("primary_contact_id").alias("contact_id"))
            )
        if table in RECORD_KEYS:
            record_type, key = RECORD_KEYS[table]
            records.append(rows.select(F.lit(record_type).alias("record_type"), F.col(key).alias("record_id")))
    contacts = (
        before["contacts"].select("contact_id", "email").unionByName(after["contacts"].select("contact_id", "email"))
    )
    if contact_ids:
        addresses.append(
            contacts.join(union_all(contact_ids).distinct(), on="contact_id").select(F.col("email").alias("address"))
        )
    keys = [activities_df.select("activity_key").limit(0)]
    if addresses:
        keys.append(participants_df.join(F.broadcast(union_all(addresses).distinct()), on="address", how="left_semi"))
    if domains:
        outside = participants_df.filter(~F.col("is_internal")).withColumn(
            "domain", F.substring_index(F.col("address"), "@", -1)
        )
        keys.append(outside.join(F.broadcast(union_all(domains).distinct()), on="domain", how="left_semi"))
    if records:
        record_keys = F.broadcast(union_all(records).distinct())
        regarding = activities_df.select(
            "activity_key", F.col("regarding_type").alias("record_type"), F.col("regarding_id").alias("record_id")
        )
        keys += [
            regarding.join(record_keys, on=["record_type", "record_id"], how="left_semi"),
            links_df.join(record_keys, on=["record_type", "record_id"], how="left_semi"),
        ]
    touched = union_all([k.select("activity_key") for k in keys]).distinct()
    return activities_df.join(touched, on="activity_key", how="left_semi").select(
        "activity_key", "activity_type", "activity_id", F.to_date("activity_at").alias("activity_on")
    )


def touched_records(
    before: dict[str, DataFrame],
    crm_now: dict[str, DataFrame],
    touched: DataFrame,
    participants_df: DataFrame,
    links_df: DataFrame,
) -> DataFrame:
    """The records (`record_type`, `record_id`) whose daily sums on the days of the `touched`
    activities may change with them, as far as silver before the merge tells: those the activities
    are linked to, and the contacts and leads of their addresses before and after the CRM change
    (`connection_days` matches people by address). The merge adds the records they are linked to
    after it (`refresh_record_sums`)."""
    keys = touched.select("activity_key")
    linked = links_df.join(keys, on="activity_key", how="left_semi").select("record_type", "record_id")
    addresses = participants_df.join(keys, on="activity_key", how="left_semi").select("address").distinct()
    people = [
        crm[table].select(
            F.lit(RECORD_KEYS[table][0]).alias("record_type"),
            F.col(RECORD_KEYS[table][1]).alias("record_id"),
            F.col("email").alias("address"),
        )
        for crm in (before, before | crm_now)
        for table in ("contacts", "leads")
    ]
    addressed = union_all(people).join(addresses, on="address", how="left_semi").drop("address")
    return linked.unionByName(addressed).distinct()


def union_all(frames: list[DataFrame]) -> DataFrame:
    """The rows of every frame (same columns, by name)."""
    return functools.reduce(DataFrame.unionByName, frames)


def ids_by_source(activities_df: DataFrame) -> dict[str, DataFrame]:
    """(`activity_type`, `activity_id`) -> the ids of each activity source it has, named by its key."""
    kinds = {row["activity_type"] for row in activities_df.select("activity_type").distinct().collect()}
    return {
        source: activities_df.filter(F.col("activity_type") == ACTIVITY_KINDS[source]).select(
            F.col("activity_id").alias(key)
        )
        for source, key in ACTIVITY_SOURCES.items()
        if ACTIVITY_KINDS[source] in kinds
    }


@keeps_validations("conform")
def run(spark: SparkSession, config: Config, full: bool = False) -> ConformResult:
    """Conform what bronze received since the last conform (all of it the first time, or with
    `full`). A CRM change is merged too: the activities it may change (`touched_activities`) are
    conformed again with the new CRM, unless they are more than `CRM_MERGE_SHARE` of all, when
    silver is rebuilt."""
    lake = Lake(spark, config)
    versions = bronze_versions(lake)
    last = read_positions(lake)
    changed = {table for table, version in versions.items() if last.get(table) != version}
    # A conform that died half way through a rebuild or a CRM merge may have left silver's CRM tables
    # out of step with the activity tables made with them: this one rebuilds, whatever bronze holds.
    unfinished = bool(last) and lake.properties(OPS, CONFORM_STATE_TABLE).get(UNFINISHED_PROPERTY) == "true"
    made = make_missing_transcript_tables(lake, config) if last and not full else {}
    # Activity tables made before they were partitioned by month are made again from bronze, once.
    relaid = laid_out_otherwise(lake, ACTIVITY_TABLES) if last and not full else []
    if not full and not changed and not relaid and not unfinished:
        stale = tables_to_remake(lake, config) if last else []
        stale_crm = stale_crm_tables(lake, config) if last else []
        if stale or made or stale_crm:
            rows = made | rebuild_stale(lake, config, stale) | rebuild_crm_tables(lake, config, stale_crm, versions)
            return ConformResult(rows=rows)
        log.info("bronze unchanged since the last conform: silver is up to date")
        return ConformResult(skipped=True)
    salt = pseudonym_salt(config)
    crm_changed = changed & set(CRM_SOURCES)
    # Tables made from silver alone (the daily sums, transcripts') are made when missing, without a rebuild.
    made_alone = (*DAY_SUM_TABLES, *TRANSCRIPT_TABLES)
    complete = all(lake.exists(SILVER, t) for t in SILVER_TABLES if t not in made_alone)
    crm_now, touched, records, count, too_many = {}, None, None, 0, ""
    if crm_changed and last and complete and not full and not relaid and not unfinished:
        crm_now = crm_changes(lake, config, crm_changed, versions)
        before = {t: lake.read(SILVER, t) for t in CRM_TABLES}
        activities, participants, links = (
            lake.read(SILVER, t) for t in ("activities", "activity_participants", "record_links")
        )
        touched = touched_activities(before, crm_now, activities, participants, links).localCheckpoint()
        count, total = touched.count(), lake.rows(SILVER, "activities")
        if count > CRM_MERGE_SHARE * total:
            too_many = f"the CRM change touches {count:,} of {total:,} activities"
        elif count:  # now, while `before` still reads silver's CRM tables as they were
            records = touched_records(before, crm_now, touched, participants, links).localCheckpoint()
    rebuild = full or not last or not complete or bool(relaid) or unfinished or bool(too_many)
    marked = bool(last) and (rebuild or bool(crm_now))
    if marked:
        lake.set_properties(OPS, CONFORM_STATE_TABLE, {UNFINISHED_PROPERTY: "true"})
    if rebuild:
        if full or not last:
            reason = "asked for" if full else "first conform"
        elif relaid:
            reason = f"{', '.join(relaid)} not partitioned by month"
        elif unfinished:
            reason = "the conform before did not finish"
        else:
            reason = f"changed: {', '.join(sorted(changed))}" + (f"; {too_many}" if too_many else "")
        log.info("conform: rebuilding silver from bronze (%s)", reason)
        rows = full_refresh(lake, config, salt)
    else:
        log.info("conform: merging what %s received since the last conform", ", ".join(sorted(changed)))
        # The changed CRM tables first, checked before anything else changes; from here to the state
        # the mark stands, so a run that dies in between is followed by a rebuild.
        rows = _publish_all(lake, config, crm_now, lambda df, table: lake.overwrite(df, SILVER, table))
        crm_merge = None
        if crm_now:
            names = ", ".join(lake.name(SILVER, t) for t in sorted(crm_now))
            if count:
                log.info("conform: %s changed; the %d activities it may touch are conformed again", names, count)
                day_rows = touched.select(F.date_format("activity_on", "yyyy-MM-dd").alias("day")).distinct().collect()
                days = {row["day"] for row in day_rows if row["day"] is not None}  # one without a time has none
                crm_merge = CrmMerge(crm_now, ids_by_source(touched), touched.select("activity_key"), days, records)
            else:
                log.info("conform: %s changed in no field activities are made of: written alone", names)
        rows |= incremental(lake, config, salt, changed - crm_changed, last, versions, crm_merge)
    conformed_at = spark.sql("SELECT current_timestamp() AS t").first()["t"]
    state = spark.createDataFrame([(t, v, conformed_at) for t, v in versions.items()], CONFORM_STATE_SCHEMA)
    lake.overwrite(state, OPS, CONFORM_STATE_TABLE)
    if marked:  # a run that dies between the state and this rebuilds once more, needlessly but safely
        lake.set_properties(OPS, CONFORM_STATE_TABLE, {UNFINISHED_PROPERTY: "false"})
    return ConformResult(rows=made | rows)


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("conform", DESCRIPTION, as_of=False)
    parser.add_argument("--full-refresh", action="store_true", help="rebuild silver even if bronze did not change")
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-conform")
        run(spark, config, full=args.full_refresh)
        return 0

    return run_job(body, "conform")


if __name__ == "__main__":
    raise SystemExit(main())

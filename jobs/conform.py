"""Conform: bronze -> silver, one clean model of what happened, between whom, about which record.

Silver tables (grain in `transforms/`): users, accounts, contacts, leads, opportunities (latest
version of each id), activities, activity_participants, record_links, email_threads,
email_responses, call_turns. This version rebuilds silver from bronze whenever bronze changed
since the last conform (its bronze table versions are kept in `ops.conform_state`), and does
nothing otherwise; `--full-refresh` rebuilds regardless.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from expectations.runner import validate
from expectations.silver import silver_suite
from jobs.config import Config, ConfigError
from jobs.lake import BRONZE, OPS, SILVER, Lake
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job
from schemas.landing import SOURCES
from transforms.conform_activities import conform_activities, explode_participants
from transforms.conform_crm import (
    conform_accounts,
    conform_contacts,
    conform_leads,
    conform_opportunities,
    conform_users,
)
from transforms.record_links import filter_tracked_activities, link_records
from transforms.threads import (
    email_responses,
    email_threads,
    initial_labels,
    labels_changed,
    propagate_labels,
    thread_edges,
)
from transforms.turns import explode_fragments, merge_turns
from transforms.versions import filter_latest_version

log = logging.getLogger("rapport.conform")

STATE_TABLE = "conform_state"
STATE_SCHEMA = T.StructType(
    [
        T.StructField("bronze_table", T.StringType(), nullable=False),
        T.StructField("bronze_version", T.LongType(), nullable=False),
        T.StructField("conformed_at", T.TimestampType(), nullable=False),
    ]
)
MAX_THREAD_ROUNDS = 64

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
    variable = config.get("privacy.salt_env", "RAPPORT_PSEUDONYM_SALT")
    salt = os.environ.get(variable)
    if salt:
        return salt
    fallback = config.get("privacy.embedded_default_salt", None)
    if fallback and config.get("catalog.metastore", "embedded") == "embedded":
        log.warning("%s is not set: using the embedded default's development salt", variable)
        return str(fallback)
    raise ConfigError(f"set the environment variable {variable} to the salt of pseudonymous keys")


def bronze_versions(lake: Lake) -> dict[str, int]:
    return {
        s.name: DeltaTable.forPath(lake.spark, lake.path(BRONZE, s.name)).history(1).collect()[0]["version"]
        for s in SOURCES
    }


def _last_state(lake: Lake) -> dict[str, int]:
    if not lake.exists(OPS, STATE_TABLE):
        return {}
    return {r["bronze_table"]: r["bronze_version"] for r in lake.read(OPS, STATE_TABLE).collect()}


def converge_thread_labels(edges_df: DataFrame) -> DataFrame:
    """Connected components of the thread graph: propagate labels until a round changes none.
    Edges and each round's labels are checkpointed: every round reads them twice, and without it
    each round would recompute the whole lineage before it."""
    edges_df = edges_df.localCheckpoint()
    labels_df = initial_labels(edges_df).localCheckpoint()
    for round_number in range(1, MAX_THREAD_ROUNDS + 1):
        next_df = propagate_labels(labels_df, edges_df).localCheckpoint()
        if labels_changed(labels_df, next_df).limit(1).count() == 0:
            log.info("email threads: labels converged after %d rounds", round_number)
            return next_df
        labels_df = next_df
    raise JobError(f"email threads did not converge in {MAX_THREAD_ROUNDS} rounds")


def build_silver(spark: SparkSession, lake: Lake, config: Config, salt: str) -> dict[str, DataFrame]:
    """Every silver table as a DataFrame, from the current bronze tables."""
    bronze = {s.name: lake.read(BRONZE, s.name) for s in SOURCES}
    internal_domains = [str(d).lower() for d in config.get("org.internal_domains", []) or []]
    users = conform_users(bronze["crm_users"])
    accounts = conform_accounts(bronze["crm_accounts"])
    contacts = conform_contacts(bronze["crm_contacts"])
    leads = conform_leads(bronze["crm_leads"])
    opportunities = conform_opportunities(bronze["crm_opportunities"])
    # Each deduplicated activity frame feeds several silver tables: computed once.
    emails = filter_latest_version(bronze["emails"], "email_id").localCheckpoint()
    meetings = filter_latest_version(bronze["meetings"], "meeting_id").localCheckpoint()
    calls = filter_latest_version(bronze["calls"], "call_id").localCheckpoint()
    tasks = filter_latest_version(bronze["tasks"], "task_id").localCheckpoint()
    transcripts = filter_latest_version(bronze["transcripts"], "call_id")

    activities = conform_activities(emails, meetings, calls, tasks, users, internal_domains).localCheckpoint()
    participants = explode_participants(
        emails, meetings, calls, tasks, users, contacts, leads, accounts, internal_domains, salt
    ).localCheckpoint()
    links = link_records(
        activities,
        participants,
        accounts,
        contacts,
        leads,
        opportunities,
        link_by_domain=bool(config.get("kpi.link_by_domain", True)),
        meetings_need_regarding=bool(config.get("kpi.meetings_need_regarding_for_opportunity", True)),
    )
    known = None
    for record_type, df, key in (
        ("account", accounts, "account_id"),
        ("contact", contacts, "contact_id"),
        ("lead", leads, "lead_id"),
        ("opportunity", opportunities, "opportunity_id"),
    ):
        ids = df.select(F.lit(record_type).alias("record_type"), F.col(key).alias("record_id"))
        known = ids if known is None else known.unionByName(ids)
    known = known.withColumn("is_known_record", F.lit(True))
    links = links.join(known, on=["record_type", "record_id"], how="left").select(
        "activity_key",
        "activity_type",
        "record_type",
        "record_id",
        "reason",
        F.coalesce("is_known_record", F.lit(False)).alias("is_known_record"),
    )

    threads = email_threads(emails, converge_thread_labels(thread_edges(emails)))
    tracked_emails = filter_tracked_activities(activities, participants).filter(F.col("activity_type") == "email")
    sequence = (
        threads.join(
            activities.select(F.col("activity_id").alias("email_id"), "activity_type", "activity_at"),
            on="email_id",
            how="inner",
        )
        .filter(F.col("activity_type") == "email")
        .join(
            tracked_emails.select(F.col("activity_id").alias("email_id"), F.col("initiated_by").alias("side")),
            on="email_id",
            how="left",
        )
        .select("email_id", "thread_key", F.col("activity_at").alias("sent_at"), "side")
    )
    responses = email_responses(sequence, int(config.get("kpi.response_window_days", 30)))
    turns = merge_turns(explode_fragments(transcripts))
    return {
        "users": users,
        "accounts": accounts,
        "contacts": contacts,
        "leads": leads,
        "opportunities": opportunities,
        "activities": activities,
        "activity_participants": participants,
        "record_links": links,
        "email_threads": threads,
        "email_responses": responses,
        "call_turns": turns,
    }


def run(spark: SparkSession, config: Config, full_refresh: bool = False) -> ConformResult:
    lake = Lake(spark, config)
    versions = bronze_versions(lake)
    if not full_refresh and _last_state(lake) == versions:
        log.info("bronze unchanged since the last conform: silver is up to date")
        return ConformResult(skipped=True)
    salt = pseudonym_salt(config)
    result = ConformResult()
    check_quality = bool(config.get("quality.enabled", True))
    for table, df in build_silver(spark, lake, config, salt).items():
        started = time.monotonic()
        df = df.localCheckpoint()  # computed once for the suite and the write
        name = lake.name(SILVER, table)
        if check_quality:
            validate(df, silver_suite(table), name)
        result.rows[table] = lake.overwrite(df, SILVER, table)
        log.info("%s: %d rows (%.1f s)", name, result.rows[table], time.monotonic() - started)
    conformed_at = spark.sql("SELECT current_timestamp() AS t").first()["t"]
    state = spark.createDataFrame([(t, v, conformed_at) for t, v in versions.items()], STATE_SCHEMA)
    lake.overwrite(state, OPS, STATE_TABLE)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("conform", DESCRIPTION, as_of=False)
    parser.add_argument("--full-refresh", action="store_true", help="rebuild silver even if bronze did not change")
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        spark = build_session(config, "rapport-conform")
        run(spark, config, args.full_refresh)
        return 0

    return run_job(body, "conform")


if __name__ == "__main__":
    raise SystemExit(main())

"""Erase: remove a person from every table of the lake on request, then from the tables' history.

`--email ADDRESS` (repeatable) or `--file FILE` (an address a line; blank lines and `#` comments
skipped) deletes every row that holds the person (transforms/erasure.py says how a row is matched:
the address or its pseudonymous key anywhere in its text):

- bronze: every version of each record one version of which holds them (email, meeting, call, task,
  transcript, email event, CRM user, contact, lead, ...), the transcripts of those calls and the
  calls of those transcripts, the events of those emails. Whole records go, never redacted: an email
  to five people goes for all five (their KPIs count one email less).
- silver: the same records (CRM rows by id; activities, participants and record links by activity
  key; events, call turns and fragments by id), the record links and daily sums naming their CRM
  records, and then conform's own refresh makes the daily sums of the days those activities were on,
  and the email threads they touched, again from silver (daily sums laid out as before they were
  partitioned by month: whole, as conform would).
- gold: rows about their records or ids (record_type/record_id, person_type/person_id, user ids) or
  about the erased activities (email_id, call_id) and opportunities. Gold's counts for accounts and
  deals keep the erased activities until their day is computed again (they name no one).
- quarantine, and every other table: any row still holding the address or the pseudonymous key.

Bronze deletions are what conform would read from the change data feed, and silver is changed
alike, so the conform state is moved past them when silver was up to date before (the next conform
has nothing to redo; a later pipeline run does not read the landed files again: the ingest ledger).

The rows stay in old table versions (data files, change data, the Delta log's per-file statistics
and checkpoints) until purged: VACUUM, then a new checkpoint and every log entry before it deleted.
`--purge-now` purges at once; otherwise the first run of this job (with or without addresses) after
`privacy.erasure_retention_hours` does, from the erasure register `ops.erasures`, which holds no
address: a salted hash of it, which `--reapply` uses to erase again an address found in data landed
since (a file delivered again). Purging cuts the log the conform state points into, so conform runs
first when bronze holds changes it has not read.

The log names each address by a reference (the first 12 hex digits of its hash), with the rows
erased per table: never the address or its pseudonymous key.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import conform
from jobs.config import Config
from jobs.conform import (
    DAY_SUM_TABLES,
    RESPONSES_TABLE,
    activity_days,
    bronze_versions,
    move_past,
    pseudonym_salt,
    read_positions,
    refresh_day_sums,
    refresh_threads,
)
from jobs.delta_log import DeltaLog
from jobs.lake import BRONZE, GOLD, OPS, QUARANTINE, SILVER, USER_TABLES, Lake, in_list
from jobs.quality import keeps_validations
from jobs.runtime import JobError, build_session, job_parser, parse_job_args, run_job, session_settings
from schemas.bronze import LEDGER_TABLE, QUARANTINE_TABLE
from schemas.gold import GOLD_TABLES
from schemas.landing import SOURCES
from schemas.ops import (
    DQ_RESULTS_TABLE,
    ERASURES_SCHEMA,
    ERASURES_TABLE,
)
from schemas.silver import SILVER_TABLES
from transforms.erasure import (
    activity_kind_ids,
    erased_keys,
    erasure_hash,
    holds_person,
    is_address,
    keys_holding,
    kind_ids,
    normalized,
    null_safe_condition,
    reference,
    targets,
    tokens_matching,
)

log = logging.getLogger("rapport.erase")

DESCRIPTION = """\
Erase people from every table of the lake (bronze, quarantine, silver, gold, ops), by email
address: every record that mentions the address or its pseudonymous key, and what was derived from
it. Old table versions keep the rows until purged: --purge-now at once, else the first run of this
job after privacy.erasure_retention_hours. The log names no address.

examples:
  python -m jobs.erase --email someone@example.org --purge-now
  python -m jobs.erase --file requests.txt                 # an address a line, # comments
  python -m jobs.erase                                     # purge erasures whose retention has passed
  python -m jobs.erase --reapply                           # erase again registered addresses landed since
"""

# The kind of id each bronze source is keyed by (transcripts by their call).
SOURCE_KINDS = {
    "crm_users": "user",
    "crm_accounts": "account",
    "crm_contacts": "contact",
    "crm_leads": "lead",
    "crm_opportunities": "opportunity",
    "emails": "email",
    "email_events": "event",
    "meetings": "meeting",
    "calls": "call",
    "tasks": "task",
    "transcripts": "call",
}
SILVER_CRM = {
    "user": ("users", "user_id"),
    "contact": ("contacts", "contact_id"),
    "lead": ("leads", "lead_id"),
    "account": ("accounts", "account_id"),
    "opportunity": ("opportunities", "opportunity_id"),
}
# Rows that go with what was erased: (columns, kind of the erased ids they are compared with). The
# kinds `activity`, `record` and `person` are the keys <type>:<id>, (record_type, record_id) and
# (person_type, person_id) (transforms.erasure.erased_keys).
Rules = tuple[tuple[tuple[str, ...], str], ...]
SILVER_RULES: dict[str, Rules] = {
    **{table: (((key,), kind),) for kind, (table, key) in SILVER_CRM.items()},
    "activities": ((("activity_key",), "activity"),),
    "activity_participants": ((("activity_key",), "activity"),),
    "record_links": ((("activity_key",), "activity"), (("record_type", "record_id"), "record")),
    "email_events": ((("email_id",), "email"), (("event_id",), "event")),
    "call_turns": ((("call_id",), "call"),),
    "call_fragments": ((("call_id",), "call"),),
    "record_activity_days": ((("record_type", "record_id"), "record"),),
    "record_people_days": ((("record_type", "record_id"), "record"), (("person_type", "person_id"), "person")),
    "connection_days": ((("record_type", "record_id"), "record"), (("user_id",), "user")),
}
# Gold rows about an erased record, person, activity or deal, wherever a table has these columns.
GOLD_RULES: Rules = (
    (("record_type", "record_id"), "record"),
    (("person_type", "person_id"), "person"),
    (("user_id",), "user"),
    (("sender_user_id",), "user"),
    (("seller_user_id",), "user"),
    (("email_id",), "email"),
    (("call_id",), "call"),
    (("opportunity_id",), "opportunity"),
    (("similar_opportunity_id",), "opportunity"),
)
# Delta log entries are named by the version they belong to: 00000000000000000042.json, .crc,
# .checkpoint.parquet, .checkpoint.<n>.<parts>.parquet, 00000000000000000040.00000000000000000042.compacted.json
LOG_ENTRY = re.compile(r"^(\d{20})\.")
DELETION_VECTORS = "delta.enableDeletionVectors"
PURGE_WORKERS = 2  # tables purged side by side: each purge is mostly listing files and small commits


@dataclass
class ErasureResult:
    run_id: str = ""
    references: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # table name -> rows erased
    purged: list[str] = field(default_factory=list)  # tables whose old versions were purged
    purge_after: datetime | None = None  # when the old versions that hold the rows may go (now: purged)


# --- the addresses asked for ------------------------------------------------------------------------------------------


def requested_addresses(emails: list[str], files: list[str]) -> list[str]:
    """The normalized addresses of `--email` and `--file` arguments, each once. A file that cannot be
    read or a value that is not an address stops the job, naming where it is but not the value."""
    found = []
    for number, text in enumerate(emails, start=1):
        if not is_address(text):
            raise JobError(f"--email number {number} is not an email address; nothing was erased")
        found.append(normalized(text))
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise JobError(f"--file {name}: no such file; nothing was erased")
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise JobError(
                f"--file {name}: cannot be read as UTF-8 text ({type(error).__name__}); nothing was erased"
            ) from None
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if not is_address(text):
                raise JobError(f"--file {name}, line {number}: not an email address; nothing was erased")
            found.append(normalized(text))
    return sorted(set(found))


# --- what holds the person -----------------------------------------------------------------------------------------


def find(lake: Lake, hashes: list[str], salt: str) -> DataFrame:
    """-> (kind, id) of everything erased with the person, each once: the bronze records and silver
    rows that hold them (kinds user, contact, lead, account, opportunity, email, meeting, call, task,
    event), the activities their CRM records took part in, and the events of their emails."""
    holding = []
    for source in SOURCES:
        if lake.exists(BRONZE, source.name):
            keys = keys_holding(lake.read(BRONZE, source.name), [source.key], hashes, salt)
            holding.append(kind_ids(keys, SOURCE_KINDS.get(source.name, source.name), source.key))
    for kind, (table, key) in SILVER_CRM.items():
        if lake.exists(SILVER, table):
            holding.append(kind_ids(keys_holding(lake.read(SILVER, table), [key], hashes, salt), kind, key))
    for table, kind, key in (
        ("activities", F.col("activity_type"), "activity_id"),
        ("call_turns", "call", "call_id"),
        ("call_fragments", "call", "call_id"),
        ("email_events", "event", "event_id"),
    ):
        if lake.exists(SILVER, table):
            rows = lake.read(SILVER, table)
            holding.append(kind_ids(rows.filter(holds_person(rows, hashes, salt)), kind, key))
    if not holding:
        return lake.spark.createDataFrame([], "kind string, id string")
    found = conform.union_all(holding).dropna().distinct().localCheckpoint()
    if lake.exists(SILVER, "activity_participants"):
        # The activities their CRM records took part in (found by address too, unless the record
        # changed its address since), as conform resolves participants.
        participants = lake.read(SILVER, "activity_participants")
        taking_part = [participants.filter(holds_person(participants, hashes, salt))]
        for kind, column in (("user", "user_id"), ("contact", "contact_id"), ("lead", "lead_id")):
            ids = found.filter(F.col("kind") == kind).select(F.col("id").alias(column))
            taking_part.append(participants.join(ids, on=column, how="left_semi"))
        activities = activity_kind_ids(conform.union_all([p.select("activity_key") for p in taking_part]))
        found = found.unionByName(activities).distinct().localCheckpoint()
    emails = found.filter(F.col("kind") == "email").select(F.col("id").alias("email_id"))
    events = [
        kind_ids(lake.read(layer, "email_events").join(emails, on="email_id", how="left_semi"), "event", "event_id")
        for layer in (BRONZE, SILVER)
        if lake.exists(layer, "email_events")
    ]
    return conform.union_all([found, *events]).distinct().localCheckpoint() if events else found


# --- deleting ------------------------------------------------------------------------------------------------------


def delete_rows(lake: Lake, layer: str, table: str, rows: DataFrame, columns: list[str]) -> int:
    """Delete the rows of the table equal to a row of `rows` on `columns` (nulls equal), in one
    MERGE whose commit names the columns only (a DELETE's would carry its predicate's values);
    return the rows deleted."""
    before = lake.version(layer, table)
    lake.commit(
        layer,
        table,
        lambda: (
            DeltaTable.forPath(lake.spark, lake.path(layer, table))
            .alias("t")
            .merge(rows.select(*columns).distinct().alias("s"), null_safe_condition(columns))
            .whenMatchedDelete()
            .execute()
        ),
    )
    return lake.counted_since(layer, table, before, "numTargetRowsDeleted")


def _matching(df: DataFrame, rules: Rules, keys: dict[str, DataFrame], hashes: list[str], salt: str) -> DataFrame:
    """The rows of `df` that hold the person (when `hashes`) or whose `rules` columns equal an erased key."""
    matched = [df.filter(holds_person(df, hashes, salt))] if hashes else []
    for columns, kind in rules:
        if kind in keys and set(columns) <= set(df.columns):
            matched.append(df.join(keys[kind].toDF(*columns), on=list(columns), how="left_semi"))
    return conform.union_all(matched) if matched else df.limit(0)


def _swept(layer: str, hashes: list[str]) -> list[str]:
    """What a table's rows are searched for: bronze's by key alone, the keys being those of its rows
    that hold the person (`find`)."""
    return [] if layer == BRONZE else hashes


def tables_to_erase(
    lake: Lake, tables: dict[tuple[str, str], Rules], keys: dict[str, DataFrame], hashes: list[str], salt: str
) -> set[tuple[str, str]]:
    """The tables among `tables` with a row to erase, in one Spark job over all of them."""
    marks = []
    for (layer, table), rules in tables.items():
        if lake.exists(layer, table):
            rows = _matching(lake.read(layer, table), rules, keys, _swept(layer, hashes), salt)
            marks.append(rows.limit(1).select(F.lit(layer).alias("layer"), F.lit(table).alias("table")))
    if not marks:
        return set()
    return {(r["layer"], r["table"]) for r in conform.union_all(marks).collect()}


def erase_table(
    lake: Lake, layer: str, table: str, rules: Rules, keys: dict[str, DataFrame], hashes: list[str], salt: str
) -> int:
    """Delete the table's rows to erase (`_matching`) in one commit; return the rows deleted. Bronze
    rows are matched on their key, the others whole (every column but maps, which are not
    comparable), so a table needs no key of its own."""
    df = lake.read(layer, table)
    if layer == BRONZE:
        columns = list(rules[0][0])
    else:
        columns = [f.name for f in df.schema.fields if not isinstance(f.dataType, T.MapType)]
    return delete_rows(lake, layer, table, _matching(df, rules, keys, _swept(layer, hashes), salt), columns)


def bronze_rules() -> dict[tuple[str, str], Rules]:
    """Bronze tables lose every version of the erased records: matched on their key."""
    return {(BRONZE, s.name): (((s.key,), SOURCE_KINDS.get(s.name, s.name)),) for s in SOURCES}


def touched_days(lake: Lake, keys: dict[str, DataFrame]) -> set[str]:
    """The UTC days of the erased activities, and of the activities linked to an erased record (an
    email regarding an erased contact loses that link): their daily sums change."""
    if not lake.exists(SILVER, "activities"):
        return set()
    touched = [keys["activity"]] if "activity" in keys else []
    if "record" in keys and lake.exists(SILVER, "record_links"):
        links = lake.read(SILVER, "record_links").join(keys["record"], on=["record_type", "record_id"], how="left_semi")
        touched.append(links.select("activity_key"))
    return activity_days(lake, conform.union_all(touched).distinct()) if touched else set()


def refresh_silver(lake: Lake, config: Config, keys: dict[str, DataFrame], days: set[str]) -> set[tuple[str, str]]:
    """Make the daily sums of `days`, and the threads of the erased emails, again from silver (as
    conform does after a merge), and daily sums laid out as before they were partitioned again
    whole; return the tables written."""
    stale = conform.stale_tables(lake, config)
    relaid = conform.laid_out_otherwise(lake)
    fresh = [t for t in DAY_SUM_TABLES if t not in stale and t not in relaid and lake.exists(SILVER, t)]
    rewritten = {(SILVER, t) for t in refresh_day_sums(lake, config, days, fresh)}
    rewritten |= {(SILVER, t) for t in conform.rebuild_day_sums(lake, config, [t for t in relaid if t not in stale])}
    if "email" in keys and RESPONSES_TABLE not in stale and lake.exists(SILVER, "email_threads"):
        changed = keys["email"].toDF("email_id")
        rewritten |= {(SILVER, t) for t in refresh_threads(lake, config, changed)}
    return rewritten


@dataclass
class Changes:
    rows: dict[tuple[str, str], int] = field(default_factory=dict)  # (layer, table) -> rows deleted
    rewritten: set[tuple[str, str]] = field(default_factory=set)  # silver tables made again from silver

    @property
    def tables(self) -> list[tuple[str, str]]:
        """The tables changed: their old versions hold the person."""
        return sorted({t for t, n in self.rows.items() if n} | self.rewritten)


@keeps_validations("erase")
def erase(spark: SparkSession, config: Config, addresses: list[str], salt: str) -> Changes:
    """Delete every row holding the people of `addresses`, and what was derived from their records,
    from every table; return what changed."""
    lake = Lake(spark, config)
    hashes = targets(addresses, salt)
    found = find(lake, hashes, salt)
    counts = {r["kind"]: r["count"] for r in found.groupBy("kind").count().collect()}
    log.info("found: %s", ", ".join(f"{n} {kind} ids" for kind, n in sorted(counts.items())) or "nothing")
    keys = erased_keys(found, counts)
    # Every table with something to erase, found in one pass before anything changes. The conform state
    # (versions) and the register (hashes) hold no one; the ingest ledger is only looked at (below).
    tables = bronze_rules() | {(QUARANTINE, QUARANTINE_TABLE): (), (OPS, DQ_RESULTS_TABLE): (), (OPS, LEDGER_TABLE): ()}
    tables |= {(SILVER, t): SILVER_RULES.get(t, ()) for t in SILVER_TABLES}
    tables |= {(GOLD, t): GOLD_RULES for t in GOLD_TABLES}
    to_erase = tables_to_erase(lake, tables, keys, hashes, salt)
    if (OPS, LEDGER_TABLE) in to_erase:
        # Its rows name landed files; deleting them would have the next ingest read the files again.
        log.warning(
            "%s: landed files have an erased address in their name; their ledger rows are kept so that they are "
            "not read again: rename or remove the files in the landing zone",
            lake.name(OPS, LEDGER_TABLE),
        )
        to_erase.discard((OPS, LEDGER_TABLE))
    days = touched_days(lake, keys)
    changes = Changes()
    for (layer, table), rules in tables.items():  # in the order data flows
        if (layer, table) in to_erase:
            changes.rows[(layer, table)] = erase_table(lake, layer, table, rules, keys, hashes, salt)
    if lake.exists(SILVER, "activities"):
        changes.rewritten = refresh_silver(lake, config, keys, days)
    return changes


# --- the conform state -------------------------------------------------------------------------------------------


def conform_if_behind(spark: SparkSession, config: Config, lake: Lake) -> None:
    """Conform what bronze holds that silver has not read: a purged log loses the versions the
    conform state points into."""
    state = read_positions(lake)
    behind = [t for t, v in bronze_versions(lake).items() if state and state.get(t) != v]
    if behind:
        log.info("bronze has changes conform has not read (%s): conforming them before purging", ", ".join(behind))
        conform.run(spark, config)


# --- purging old versions ------------------------------------------------------------------------------------------


def purge_settings(spark: SparkSession):
    """Settings VACUUM needs for a retention shorter than the table's, to list small tables in few
    tasks (it lists in parallelPartitionDiscovery.parallelism tasks, 10,000 by default: half a minute
    per table on a small machine) and to commit nothing itself; the session's own come back after."""
    return session_settings(
        spark,
        {
            "spark.databricks.delta.retentionDurationCheck.enabled": "false",
            # VACUUM START and END commits: two commits per table, of no use once the log is cut
            "spark.databricks.delta.vacuum.logging.enabled": "false",
            "spark.sql.sources.parallelPartitionDiscovery.parallelism": str(
                max(2, spark.sparkContext.defaultParallelism * 2)
            ),
        },
    )


def cut_log(spark: SparkSession, path: str, version: int) -> int:
    """Delete every Delta log entry of a version before `version` (commits, checksums, checkpoints),
    as Delta's own log clean-up does after delta.logRetentionDuration; `version` must have a
    checkpoint. Return the entries deleted."""
    hadoop = spark._jvm.org.apache.hadoop.fs
    log_dir = hadoop.Path(f"{path}/_delta_log")
    fs = log_dir.getFileSystem(spark._jsc.hadoopConfiguration())
    names = [status.getPath().getName() for status in fs.listStatus(log_dir) if status.isFile()]
    if not any(name.startswith(f"{version:020d}.checkpoint.") for name in names):
        raise JobError(f"{path}: no checkpoint of version {version} after writing it; the log was not cut")
    old = [name for name in names if (m := LOG_ENTRY.match(name)) and int(m.group(1)) < version]
    for name in old:
        fs.delete(hadoop.Path(log_dir, name), False)  # a local file's .crc checksum goes with it
    return len(old)


def purge_table(lake: Lake, layer: str, table: str, retain_hours: int) -> tuple[int, int]:
    """Remove the table's data files unreferenced for `retain_hours` (VACUUM, change data included),
    write a checkpoint of its latest version and delete the log before it; return that version and
    the log entries deleted."""
    spark, path = lake.spark, lake.path(layer, table)
    delta_log = DeltaLog(spark, path)
    if delta_log.setting(delta_log.snapshot(), DELETION_VECTORS) == "true":
        spark.sql(f"REORG TABLE delta.`{path}` APPLY (PURGE)")  # rewrite the files that only hid rows
    spark.sql(f"VACUUM delta.`{path}` RETAIN {retain_hours} HOURS").collect()
    snapshot = delta_log.snapshot()
    delta_log.checkpoint(snapshot)
    deleted = cut_log(spark, path, snapshot.version())
    delta_log.forget()  # the cached snapshot was read from the entries just deleted
    return snapshot.version(), deleted


def purge(lake: Lake, tables: list[tuple[str, str]], retain_hours: int) -> list[str]:
    """Purge the old versions of `tables`; return their names."""
    started = time.monotonic()
    tables = [t for t in sorted(set(tables)) if lake.exists(*t)]

    def one(layer_table: tuple[str, str]) -> str:
        version, deleted = purge_table(lake, *layer_table, retain_hours)
        name = lake.name(*layer_table)
        log.info(
            "%s: purged: old data and change files vacuumed, log cut to a checkpoint of version %d (%d entries)",
            name,
            version,
            deleted,
        )
        return name

    with purge_settings(lake.spark), ThreadPoolExecutor(max_workers=PURGE_WORKERS) as pool:
        names = list(pool.map(one, tables))
    log.info("purged the old versions of %d tables (%.1f s)", len(names), time.monotonic() - started)
    return names


# --- the register --------------------------------------------------------------------------------------------------


def pending_erasures(lake: Lake, now: datetime, everything: bool) -> list[tuple[str, list[str]]]:
    """(run_id, tables) of the register's erasures not purged yet: those due by `now`, or all."""
    if not lake.exists(OPS, ERASURES_TABLE):
        return []
    pending = lake.read(OPS, ERASURES_TABLE).filter(F.col("purged_at").isNull())
    if not everything:
        pending = pending.filter(F.col("purge_after") <= F.lit(now))
    runs: dict[str, set[str]] = defaultdict(set)
    for row in pending.select("run_id", "tables").collect():
        runs[row["run_id"]].update(row["tables"])
    return [(run_id, sorted(tables)) for run_id, tables in sorted(runs.items())]


def register(
    lake: Lake,
    hashes: dict[str, str],
    run_id: str,
    erased_at: datetime,
    changes: Changes,
    purge_after: datetime,
    purged_at: datetime | None,
) -> None:
    """One row per address (by hash) and trigger: what the run erased and when its old versions go."""
    tables = [f"{layer}.{table}" for layer, table in changes.tables]
    register_rows = [
        (
            address_hash,
            reference(address_hash),
            run_id,
            trigger,
            erased_at,
            sum(changes.rows.values()),
            tables,
            purge_after,
            purged_at,
        )
        for address_hash, trigger in sorted(hashes.items())
    ]
    lake.ensure_table(OPS, ERASURES_TABLE, ERASURES_SCHEMA)
    lake.append(lake.spark.createDataFrame(register_rows, ERASURES_SCHEMA), OPS, ERASURES_TABLE)


def mark_purged(lake: Lake, run_ids: list[str], purged_at: datetime) -> None:
    if run_ids:
        lake.commit(
            OPS,
            ERASURES_TABLE,
            lambda: DeltaTable.forPath(lake.spark, lake.path(OPS, ERASURES_TABLE)).update(
                F.expr(in_list("run_id", run_ids)) & F.col("purged_at").isNull(), {"purged_at": F.lit(purged_at)}
            ),
        )


def registered_addresses(lake: Lake, salt: str, ingest_run_id: str | None = None) -> list[str]:
    """The registered addresses found again in bronze or quarantine (delivered again since their
    erasure): the tokens whose hash the register holds. With `ingest_run_id`, only in the rows that
    ingest run wrote (Delta skips the other files by their statistics: the cost of the day's rows)."""
    if not lake.exists(OPS, ERASURES_TABLE):
        return []
    hashes = lake.read(OPS, ERASURES_TABLE).select("address_hash").distinct().localCheckpoint()
    if hashes.isEmpty():
        return []
    tables = [(BRONZE, s.name) for s in SOURCES] + [(QUARANTINE, QUARANTINE_TABLE)]
    found: set[str] = set()
    for layer, table in tables:
        if lake.exists(layer, table):
            rows = lake.read(layer, table)
            if ingest_run_id is not None:
                rows = rows.filter(F.col("ingest_run_id") == ingest_run_id)
            found.update(row["token"] for row in tokens_matching(rows, hashes, salt).collect())
    return sorted(found)


def erase_landed_again(spark: SparkSession, config: Config, ingest_run_id: str) -> ErasureResult | None:
    """Erase again every registered address in the rows ingest run `ingest_run_id` wrote (a file
    delivered again, or a new one, naming a person erased before): ingest calls this before its
    ledger commit, so that a run killed in between reads the files, and erases, again. None when the
    run brought none."""
    salt = pseudonym_salt(config)
    again = registered_addresses(Lake(spark, config), salt, ingest_run_id)
    if not again:
        return None
    log.warning(
        "%d erased addresses (%s) are in the files this ingest read: erasing them again",
        len(again),
        ", ".join(sorted(reference(erasure_hash(a, salt)) for a in again)),
    )
    return run(spark, config, again, trigger="reapply")


# --- the job -------------------------------------------------------------------------------------------------------


def run(
    spark: SparkSession,
    config: Config,
    addresses: list[str],
    *,
    purge_now: bool = False,
    reapply: bool = False,
    trigger: str = "request",
) -> ErasureResult:
    """Erase `addresses` (normalized, checked) from every table; purge the old versions of what
    this and earlier erasures changed now (`purge_now`) or once their retention has passed.
    `trigger`: why the addresses are erased, as the register records it (`request`, `reapply`)."""
    started = time.monotonic()
    lake = Lake(spark, config)
    if not any(lake.exists(layer, table) for layer, table in USER_TABLES):
        raise JobError(f"no table of the lake under {lake.root}: check paths.lake; nothing was erased")
    salt = pseudonym_salt(config)
    now = datetime.now(UTC).replace(microsecond=0)
    result = ErasureResult(run_id=f"erase-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}")
    retain_hours = config.privacy.erasure_retention_hours
    triggers = {erasure_hash(a, salt): trigger for a in addresses}
    if reapply:
        again = registered_addresses(lake, salt)
        log.info("reapply: %d registered addresses found again in bronze or quarantine", len(again))
        addresses = sorted({*addresses, *again})
        triggers |= {h: "reapply" for a in again if (h := erasure_hash(a, salt)) not in triggers}
    result.references = sorted(reference(h) for h in triggers)
    due = pending_erasures(lake, now, everything=purge_now)
    if (purge_now and addresses) or due:
        conform_if_behind(spark, config, lake)
    changes = Changes()
    if addresses:
        log.info("erasing %d addresses (%s), run %s", len(addresses), ", ".join(result.references), result.run_id)
        before = bronze_versions(lake)
        changes = erase(spark, config, addresses, salt)
        move_past(lake, before)  # silver was changed alike: nothing to redo
        for layer, table in changes.tables:
            again = (
                " (made again from silver where the erased activities were, or whole)"
                if (layer, table) in changes.rewritten
                else ""
            )
            log.info("%s: %d rows erased%s", lake.name(layer, table), changes.rows.get((layer, table), 0), again)
        result.rows = {lake.name(layer, table): n for (layer, table), n in changes.rows.items()}
        log.info(
            "erased %d rows from %d tables for %d addresses (%s)",
            sum(changes.rows.values()),
            sum(1 for n in changes.rows.values() if n),
            len(addresses),
            ", ".join(result.references),
        )
    to_purge = [(layer, table) for _, tables in due for layer, table in (t.split(".", 1) for t in tables)]
    if purge_now:
        to_purge += changes.tables
    purged_at = datetime.now(UTC).replace(microsecond=0) if purge_now else None
    if to_purge:
        before = bronze_versions(lake)
        result.purged = purge(lake, to_purge, 0 if purge_now else retain_hours)
        move_past(lake, before)  # silver was changed alike: nothing to redo
        purged_at = datetime.now(UTC).replace(microsecond=0)
        mark_purged(lake, [run_id for run_id, _ in due], purged_at)
    if addresses:
        result.purge_after = now if purge_now else now + timedelta(hours=retain_hours)
        register(lake, triggers, result.run_id, now, changes, result.purge_after, purged_at if purge_now else None)
        if not purge_now:
            log.info(
                "the erased rows stay in old versions of %d tables (time travel, change data, log statistics) "
                "until %s (privacy.erasure_retention_hours=%d): the first run of python -m jobs.erase after "
                "then purges them (schedule it daily); --purge-now purges at once",
                len(changes.tables),
                result.purge_after.isoformat(),
                retain_hours,
            )
    elif not due:
        log.info("no addresses given and no erasure due for purging: nothing to do")
    log.info("erase run %s done (%.1f s)", result.run_id, time.monotonic() - started)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("erase", DESCRIPTION, as_of=False)
    parser.add_argument(
        "--email", metavar="ADDRESS", action="append", default=[], help="an address to erase (repeatable)"
    )
    parser.add_argument(
        "--file",
        metavar="FILE",
        action="append",
        default=[],
        help="a file of addresses to erase, one a line; blank lines and # comments skipped (repeatable)",
    )
    parser.add_argument(
        "--purge-now",
        action="store_true",
        help="purge the old versions (files, change data, log) at once instead of after the retention",
    )
    parser.add_argument(
        "--reapply",
        action="store_true",
        help="also erase every registered address found again in bronze or quarantine (data delivered again)",
    )
    args, config = parse_job_args(parser, argv)

    def body() -> int:
        addresses = requested_addresses(args.email, args.file)
        spark = build_session(config, "rapport-erase")
        run(spark, config, addresses, purge_now=args.purge_now, reapply=args.reapply)
        return 0

    return run_job(body, "erase")


if __name__ == "__main__":
    raise SystemExit(main())

"""Bronze activities -> silver activities and activity participants.

`conform_activities` grain: one row per activity (activity_type, activity_id), its time, whether and
from when it counts (kpis.md section 1), duration, and which side initiated it (section 2).
`explode_participants` grain: one row per (activity, address, role): from/to/cc/bcc, organizer and
attendees with their response, caller/callee, task owner; internal or external, resolved to user,
contact, lead and account where possible. An address listed several times in one activity is one
participant: present unless every one of its listings declined (kpis.md v1.2, section 1).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.conform_crm import normalized_address

TEAM, CUSTOMER = "team", "customer"
EMAIL, MEETING, CALL, TASK = "email", "meeting", "call", "task"
SECONDS_PER_MINUTE = 60.0
DECLINED = "declined"
# When one address is listed twice in a role (two attendee entries), the listing kept is the most
# present one, whatever the order: accepted, tentative, none, no response given, declined.
RESPONSE_RANK = {"accepted": 0, "tentative": 1, "none": 2, DECLINED: 4}
NO_RESPONSE_RANK = 3


def activity_key(activity_type: str, id_column: str) -> Column:
    """One string key across activity types (ids are unique per source only)."""
    return F.concat(F.lit(f"{activity_type}:"), F.col(id_column))


def _activity_columns(
    activity_type: str,
    id_column: str,
    activity_at: Column,
    end_at: Column,
    status: Column,
    counts_from: Column,
    duration_minutes: Column,
    initiator: str,
    planned_at: Column,
) -> list[Column]:
    """The common shape of silver.activities; type-specific columns are null where they do not apply."""

    def optional(name: str, data_type: str) -> Column:
        return F.col(name) if name in _TYPE_COLUMNS[activity_type] else F.lit(None).cast(data_type).alias(name)

    return [
        activity_key(activity_type, id_column).alias("activity_key"),
        F.lit(activity_type).alias("activity_type"),
        F.col(id_column).alias("activity_id"),
        activity_at.alias("activity_at"),
        end_at.alias("end_at"),
        status.alias("status"),
        counts_from.alias("counts_from"),
        planned_at.alias("planned_at"),
        duration_minutes.cast("double").alias("duration_minutes"),
        normalized_address(initiator).alias("initiator_address"),
        optional("subject", "string"),
        optional("regarding_type", "string"),
        optional("regarding_id", "string"),
        optional("followed", "boolean"),
        optional("recorded", "boolean"),
        optional("thread_id", "string"),
        optional("in_reply_to", "string"),
        optional("references", "array<string>"),
        optional("modified_at", "timestamp"),
        "source_file",
        "source_line",
        "ingest_run_id",
    ]


_TYPE_COLUMNS = {
    EMAIL: {
        "subject",
        "regarding_type",
        "regarding_id",
        "followed",
        "thread_id",
        "in_reply_to",
        "references",
        "modified_at",
    },
    MEETING: {"subject", "regarding_type", "regarding_id", "modified_at"},
    CALL: {"regarding_type", "regarding_id", "recorded", "modified_at"},
    TASK: {"regarding_type", "regarding_id", "modified_at"},
}


def _emails(emails_df: DataFrame) -> DataFrame:
    sent_at = F.col("sent_at")
    return emails_df.select(
        *_activity_columns(
            EMAIL,
            "email_id",
            sent_at,
            sent_at,
            F.lit("completed"),
            sent_at,
            F.lit(None),
            "from",
            F.lit(None).cast("timestamp"),
        )
    )


def _meetings(meetings_df: DataFrame) -> DataFrame:
    is_canceled = F.col("status") == "canceled"
    minutes = (F.unix_micros(F.col("end_at")) - F.unix_micros(F.col("start_at"))) / 60e6
    return meetings_df.select(
        *_activity_columns(
            MEETING,
            "meeting_id",
            F.col("start_at"),
            F.col("end_at"),
            F.col("status"),
            F.when(~is_canceled, F.col("end_at")),
            minutes,
            "organizer",
            F.when(~is_canceled, F.col("start_at")),
        )
    )


def _calls(calls_df: DataFrame) -> DataFrame:
    started_at = F.col("started_at")
    end_at = F.timestamp_seconds(F.unix_seconds(started_at) + F.coalesce(F.col("duration_seconds"), F.lit(0)))
    return calls_df.select(
        *_activity_columns(
            CALL,
            "call_id",
            started_at,
            end_at,
            F.col("status"),
            F.when(F.col("status") == "completed", started_at),
            F.col("duration_seconds") / SECONDS_PER_MINUTE,
            "from",
            F.when(F.col("status") != "canceled", started_at),
        )
    )


def _tasks(tasks_df: DataFrame) -> DataFrame:
    done_at = F.coalesce(F.col("completed_at"), F.col("modified_at"))
    return tasks_df.select(
        *_activity_columns(
            TASK,
            "task_id",
            done_at,
            done_at,
            F.col("status"),
            F.when(F.col("status") == "completed", done_at),
            F.col("duration_minutes"),
            "owner",
            F.when(F.col("status") == "open", F.col("due_at")),
        )
    )


def is_internal_address(address: Column, user_emails_col: Column, internal_domains: list[str]) -> Column:
    """Internal when the address belongs to a user or its domain is one of ours (raw contract)."""
    domain = F.substring_index(address, "@", -1)
    return user_emails_col.isNotNull() | domain.isin(*[d.lower() for d in internal_domains])


def conform_activities(
    emails_df: DataFrame,
    meetings_df: DataFrame,
    calls_df: DataFrame,
    tasks_df: DataFrame,
    users_df: DataFrame,
    internal_domains: list[str],
) -> DataFrame:
    """Latest versions of every activity (deduplicated upstream) in one conformed shape, with the
    side that initiated it: the sender, organizer or caller's side; tasks are the team's."""
    activities_df = _emails(emails_df).unionByName(_meetings(meetings_df)).unionByName(_calls(calls_df))
    activities_df = activities_df.unionByName(_tasks(tasks_df))
    # distinct: two users sharing an address must not double the activity
    users = users_df.select(F.col("email").alias("initiator_user_email")).distinct()
    initiator_is_internal = is_internal_address(
        F.col("initiator_address"), F.col("initiator_user_email"), internal_domains
    )
    return (
        activities_df.join(
            F.broadcast(users), on=F.col("initiator_address") == F.col("initiator_user_email"), how="left"
        )
        .withColumn(
            "initiated_by",
            F.when(F.col("activity_type") == TASK, F.lit(TEAM)).when(initiator_is_internal, TEAM).otherwise(CUSTOMER),
        )
        .drop("initiator_user_email")
    )


def _participant_rows(df: DataFrame, activity_type: str, id_column: str, entries: Column) -> DataFrame:
    return df.select(
        activity_key(activity_type, id_column).alias("activity_key"),
        F.lit(activity_type).alias("activity_type"),
        F.inline(entries),
    )


def _single(column: str) -> Column:
    return F.array(F.col(column))


def _role_entries(role: str, addresses: Column) -> Column:
    return F.transform(
        addresses,
        lambda a: F.struct(F.lit(role).alias("role"), a.alias("address"), F.lit(None).cast("string").alias("response")),
    )


def _raw_participants(emails_df, meetings_df, calls_df, tasks_df) -> DataFrame:
    empty = F.array().cast("array<string>")
    email_entries = F.concat(
        _role_entries("from", _single("from")),
        _role_entries("to", F.coalesce(F.col("to"), empty)),
        _role_entries("cc", F.coalesce(F.col("cc"), empty)),
        _role_entries("bcc", F.coalesce(F.col("bcc"), empty)),
    )
    attendees = F.transform(
        F.coalesce(F.col("attendees"), F.array().cast("array<struct<email:string,required:boolean,response:string>>")),
        lambda a: F.struct(
            F.lit("attendee").alias("role"), a["email"].alias("address"), a["response"].alias("response")
        ),
    )
    meeting_entries = F.concat(_role_entries("organizer", _single("organizer")), attendees)
    call_entries = F.concat(
        _role_entries("caller", _single("from")), _role_entries("callee", F.coalesce(F.col("to"), empty))
    )
    task_entries = _role_entries("owner", _single("owner"))
    return (
        _participant_rows(emails_df, EMAIL, "email_id", email_entries)
        .unionByName(_participant_rows(meetings_df, MEETING, "meeting_id", meeting_entries))
        .unionByName(_participant_rows(calls_df, CALL, "call_id", call_entries))
        .unionByName(_participant_rows(tasks_df, TASK, "task_id", task_entries))
        .withColumn("address", normalized_address("address"))
    )


def _response_rank() -> Column:
    ranks = F.create_map(*[x for response, rank in RESPONSE_RANK.items() for x in (F.lit(response), F.lit(rank))])
    return F.coalesce(ranks[F.col("response")], F.lit(NO_RESPONSE_RANK))


def collapse_listings(raw_df: DataFrame) -> DataFrame:
    """One row per (activity, address, role), keeping the most present response of its listings,
    and `is_present`: false only when every listing of the address in the activity, in any role,
    declined. The order of the listings never matters."""
    listing_df = raw_df.groupBy("activity_key", "activity_type", "address", "role").agg(
        F.min_by("response", _response_rank()).alias("response"),
        F.min(_response_rank()).alias("response_rank"),
    )
    same_address = Window.partitionBy("activity_key", "address")
    return listing_df.withColumn(
        "is_present", F.min("response_rank").over(same_address) < F.lit(RESPONSE_RANK[DECLINED])
    ).drop("response_rank")


def _smallest_id_by_address(df: DataFrame, id_column: str) -> DataFrame:
    return df.groupBy(F.col("email").alias("address")).agg(F.min(id_column).alias(id_column))


def explode_participants(
    emails_df: DataFrame,
    meetings_df: DataFrame,
    calls_df: DataFrame,
    tasks_df: DataFrame,
    users_df: DataFrame,
    contacts_df: DataFrame,
    leads_df: DataFrame,
    accounts_df: DataFrame,
    internal_domains: list[str],
    pseudonym_salt: str,
) -> DataFrame:
    """One row per (activity, address, role), resolved by address to a user, contact and lead, and
    to an account through the contact, else (external addresses only) through an account's email
    domain. Where several records share an address or domain, the smallest id is taken."""
    users = _smallest_id_by_address(users_df, "user_id")
    # An address shared by several contacts names the smallest; if any of them asked not to be
    # tracked, the address is not tracked (privacy first).
    contacts = contacts_df.groupBy(F.col("email").alias("address")).agg(
        F.min_by(F.struct("contact_id", "account_id"), F.col("contact_id")).alias("contact"),
        F.max(F.coalesce(F.col("do_not_track"), F.lit(False))).alias("any_do_not_track"),
    )
    leads = _smallest_id_by_address(leads_df, "lead_id")
    domains = (
        accounts_df.select("account_id", F.explode("email_domains").alias("domain"))
        .groupBy("domain")
        .agg(F.min("account_id").alias("domain_account_id"))
    )
    participants = (
        _raw_participants(emails_df, meetings_df, calls_df, tasks_df)
        .transform(collapse_listings)
        .withColumn("domain", F.substring_index(F.col("address"), "@", -1))
        .join(F.broadcast(users), on="address", how="left")
        .join(contacts, on="address", how="left")
        .join(leads, on="address", how="left")
        .join(F.broadcast(domains), on="domain", how="left")
    )
    is_internal = F.col("user_id").isNotNull() | F.col("domain").isin(*[d.lower() for d in internal_domains])
    is_known = F.col("user_id").isNotNull() | F.col("contact.contact_id").isNotNull() | F.col("lead_id").isNotNull()
    return participants.select(
        "activity_key",
        "activity_type",
        "role",
        "address",
        "response",
        is_internal.alias("is_internal"),
        "is_present",
        "user_id",
        F.col("contact.contact_id").alias("contact_id"),
        "lead_id",
        F.coalesce(F.col("contact.account_id"), F.when(~is_internal, F.col("domain_account_id"))).alias("account_id"),
        F.when(F.col("contact.account_id").isNotNull(), F.lit("contact"))
        .when(~is_internal & F.col("domain_account_id").isNotNull(), F.lit("domain"))
        .alias("account_match"),
        F.coalesce(F.col("any_do_not_track"), F.lit(False)).alias("is_do_not_track"),
        F.when(~is_known, F.sha2(F.concat(F.lit(pseudonym_salt), F.col("address")), 256)).alias("person_key"),
    )

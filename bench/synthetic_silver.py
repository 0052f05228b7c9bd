"""Synthetic silver at scale, straight into the lake: the input of the daily KPI job without ingest.

Ingest and conform are far too slow on a small machine to produce millions of activities for a
benchmark of the gold jobs, so this writes every table `jobs.daily_kpis.SILVER_INPUTS` reads with
the same columns and types the real conform produces (`SILVER_COLUMNS`), built from
`spark.range` and column expressions only: no Python loop over rows, no driver-side collection.
Every value is a pure function of the seed, a draw's name and a row index (`xxhash64`), so the same
arguments give the same tables whatever the partitioning.

Shape (for `activities` = A, over `days` days ending with the day `end`):
- users: one per 2,000 activities (at least 20), `usr-NNNNNN`, in teams of 5; one in 15 opted out of
  analytics, one in 15 inactive. Grain: one row per user_id.
- accounts: one per 1,000 activities, one or two email domains, an owner; activity is skewed across
  accounts (a few busy ones) and each account is steady, gone quiet or new, so health spreads.
  Grain: one row per account_id.
- contacts: one per 100 activities, dealt to accounts round-robin (contact c belongs to account
  c % accounts; the first one is the primary contact); one in 33 (never a primary) is
  `do_not_track`; the last of an account with 4 or more has no activity yet. Grain: one row per
  contact_id.
- opportunities: one per 500 activities (open, won and lost), leads: one per 2,000, each of an
  account, dealt round-robin too. Grain: one row per opportunity_id, lead_id.
- activities: ~40% emails, ~25% meetings, ~20% calls, ~15% tasks; `counts_from`, `planned_at`,
  `status`, `initiated_by` and `is_tracked` follow `transforms.conform_activities` and
  `transforms.record_links` (canceled meetings and calls never count and are not planned, open
  tasks are planned at their due time, some in the future, as are a few scheduled meetings and
  calls). About 5% are internal only (not tracked, no links). Grain: one row per activity_key.
- activity_participants: one internal user and 1-3 contacts of the activity's account, sometimes a
  lead (when the activity is regarding it) and an unknown outsider (pseudonymous key); tasks have
  their owner only. Grain: one row per (activity_key, address, role).
- record_links: each tracked activity links to its account and its (trackable) contacts, and to the
  opportunity or lead it is regarding, ~2.5 links per activity. Grain: one row per (activity_key,
  record_type, record_id).
- email_threads: emails come in threads of 1 to 8 (a fixed pattern of sizes, repeated); each reply's
  `in_reply_to` is the previous email of its thread and its `references` the first and previous
  ones, half the threads carry a `thread_id`, and `thread_key` is the thread's smallest node (its
  first email, as `transforms.threads` finds it). 3% of threads are still going at the end: their
  last emails are sent up to `ingest.future_tolerance_days` after it (as ingest accepts), so a daily
  run for `end` finds threads that changed after its day and works them out as of it. Grain: one
  row per email_id.
- email_events: ~15% of the team's tracked emails are followed, with 0 to 3 events each, none after
  the end of `end`. Grain: one row per event_id.

email_responses and call_turns are not written: the daily job does not read them.

    python -m bench.synthetic_silver --activities 1000000 --end 2026-11-30 --set paths.lake=/tmp/lake
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs.config import Config
from jobs.conform import pseudonym_salt
from jobs.daily_kpis import SILVER_INPUTS
from jobs.lake import SILVER, Lake
from jobs.runtime import build_session, iso_date, job_parser, parse_job_args, run_job, today_utc

log = logging.getLogger("rapport.bench.synthetic_silver")

DESCRIPTION = """\
Write synthetic silver tables (users, accounts, contacts, leads, opportunities, activities,
activity_participants, record_links, email_threads, email_events) straight into the lake, seeded
and Spark-native, so the daily KPI job can be measured at scale without ingest and conform.

examples:
  python -m bench.synthetic_silver --activities 1000000 --end 2026-11-30
  python -m bench.synthetic_silver --activities 20000 --end 2026-11-30 --validate \\
      --set paths.lake=/tmp/synth/lake --set catalog.schema_prefix=synth_
"""

# Columns and types of the silver tables the daily job reads, as conform writes them (compared
# with the `df.schema` of silver conformed from sample data).
SILVER_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "users": (
        ("user_id", "string"),
        ("email", "string"),
        ("full_name", "string"),
        ("team_id", "string"),
        ("manager_id", "string"),
        ("is_active", "boolean"),
        ("analytics_opt_out", "boolean"),
        ("modified_at", "timestamp"),
    ),
    "accounts": (
        ("account_id", "string"),
        ("name", "string"),
        ("industry", "string"),
        ("employee_count", "bigint"),
        ("annual_revenue", "double"),
        ("country", "string"),
        ("email_domains", "array<string>"),
        ("primary_contact_id", "string"),
        ("owner_id", "string"),
        ("created_at", "timestamp"),
        ("modified_at", "timestamp"),
    ),
    "contacts": (
        ("contact_id", "string"),
        ("email", "string"),
        ("account_id", "string"),
        ("full_name", "string"),
        ("job_title", "string"),
        ("do_not_track", "boolean"),
        ("created_at", "timestamp"),
        ("modified_at", "timestamp"),
    ),
    "leads": (
        ("lead_id", "string"),
        ("email", "string"),
        ("full_name", "string"),
        ("company_name", "string"),
        ("owner_id", "string"),
        ("status", "string"),
        ("stakeholder_contact_ids", "array<string>"),
        ("created_at", "timestamp"),
        ("modified_at", "timestamp"),
    ),
    "opportunities": (
        ("opportunity_id", "string"),
        ("account_id", "string"),
        ("owner_id", "string"),
        ("status", "string"),
        ("name", "string"),
        ("contact_id", "string"),
        ("sales_team_user_ids", "array<string>"),
        ("stakeholder_contact_ids", "array<string>"),
        ("stage", "string"),
        ("estimated_revenue", "double"),
        ("actual_revenue", "double"),
        ("product_line", "string"),
        ("lead_source", "string"),
        ("created_at", "timestamp"),
        ("estimated_close_date", "date"),
        ("actual_close_date", "date"),
        ("is_actual_estimated", "boolean"),
        ("modified_at", "timestamp"),
    ),
    "activities": (
        ("activity_key", "string"),
        ("activity_type", "string"),
        ("activity_id", "string"),
        ("activity_at", "timestamp"),
        ("end_at", "timestamp"),
        ("status", "string"),
        ("counts_from", "timestamp"),
        ("planned_at", "timestamp"),
        ("duration_minutes", "double"),
        ("initiator_address", "string"),
        ("subject", "string"),
        ("regarding_type", "string"),
        ("regarding_id", "string"),
        ("followed", "boolean"),
        ("recorded", "boolean"),
        ("thread_id", "string"),
        ("in_reply_to", "string"),
        ("references", "array<string>"),
        ("modified_at", "timestamp"),
        ("source_file", "string"),
        ("source_line", "bigint"),
        ("ingest_run_id", "string"),
        ("initiated_by", "string"),
        ("is_tracked", "boolean"),
    ),
    "activity_participants": (
        ("activity_key", "string"),
        ("activity_type", "string"),
        ("role", "string"),
        ("address", "string"),
        ("response", "string"),
        ("is_internal", "boolean"),
        ("is_present", "boolean"),
        ("user_id", "string"),
        ("contact_id", "string"),
        ("lead_id", "string"),
        ("account_id", "string"),
        ("account_match", "string"),
        ("is_do_not_track", "boolean"),
        ("person_key", "string"),
    ),
    "record_links": (
        ("activity_key", "string"),
        ("activity_type", "string"),
        ("record_type", "string"),
        ("record_id", "string"),
        ("reason", "string"),
        ("is_known_record", "boolean"),
    ),
    "email_threads": (("email_id", "string"), ("thread_key", "string")),
    "email_events": (
        ("event_id", "string"),
        ("email_id", "string"),
        ("event_type", "string"),
        ("occurred_at", "timestamp"),
    ),
}

# --- shape ---------------------------------------------------------------------------------------
EMAIL_SHARE, MEETING_SHARE, CALL_SHARE = 0.40, 0.25, 0.20  # tasks: the rest
ACTIVITIES_PER_USER, MIN_USERS, USERS_PER_TEAM = 2_000, 20, 5
ACTIVITIES_PER_ACCOUNT, MIN_ACCOUNTS = 1_000, 10
ACTIVITIES_PER_CONTACT, MIN_CONTACTS_PER_ACCOUNT = 100, 2
UNTOUCHED_FROM = 4  # accounts with this many contacts have one nobody has contacted yet
ACTIVITIES_PER_OPPORTUNITY = 500
ACTIVITIES_PER_LEAD, MIN_LEADS = 2_000, 5
MIN_ACTIVITIES = 1_000
ROWS_PER_PARTITION = 1_000_000
ACCOUNT_SKEW = 1.5  # account = floor(accounts * u ** ACCOUNT_SKEW): a few busy accounts
CONTACT_SKEW = 2.0  # the primary contact is in the most activities
STEADY_SHARE, QUIET_SHARE = 0.45, 0.30  # account profiles; the rest are new accounts
NEW_ACCOUNT_MIN_DAYS = 20
OPT_OUT_USER, INACTIVE_USER, USER_CYCLE = 4, 9, 15
DO_NOT_TRACK_EVERY = 33
SECOND_DOMAIN_EVERY = 5
INTERNAL_ONLY_SHARE = 0.05
OUTSIDER_SHARE = 0.08
OWNER_SHARE = 0.65  # activities not about a deal or lead: the account owner's, else anyone's
# Cumulative shares of regarding opportunity / lead / account (the rest: no regarding).
REGARDING_SHARES = {"activity": (0.25, 0.32, 0.42), "task": (0.35, 0.45, 0.70)}
# Threads: this pattern of sizes repeats, 16 threads in every 51 emails.
THREAD_SIZES = (1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8)
THREAD_ID_SHARE = 0.5
TEAM_STARTS_THREAD = 0.55
SAME_SIDE_AGAIN = 0.15  # a reply that comes from the same side as the email before it
LATE_THREAD_SHARE = 0.06  # replies more than 30 days apart (never a response)
# Threads still going at the end: their last emails land up to `ingest.future_tolerance_days` after
# it (ingest accepts that much), so the daily job finds threads that changed after its day.
ONGOING_THREAD_SHARE = 0.03
FOLLOWED_SHARE = 0.15
MAX_EVENTS = 3
EVENT_WINDOW_DAYS = 3
MEETING_FUTURE_SHARE, CALL_FUTURE_SHARE, FUTURE_DAYS = 0.06, 0.02, 30
MEETING_MINUTES = (15, 30, 30, 45, 60, 60, 90)
TASK_MINUTES = (15, 30, 30, 60, 90)
OPEN_TASK_DAYS = 45
TEAM_MEETINGS, TEAM_CALLS = 0.78, 0.75
SOURCE_FILE = "synthetic:silver"
UNIFORM_STEPS = 1 << 40
SECONDS_PER_DAY = 86_400

INDUSTRIES = ("software", "manufacturing", "retail", "healthcare", "finance", "transportation", "energy")
COUNTRIES = ("US", "DE", "GB", "FR", "NL", "SE", "JP", "CA")
JOB_TITLES = ("CEO", "CFO", "CTO", "Head of Procurement", "IT Manager", "Operations Lead", "Analyst")
PRODUCTS = ("Core Platform", "Connect Suite", "Insights Add-on", "Support Plus")
LEAD_SOURCES = ("web", "referral", "event", "outbound", "partner")
STAGES = ("qualify", "develop", "propose", "close")
OUTSIDER_DOMAINS = ("gmail.com", "outlook.com", "proton.me", "yahoo.com")

_BLOCK = [(thread, position, size) for thread, size in enumerate(THREAD_SIZES) for position in range(size)]
BLOCK_EMAILS = len(_BLOCK)


@dataclass(frozen=True)
class Shape:
    """How many rows of each kind `activities` activities come with."""

    activities: int
    emails: int
    meetings: int
    calls: int
    tasks: int
    users: int
    accounts: int
    contacts: int
    opportunities: int
    leads: int

    @classmethod
    def of(cls, activities: int) -> Shape:
        if activities < MIN_ACTIVITIES:
            raise ValueError(f"activities: at least {MIN_ACTIVITIES:,}, not {activities:,}")
        emails, meetings, calls = (round(activities * share) for share in (EMAIL_SHARE, MEETING_SHARE, CALL_SHARE))
        accounts = max(MIN_ACCOUNTS, activities // ACTIVITIES_PER_ACCOUNT)
        return cls(
            activities=activities,
            emails=emails,
            meetings=meetings,
            calls=calls,
            tasks=activities - emails - meetings - calls,
            users=max(MIN_USERS, activities // ACTIVITIES_PER_USER),
            accounts=accounts,
            contacts=max(MIN_CONTACTS_PER_ACCOUNT * accounts, activities // ACTIVITIES_PER_CONTACT),
            opportunities=max(accounts, activities // ACTIVITIES_PER_OPPORTUNITY),
            leads=max(MIN_LEADS, activities // ACTIVITIES_PER_LEAD),
        )


class _World:
    """The seeded draws and the records every table agrees on, as column expressions of row indexes."""

    def __init__(
        self, shape: Shape, seed: int, end: date, days: int, internal_domain: str, salt: str, future_days: int
    ):
        self.shape, self.seed, self.days, self.future_days = shape, seed, days, future_days
        self.end = end
        self.end_s = int(datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC).timestamp())
        self.internal_domain, self.salt = internal_domain, salt

    # draws
    def uniform(self, name: str, *keys: Column) -> Column:
        """A draw in [0, 1): a pure function of the seed, the draw's name and the keys."""
        digest = F.xxhash64(F.lit(self.seed), F.lit(name), *keys)
        return F.pmod(digest, F.lit(UNIFORM_STEPS)).cast("double") / float(UNIFORM_STEPS)

    def below(self, name: str, n, *keys: Column) -> Column:
        """A draw in 0 .. n-1 (n an int or a column)."""
        return F.floor(self.uniform(name, *keys) * n).cast("long")

    def pick(self, name: str, values: tuple, *keys: Column) -> Column:
        return F.element_at(
            F.array(*[F.lit(v) for v in values]), (self.below(name, len(values), *keys) + 1).cast("int")
        )

    # times
    def before_end(self, age_days: Column) -> Column:
        """Epoch seconds `age_days` before the end of the last day (at least one second before)."""
        return F.lit(self.end_s - 1) - F.floor(age_days * SECONDS_PER_DAY).cast("long")

    def account_age(self, name: str, account: Column, *keys: Column) -> Column:
        """Days before the end for an activity of `account`: steady accounts over the whole range,
        quiet ones not in their last weeks or months, new ones only recently."""
        profile = self.uniform("account.profile", account)
        quiet = self.uniform("account.quiet", account) * (self.days / 2)
        recent = F.lit(float(min(NEW_ACCOUNT_MIN_DAYS, self.days))) + self.uniform("account.new", account) * max(
            0, self.days - NEW_ACCOUNT_MIN_DAYS
        )
        low = F.when((profile >= STEADY_SHARE) & (profile < STEADY_SHARE + QUIET_SHARE), quiet).otherwise(0.0)
        high = F.when(profile >= STEADY_SHARE + QUIET_SHARE, recent).otherwise(float(self.days))
        return low + self.uniform(name, *keys) * (high - low)

    # records
    def user_id(self, user: Column) -> Column:
        return F.format_string("usr-%06d", user)

    def user_email(self, user: Column) -> Column:
        return F.format_string("user%06d@%s", user, F.lit(self.internal_domain))

    def account_id(self, account: Column) -> Column:
        return F.format_string("acc-%07d", account)

    def account_domain(self, account: Column) -> Column:
        return F.format_string("account%07d.example", account)

    def account_owner(self, account: Column) -> Column:
        return F.pmod(account, F.lit(self.shape.users))

    def contact_id(self, contact: Column) -> Column:
        return F.format_string("con-%08d", contact)

    def contact_account(self, contact: Column) -> Column:
        return F.pmod(contact, F.lit(self.shape.accounts))

    def contact_email(self, contact: Column) -> Column:
        return F.format_string("contact%08d@%s", contact, self.account_domain(self.contact_account(contact)))

    def is_do_not_track(self, contact: Column) -> Column:
        """One contact in 33, never an account's primary contact (the first of each account)."""
        return (F.pmod(contact, F.lit(DO_NOT_TRACK_EVERY)) == DO_NOT_TRACK_EVERY - 1) & (contact >= self.shape.accounts)

    def lead_id(self, lead: Column) -> Column:
        return F.format_string("lead-%07d", lead)

    def lead_email(self, lead: Column) -> Column:
        return F.format_string("lead%07d@prospect%07d.example", lead, lead)

    def lead_owner(self, lead: Column) -> Column:
        return F.pmod(lead * 3 + 1, F.lit(self.shape.users))

    def opportunity_id(self, opportunity: Column) -> Column:
        return F.format_string("opp-%08d", opportunity)

    def opportunity_owner(self, opportunity: Column) -> Column:
        """The account owner for an account's first deal, the next users for its later ones."""
        account = F.pmod(opportunity, F.lit(self.shape.accounts))
        return F.pmod(self.account_owner(account) + F.floor(opportunity / self.shape.accounts), F.lit(self.shape.users))

    def member(self, account: Column, pick: Column, items: int) -> Column:
        """Item `floor(pick * n)` of the n items of `account` (0 <= pick < 1), items being dealt to
        accounts round-robin (item i to account i % accounts); null when the account has none."""
        accounts = self.shape.accounts
        count = F.floor((F.lit(items - 1) - account) / accounts).cast("long") + 1
        return F.when(count > 0, account + F.floor(pick * count).cast("long") * accounts)

    def contacts_of(self, account: Column) -> Column:
        return F.floor((F.lit(self.shape.contacts - 1) - account) / self.shape.accounts).cast("long") + 1

    def person_key(self, address: Column) -> Column:
        return F.sha2(F.concat(F.lit(self.salt), address), 256)


# --- CRM -------------------------------------------------------------------------------------------


def _rows(spark: SparkSession, n: int) -> DataFrame:
    return spark.range(0, n, 1, max(2, -(-n // ROWS_PER_PARTITION)))


def _at(w: _World, name: str, low_days: float, high_days: float, *keys: Column) -> Column:
    """A timestamp between `high_days` and `low_days` before the end."""
    return F.timestamp_seconds(w.before_end(F.lit(low_days) + w.uniform(name, *keys) * (high_days - low_days)))


def users_frame(spark: SparkSession, w: _World) -> DataFrame:
    i = F.col("id")
    cycle = F.pmod(i, F.lit(USER_CYCLE))
    team_first = i - F.pmod(i, F.lit(USERS_PER_TEAM))
    return _rows(spark, w.shape.users).select(
        w.user_id(i).alias("user_id"),
        w.user_email(i).alias("email"),
        F.format_string("User %d", i).alias("full_name"),
        F.format_string("team-%03d", F.floor(i / USERS_PER_TEAM)).alias("team_id"),
        F.when(i != team_first, w.user_id(team_first)).alias("manager_id"),
        (cycle != INACTIVE_USER).alias("is_active"),
        (cycle == OPT_OUT_USER).alias("analytics_opt_out"),
        _at(w, "user.modified", 0, 300, i).alias("modified_at"),
    )


def accounts_frame(spark: SparkSession, w: _World) -> DataFrame:
    a = F.col("id")
    domains = F.when(
        F.pmod(a, F.lit(SECOND_DOMAIN_EVERY)) == 0,
        F.array(w.account_domain(a), F.format_string("account%07d-group.example", a)),
    ).otherwise(F.array(w.account_domain(a)))
    return _rows(spark, w.shape.accounts).select(
        w.account_id(a).alias("account_id"),
        F.format_string("Account %d", a).alias("name"),
        w.pick("account.industry", INDUSTRIES, a).alias("industry"),
        (F.lit(10) + w.below("account.employees", 20_000, a)).alias("employee_count"),
        F.round(F.lit(1e6) + w.uniform("account.revenue", a) * 5e8, 0).alias("annual_revenue"),
        w.pick("account.country", COUNTRIES, a).alias("country"),
        domains.alias("email_domains"),
        w.contact_id(a).alias("primary_contact_id"),
        w.user_id(w.account_owner(a)).alias("owner_id"),
        _at(w, "account.created", w.days, w.days + 1_000, a).alias("created_at"),
        _at(w, "account.modified", 0, w.days, a).alias("modified_at"),
    )


def contacts_frame(spark: SparkSession, w: _World) -> DataFrame:
    c = F.col("id")
    return _rows(spark, w.shape.contacts).select(
        w.contact_id(c).alias("contact_id"),
        w.contact_email(c).alias("email"),
        w.account_id(w.contact_account(c)).alias("account_id"),
        F.format_string("Contact %d", c).alias("full_name"),
        w.pick("contact.title", JOB_TITLES, c).alias("job_title"),
        w.is_do_not_track(c).alias("do_not_track"),
        _at(w, "contact.created", w.days, w.days + 700, c).alias("created_at"),
        _at(w, "contact.modified", 0, w.days, c).alias("modified_at"),
    )


def leads_frame(spark: SparkSession, w: _World) -> DataFrame:
    lead = F.col("id")
    status = w.uniform("lead.status", lead)
    return _rows(spark, w.shape.leads).select(
        w.lead_id(lead).alias("lead_id"),
        w.lead_email(lead).alias("email"),
        F.format_string("Lead %d", lead).alias("full_name"),
        F.format_string("Prospect %d", lead).alias("company_name"),
        w.user_id(w.lead_owner(lead)).alias("owner_id"),
        F.when(status < 0.5, "open").when(status < 0.8, "qualified").otherwise("disqualified").alias("status"),
        # the primary contact of the lead's account (lead l is of account l % accounts)
        F.array(w.contact_id(F.pmod(lead, F.lit(w.shape.accounts)))).alias("stakeholder_contact_ids"),
        _at(w, "lead.created", w.days / 2, w.days, lead).alias("created_at"),
        _at(w, "lead.modified", 0, w.days / 2, lead).alias("modified_at"),
    )


def opportunities_frame(spark: SparkSession, w: _World) -> DataFrame:
    o = F.col("id")
    account = F.pmod(o, F.lit(w.shape.accounts))
    owner = w.opportunity_owner(o)
    draw = w.uniform("opportunity.status", o)
    status = F.when(draw < 0.35, "open").when(draw < 0.70, "won").otherwise("lost")
    contacts = w.contacts_of(account)
    estimated = F.round(F.lit(5_000.0) + F.pow(w.uniform("opportunity.revenue", o), 2) * 400_000.0, 0)
    # open deals mostly close ahead (a few are overdue); closed ones closed in the range
    ahead = F.lit(-20) + w.below("opportunity.ahead", 170, o)
    behind = F.lit(0) - w.below("opportunity.behind", max(1, w.days), o)
    estimated_close = F.date_add(F.lit(w.end), F.when(status == "open", ahead).otherwise(behind).cast("int"))
    actual_close = F.when(
        status != "open",
        F.date_add(estimated_close, (w.below("opportunity.slip", 31, o) - 15).cast("int")),
    )
    return _rows(spark, w.shape.opportunities).select(
        w.opportunity_id(o).alias("opportunity_id"),
        w.account_id(account).alias("account_id"),
        w.user_id(owner).alias("owner_id"),
        status.alias("status"),
        F.format_string("Account %d - %s", account, w.pick("opportunity.product", PRODUCTS, o)).alias("name"),
        w.contact_id(account + w.below("opportunity.contact", contacts, o) * w.shape.accounts).alias("contact_id"),
        F.array_distinct(
            F.array(
                w.user_id(F.pmod(owner + 1, F.lit(w.shape.users))), w.user_id(F.pmod(owner + 2, F.lit(w.shape.users)))
            )
        ).alias("sales_team_user_ids"),
        F.array(w.contact_id(account + w.below("opportunity.stakeholder", contacts, o) * w.shape.accounts)).alias(
            "stakeholder_contact_ids"
        ),
        F.when(status == "won", F.lit("close")).otherwise(w.pick("opportunity.stage", STAGES, o)).alias("stage"),
        estimated.alias("estimated_revenue"),
        F.when(status == "won", F.round(estimated * (0.8 + 0.4 * w.uniform("opportunity.actual", o)), 2)).alias(
            "actual_revenue"
        ),
        w.pick("opportunity.product", PRODUCTS, o).alias("product_line"),
        w.pick("opportunity.source", LEAD_SOURCES, o).alias("lead_source"),
        _at(w, "opportunity.created", w.days / 2, w.days * 1.5, o).alias("created_at"),
        estimated_close.alias("estimated_close_date"),
        actual_close.alias("actual_close_date"),
        F.lit(False).alias("is_actual_estimated"),
        _at(w, "opportunity.modified", 0, w.days / 2, o).alias("modified_at"),
    )


# --- activities ------------------------------------------------------------------------------------


def _with_plan(df: DataFrame, w: _World, kind: str, unit: Column, regarding: str = "activity") -> DataFrame:
    """Who and what one unit (an activity, or an email thread) is about: its account, internal user,
    1-3 contacts, regarding record, lead and outsider participants, and whether it is internal only."""
    s = w.shape

    def draw(name: str) -> Column:
        return w.uniform(f"{kind}.{name}", unit)

    account = F.floor(F.lit(s.accounts) * F.pow(draw("account"), ACCOUNT_SKEW)).cast("long")
    # the last contact of an account with several is not contacted yet (no activities)
    all_contacts = w.contacts_of(F.col("account"))
    contacts = F.when(all_contacts >= UNTOUCHED_FROM, all_contacts - 1).otherwise(all_contacts)
    first = F.floor(F.col("contacts") * F.pow(draw("contact"), CONTACT_SKEW)).cast("long")
    k_draw = draw("k")
    wanted = F.when(k_draw < 0.55, 1).when(k_draw < 0.85, 2).otherwise(3)

    def contact(slot: int) -> Column:
        j = F.pmod(F.col("first_contact") + slot, F.col("contacts"))
        return F.when(F.col("k") > slot, F.col("account") + j * s.accounts)

    opportunity_share, lead_share, account_share = REGARDING_SHARES[regarding]
    regarding_draw = draw("regarding")
    lead = w.member(F.col("account"), draw("lead"), s.leads)
    regarding_type = (
        F.when(F.col("internal_only"), F.lit(None).cast("string"))
        .when(regarding_draw < opportunity_share, "opportunity")
        .when((regarding_draw < lead_share) & lead.isNotNull(), "lead")
        .when(regarding_draw < account_share, "account")
    )
    opportunity = w.member(F.col("account"), draw("opportunity"), s.opportunities)
    user = (
        F.when(F.col("regarding_type") == "opportunity", w.opportunity_owner(F.col("opportunity")))
        .when(F.col("regarding_type") == "lead", w.lead_owner(F.col("lead")))
        .when(draw("owner") < OWNER_SHARE, w.account_owner(F.col("account")))
        .otherwise(w.below(f"{kind}.user", s.users, unit))
    )
    outsider = F.format_string(
        "guest%d@%s",
        w.below(f"{kind}.outsider", s.contacts * 5, unit),
        w.pick(f"{kind}.outsider_domain", OUTSIDER_DOMAINS, unit),
    )
    is_internal_only = F.lit(False) if kind == "task" else draw("internal") < INTERNAL_ONLY_SHARE
    return (
        df.withColumn("account", account)
        .withColumn("internal_only", is_internal_only)
        .withColumn("contacts", contacts)
        .withColumn("first_contact", first)
        .withColumn("k", F.lit(0) if kind == "task" else F.least(wanted, F.col("contacts")))
        .withColumn("c0", contact(0))
        .withColumn("c1", contact(1))
        .withColumn("c2", contact(2))
        .withColumn("lead", lead)
        .withColumn("opportunity", opportunity)
        .withColumn("regarding_type", regarding_type)
        .withColumn(
            "regarding_id",
            F.when(F.col("regarding_type") == "opportunity", w.opportunity_id(F.col("opportunity")))
            .when(F.col("regarding_type") == "lead", w.lead_id(F.col("lead")))
            .when(F.col("regarding_type") == "account", w.account_id(F.col("account"))),
        )
        .withColumn("user", user)
        .withColumn("user2", F.pmod(F.col("user") + 1 + w.below(f"{kind}.user2", s.users - 1, unit), F.lit(s.users)))
        .withColumn("lead_person", F.when((F.col("regarding_type") == "lead") & ~F.col("internal_only"), F.col("lead")))
        .withColumn(
            "outsider",
            F.when(F.lit(kind != "task") & ~F.col("internal_only") & (draw("has_outsider") < OUTSIDER_SHARE), outsider),
        )
    )


def _with_tracking(df: DataFrame, w: _World, kind: str) -> DataFrame:
    """`is_tracked` as `transforms.record_links.with_tracked_flag` decides it, from the plan."""
    trackable = [F.col(f"c{slot}").isNotNull() & ~w.is_do_not_track(F.col(f"c{slot}")) for slot in range(3)]
    any_contact = trackable[0] | trackable[1] | trackable[2]
    outside = any_contact | F.col("lead_person").isNotNull() | F.col("outsider").isNotNull()
    return df.withColumn("has_contact", F.coalesce(any_contact, F.lit(False))).withColumn(
        "is_tracked", F.lit(True) if kind == "task" else F.coalesce(~F.col("internal_only") & outside, F.lit(False))
    )


def _finish(df: DataFrame, w: _World, kind: str) -> DataFrame:
    """The columns every activity type derives alike: its key, initiator and side, where it came from."""
    sender = F.element_at(F.array("c0", "c1", "c2"), (F.col("sender_slot") + 1).cast("int"))
    initiator = F.when(F.col("team"), w.user_email(F.col("user"))).otherwise(w.contact_email(sender))
    return (
        df.withColumn("activity_key", F.concat(F.lit(f"{kind}:"), F.col("activity_id")))
        .withColumn("activity_type", F.lit(kind))
        .withColumn("initiator_address", initiator)
        .withColumn("initiated_by", F.when(F.col("team"), "team").otherwise("customer"))
        .withColumn("source_file", F.lit(f"{SOURCE_FILE}/{kind}s"))
        .withColumn("source_line", F.col("id"))
        .withColumn("ingest_run_id", F.lit(f"synthetic-seed-{w.seed}"))
    )


def _modified(w: _World, done_s: Column, name: str, key: Column) -> Column:
    """Shortly after `done_s`, never after the end of the last day."""
    return F.timestamp_seconds(
        F.least(
            done_s + w.below(name, 7_200, key), F.lit(w.end_s - 1) - w.below(f"{name}.late", 3 * SECONDS_PER_DAY, key)
        )
    )


def _email_id(w: _World, index: Column, team: Column, account: Column) -> Column:
    """A Message-ID whose 10-digit prefix orders emails like their indexes: a thread's first email is
    its smallest node, hence its thread_key."""
    domain = F.when(team, F.lit(w.internal_domain)).otherwise(w.account_domain(account))
    digest = F.pmod(F.xxhash64(F.lit(w.seed), F.lit("email.id"), index), F.lit(1 << 32))
    return F.format_string("%010d.%08x@%s", index, digest, domain)


def email_rows(spark: SparkSession, w: _World) -> DataFrame:
    """One row per email: its thread's plan (thread t holds consecutive indexes, laid out by the
    repeating THREAD_SIZES pattern), its side, times and links to the previous emails."""
    i = F.col("id")
    offset = (F.pmod(i, F.lit(BLOCK_EMAILS)) + 1).cast("int")

    def lookup(values: list[int]) -> Column:
        return F.element_at(F.array(*[F.lit(v) for v in values]), offset)

    thread = F.floor(i / BLOCK_EMAILS).cast("long") * len(THREAD_SIZES) + lookup([t for t, _, _ in _BLOCK])
    df = (
        _rows(spark, w.shape.emails)
        .withColumn("thread", thread)
        .withColumn("position", lookup([p for _, p, _ in _BLOCK]))
        .withColumn("size", lookup([n for _, _, n in _BLOCK]))
    )
    df = _with_plan(df, w, "email", F.col("thread"))
    t, p = F.col("thread"), F.col("position")

    def team_at(position: Column) -> Column:
        """Replies alternate sides, but some come from the same side again (a run)."""
        again = (position > 0) & (w.uniform("email.again", t, position) < SAME_SIDE_AGAIN)
        starter = w.uniform("email.starter", t) < TEAM_STARTS_THREAD
        return F.col("internal_only") | (starter != ((F.pmod(position, F.lit(2)) == 1) != again))

    def email_id_at(position: Column) -> Column:
        return _email_id(w, i - p + position, team_at(position), F.col("account"))

    late = w.uniform("email.late", t) < LATE_THREAD_SHARE
    gap_hours = F.when(late, 24.0 * (31.0 + 15.0 * w.uniform("email.late_gap", t))).otherwise(
        0.5 + 96.0 * F.pow(w.uniform("email.gap", t), 3)
    )
    # The thread's last email is an account-shaped age back, early enough for the whole thread to
    # fit in the range; each earlier email at least half a gap before the next.
    later = F.col("size") - 1 - p
    jitter = F.when(later > 0, w.uniform("email.jitter", t, p)).otherwise(0.0)
    span_days = gap_hours * (F.col("size") - 1) / 24.0
    fitting = F.greatest(F.lit(0.0), F.lit(float(w.days)) - span_days)
    ongoing = (F.col("size") > 1) & (w.uniform("email.ongoing", t) < ONGOING_THREAD_SHARE)
    last_s = F.when(
        ongoing, F.lit(w.end_s) + w.below("email.ahead", max(1, w.future_days * SECONDS_PER_DAY), t)
    ).otherwise(w.before_end(F.least(w.account_age("email.age", F.col("account"), t), fitting)))
    sent_s = last_s - F.floor(gap_hours * 3600 * (later - 0.5 * jitter)).cast("long")
    subject = F.format_string("Synthetic thread %d", t)
    previous = email_id_at(p - 1)
    sent_at = F.timestamp_seconds(F.col("sent_s"))
    df = (
        df.withColumn("team", team_at(p))
        .withColumn("sender_slot", F.pmod(p, F.greatest(F.col("k"), F.lit(1))))
        .withColumn("activity_id", email_id_at(p))
        .withColumn("thread_key", email_id_at(F.lit(0)))
        .withColumn("sent_s", sent_s)
        .withColumn("activity_at", sent_at)
        .withColumn("end_at", sent_at)
        .withColumn("status", F.lit("completed"))
        .withColumn("counts_from", sent_at)
        .withColumn("subject", F.when(p > 0, F.concat(F.lit("Re: "), subject)).otherwise(subject))
        .withColumn(
            "followed",
            F.col("team")
            & ~F.col("internal_only")
            & (F.col("sent_s") < w.end_s)
            & (w.uniform("email.followed", i) < FOLLOWED_SHARE),
        )
        .withColumn(
            "thread_id",
            F.when(
                w.uniform("email.thread_id", t) < THREAD_ID_SHARE,
                F.format_string("AAQk%016x", F.xxhash64(F.lit(w.seed), F.lit("email.thread"), t)),
            ),
        )
        .withColumn("in_reply_to", F.when(p > 0, previous))
        .withColumn("references", F.when(p > 0, F.array_distinct(F.array(F.col("thread_key"), previous))))
        .withColumn("modified_at", F.timestamp_seconds(F.col("sent_s") + w.below("email.modified", 3_600, i)))
    )
    return _finish(_with_tracking(df, w, "email"), w, "email")


def meeting_rows(spark: SparkSession, w: _World) -> DataFrame:
    """One row per meeting: mostly completed, some canceled (never counted nor planned), some still
    scheduled, a few of them in the 30 days after the end."""
    i = F.col("id")
    is_future = w.uniform("meeting.future", i) < MEETING_FUTURE_SHARE
    future_s = F.lit(w.end_s) + w.below("meeting.ahead", FUTURE_DAYS * SECONDS_PER_DAY, i)
    status_draw = w.uniform("meeting.status", i)
    start, end = F.timestamp_seconds(F.col("start_s")), F.timestamp_seconds(F.col("end_s"))
    is_canceled = F.col("status") == "canceled"
    df = (
        _with_plan(_rows(spark, w.shape.meetings), w, "meeting", i)
        .withColumn("team", F.col("internal_only") | (w.uniform("meeting.team", i) < TEAM_MEETINGS))
        .withColumn("sender_slot", F.lit(0))
        .withColumn("activity_id", F.format_string("mtg-%010d", i))
        .withColumn(
            "start_s",
            F.when(is_future, future_s).otherwise(w.before_end(w.account_age("meeting.age", F.col("account"), i))),
        )
        .withColumn("minutes", w.pick("meeting.minutes", MEETING_MINUTES, i))
        .withColumn("end_s", F.col("start_s") + F.col("minutes") * 60)
        .withColumn(
            "status",
            F.when(is_future, "scheduled")
            .when(status_draw < 0.08, "canceled")
            .when(status_draw < 0.14, "scheduled")
            .otherwise("completed"),
        )
        .withColumn("activity_at", start)
        .withColumn("end_at", end)
        .withColumn("counts_from", F.when(~is_canceled, end))
        .withColumn("planned_at", F.when(~is_canceled, start))
        .withColumn("duration_minutes", F.col("minutes").cast("double"))
        .withColumn("subject", F.format_string("Meeting %d", i))
        .withColumn("modified_at", _modified(w, F.col("end_s"), "meeting.modified", i))
    )
    return _finish(_with_tracking(df, w, "meeting"), w, "meeting")


def call_rows(spark: SparkSession, w: _World) -> DataFrame:
    """One row per call: completed (counted from its start), canceled (0 seconds), or scheduled in
    the 30 days after the end (no duration yet)."""
    i = F.col("id")
    is_future = w.uniform("call.future", i) < CALL_FUTURE_SHARE
    future_s = F.lit(w.end_s) + w.below("call.ahead", FUTURE_DAYS * SECONDS_PER_DAY, i)
    started = F.timestamp_seconds(F.col("start_s"))
    status = F.col("status")
    seconds = F.lit(60) + F.floor(F.pow(w.uniform("call.seconds", i), 2) * 3_000).cast("long")
    df = (
        _with_plan(_rows(spark, w.shape.calls), w, "call", i)
        .withColumn("team", F.col("internal_only") | (w.uniform("call.team", i) < TEAM_CALLS))
        .withColumn("sender_slot", F.lit(0))
        .withColumn("activity_id", F.format_string("call-%010d", i))
        .withColumn(
            "start_s",
            F.when(is_future, future_s).otherwise(w.before_end(w.account_age("call.age", F.col("account"), i))),
        )
        .withColumn(
            "status",
            F.when(is_future, "scheduled").when(w.uniform("call.status", i) < 0.08, "canceled").otherwise("completed"),
        )
        .withColumn("seconds", F.when(status == "completed", seconds).when(status == "canceled", F.lit(0)))
        .withColumn("activity_at", started)
        .withColumn("end_at", F.timestamp_seconds(F.col("start_s") + F.coalesce(F.col("seconds"), F.lit(0))))
        .withColumn("counts_from", F.when(status == "completed", started))
        .withColumn("planned_at", F.when(status != "canceled", started))
        .withColumn("duration_minutes", F.col("seconds") / 60.0)
        .withColumn("recorded", w.uniform("call.recorded", i) < 0.3)
        .withColumn("modified_at", _modified(w, F.col("start_s"), "call.modified", i))
    )
    return _finish(_with_tracking(df, w, "call"), w, "call")


def task_rows(spark: SparkSession, w: _World) -> DataFrame:
    """One row per task, the team's, done at its completion (or last change): completed, canceled,
    or open and planned at its due time, 1-30 days after it was last changed (often ahead)."""
    i = F.col("id")
    status_draw = w.uniform("task.status", i)
    is_open = F.col("status") == "open"
    age = F.when(is_open, w.uniform("task.open_age", i) * min(OPEN_TASK_DAYS, w.days)).otherwise(
        w.account_age("task.age", F.col("account"), i)
    )
    done = F.timestamp_seconds(F.col("done_s"))
    due_s = F.col("done_s") + SECONDS_PER_DAY + w.below("task.due", 29 * SECONDS_PER_DAY, i)
    df = (
        _with_plan(_rows(spark, w.shape.tasks), w, "task", i, regarding="task")
        .withColumn("team", F.lit(True))
        .withColumn("sender_slot", F.lit(0))
        .withColumn("activity_id", F.format_string("task-%010d", i))
        .withColumn(
            "status", F.when(status_draw < 0.7, "completed").when(status_draw < 0.9, "open").otherwise("canceled")
        )
        .withColumn("done_s", w.before_end(age))
        .withColumn("activity_at", done)
        .withColumn("end_at", done)
        .withColumn("counts_from", F.when(F.col("status") == "completed", done))
        .withColumn("planned_at", F.when(is_open, F.timestamp_seconds(due_s)))
        .withColumn("duration_minutes", w.pick("task.minutes", TASK_MINUTES, i).cast("double"))
        .withColumn("modified_at", done)
    )
    return _finish(_with_tracking(df, w, "task"), w, "task")


# --- participants, links, threads, events ---------------------------------------------------------

ROLES = {  # (initiator, first other, others) per activity type
    "email": ("from", "to", "cc"),
    "meeting": ("organizer", "attendee", "attendee"),
    "call": ("caller", "callee", "callee"),
    "task": ("owner", "owner", "owner"),
}


def _text(column: Column | None) -> Column:
    return F.lit(None).cast("string") if column is None else column


def _person(
    keep: Column,
    role: Column,
    address: Column,
    response: Column | None,
    *,
    internal: bool,
    user: Column | None = None,
    contact: Column | None = None,
    lead: Column | None = None,
    account: Column | None = None,
    dnt: Column | None = None,
    key: Column | None = None,
) -> Column:
    return F.struct(
        keep.alias("keep"),
        role.alias("role"),
        address.alias("address"),
        _text(response).alias("response"),
        F.lit(internal).alias("is_internal"),
        _text(user).alias("user_id"),
        _text(contact).alias("contact_id"),
        _text(lead).alias("lead_id"),
        _text(account).alias("account_id"),
        _text(None if account is None else F.lit("contact")).alias("account_match"),
        (F.lit(False) if dnt is None else dnt).alias("is_do_not_track"),
        _text(key).alias("person_key"),
    )


def participants_frame(rows_df: DataFrame, w: _World, kind: str) -> DataFrame:
    """Activity rows of one type -> one row per (activity, address, role), resolved as
    `transforms.conform_activities.explode_participants` resolves them."""
    initiator, first_other, others = (F.lit(role) for role in ROLES[kind])
    team, outside = F.col("team"), ~F.col("internal_only")
    key = F.col("activity_key")

    def response(name: str, role: Column) -> Column | None:
        """Attendees answer; everyone else has no response."""
        if kind != "meeting":
            return None
        draw = w.uniform(f"participant.{name}", key)
        answer = (
            F.when(draw < 0.6, "accepted")
            .when(draw < 0.75, "tentative")
            .when(draw < 0.85, "declined")
            .otherwise("none")
        )
        return F.when(role == "attendee", answer)

    user_role = F.when(team, initiator).otherwise(first_other)
    user = F.col("user")
    people = [
        _person(
            F.lit(True), user_role, w.user_email(user), response("user", user_role), internal=True, user=w.user_id(user)
        )
    ]
    if kind != "task":
        user2 = F.col("user2")
        people.append(
            _person(
                F.col("internal_only"),
                first_other,
                w.user_email(user2),
                response("user2", first_other),
                internal=True,
                user=w.user_id(user2),
            )
        )
        for slot in range(3):
            contact = F.col(f"c{slot}")
            role = (
                F.when(~team & (F.col("sender_slot") == slot), initiator)
                .when(team & F.lit(slot == 0), first_other)
                .otherwise(others)
            )
            people.append(
                _person(
                    outside & contact.isNotNull(),
                    role,
                    w.contact_email(contact),
                    response(f"contact{slot}", role),
                    internal=False,
                    contact=w.contact_id(contact),
                    account=w.account_id(w.contact_account(contact)),
                    dnt=w.is_do_not_track(contact),
                )
            )
        lead = F.col("lead_person")
        people.append(
            _person(
                lead.isNotNull(),
                others,
                w.lead_email(lead),
                response("lead", others),
                internal=False,
                lead=w.lead_id(lead),
            )
        )
        outsider = F.col("outsider")
        people.append(
            _person(
                outsider.isNotNull(),
                others,
                outsider,
                response("outsider", others),
                internal=False,
                key=w.person_key(outsider),
            )
        )
    return rows_df.select(
        "activity_key", "activity_type", F.inline(F.filter(F.array(*people), lambda p: p["keep"]))
    ).withColumn("is_present", F.coalesce(F.col("response"), F.lit("none")) != "declined")


def _link(keep: Column, record_type: Column, record_id: Column, reason: Column) -> Column:
    return F.struct(
        keep.alias("keep"), record_type.alias("record_type"), record_id.alias("record_id"), reason.alias("reason")
    )


def links_frame(rows_df: DataFrame, w: _World) -> DataFrame:
    """Tracked activities -> their account (by regarding, else through a trackable contact), their
    trackable contacts, and the opportunity or lead they are regarding: the strongest reason each."""
    tracked, regarding = F.col("is_tracked"), F.col("regarding_type")
    links = [
        _link(
            tracked & F.col(f"c{slot}").isNotNull() & ~w.is_do_not_track(F.col(f"c{slot}")),
            F.lit("contact"),
            w.contact_id(F.col(f"c{slot}")),
            F.lit("participant"),
        )
        for slot in range(3)
    ]
    is_about_account = F.coalesce(regarding == "account", F.lit(False))
    links.append(
        _link(
            tracked & (is_about_account | F.col("has_contact")),
            F.lit("account"),
            w.account_id(F.col("account")),
            F.when(is_about_account, "regarding").otherwise("participant"),
        )
    )
    links.append(
        _link(
            tracked & F.coalesce(regarding.isin("opportunity", "lead"), F.lit(False)),
            regarding,
            F.col("regarding_id"),
            F.lit("regarding"),
        )
    )
    return rows_df.select(
        "activity_key", "activity_type", F.inline(F.filter(F.array(*links), lambda link: link["keep"]))
    ).withColumn("is_known_record", F.lit(True))


def events_frame(email_df: DataFrame, w: _World) -> DataFrame:
    """Followed emails -> 0 to 3 events each (the first an open), within 3 days of sending and
    never after the end of the last day."""
    i = F.col("id")
    count = w.below("event.count", MAX_EVENTS + 1, i)
    slot = F.col("slot")
    draw = w.uniform("event.type", i, slot)
    kind = (
        F.when(slot == 0, "opened")
        .when(draw < 0.35, "opened")
        .when(draw < 0.55, "link_clicked")
        .when(draw < 0.7, "attachment_viewed")
        .otherwise("replied")
    )
    span = F.least(F.lit(EVENT_WINDOW_DAYS * SECONDS_PER_DAY), F.lit(w.end_s - 1) - F.col("sent_s"))
    occurred_s = F.col("sent_s") + F.floor(span * (slot + w.uniform("event.at", i, slot)) / MAX_EVENTS).cast("long")
    return (
        email_df.filter("followed")
        .select(
            "id",
            "sent_s",
            F.col("activity_id").alias("email_id"),
            F.explode(F.filter(F.array(*[F.lit(n) for n in range(MAX_EVENTS)]), lambda n: n < count)).alias("slot"),
        )
        .select(
            F.format_string("evt-%011d", i * MAX_EVENTS + slot).alias("event_id"),
            "email_id",
            kind.alias("event_type"),
            F.timestamp_seconds(occurred_s).alias("occurred_at"),
        )
    )


def _typed(df: DataFrame, table: str) -> DataFrame:
    """The table's columns in conform's order and types; a column the frame lacks is null (like a
    type-specific column of another activity type)."""
    present = set(df.columns)
    return df.select(
        *[
            (F.col(name) if name in present else F.lit(None)).cast(kind).alias(name)
            for name, kind in SILVER_COLUMNS[table]
        ]
    )


def synthetic_frames(
    spark: SparkSession, config: Config, activities: int, days: int, end: date, seed: int
) -> dict[str, DataFrame]:
    """Every silver table the daily job reads, as frames (no action, no write)."""
    internal_domains = config.org.internal_domains or ["rapport.example"]
    w = _World(
        Shape.of(activities),
        seed,
        end,
        days,
        internal_domains[0],
        pseudonym_salt(config),
        config.ingest.future_tolerance_days,
    )
    rows = {
        "email": email_rows(spark, w),
        "meeting": meeting_rows(spark, w),
        "call": call_rows(spark, w),
        "task": task_rows(spark, w),
    }

    def union(frames: list[DataFrame], table: str) -> DataFrame:
        typed = [_typed(df, table) for df in frames]
        result = typed[0]
        for df in typed[1:]:
            result = result.unionByName(df)
        return result

    return {
        "users": _typed(users_frame(spark, w), "users"),
        "accounts": _typed(accounts_frame(spark, w), "accounts"),
        "contacts": _typed(contacts_frame(spark, w), "contacts"),
        "leads": _typed(leads_frame(spark, w), "leads"),
        "opportunities": _typed(opportunities_frame(spark, w), "opportunities"),
        "activities": union(list(rows.values()), "activities"),
        "activity_participants": union(
            [participants_frame(df, w, kind) for kind, df in rows.items()], "activity_participants"
        ),
        "record_links": union([links_frame(df, w) for df in rows.values()], "record_links"),
        "email_threads": _typed(
            rows["email"].select(F.col("activity_id").alias("email_id"), "thread_key"), "email_threads"
        ),
        "email_events": _typed(events_frame(rows["email"], w), "email_events"),
    }


def write_synthetic_silver(
    spark: SparkSession,
    config: Config,
    activities: int,
    days: int = 365,
    end: date | None = None,
    seed: int = 7,
    validate_tables: bool = False,
) -> dict[str, int]:
    """Overwrite every silver table of `jobs.daily_kpis.SILVER_INPUTS` with synthetic rows for about
    `activities` activities over `days` days ending with `end` (default: today, UTC); with
    `validate_tables`, check each with its silver Great Expectations suite first. Returns the rows
    written per table."""
    lake = Lake(spark, config)
    frames = synthetic_frames(spark, config, activities, days, end or today_utc(), seed)
    written: dict[str, int] = {}
    for table in SILVER_INPUTS:
        started = time.monotonic()
        df = frames[table]
        if validate_tables:
            from expectations.runner import validate
            from expectations.silver import silver_suite

            df = df.localCheckpoint()
            validate(df, silver_suite(table), lake.name(SILVER, table))
        written[table] = lake.overwrite(df, SILVER, table)
        log.info("%s: %d rows written (%.1f s)", lake.name(SILVER, table), written[table], time.monotonic() - started)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = job_parser("synthetic_silver", DESCRIPTION, as_of=False)
    parser.prog = "python -m bench.synthetic_silver"
    parser.add_argument("--activities", type=int, required=True, help="about this many activities")
    parser.add_argument(
        "--end", metavar="YYYY-MM-DD", type=iso_date, default=None, help="the last day (default: today)"
    )
    parser.add_argument("--days", type=int, default=365, help="days of activity up to --end (default 365)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--validate", action="store_true", help="run the silver Great Expectations suites first")
    args, config = parse_job_args(parser, argv)
    if args.activities < MIN_ACTIVITIES:
        parser.error(f"--activities: at least {MIN_ACTIVITIES:,}")
    if args.days < 1:
        parser.error("--days: at least 1")

    def body() -> int:
        spark = build_session(config, "rapport-synthetic-silver")
        started = time.monotonic()
        rows = write_synthetic_silver(
            spark, config, args.activities, args.days, args.end or today_utc(), args.seed, args.validate
        )
        seconds = time.monotonic() - started
        log.info("synthetic silver: %d activities in %.1f s", rows["activities"], seconds)
        print(json.dumps({"activities": args.activities, "generate_s": round(seconds, 1), "rows": rows}))
        return 0

    return run_job(body, "synthetic_silver")


if __name__ == "__main__":
    raise SystemExit(main())

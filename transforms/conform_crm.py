"""Bronze CRM snapshots -> silver CRM tables: the latest version of each record, cleaned.

Grain: one row per user_id, account_id, contact_id, lead_id, opportunity_id. Addresses and
domains are trimmed and lowercased (the contract matches them case-insensitively). Fields outside
the contract named by the configuration (`crm.extra_fields`, `schemas.extra_fields`) follow the
contract's columns, read from the record as landed (`raw_record`) as text.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms.versions import filter_latest_version


def normalized_address(column: str) -> Column:
    return F.lower(F.trim(F.col(column)))


def normalized_domains(column: str) -> Column:
    """Lowercase domains without a leading `@`, without empties or duplicates."""
    cleaned = F.transform(F.col(column), lambda d: F.regexp_replace(F.lower(F.trim(d)), r"^@", ""))
    return F.array_distinct(F.filter(cleaned, lambda d: d != ""))


def distinct_ids(column: str) -> Column:
    return F.array_distinct(F.filter(F.col(column), lambda i: i.isNotNull() & (F.trim(i) != "")))


def extra_columns(extra_fields: tuple[str, ...]) -> list[Column]:
    """One string column per configured field of the landed JSON record: a scalar as text (a number
    as JSON writes it, true/false), an object or array as JSON, null when absent or null."""
    return [F.get_json_object(F.col("raw_record"), f"$.{name}").alias(name) for name in extra_fields]


def conform_users(users_df: DataFrame, extra_fields: tuple[str, ...] = ()) -> DataFrame:
    return filter_latest_version(users_df, "user_id").select(
        "user_id",
        normalized_address("email").alias("email"),
        "full_name",
        "team_id",
        "manager_id",
        "is_active",
        "analytics_opt_out",
        "modified_at",
        *extra_columns(extra_fields),
    )


def conform_accounts(accounts_df: DataFrame, extra_fields: tuple[str, ...] = ()) -> DataFrame:
    return filter_latest_version(accounts_df, "account_id").select(
        "account_id",
        "name",
        "industry",
        "employee_count",
        "annual_revenue",
        "country",
        F.coalesce(normalized_domains("email_domains"), F.array().cast("array<string>")).alias("email_domains"),
        "primary_contact_id",
        "owner_id",
        "created_at",
        "modified_at",
        *extra_columns(extra_fields),
    )


def conform_contacts(contacts_df: DataFrame, extra_fields: tuple[str, ...] = ()) -> DataFrame:
    return filter_latest_version(contacts_df, "contact_id").select(
        "contact_id",
        normalized_address("email").alias("email"),
        "account_id",
        "full_name",
        "job_title",
        "do_not_track",
        "created_at",
        "modified_at",
        *extra_columns(extra_fields),
    )


def conform_leads(leads_df: DataFrame, extra_fields: tuple[str, ...] = ()) -> DataFrame:
    return filter_latest_version(leads_df, "lead_id").select(
        "lead_id",
        normalized_address("email").alias("email"),
        "full_name",
        "company_name",
        "owner_id",
        "status",
        F.coalesce(distinct_ids("stakeholder_contact_ids"), F.array().cast("array<string>")).alias(
            "stakeholder_contact_ids"
        ),
        "created_at",
        "modified_at",
        *extra_columns(extra_fields),
    )


def conform_opportunities(opportunities_df: DataFrame, extra_fields: tuple[str, ...] = ()) -> DataFrame:
    """Won deals without actual revenue or close date use the estimate and the last modified day
    (raw contract, CRM), flagged by `is_actual_estimated`. A lost deal without a close date closed
    on its last modified day too (a reading: win rates need the day a deal closed)."""
    is_won = F.col("status") == "won"
    is_closed = F.col("status").isin("won", "lost")
    lacks_actuals = is_won & (F.col("actual_revenue").isNull() | F.col("actual_close_date").isNull())
    return filter_latest_version(opportunities_df, "opportunity_id").select(
        "opportunity_id",
        "account_id",
        "owner_id",
        "status",
        "name",
        "contact_id",
        F.coalesce(distinct_ids("sales_team_user_ids"), F.array().cast("array<string>")).alias("sales_team_user_ids"),
        F.coalesce(distinct_ids("stakeholder_contact_ids"), F.array().cast("array<string>")).alias(
            "stakeholder_contact_ids"
        ),
        "stage",
        "estimated_revenue",
        F.when(is_won, F.coalesce("actual_revenue", "estimated_revenue"))
        .otherwise(F.col("actual_revenue"))
        .alias("actual_revenue"),
        "product_line",
        "lead_source",
        "created_at",
        "estimated_close_date",
        F.when(is_closed, F.coalesce("actual_close_date", F.to_date("modified_at")))
        .otherwise(F.col("actual_close_date"))
        .alias("actual_close_date"),
        lacks_actuals.alias("is_actual_estimated"),
        "modified_at",
        *extra_columns(extra_fields),
    )

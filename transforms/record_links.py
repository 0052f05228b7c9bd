"""Which activities belong to which record (kpis.md section 1), decided once for everything downstream.

Grain of `link_records` output: one row per (activity, record) with the strongest reason
(`regarding`, then `participant`, then `domain`). Activities left out of everything (all
participants internal, tasks aside; or only `do_not_track` contacts outside) get no link at all,
not even their regarding one; a `do_not_track` contact links nothing and is linked by nothing.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

REASON_RANK = {"regarding": 1, "participant": 2, "domain": 3}
ACCOUNT, CONTACT, LEAD, OPPORTUNITY = "account", "contact", "lead", "opportunity"


def with_tracked_flags(participants_df: DataFrame) -> DataFrame:
    """Participants that can link: everyone but `do_not_track` contacts."""
    return participants_df.filter(~F.col("is_do_not_track"))


def with_tracked_flag(activities_df: DataFrame, participants_df: DataFrame) -> DataFrame:
    """`is_tracked`: not left out of everything, i.e. a task, or an activity with at least one
    external participant who is not a `do_not_track` contact."""
    with_outside = (
        with_tracked_flags(participants_df)
        .filter(~F.col("is_internal"))
        .select("activity_key")
        .distinct()
        .withColumn("has_outside", F.lit(True))
    )
    return (
        activities_df.join(with_outside, on="activity_key", how="left")
        .withColumn("is_tracked", (F.col("activity_type") == "task") | F.col("has_outside").isNotNull())
        .drop("has_outside")
    )


def filter_tracked_activities(activities_df: DataFrame, participants_df: DataFrame) -> DataFrame:
    """Activities that are not left out (see `with_tracked_flag`)."""
    return with_tracked_flag(activities_df, participants_df).filter("is_tracked").drop("is_tracked")


def _link(df: DataFrame, record_type: str, record_id: str, reason: str) -> DataFrame:
    return df.select(
        "activity_key",
        F.lit(record_type).alias("record_type"),
        F.col(record_id).alias("record_id"),
        F.lit(reason).alias("reason"),
    )


def _regarding_links(activities_df: DataFrame) -> DataFrame:
    return activities_df.filter(F.col("regarding_id").isNotNull() & F.col("regarding_type").isNotNull()).select(
        "activity_key",
        F.col("regarding_type").alias("record_type"),
        F.col("regarding_id").alias("record_id"),
        F.lit("regarding").alias("reason"),
    )


def _account_domain_links(participants_df: DataFrame, accounts_df: DataFrame) -> DataFrame:
    domains = accounts_df.select("account_id", F.explode("email_domains").alias("domain"))
    outside = participants_df.filter(~F.col("is_internal")).select(
        "activity_key", F.substring_index(F.col("address"), "@", -1).alias("domain")
    )
    return _link(outside.join(domains, on="domain", how="inner"), ACCOUNT, "account_id", "domain")


def _opportunity_links(participants_df: DataFrame, opportunities_df: DataFrame, accounts_df: DataFrame) -> DataFrame:
    """An external participant is the deal's contact, a stakeholder or its account's primary
    contact, and an internal participant is its owner or on its sales team."""
    primary = accounts_df.select("account_id", F.col("primary_contact_id"))
    customer_side = opportunities_df.join(primary, on="account_id", how="left").select(
        "opportunity_id",
        F.explode(
            F.array_distinct(
                F.filter(
                    F.concat(F.array("contact_id", "primary_contact_id"), F.col("stakeholder_contact_ids")),
                    lambda c: c.isNotNull(),
                )
            )
        ).alias("contact_id"),
    )
    team_side = opportunities_df.select(
        "opportunity_id",
        F.explode(F.array_distinct(F.concat(F.array("owner_id"), F.col("sales_team_user_ids")))).alias("user_id"),
    )
    customers = (
        participants_df.filter(~F.col("is_internal") & F.col("contact_id").isNotNull())
        .join(customer_side, on="contact_id", how="inner")
        .select("activity_key", "opportunity_id")
        .distinct()
    )
    team = (
        participants_df.filter(F.col("is_internal") & F.col("user_id").isNotNull())
        .join(team_side, on="user_id", how="inner")
        .select("activity_key", "opportunity_id")
        .distinct()
    )
    return _link(
        customers.join(team, on=["activity_key", "opportunity_id"], how="inner"),
        OPPORTUNITY,
        "opportunity_id",
        "participant",
    )


def _lead_links(participants_df: DataFrame, leads_df: DataFrame) -> DataFrame:
    """The lead's address or one of its stakeholders is a participant, and so is its owner."""
    by_address = participants_df.filter(F.col("lead_id").isNotNull()).select("activity_key", "lead_id")
    stakeholders = leads_df.select("lead_id", F.explode("stakeholder_contact_ids").alias("contact_id"))
    by_stakeholder = (
        participants_df.select("activity_key", "contact_id")
        .join(stakeholders, on="contact_id", how="inner")
        .select("activity_key", "lead_id")
    )
    owners = leads_df.select("lead_id", F.col("owner_id").alias("user_id"))
    with_owner = (
        participants_df.select("activity_key", "user_id")
        .join(owners, on="user_id", how="inner")
        .select("activity_key", "lead_id")
    )
    person = by_address.unionByName(by_stakeholder).distinct()
    return _link(
        person.join(with_owner.distinct(), on=["activity_key", "lead_id"], how="inner"), LEAD, "lead_id", "participant"
    )


def with_every_record_of_the_address(people_df: DataFrame, contacts_df: DataFrame, leads_df: DataFrame) -> DataFrame:
    """Participants -> one row per participant and contact, and per lead, whose email is its address.

    Silver participants name the smallest contact and lead of an address; the rules of section 1
    link every record whose email is a participant, so several contacts (or leads) sharing one
    address are each linked, each with its own account. Addresses of `do_not_track` contacts are
    gone before this (`with_tracked_flags`).
    """
    contacts_by_address_df = contacts_df.filter(~F.coalesce(F.col("do_not_track"), F.lit(False))).select(
        F.col("email").alias("address"), "contact_id", F.col("account_id").alias("contact_account_id")
    )
    leads_by_address_df = leads_df.select(F.col("email").alias("address"), "lead_id")
    return (
        people_df.drop("contact_id", "lead_id")
        .join(contacts_by_address_df, on="address", how="left")
        .join(leads_by_address_df, on="address", how="left")
    )


def link_records(
    activities_df: DataFrame,
    participants_df: DataFrame,
    accounts_df: DataFrame,
    contacts_df: DataFrame,
    leads_df: DataFrame,
    opportunities_df: DataFrame,
    *,
    link_by_domain: bool = True,
    meetings_need_regarding: bool = True,
) -> DataFrame:
    tracked_df = filter_tracked_activities(activities_df, participants_df).select(
        "activity_key", "activity_type", "regarding_type", "regarding_id"
    )
    keys = tracked_df.select("activity_key", "activity_type")
    people = with_tracked_flags(participants_df).join(keys, on=["activity_key", "activity_type"], how="inner")

    people = with_every_record_of_the_address(people, contacts_df, leads_df)
    contact_people = people.filter(F.col("contact_id").isNotNull())
    links = [
        _regarding_links(tracked_df),
        _link(contact_people, CONTACT, "contact_id", "participant"),
        _link(
            contact_people.filter(F.col("contact_account_id").isNotNull()), ACCOUNT, "contact_account_id", "participant"
        ),
        _lead_links(people, leads_df),
    ]
    if link_by_domain:
        links.append(_account_domain_links(people, accounts_df))
    deal_people = people.filter(F.col("activity_type") != "meeting") if meetings_need_regarding else people
    links.append(_opportunity_links(deal_people, opportunities_df, accounts_df))

    all_links = links[0]
    for more in links[1:]:
        all_links = all_links.unionByName(more)
    untracked_contacts = contacts_df.filter(F.col("do_not_track")).select(
        F.lit(CONTACT).alias("record_type"), F.col("contact_id").alias("record_id")
    )
    rank = F.create_map(*[x for reason, r in REASON_RANK.items() for x in (F.lit(reason), F.lit(r))])
    return (
        all_links.join(untracked_contacts, on=["record_type", "record_id"], how="left_anti")
        .join(keys, on="activity_key", how="inner")
        .groupBy("activity_key", "activity_type", "record_type", "record_id")
        .agg(F.min_by("reason", rank[F.col("reason")]).alias("reason"))
        .select("activity_key", "activity_type", "record_type", "record_id", "reason")
    )

"""Which activities belong to which record (kpis.md section 1), decided once for everything downstream.

Grain of `link_records` output: one row per (activity, record) with the strongest reason
(`regarding`, then `participant`, then `domain`). Activities left out of everything (all
participants internal, tasks aside; or only `do_not_track` contacts outside) get no link at all,
not even their regarding one; a `do_not_track` contact links nothing and is linked by nothing.

The opportunity and lead rules need a person on each side. They start from the selective side,
the customer's (activity, record) pairs, widen each by the few users of that record's team (owner,
sales team) and keep the pairs whose user took part (a semi-join on activity and user): the rows
in between stay within a small multiple of the links written. (Starting from the users instead
pairs every activity of a seller with every deal the seller owns: tens of millions of rows to keep
about a million at 300k activities.) `link_candidates` exposes those rows so the bench counts them.
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


def _link(df: DataFrame, record_type: str, record_id: str, reason: str) -> DataFrame:
    return df.select(
        "activity_key",
        "activity_type",
        F.lit(record_type).alias("record_type"),
        F.col(record_id).alias("record_id"),
        F.lit(reason).alias("reason"),
    )


def _regarding_links(activities_df: DataFrame) -> DataFrame:
    return activities_df.filter(F.col("regarding_id").isNotNull() & F.col("regarding_type").isNotNull()).select(
        "activity_key",
        "activity_type",
        F.col("regarding_type").alias("record_type"),
        F.col("regarding_id").alias("record_id"),
        F.lit("regarding").alias("reason"),
    )


def _account_domain_links(participants_df: DataFrame, accounts_df: DataFrame) -> DataFrame:
    domains = accounts_df.select("account_id", F.explode("email_domains").alias("domain"))
    outside = participants_df.filter(~F.col("is_internal")).select(
        "activity_key", "activity_type", F.substring_index(F.col("address"), "@", -1).alias("domain")
    )
    return _link(outside.join(domains, on="domain", how="inner"), ACCOUNT, "account_id", "domain")


def _deal_people(opportunities_df: DataFrame, accounts_df: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(opportunity_id, contact_id) of each deal's people, its contact, stakeholders and its account's
    primary contact; and (opportunity_id, user_id) of its team, its owner and sales team."""
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
    return customer_side, team_side


def _opportunity_candidates(people_df: DataFrame, opportunities_df: DataFrame, accounts_df: DataFrame) -> DataFrame:
    """(activity_key, activity_type, opportunity_id, user_id): an external participant is one of the deal's
    people; each such pair once per user of the deal's team, to be matched with who took part."""
    customer_side, team_side = _deal_people(opportunities_df, accounts_df)
    customer_pairs_df = (
        people_df.filter(~F.col("is_internal") & F.col("contact_id").isNotNull())
        .select("activity_key", "activity_type", "contact_id")
        .distinct()
        .join(customer_side, on="contact_id", how="inner")
        .select("activity_key", "activity_type", "opportunity_id")
        .distinct()
    )
    return customer_pairs_df.join(team_side, on="opportunity_id", how="inner")


def _lead_candidates(people_df: DataFrame, leads_df: DataFrame) -> DataFrame:
    """(activity_key, activity_type, lead_id, user_id): the lead's address or one of its stakeholders is a
    participant; with the lead's owner, to be matched with who took part."""
    by_address = people_df.filter(F.col("lead_id").isNotNull()).select("activity_key", "activity_type", "lead_id")
    stakeholders = leads_df.select("lead_id", F.explode("stakeholder_contact_ids").alias("contact_id"))
    by_stakeholder = (
        people_df.filter(F.col("contact_id").isNotNull())
        .select("activity_key", "activity_type", "contact_id")
        .join(stakeholders, on="contact_id", how="inner")
        .select("activity_key", "activity_type", "lead_id")
    )
    owners = leads_df.filter(F.col("owner_id").isNotNull()).select("lead_id", F.col("owner_id").alias("user_id"))
    return by_address.unionByName(by_stakeholder).distinct().join(owners, on="lead_id", how="inner")


def _with_user_taking_part(candidates_df: DataFrame, people_df: DataFrame, record_id: str) -> DataFrame:
    """(activity_key, activity_type, record_id) of the candidates whose user is a participant of the activity."""
    users_df = people_df.filter(F.col("user_id").isNotNull()).select("activity_key", "user_id").distinct()
    return (
        candidates_df.join(users_df, on=["activity_key", "user_id"], how="left_semi")
        .select("activity_key", "activity_type", record_id)
        .distinct()
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


def _linkable(activities_df: DataFrame, participants_df: DataFrame, contacts_df: DataFrame, leads_df: DataFrame):
    """The tracked activities (silver's `is_tracked`, see `with_tracked_flag`), and their
    participants that may link, once per record of their address."""
    tracked_df = activities_df.filter("is_tracked").select(
        "activity_key", "activity_type", "regarding_type", "regarding_id"
    )
    keys = tracked_df.select("activity_key")
    people = with_tracked_flags(participants_df).join(keys, on="activity_key", how="left_semi")
    return tracked_df, with_every_record_of_the_address(people, contacts_df, leads_df)


def _rule_candidates(
    people_df: DataFrame,
    accounts_df: DataFrame,
    leads_df: DataFrame,
    opportunities_df: DataFrame,
    meetings_need_regarding: bool,
) -> dict[str, DataFrame]:
    deal_people_df = people_df.filter(F.col("activity_type") != "meeting") if meetings_need_regarding else people_df
    return {
        OPPORTUNITY: _opportunity_candidates(deal_people_df, opportunities_df, accounts_df),
        LEAD: _lead_candidates(people_df, leads_df),
    }


def link_candidates(
    activities_df: DataFrame,
    participants_df: DataFrame,
    accounts_df: DataFrame,
    contacts_df: DataFrame,
    leads_df: DataFrame,
    opportunities_df: DataFrame,
    *,
    meetings_need_regarding: bool = True,
) -> dict[str, DataFrame]:
    """The rows the opportunity and lead rules go through before their semi-join, by record type:
    what the bench counts against the links written."""
    _, people = _linkable(activities_df, participants_df, contacts_df, leads_df)
    return _rule_candidates(people, accounts_df, leads_df, opportunities_df, meetings_need_regarding)


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
    """Silver activities (with `is_tracked`) and participants, and the CRM -> the links of section 1.
    Every row carries its activity's type from where it was found, so that no join with the
    activities is needed at the end."""
    tracked_df, people = _linkable(activities_df, participants_df, contacts_df, leads_df)
    contact_people = people.filter(F.col("contact_id").isNotNull())
    candidates = _rule_candidates(people, accounts_df, leads_df, opportunities_df, meetings_need_regarding)
    links = [
        _regarding_links(tracked_df),
        _link(contact_people, CONTACT, "contact_id", "participant"),
        _link(
            contact_people.filter(F.col("contact_account_id").isNotNull()), ACCOUNT, "contact_account_id", "participant"
        ),
        *[
            _link(_with_user_taking_part(candidates[kind], people, f"{kind}_id"), kind, f"{kind}_id", "participant")
            for kind in (LEAD, OPPORTUNITY)
        ],
    ]
    if link_by_domain:
        links.append(_account_domain_links(people, accounts_df))

    all_links = links[0]
    for more in links[1:]:
        all_links = all_links.unionByName(more)
    untracked_contacts = contacts_df.filter(F.col("do_not_track")).select(
        F.lit(CONTACT).alias("record_type"), F.col("contact_id").alias("record_id")
    )
    rank = F.create_map(*[x for reason, r in REASON_RANK.items() for x in (F.lit(reason), F.lit(r))])
    by_rank = F.array(*[F.lit(reason) for reason in sorted(REASON_RANK, key=REASON_RANK.get)])
    return (
        all_links.join(untracked_contacts, on=["record_type", "record_id"], how="left_anti")
        .groupBy("activity_key", "activity_type", "record_type", "record_id")
        # The smallest rank, a number: a hash aggregate, where `min_by` of a text sorts every link.
        .agg(F.min(rank[F.col("reason")]).alias("rank"))
        .select(
            "activity_key",
            "activity_type",
            "record_type",
            "record_id",
            F.element_at(by_rank, F.col("rank")).alias("reason"),
        )
    )

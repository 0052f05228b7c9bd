"""What a CRM change touches (`jobs/conform.py`): the records that differ in a field silver's
activities, participants, links or daily sums are made of (`ACTIVITY_CRM_FIELDS`). A deal's stage,
amount or name, a contact's job title, a user's team touch no activity: their table alone changes."""

from __future__ import annotations

from datetime import date, datetime

from chispa import assert_df_equality

from jobs.conform import changed_where_read, touched_activities, touched_records

OPPORTUNITIES = (
    "opportunity_id string, account_id string, owner_id string, contact_id string, "
    "sales_team_user_ids array<string>, stakeholder_contact_ids array<string>, stage string, "
    "estimated_revenue double, modified_at string"
)
O1 = ("o1", "a1", "u1", "c1", ["u2"], [], "qualify", 1000.0, "2026-03-01")
O2 = ("o2", "a2", "u2", None, [], ["c4"], "develop", 5000.0, "2026-03-02")


def differs(spark, before_rows, after_rows, schema=OPPORTUNITIES, table="opportunities") -> bool:
    before, after = (spark.createDataFrame(rows, schema) for rows in (before_rows, after_rows))
    return not changed_where_read(table, after, before).isEmpty()


def test_a_snapshot_that_moves_deals_along_their_stages_changes_nothing_activities_are_made_of(spark):
    moved = [
        ("o2", "a2", "u2", None, [], ["c4"], "propose", 7500.0, "2026-03-31"),  # another order too
        ("o1", "a1", "u1", "c1", ["u2"], [], "close", 1200.0, "2026-03-31"),
    ]

    assert not differs(spark, [O1, O2], moved)


def test_a_new_owner_team_contact_or_deal_is_a_change_activities_are_linked_by(spark):
    new_owner = ("o1", "a1", "u3", "c1", ["u2"], [], "qualify", 1000.0, "2026-03-01")
    new_team = ("o1", "a1", "u1", "c1", ["u2", "u5"], [], "qualify", 1000.0, "2026-03-01")
    new_contact = ("o1", "a1", "u1", "c9", ["u2"], [], "qualify", 1000.0, "2026-03-01")

    assert [differs(spark, [O1, O2], [changed, O2]) for changed in (new_owner, new_team, new_contact)] == [True] * 3
    assert differs(spark, [O1], [O1, O2])  # a deal the CRM did not have: links to it become known
    assert differs(spark, [O1, O2], [O1, O1])  # compared as multisets, not as sets


def test_users_differ_by_address_only_and_contacts_by_address_account_or_do_not_track(spark):
    users = "user_id string, email string, team_id string, is_active boolean, analytics_opt_out boolean"
    ann = ("u1", "ann@rapport.example", "t1", True, False)
    assert not differs(spark, [ann], [("u1", "ann@rapport.example", "t2", False, True)], users, "users")
    assert differs(spark, [ann], [("u1", "ann@new.example", "t1", True, False)], users, "users")

    contacts = "contact_id string, email string, account_id string, do_not_track boolean, job_title string"
    bob = ("c1", "bob@acme.com", "a1", False, "CTO")
    assert not differs(spark, [bob], [("c1", "bob@acme.com", "a1", False, "CEO")], contacts, "contacts")
    assert [
        differs(spark, [bob], [changed], contacts, "contacts")
        for changed in (("c1", "bob@acme.com", "a1", True, "CTO"), ("c1", "bob@acme.com", "a2", False, "CTO"))
    ] == [True, True]


def test_the_changed_rows_are_each_changed_record_before_and_after_and_each_new_one(spark):
    before = spark.createDataFrame([O1, O2], OPPORTUNITIES)
    after = spark.createDataFrame(
        [
            ("o1", "a1", "u3", "c1", ["u2"], [], "qualify", 1000.0, "2026-03-31"),  # new owner
            ("o2", "a2", "u2", None, [], ["c4"], "close", 9000.0, "2026-03-31"),  # new stage only
            ("o3", "a1", "u1", None, [], [], "qualify", 10.0, "2026-03-31"),  # new deal
        ],
        OPPORTUNITIES,
    )

    expected = spark.createDataFrame(
        [
            ("o1", "a1", "c1", "u3", ["u2"], []),
            ("o3", "a1", None, "u1", [], []),
            ("o1", "a1", "c1", "u1", ["u2"], []),
        ],
        "opportunity_id string, account_id string, contact_id string, owner_id string, "
        "sales_team_user_ids array<string>, stakeholder_contact_ids array<string>",
    )
    assert_df_equality(
        changed_where_read("opportunities", after, before), expected, ignore_row_order=True, ignore_nullable=True
    )


CRM_SCHEMAS = {
    "users": "user_id string, email string",
    "accounts": "account_id string, email_domains array<string>, primary_contact_id string",
    "contacts": "contact_id string, email string, account_id string, do_not_track boolean",
    "leads": "lead_id string, email string, owner_id string, stakeholder_contact_ids array<string>",
    "opportunities": (
        "opportunity_id string, account_id string, contact_id string, owner_id string, "
        "sales_team_user_ids array<string>, stakeholder_contact_ids array<string>"
    ),
}
CRM = {
    "users": [("u1", "ann@rapport.example")],
    "accounts": [("a1", ["acme.com"], "c1"), ("a2", ["globex.com"], "c2")],
    "contacts": [
        ("c1", "bob@acme.com", "a1", False),
        ("c2", "gus@globex.com", "a2", False),
        ("c3", "eve@initech.com", None, False),
        ("c4", "sam@initech.com", None, False),
    ],
    "leads": [("l1", "lee@startup.io", "u1", ["c4"])],
    "opportunities": [("o1", "a1", None, "u1", [], ["c3"])],
}
# One activity per person or thing a rule looks at; the key names it.
PARTICIPANTS = [
    ("email:ann", "ann@rapport.example", True),
    ("email:bob", "bob@acme.com", False),
    ("email:gus", "gus@globex.com", False),
    ("email:eve", "eve@initech.com", False),
    ("email:sam", "sam@initech.com", False),
    ("email:lee", "lee@startup.io", False),
    ("email:ada", "ada@acme.com", False),  # nobody's address, in account a1's domain
    ("email:internal-acme", "it@acme.com", True),  # an internal address in that domain
]


def touched(spark, **changed_rows) -> list[str]:
    """The activity keys touched when silver's CRM (`CRM`) becomes `CRM` with `changed_rows`."""
    rows = touched_activities(*crm_and_silver(spark, **changed_rows)).collect()
    return sorted(f"{r['activity_type']}:{r['activity_id']}" for r in rows)


def touched_and_records(spark, **changed_rows) -> tuple[list, list[str]]:
    """The rows of the activities touched, and the records (type:id) whose daily sums may change."""
    before, now, activities, participants, links = crm_and_silver(spark, **changed_rows)
    touched_df = touched_activities(before, now, activities, participants, links).localCheckpoint()
    records = touched_records(before, now, touched_df, participants, links).collect()
    return touched_df.collect(), sorted(f"{r['record_type']}:{r['record_id']}" for r in records)


def crm_and_silver(spark, **changed_rows) -> tuple:
    """Silver's CRM (`CRM`), the changed tables (`changed_rows`), and a silver of one activity per
    person or thing a rule looks at."""
    before = {t: spark.createDataFrame(rows, CRM_SCHEMAS[t]) for t, rows in CRM.items()}
    now = {t: spark.createDataFrame(rows, CRM_SCHEMAS[t]) for t, rows in changed_rows.items()}
    keys = [key for key, _, _ in PARTICIPANTS] + ["meeting:regarding-o1", "call:linked-l1"]
    activities = spark.createDataFrame(
        [
            (
                key,
                key.split(":")[0],
                key.split(":")[1],
                *(("opportunity", "o1") if "o1" in key else (None, None)),
                datetime(2026, 3, 1 + day, 23, 30),
            )
            for day, key in enumerate(keys)
        ],
        "activity_key string, activity_type string, activity_id string, regarding_type string, regarding_id string, "
        "activity_at timestamp",
    )
    participants = spark.createDataFrame(PARTICIPANTS, "activity_key string, address string, is_internal boolean")
    links = spark.createDataFrame(
        [("call:linked-l1", "lead", "l1")], "activity_key string, record_type string, record_id string"
    )
    return before, now, activities, participants, links


def test_a_change_touches_the_activities_of_the_people_and_records_it_may_resolve_or_link_differently(spark):
    others = {t: rows[1:] for t, rows in CRM.items()}  # every table but its first record, unchanged
    # A user's new address: the activities of the old and the new one.
    assert touched(spark, users=[("u1", "ann@new.example")]) == ["email:ann"]
    # A contact asks not to be tracked: its activities, and those regarding or linked to it (none).
    assert touched(spark, contacts=[("c1", "bob@acme.com", "a1", True), *others["contacts"]]) == ["email:bob"]
    # A new domain for an account: the outside addresses in it and its primary contact's.
    assert touched(spark, accounts=[("a1", ["acme.com", "acme.org"], "c1"), *others["accounts"]]) == [
        "email:ada",
        "email:bob",
    ]
    # A deal's new owner: its account's primary contact, its stakeholders, what regards it.
    assert touched(spark, opportunities=[("o1", "a1", None, "u9", [], ["c3"])]) == [
        "email:bob",
        "email:eve",
        "meeting:regarding-o1",
    ]
    # A deal moved to another account: both accounts' primary contacts too.
    assert touched(spark, opportunities=[("o1", "a2", None, "u1", [], ["c3"])]) == [
        "email:bob",
        "email:eve",
        "email:gus",
        "meeting:regarding-o1",
    ]
    # A lead's new stakeholder: the old and new stakeholders, its own address, what links to it.
    assert touched(spark, leads=[("l1", "lee@startup.io", "u1", ["c3"])]) == [
        "call:linked-l1",
        "email:eve",
        "email:lee",
        "email:sam",
    ]
    # Nothing activities are made of changed: nothing touched.
    assert touched(spark, contacts=CRM["contacts"], opportunities=CRM["opportunities"]) == []


def test_the_records_whose_daily_sums_may_change_are_those_linked_or_addressed_before_or_after(spark):
    # A lead's new stakeholder touches the activities of its old and new stakeholders, its own
    # address and what links to it; their rows on their days, as far as silver tells before the
    # merge: the lead (linked, and by its address), the contacts of the stakeholders' addresses.
    rows, records = touched_and_records(spark, leads=[("l1", "lee@startup.io", "u1", ["c3"])])
    assert records == ["contact:c3", "contact:c4", "lead:l1"]
    # ... each activity with the UTC day it is on (the fixture's activities are a day apart).
    assert sorted((r["activity_key"], r["activity_on"]) for r in rows) == [
        ("call:linked-l1", date(2026, 3, 10)),
        ("email:eve", date(2026, 3, 4)),
        ("email:lee", date(2026, 3, 6)),
        ("email:sam", date(2026, 3, 5)),
    ]
    # A contact's new address: the contact, matched by its old one (nobody has the new one).
    assert touched_and_records(spark, contacts=[("c1", "bob@new.example", "a1", False), *CRM["contacts"][1:]])[1] == [
        "contact:c1"
    ]
    # A new contact for an address in an account's domain: the contact, matched after the change.
    newcomer = ("c9", "ada@acme.com", "a1", False)
    assert touched_and_records(spark, contacts=[*CRM["contacts"], newcomer])[1] == ["contact:c9"]

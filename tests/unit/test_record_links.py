"""Every linking rule and exclusion of kpis.md section 1 on hand-made silver rows."""

from chispa import assert_df_equality

from transforms.record_links import link_records, with_tracked_flag

PARTICIPANT_COLUMNS = (
    "activity_key string, activity_type string, role string, address string, is_internal boolean, "
    "is_present boolean, user_id string, contact_id string, lead_id string, account_id string, "
    "account_match string, is_do_not_track boolean"
)
ANN = ("ann@rapport.example", True, True, "u1", None, None, None, None, False)  # owns l1 and o1
CARL = ("carl@rapport.example", True, True, "u2", None, None, None, None, False)
BOB = ("bob@acme.com", False, True, None, "c1", None, "a1", "contact", False)
BOB_DECLINED = ("bob@acme.com", False, False, None, "c1", None, "a1", "contact", False)
DINA_DNT = ("dina@acme.com", False, True, None, "c2", None, "a1", "contact", True)
STRANGER = ("stranger@mail.org", False, True, None, None, None, None, None, False)
LEE = ("lee@startup.io", False, True, None, None, "l1", None, None, False)


def people(key, kind, *members):
    return [(key, kind, role, *member) for role, member in members]


def test_links_follow_every_rule_of_section_1(spark):
    activities_df = spark.createDataFrame(
        [
            ("email:e1", "email", None, None),
            ("email:e2", "email", "account", "a1"),  # internal only: left out, regarding too
            ("email:e3", "email", "opportunity", "o1"),  # only a do_not_track contact outside: left out
            ("email:e4", "email", "contact", "c2"),  # kept for the stranger, but dina links nothing, not even here
            ("meeting:m1", "meeting", None, None),
            ("meeting:m2", "meeting", "opportunity", "o3"),
            ("task:t1", "task", "lead", "l1"),
            ("call:k1", "call", None, None),
            ("call:k2", "call", None, None),
        ],
        "activity_key string, activity_type string, regarding_type string, regarding_id string",
    )
    participants_df = spark.createDataFrame(
        people("email:e1", "email", ("from", BOB), ("to", ANN))
        + people("email:e2", "email", ("from", ANN), ("to", CARL))
        + people("email:e3", "email", ("from", ANN), ("to", DINA_DNT))
        + people("email:e4", "email", ("from", ANN), ("to", DINA_DNT), ("cc", STRANGER))
        + people("meeting:m1", "meeting", ("organizer", ANN), ("attendee", BOB_DECLINED))
        + people("meeting:m2", "meeting", ("organizer", CARL), ("attendee", BOB))
        + people("task:t1", "task", ("owner", ANN))
        + people("call:k1", "call", ("caller", ANN), ("callee", LEE))
        + people("call:k2", "call", ("caller", CARL), ("callee", LEE)),
        PARTICIPANT_COLUMNS,
    )
    accounts_df = spark.createDataFrame(
        [("a1", ["acme.com"], "c1"), ("a3", ["acme.com", "acme.org"], None), ("a2", ["globex.com"], None)],
        "account_id string, email_domains array<string>, primary_contact_id string",
    )
    contacts_df = spark.createDataFrame(
        [
            ("c1", "bob@acme.com", "a1", False),
            ("c2", "dina@acme.com", "a1", True),
            ("c4", "bob@acme.com", "a2", False),  # Bob twice in the CRM: both records are linked
        ],
        "contact_id string, email string, account_id string, do_not_track boolean",
    )
    leads_df = spark.createDataFrame(
        [("l1", "lee@startup.io", "u1", ["c1"]), ("l2", "nobody@startup.io", "u2", [])],
        "lead_id string, email string, owner_id string, stakeholder_contact_ids array<string>",
    )
    opportunities_df = spark.createDataFrame(
        [
            ("o1", "a1", "u1", None, [], []),  # through the account's primary contact c1 and owner u1
            ("o2", "a2", "u9", "c1", ["u2"], []),  # its contact c1 and sales team member u2
            ("o3", "a2", "u2", None, [], []),  # nobody of it takes part: only regarding links it
        ],
        "opportunity_id string, account_id string, owner_id string, contact_id string, "
        "sales_team_user_ids array<string>, stakeholder_contact_ids array<string>",
    )

    tracked_df = with_tracked_flag(activities_df, participants_df)  # as silver has them

    links_df = link_records(tracked_df, participants_df, accounts_df, contacts_df, leads_df, opportunities_df)

    expected_df = spark.createDataFrame(
        [
            ("email:e1", "email", "contact", "c1", "participant"),
            ("email:e1", "email", "account", "a1", "participant"),  # by contact and by domain: participant wins
            ("email:e1", "email", "account", "a3", "domain"),
            ("email:e1", "email", "contact", "c4", "participant"),
            ("email:e1", "email", "account", "a2", "participant"),
            ("email:e1", "email", "opportunity", "o1", "participant"),
            ("email:e1", "email", "lead", "l1", "participant"),  # stakeholder c1 and owner u1 both there
            ("meeting:m1", "meeting", "contact", "c1", "participant"),  # declined still links
            ("meeting:m1", "meeting", "account", "a1", "participant"),
            ("meeting:m1", "meeting", "account", "a3", "domain"),
            ("meeting:m1", "meeting", "contact", "c4", "participant"),
            ("meeting:m1", "meeting", "account", "a2", "participant"),
            ("meeting:m1", "meeting", "lead", "l1", "participant"),  # the lead rule holds for meetings too
            ("meeting:m2", "meeting", "opportunity", "o3", "regarding"),  # o2's people meet, but no regarding
            ("meeting:m2", "meeting", "contact", "c1", "participant"),
            ("meeting:m2", "meeting", "account", "a1", "participant"),
            ("meeting:m2", "meeting", "account", "a3", "domain"),
            ("meeting:m2", "meeting", "contact", "c4", "participant"),
            ("meeting:m2", "meeting", "account", "a2", "participant"),
            ("task:t1", "task", "lead", "l1", "regarding"),
            ("call:k1", "call", "lead", "l1", "participant"),
        ],
        "activity_key string, activity_type string, record_type string, record_id string, reason string",
    )
    assert_df_equality(links_df, expected_df, ignore_row_order=True, ignore_nullable=True)

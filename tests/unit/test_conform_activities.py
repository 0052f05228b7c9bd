import hashlib
from datetime import datetime

from chispa import assert_df_equality

from tests.builders import bronze
from transforms.conform_activities import conform_activities, explode_participants

INTERNAL = ["rapport.example"]
SALT = "test-salt"
T0 = datetime(2026, 3, 2, 9, 0)


def crm(spark):
    users = bronze(
        spark,
        "crm_users",
        [
            {"user_id": "u1", "email": "ann@rapport.example"},
            {"user_id": "u2", "email": "contractor@gmail.com"},
            {"user_id": "u3", "email": "ann@rapport.example"},  # a shared address: the smallest id, once
        ],
    )
    contacts = bronze(
        spark,
        "crm_contacts",
        [
            {"contact_id": "c1", "email": "bob@acme.com", "account_id": "a1", "do_not_track": False},
            {"contact_id": "c2", "email": "dnt@acme.com", "account_id": "a1", "do_not_track": True},
        ],
    )
    leads = bronze(spark, "crm_leads", [{"lead_id": "l1", "email": "lee@startup.io", "status": "open"}])
    accounts = bronze(spark, "crm_accounts", [{"account_id": "a2", "name": "Globex", "email_domains": ["globex.com"]}])
    return users, contacts, leads, accounts


def activities(spark):
    emails = bronze(
        spark,
        "emails",
        [
            {"email_id": "e1", "from": "Bob@Acme.com", "to": ["ann@rapport.example"], "sent_at": T0, "followed": False},
            {
                "email_id": "e2",
                "from": "contractor@gmail.com",
                "to": ["bob@acme.com", "bob@acme.com"],
                "cc": ["ops@rapport.example"],
                "bcc": ["x@globex.com", "stranger@mail.org"],
                "sent_at": T0,
                "followed": True,
            },
        ],
    )
    meetings = bronze(
        spark,
        "meetings",
        [
            {
                "meeting_id": "m1",
                "organizer": "ann@rapport.example",
                "start_at": T0,
                "end_at": datetime(2026, 3, 2, 9, 45),
                "status": "scheduled",
                "attendees": [
                    {"email": "bob@acme.com", "required": True, "response": "declined"},
                    {"email": "lee@startup.io", "required": False, "response": "accepted"},
                ],
            },
            {
                "meeting_id": "m2",
                "organizer": "bob@acme.com",
                "start_at": T0,
                "end_at": T0,
                "status": "canceled",
                "attendees": None,
            },
        ],
    )
    calls = bronze(
        spark,
        "calls",
        [
            {
                "call_id": "k1",
                "from": "ops@rapport.example",
                "to": ["bob@acme.com"],
                "started_at": T0,
                "duration_seconds": 90,
                "status": "completed",
                "recorded": True,
            },
            {
                "call_id": "k2",
                "from": "bob@acme.com",
                "to": ["ann@rapport.example"],
                "started_at": T0,
                "duration_seconds": None,
                "status": "scheduled",
                "recorded": False,
            },
        ],
    )
    tasks = bronze(
        spark,
        "tasks",
        [
            {
                "task_id": "t1",
                "owner": "ann@rapport.example",
                "status": "completed",
                "completed_at": None,
                "modified_at": datetime(2026, 3, 3),
                "duration_minutes": 30,
            },
            {
                "task_id": "t2",
                "owner": "ann@rapport.example",
                "status": "open",
                "due_at": datetime(2026, 4, 1),
                "duration_minutes": None,
            },
        ],
    )
    return emails, meetings, calls, tasks


def test_activities_have_their_time_counting_start_duration_and_initiating_side(spark):
    users, *_ = crm(spark)

    activities_df = conform_activities(*activities(spark), users, INTERNAL).select(
        "activity_key", "activity_at", "status", "counts_from", "planned_at", "duration_minutes", "initiated_by"
    )

    expected_df = spark.createDataFrame(
        [
            ("email:e1", T0, "completed", T0, None, None, "customer"),
            # A user's address outside our domains is still the team's.
            ("email:e2", T0, "completed", T0, None, None, "team"),
            ("meeting:m1", T0, "scheduled", datetime(2026, 3, 2, 9, 45), T0, 45.0, "team"),
            ("meeting:m2", T0, "canceled", None, None, 0.0, "customer"),
            # An internal-domain address that is no user is internal too.
            ("call:k1", T0, "completed", T0, T0, 1.5, "team"),
            ("call:k2", T0, "scheduled", None, T0, None, "customer"),
            ("task:t1", datetime(2026, 3, 3), "completed", datetime(2026, 3, 3), None, 30.0, "team"),
            ("task:t2", None, "open", None, datetime(2026, 4, 1), None, "team"),
        ],
        "activity_key string, activity_at timestamp, status string, counts_from timestamp, planned_at timestamp, "
        "duration_minutes double, initiated_by string",
    )
    assert_df_equality(activities_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_participants_are_resolved_by_address_with_presence_and_pseudonymous_keys(spark):
    users, contacts, leads, accounts = crm(spark)
    emails, meetings, calls, tasks = activities(spark)

    participants_df = explode_participants(
        emails,
        meetings.filter("meeting_id = 'm1'"),
        calls.limit(0),
        tasks.limit(0),
        users,
        contacts,
        leads,
        accounts,
        INTERNAL,
        SALT,
    ).select(
        "activity_key",
        "role",
        "address",
        "is_internal",
        "is_present",
        "user_id",
        "contact_id",
        "lead_id",
        "account_id",
        "account_match",
        "person_key",
    )

    stranger_key = hashlib.sha256((SALT + "stranger@mail.org").encode()).hexdigest()
    expected_df = spark.createDataFrame(
        [
            ("email:e1", "from", "bob@acme.com", False, True, None, "c1", None, "a1", "contact", None),
            ("email:e1", "to", "ann@rapport.example", True, True, "u1", None, None, None, None, None),
            ("email:e2", "from", "contractor@gmail.com", True, True, "u2", None, None, None, None, None),
            ("email:e2", "to", "bob@acme.com", False, True, None, "c1", None, "a1", "contact", None),
            (
                "email:e2",
                "cc",
                "ops@rapport.example",
                True,
                True,
                None,
                None,
                None,
                None,
                None,
                hashlib.sha256((SALT + "ops@rapport.example").encode()).hexdigest(),
            ),
            (
                "email:e2",
                "bcc",
                "x@globex.com",
                False,
                True,
                None,
                None,
                None,
                "a2",
                "domain",
                hashlib.sha256((SALT + "x@globex.com").encode()).hexdigest(),
            ),
            ("email:e2", "bcc", "stranger@mail.org", False, True, None, None, None, None, None, stranger_key),
            ("meeting:m1", "organizer", "ann@rapport.example", True, True, "u1", None, None, None, None, None),
            ("meeting:m1", "attendee", "bob@acme.com", False, False, None, "c1", None, "a1", "contact", None),
            ("meeting:m1", "attendee", "lee@startup.io", False, True, None, None, "l1", None, None, None),
        ],
        "activity_key string, role string, address string, is_internal boolean, is_present boolean, user_id string, "
        "contact_id string, lead_id string, account_id string, account_match string, person_key string",
    )
    assert_df_equality(participants_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_an_address_listed_twice_in_a_meeting_is_one_participant_present_unless_every_listing_declined(spark):
    users, contacts, leads, accounts = crm(spark)
    listed_twice = [
        # Bob twice among the attendees, in two cases (ingest already reduced "Bob <bob@acme.com>"
        # forms): declined first in m3, accepted first in m4; the order never matters.
        ("m3", [("BOB@acme.com", "declined"), ("Bob@Acme.com", "accepted")]),
        ("m4", [("bob@acme.com", "accepted"), ("bob@ACME.com", "declined")]),
    ]
    meetings = bronze(
        spark,
        "meetings",
        [
            {
                "meeting_id": meeting_id,
                "organizer": "ann@rapport.example",
                "start_at": T0,
                "end_at": datetime(2026, 3, 2, 10, 0),
                "status": "scheduled",
                "attendees": [
                    *[{"email": a, "required": True, "response": r} for a, r in bob],
                    # Ann organizes and declined as an attendee: her organizer listing keeps her present.
                    {"email": "ann@rapport.example", "required": True, "response": "declined"},
                    # Lee declined in every listing: not present.
                    {"email": "lee@startup.io", "required": True, "response": "declined"},
                    {"email": "LEE@startup.io", "required": False, "response": "declined"},
                ],
            }
            for meeting_id, bob in listed_twice
        ],
    )
    empty = bronze(spark, "emails", []), bronze(spark, "calls", []), bronze(spark, "tasks", [])

    participants_df = explode_participants(
        empty[0], meetings, empty[1], empty[2], users, contacts, leads, accounts, INTERNAL, SALT
    ).select("activity_key", "role", "address", "response", "is_present")

    expected_df = spark.createDataFrame(
        [
            (f"meeting:{meeting_id}", role, address, response, present)
            for meeting_id in ("m3", "m4")
            for role, address, response, present in (
                ("organizer", "ann@rapport.example", None, True),
                ("attendee", "ann@rapport.example", "declined", True),
                ("attendee", "bob@acme.com", "accepted", True),
                ("attendee", "lee@startup.io", "declined", False),
            )
        ],
        "activity_key string, role string, address string, response string, is_present boolean",
    )
    assert_df_equality(participants_df, expected_df, ignore_row_order=True, ignore_nullable=True)

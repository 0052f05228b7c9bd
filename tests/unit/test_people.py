"""Most contacted (kpis.md section 8) and who knows whom (section 10) from silver's daily sums, on
hand-made activities worked out by hand: the sums per day, a tie of three people, the cut at T,
and the edges of the 365-day lookback."""

from __future__ import annotations

from datetime import date

from chispa import assert_df_equality

from jobs.daily_kpis import as_of_days
from tests.builders import (
    SILVER_ACTIVITY_COLUMNS,
    SILVER_LINK_COLUMNS,
    SILVER_PARTICIPANT_COLUMNS,
    activity,
    at,
    linked,
    person,
    took_part,
)
from transforms.engagement import named_user_ids
from transforms.people import ConnectionParams, connection_days, most_contacted, record_people_days, who_knows_whom

T = date(2026, 3, 10)
ANN = person("ann@rapport.example", internal=True, user="u1")
CARL = person("carl@rapport.example", internal=True, user="u2")
OPT = person("opt@rapport.example", internal=True, user="u3")
BOB = person("bob@acme.com", internal=False, contact="c9")
LEE = person("lee@startup.io", internal=False, lead="lead-1")
# A hex key that sorts before every contact and lead id as text.
STRANGER = person("someone@acme.com", internal=False, key="0000aaaa")
USERS = [
    ("u1", "ann@rapport.example", True, False),
    ("u2", "carl@rapport.example", True, False),
    ("u3", "opt@rapport.example", True, True),
]
USER_COLUMNS = "user_id string, email string, is_active boolean, analytics_opt_out boolean"


def frames(spark, activities, participants, links):
    return (
        spark.createDataFrame(activities, SILVER_ACTIVITY_COLUMNS),
        spark.createDataFrame(participants, SILVER_PARTICIPANT_COLUMNS),
        spark.createDataFrame(links, SILVER_LINK_COLUMNS),
    )


def test_people_days_sum_each_day_and_most_contacted_counts_what_counts_by_t(spark):
    activities, participants, links = frames(
        spark,
        [
            activity("email", "e1", "2026-03-09 10:00"),
            activity("email", "e2", "2026-03-09 15:00", by="customer"),
            activity("meeting", "m1", "2026-03-10 23:30", minutes=60),  # ends on T + 1: counts from then
            activity("call", "k1", "2026-03-10 12:00", status="scheduled"),  # never counts
        ],
        [
            *took_part("email:e1", ("from", ANN), ("to", BOB), ("cc", OPT)),
            *took_part("email:e2", ("from", BOB), ("to", ANN), ("to", ANN)),  # Ann twice: once
            *took_part("meeting:m1", ("organizer", ANN), ("attendee", BOB, "accepted"), ("attendee", CARL, "declined")),
            *took_part("call:k1", ("caller", ANN), ("callee", BOB)),
        ],
        [
            *linked("email:e1", "account:a1", "contact:c9"),  # contacts have no most contacted
            *linked("email:e2", "account:a1"),
            *linked("meeting:m1", "account:a1"),
            *linked("call:k1", "account:a1"),
        ],
    )

    days_df = record_people_days(activities, participants, links)

    columns = (
        "record_type string, record_id string, side string, person_type string, person_id string, "
        "counts_on date, activity_on date, emails long, meetings long, calls long, last_at timestamp"
    )
    day, next_day = date(2026, 3, 9), date(2026, 3, 11)
    expected_days_df = spark.createDataFrame(
        [
            ("account", "a1", "team", "user", "u1", day, day, 2, 0, 0, at("2026-03-09 15:00")),
            ("account", "a1", "team", "user", "u3", day, day, 1, 0, 0, at("2026-03-09 10:00")),
            ("account", "a1", "customer", "contact", "c9", day, day, 2, 0, 0, at("2026-03-09 15:00")),
            ("account", "a1", "team", "user", "u1", next_day, T, 0, 1, 0, at("2026-03-10 23:30")),
            ("account", "a1", "customer", "contact", "c9", next_day, T, 0, 1, 0, at("2026-03-10 23:30")),
        ],
        columns,
    )
    assert_df_equality(days_df, expected_days_df, ignore_row_order=True, ignore_nullable=True)

    named = named_user_ids(spark.createDataFrame(USERS, USER_COLUMNS))
    ranked_df = most_contacted(days_df, as_of_days(spark, [T, next_day], 7), named).select(
        "as_of_date", "side", "rank", "person_id", "emails", "meetings", "total", "last_contacted_at"
    )
    # Opt (u3) opted out: never listed. The meeting counts from the 11th only.
    expected_df = spark.createDataFrame(
        [
            (T, "customer", 1, "c9", 2, 0, 2, at("2026-03-09 15:00")),
            (T, "team", 1, "u1", 2, 0, 2, at("2026-03-09 15:00")),
            (next_day, "customer", 1, "c9", 2, 1, 3, at("2026-03-10 23:30")),
            (next_day, "team", 1, "u1", 2, 1, 3, at("2026-03-10 23:30")),
        ],
        "as_of_date date, side string, rank int, person_id string, emails long, meetings long, total long, "
        "last_contacted_at timestamp",
    )
    assert_df_equality(ranked_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_named_people_come_before_pseudonymous_keys_on_a_tie_then_the_smaller_id(spark):
    activities, participants, links = frames(
        spark,
        [activity("email", "e1", "2026-03-09 10:00")],
        took_part("email:e1", ("from", ANN), ("to", STRANGER), ("to", LEE), ("cc", BOB)),
        linked("email:e1", "account:a1"),
    )
    named = named_user_ids(spark.createDataFrame(USERS, USER_COLUMNS))

    ranked_df = most_contacted(record_people_days(activities, participants, links), as_of_days(spark, [T], 7), named)

    expected_df = spark.createDataFrame(
        [
            ("customer", 1, "contact", "c9", 1),
            ("customer", 2, "lead", "lead-1", 1),
            ("customer", 3, "pseudonym", "0000aaaa", 1),
            ("team", 1, "user", "u1", 1),
        ],
        "side string, rank int, person_type string, person_id string, total long",
    )
    assert_df_equality(
        ranked_df.select("side", "rank", "person_type", "person_id", "total"),
        expected_df,
        ignore_row_order=True,
        ignore_nullable=True,
    )


def test_who_knows_whom_from_connection_days_keeps_exactly_the_365_days_up_to_t(spark):
    activities, participants, _ = frames(
        spark,
        [
            activity("email", "e0", "2025-03-10 23:59"),  # 365 days and a minute before the end of T
            activity("email", "e1", "2025-03-11 00:00"),  # exactly 365 days: in
            activity("meeting", "m1", "2026-03-10 09:00", minutes=60),
            activity("email", "e2", "2026-03-09 12:00", by="customer"),
            activity("email", "e3", "2026-03-11 08:00", by="customer"),  # after T
        ],
        [
            *took_part("email:e0", ("from", ANN), ("to", BOB)),
            *took_part("email:e1", ("from", ANN), ("to", BOB)),
            *took_part("meeting:m1", ("organizer", ANN), ("attendee", BOB, "accepted")),
            *took_part("email:e2", ("from", BOB), ("to", CARL)),
            *took_part("email:e3", ("from", BOB), ("to", CARL)),
        ],
        [],
    )
    users = spark.createDataFrame(USERS, USER_COLUMNS)
    contacts = spark.createDataFrame(
        [("c9", "bob@acme.com", False)], "contact_id string, email string, do_not_track boolean"
    )
    leads = spark.createDataFrame([], "lead_id string, email string")
    params = ConnectionParams()

    days_df = connection_days(activities, participants, users, contacts, leads, params.decay_days)
    assert days_df.count() == 5  # one row per day and type here: nothing shares a day

    ranked_df = who_knows_whom(days_df, as_of_days(spark, [T], 7), users, contacts, leads, params)

    # Ann: e1 at age 365, e^(-365/90), and m1 at age 15/24, 2 e^(-0.625/90): 2.003485, fair (>= 2).
    # Carl: e2 at age 1.5, e^(-1.5/90) = 0.983471, weak. e0 is out of the lookback, e3 after T.
    expected_df = spark.createDataFrame(
        [
            (T, "contact", "c9", 1, "u1", 2.003485, "fair", at("2026-03-10 09:00"), "meeting"),
            (T, "contact", "c9", 2, "u2", 0.983471, "weak", at("2026-03-09 12:00"), "email"),
        ],
        "as_of_date date, record_type string, record_id string, rank int, user_id string, score double, "
        "strength string, last_interaction_at timestamp, last_interaction_type string",
    )
    assert_df_equality(ranked_df, expected_df, ignore_row_order=True, ignore_nullable=True)

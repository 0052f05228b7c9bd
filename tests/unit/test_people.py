"""Most contacted (kpis.md section 8) on a hand-made tie: three people with the same count and the
same last activity, one of them known only by a pseudonymous key that sorts before the others."""

from __future__ import annotations

from datetime import date

from chispa import assert_df_equality

from tests.builders import SILVER_PARTICIPANT_COLUMNS, at, person, took_part
from transforms.engagement import named_user_ids
from transforms.people import most_contacted

T = date(2026, 3, 10)
ANN = person("ann@rapport.example", internal=True, user="u1")
BOB = person("bob@acme.com", internal=False, contact="c9")
LEE = person("lee@startup.io", internal=False, lead="lead-1")
# A hex key that sorts before every contact and lead id as text.
STRANGER = person("someone@acme.com", internal=False, key="0000aaaa")


def test_named_people_come_before_pseudonymous_keys_on_a_tie_then_the_smaller_id(spark):
    record_activities_df = spark.createDataFrame(
        [(T, True, "account", "a1", "email:e1", "email", at("2026-03-09 10:00"))],
        "as_of_date date, is_reported boolean, record_type string, record_id string, activity_key string, "
        "activity_type string, activity_at timestamp",
    )
    participants_df = spark.createDataFrame(
        took_part("email:e1", ("from", ANN), ("to", STRANGER), ("to", LEE), ("cc", BOB)), SILVER_PARTICIPANT_COLUMNS
    )
    users_df = spark.createDataFrame(
        [("u1", "ann@rapport.example", True, False)],
        "user_id string, email string, is_active boolean, analytics_opt_out boolean",
    )

    ranked_df = most_contacted(record_activities_df, participants_df, named_user_ids(users_df)).select(
        "side", "rank", "person_type", "person_id", "total"
    )

    expected_df = spark.createDataFrame(
        [
            ("customer", 1, "contact", "c9", 1),
            ("customer", 2, "lead", "lead-1", 1),
            ("customer", 3, "pseudonym", "0000aaaa", 1),
            ("team", 1, "user", "u1", 1),
        ],
        "side string, rank int, person_type string, person_id string, total long",
    )
    assert_df_equality(ranked_df, expected_df, ignore_row_order=True, ignore_nullable=True)

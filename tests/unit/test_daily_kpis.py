"""Every daily gold table of one small, hand-made world, computed for T = 2026-03-10 and worked out by
hand below (kpis.md sections 2 to 8, 10 and 12; health has its own tests in test_health.py).

The world: Ann (u1) and Carl (u2) sell for us; Opt (u3) opted out of analytics; Old (u4) is
inactive; desk@ is one of our addresses without a user. Bob (c1) and Eve (c3) work at Acme (a1);
Dina (c2) asked not to be tracked. Lee is an open lead (l1), Quinn a qualified one (l2).
"""

from __future__ import annotations

from datetime import date

import pytest

from jobs.config import load_config
from jobs.conform import thread_emails, thread_tables
from jobs.daily_kpis import as_of_days, compute, email_requests
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
from transforms.people import connection_days, record_people_days
from transforms.record_activity_days import record_activity_days

T = date(2026, 3, 10)
ANN = person("ann@rapport.example", internal=True, user="u1")
CARL = person("carl@rapport.example", internal=True, user="u2")
OPT = person("opt@rapport.example", internal=True, user="u3")
OLD = person("old@rapport.example", internal=True, user="u4")
DESK = person("desk@rapport.example", internal=True)
BOB = person("bob@acme.com", internal=False, contact="c1")
DINA = person("dina@acme.com", internal=False, contact="c2", dnt=True)
EVE = person("eve@acme.com", internal=False, contact="c3")

ACTIVITIES = [
    activity("email", "e1", "2026-03-01 10:00", followed=True),
    activity("email", "e2", "2026-03-02 10:00", by="customer", in_reply_to="e1"),
    activity("email", "e3", "2026-03-02 11:00", by="customer"),  # Bob to Eve: nobody of ours read it
    activity("meeting", "m1", "2026-03-03 09:00", minutes=60),
    activity("meeting", "m2", "2026-03-04 09:00", minutes=60, status="canceled"),
    activity("meeting", "m3", "2026-03-12 09:00", minutes=30, status="scheduled"),
    activity("call", "k1", "2026-03-09 12:00", by="customer", minutes=30),
    activity("call", "k2", "2026-03-11 00:00", minutes=15, status="scheduled"),  # the first instant after T
    activity("task", "t1", "2026-03-09 12:00", minutes=45),  # same time as k1: the call is "last"
    activity("task", "t2", "2026-03-01 08:00", status="open", due="2026-03-12 09:00"),  # ties with m3
    activity("email", "e4", "2026-03-11 08:00", in_reply_to="e2", followed=True),  # after T
    activity("email", "e5", "2026-03-01 09:00", tracked=False),  # Ann to Carl: left out of everything
]
PARTICIPANTS = [
    *took_part("email:e1", ("from", ANN), ("to", BOB)),
    *took_part("email:e2", ("from", BOB), ("to", ANN), ("cc", DINA)),
    *took_part("email:e3", ("from", BOB), ("to", EVE)),
    *took_part(
        "meeting:m1",
        ("organizer", ANN),
        ("attendee", CARL, "accepted"),
        ("attendee", OPT, "accepted"),
        ("attendee", OLD, "declined"),
        ("attendee", DESK, "none"),
        ("attendee", BOB, "accepted"),
    ),
    *took_part("meeting:m2", ("organizer", ANN), ("attendee", BOB, "accepted")),
    *took_part("meeting:m3", ("organizer", ANN), ("attendee", BOB, "accepted")),
    *took_part("call:k1", ("caller", BOB), ("callee", ANN)),
    *took_part("call:k2", ("caller", ANN), ("callee", BOB)),
    *took_part("task:t1", ("owner", ANN)),
    *took_part("task:t2", ("owner", ANN)),
    *took_part("email:e4", ("from", ANN), ("to", BOB)),
    *took_part("email:e5", ("from", ANN), ("to", CARL)),
]
LINKS = [
    *linked("email:e1", "contact:c1", "account:a1", "opportunity:o1"),
    *linked("email:e2", "contact:c1", "account:a1", "opportunity:o1"),
    *linked("email:e3", "contact:c1", "contact:c3", "account:a1"),
    *linked("meeting:m1", "contact:c1", "account:a1", "opportunity:o1"),
    *linked("meeting:m2", "contact:c1"),
    *linked("meeting:m3", "contact:c1"),
    *linked("call:k1", "contact:c1", "account:a1"),
    *linked("call:k2", "account:a1"),
    *linked("task:t1", "contact:c1"),
    *linked("task:t2", "contact:c1"),
    *linked("email:e4", "contact:c1", "account:a1"),
]


@pytest.fixture(scope="module")
def gold(spark):
    silver = {
        "activities": spark.createDataFrame(ACTIVITIES, SILVER_ACTIVITY_COLUMNS),
        "activity_participants": spark.createDataFrame(PARTICIPANTS, SILVER_PARTICIPANT_COLUMNS),
        "record_links": spark.createDataFrame(LINKS, SILVER_LINK_COLUMNS),
        "users": spark.createDataFrame(
            [
                ("u1", "ann@rapport.example", True, False),
                ("u2", "carl@rapport.example", True, False),
                ("u3", "opt@rapport.example", True, True),
                ("u4", "old@rapport.example", False, False),
            ],
            "user_id string, email string, is_active boolean, analytics_opt_out boolean",
        ),
        "accounts": spark.createDataFrame([("a1",)], "account_id string"),
        "contacts": spark.createDataFrame(
            [("c1", "bob@acme.com", False), ("c2", "dina@acme.com", True), ("c3", "eve@acme.com", False)],
            "contact_id string, email string, do_not_track boolean",
        ),
        "leads": spark.createDataFrame(
            [("l1", "lee@startup.io", "open"), ("l2", "quinn@startup.io", "qualified")],
            "lead_id string, email string, status string",
        ),
        "opportunities": spark.createDataFrame(
            [
                ("o1", "a1", "u1", "open", "Acme roll-out", "develop", 5000.0, date(2026, 4, 1)),
                ("o2", "a1", "u1", "won", "Acme pilot", "close", 1000.0, date(2026, 3, 20)),
                ("o3", "a1", "u2", "open", "Acme late", "propose", 800.0, date(2026, 3, 1)),
                ("o4", "a1", "u3", "open", "Acme support", None, None, date(2026, 3, 10)),
            ],
            "opportunity_id string, account_id string, owner_id string, status string, name string, "
            "stage string, estimated_revenue double, estimated_close_date date",
        ),
        "email_threads": spark.createDataFrame(
            [("e1", "e1"), ("e2", "e1"), ("e3", "e3"), ("e4", "e1"), ("e5", "e5")],
            "email_id string, thread_key string",
        ),
        "email_events": spark.createDataFrame(
            [
                ("ev1", "e1", "opened", at("2026-03-02 08:00")),
                ("ev2", "e1", "opened", at("2026-03-05 08:00")),
                ("ev3", "e1", "link_clicked", at("2026-03-11 09:00")),  # after T
                ("ev4", "zzz", "opened", at("2026-03-05 08:00")),  # an email nobody knows
            ],
            "event_id string, email_id string, event_type string, occurred_at timestamp",
        ),
    }
    config = load_config()
    params = config.kpi
    # silver's responses, as conform makes them from these emails
    silver["email_responses"] = thread_tables(thread_emails(silver["activities"]), config)["email_responses"]
    silver["record_activity_days"] = record_activity_days(
        silver["activities"], silver["activity_participants"], silver["record_links"], params.health.tau_days
    )
    silver["record_people_days"] = record_people_days(
        silver["activities"], silver["activity_participants"], silver["record_links"]
    )
    silver["connection_days"] = connection_days(
        silver["activities"],
        silver["activity_participants"],
        silver["users"],
        silver["contacts"],
        silver["leads"],
        params.who_knows_whom.decay_days,
    )
    tables = compute(silver, as_of_days(spark, [T], params.health.trend_days), params)
    return {name: [row.asDict() for row in df.collect()] for name, df in tables.items()}


def kpis_of(gold, record_type, record_id):
    (row,) = [r for r in gold["relationship_kpis"] if (r["record_type"], r["record_id"]) == (record_type, record_id)]
    return row


def test_every_record_but_do_not_track_contacts_has_a_row(gold):
    keys = sorted((r["record_type"], r["record_id"]) for r in gold["relationship_kpis"])
    assert keys == [
        ("account", "a1"),
        ("contact", "c1"),
        ("contact", "c3"),
        ("lead", "l1"),
        ("lead", "l2"),
        ("opportunity", "o1"),
        ("opportunity", "o2"),
        ("opportunity", "o3"),
        ("opportunity", "o4"),
    ]
    assert {r["as_of_date"] for r in gold["relationship_kpis"]} == {T}


def test_counts_by_type_and_direction_cover_what_counts_by_the_end_of_t(gold):
    bob = kpis_of(gold, "contact", "c1")
    # e1 sent; e2 and e3 received; m1 (m2 canceled, m3 later); k1 received (k2 only scheduled);
    # t1 (t2 open); e4 is after T.
    assert [bob[c] for c in ("emails_sent", "emails_received", "meetings_sent", "meetings_received")] == [1, 2, 1, 0]
    assert [bob[c] for c in ("calls_made", "calls_received", "tasks_completed")] == [0, 1, 1]
    assert (bob["interactions_by_team"], bob["interactions_by_customer"]) == (2, 3)
    assert (bob["email_ratio_by_us"], bob["email_ratio_by_them"]) == (0.5, 2.0)
    assert bob["summary"] == "The customer initiated 1 more email than your team."


def test_time_spent_per_side(gold):
    bob = kpis_of(gold, "contact", "c1")
    # team: e1 written 5 + e2 and e3 read 2.5 each (once per email, the other side) + m1 60 min x 4
    # internal addresses present (Ann, Carl, Opt, desk@; Old declined) 240 + k1 30 + t1 45
    # = 325 min = 5.417 h -> 5.4. customer: 2.5 + 5 + 5 + m1 once 60 + k1 30 = 102.5 min -> 1.7
    # (1.708). face time: m1 60 + k1 30 = 90 min.
    assert (bob["team_hours"], bob["customer_hours"], bob["facetime_hours"]) == (5.4, 1.7, 1.5)


def test_responses_are_cut_at_t(gold):
    bob = kpis_of(gold, "contact", "c1")
    # Thread e1 <- e2 (<- e4 after T): Ann's e1 answered by Bob's e2 24 h later; Bob's e2 is a
    # request whose answer (e4) comes after T; Bob's e3 is a thread alone, unanswered.
    assert (bob["replies_by_team"], bob["replies_by_customer"]) == (0, 1)
    assert (bob["response_rate_by_us"], bob["response_rate_by_them"]) == (0.0, 1.0)
    assert (bob["avg_response_hours_by_us"], bob["avg_response_hours_by_them"]) == (None, 24.0)
    eve = kpis_of(gold, "contact", "c3")  # linked to e3 only: one customer request
    assert (eve["response_rate_by_us"], eve["response_rate_by_them"]) == (0.0, None)


def test_last_and_next_interactions_with_their_ties(gold):
    bob = kpis_of(gold, "contact", "c1")
    # k1 and t1 both at 03-09 12:00: the call wins; m3 and t2 both at 03-12 09:00: the meeting wins.
    assert (bob["last_interaction_at"], bob["last_interaction_type"], bob["last_interaction_direction"]) == (
        at("2026-03-09 12:00"),
        "call",
        "customer",
    )
    assert (bob["next_interaction_at"], bob["next_interaction_type"]) == (at("2026-03-12 09:00"), "meeting")
    acme = kpis_of(gold, "account", "a1")  # k2 starts at the first instant after T
    assert (acme["next_interaction_at"], acme["next_interaction_type"]) == (at("2026-03-11 00:00"), "call")


def test_email_engagement_per_email_and_per_record(gold):
    # e1 was opened twice by T; its click came after T; e4 is sent after T; ev4's email is unknown.
    assert gold["email_engagement"] == [
        {
            "as_of_date": T,
            "email_id": "e1",
            "sender_user_id": "u1",
            "sent_at": at("2026-03-01 10:00"),
            "opens": 2,
            "clicks": 0,
            "attachment_views": 0,
            "replies": 0,
            "last_opened_at": at("2026-03-05 08:00"),
        }
    ]
    bob = kpis_of(gold, "contact", "c1")
    rates = ("followed_emails", "open_rate", "click_rate", "attachment_view_rate", "reply_rate")
    assert [bob[c] for c in rates] == [1, 1.0, 0.0, 0.0, 0.0]
    assert [kpis_of(gold, "contact", "c3")[c] for c in rates] == [0, None, None, None, None]


def test_a_record_nothing_links_to_has_zeros(gold):
    lee = kpis_of(gold, "lead", "l1")
    assert (lee["emails_sent"], lee["team_hours"], lee["followed_emails"], lee["last_interaction_at"]) == (
        0,
        0.0,
        0,
        None,
    )
    assert (lee["health_state"], lee["health_trend"], lee["health_score"]) == ("no_activities", "not_enough_info", None)
    assert lee["summary"] == "No emails, meetings or calls with the customer yet."
    quinn = kpis_of(gold, "lead", "l2")  # qualified: not scored
    assert (quinn["health_state"], quinn["health_trend"]) == ("not_applicable", None)


def test_health_of_the_world(gold):
    # Bob: e1, e2, e3, m1, k1, t1 by T (ages from the end of T in days 9.583 ... 1.5);
    # E = 4.9578, E_exp = 1 / (1 - e^-0.5) = 2.5415, ratio 1.9507, balance min(1, ...) = 1,
    # score = 100 (1 - e^(-1.2 x 1.9507)) = 90.38 -> 90. 14 days earlier nothing counted yet.
    bob = kpis_of(gold, "contact", "c1")
    assert (bob["health_score"], bob["health_state"], bob["health_trend"]) == (90, "good", "not_enough_info")
    assert bob["health_engagement_ratio"] == 1.950746  # rounded to 6 decimals: 1.9507459646
    assert (bob["health_balance"], bob["days_since_last_activity"]) == (1.0, 1)
    # o1: e1, e2, m1: ratio 0.74637, balance 0.99966, 59.16 -> 59: fair, just under good.
    deal = kpis_of(gold, "opportunity", "o1")
    assert (deal["health_score"], deal["health_state"]) == (59, "fair")
    assert deal["health_balance"] == 0.999664
    eve = kpis_of(gold, "contact", "c3")  # e3 only: too few to score; only scored rows carry factors
    assert (eve["health_score"], eve["health_state"], eve["days_since_last_activity"]) == (
        None,
        "not_enough_info",
        None,
    )
    assert kpis_of(gold, "account", "a1")["health_state"] == "not_applicable"


def test_activity_daily_has_sixty_days_for_records_active_in_them(gold):
    days = [r for r in gold["relationship_activity_daily"] if r["record_id"] == "c1"]
    assert len(days) == 60 and min(r["day"] for r in days) == date(2026, 1, 10) and max(r["day"] for r in days) == T
    counts = ("emails_sent", "emails_received", "meetings_sent", "meetings_received", "calls_made", "calls_received")
    active = {r["day"].isoformat(): tuple(r[c] for c in counts) for r in days if any(r[c] for c in counts)}
    assert active == {
        "2026-03-01": (1, 0, 0, 0, 0, 0),
        "2026-03-02": (0, 2, 0, 0, 0, 0),
        "2026-03-03": (0, 0, 1, 0, 0, 0),
        "2026-03-09": (0, 0, 0, 0, 0, 1),
    }
    # Lee has nothing; o2, o3 and o4 neither; the account, Bob, Eve and o1 had something.
    assert {(r["record_type"], r["record_id"]) for r in gold["relationship_activity_daily"]} == {
        ("account", "a1"),
        ("contact", "c1"),
        ("contact", "c3"),
        ("opportunity", "o1"),
    }


def test_most_contacted_per_side(gold):
    rows = sorted(
        (
            r["record_id"],
            r["side"],
            r["rank"],
            r["person_type"],
            r["person_id"],
            r["emails"],
            r["meetings"],
            r["calls"],
            r["total"],
        )
        for r in gold["most_contacted"]
    )
    # Acme: Ann in e1, e2, m1, k1; Carl in m1; Opt opted out, Old declined, desk@ is no user.
    # Bob in e1, e2, e3, m1, k1; Eve in e3. Dina (do_not_track) is nowhere.
    assert rows == [
        ("a1", "customer", 1, "contact", "c1", 3, 1, 1, 5),
        ("a1", "customer", 2, "contact", "c3", 1, 0, 0, 1),
        ("a1", "team", 1, "user", "u1", 2, 1, 1, 4),
        ("a1", "team", 2, "user", "u2", 0, 1, 0, 1),
        ("o1", "customer", 1, "contact", "c1", 2, 1, 0, 3),
        ("o1", "team", 1, "user", "u1", 2, 1, 0, 3),
        ("o1", "team", 2, "user", "u2", 0, 1, 0, 1),
    ]


def test_who_knows_whom(gold):
    rows = sorted(gold["who_knows_whom"], key=lambda r: (r["record_id"], r["rank"]))
    # Bob and Ann: e1 (age 9.5833 days), e2 (8.5833), m1 (7.625, weight 2):
    # e^(-9.5833/90) + e^(-8.5833/90) + 2 e^(-7.625/90) = 3.6456 (fair). Carl: m1 only, 1.8375
    # (weak). Opt opted out and Old is inactive; k1 is a call; Eve only heard from Bob.
    assert [(r["record_id"], r["rank"], r["user_id"], r["strength"], r["last_interaction_type"]) for r in rows] == [
        ("c1", 1, "u1", "fair", "meeting"),
        ("c1", 2, "u2", "weak", "meeting"),
    ]
    assert [r["score"] for r in rows] == [3.645563, 1.837535]  # 6 decimals


def test_deal_tracker(gold):
    rows = sorted(gold["deal_tracker"], key=lambda r: r["opportunity_id"])
    # o2 is won and o3 was due to close before T; o4 closes on T, its owner opted out.
    assert [
        (r["opportunity_id"], r["owner_id"], r["stage"], r["stage_color"], r["health_score"], r["health_state"])
        for r in rows
    ] == [
        ("o1", "u1", "develop", "light blue", 59, "fair"),
        ("o4", None, None, None, 0, "no_activities"),
    ]


def test_threads_are_the_ones_of_the_emails_sent_by_t(spark):
    # a (customer) and b (team, replying to a message never seen) are apart until c, after T,
    # references both: at T two unanswered requests; two days later one thread a -> b -> c.
    activities_df = spark.createDataFrame(
        [
            activity("email", "a", "2026-03-01 10:00", by="customer"),
            activity("email", "b", "2026-03-02 10:00", in_reply_to="lost"),
            activity("email", "c", "2026-03-12 10:00", by="customer", references=["a", "b"]),
        ],
        SILVER_ACTIVITY_COLUMNS,
    )
    threads_df = spark.createDataFrame([("a", "a"), ("b", "a"), ("c", "a")], "email_id string, thread_key string")
    later = date(2026, 3, 12)
    responses_df = thread_tables(thread_emails(activities_df), load_config())["email_responses"]
    requests_df = email_requests(activities_df, threads_df, responses_df, as_of_days(spark, [T, later], 14), 30)
    rows = sorted(tuple(r) for r in requests_df.filter("as_of_date IN ('2026-03-10', '2026-03-12')").collect())
    assert rows == [
        (T, "a", "customer", None),
        (T, "b", "team", None),
        (later, "a", "customer", 24.0),
        (later, "b", "team", 240.0),
        (later, "c", "customer", None),
    ]

from datetime import date, datetime

from chispa import assert_df_equality

from transforms.as_of import person_minutes
from transforms.call_insights import call_records, call_sellers, counted_calls

USERS_DDL = "user_id string, email string, team_id string, analytics_opt_out boolean"
FRAGMENTS_DDL = "call_id string, fragment_index int, participant_id string, email string, role string, duration_ms long"
PARTICIPANTS_DDL = "activity_key string, activity_type string, role string, is_internal boolean, user_id string"
CALLS_DDL = "call_id string, activity_key string"


def test_counted_calls_are_the_tracked_calls_counting_by_the_end_of_the_day(spark):
    activities_df = spark.createDataFrame(
        [
            ("call:c1", "call", "c1", datetime(2026, 3, 31, 23, 0), datetime(2026, 3, 31, 23, 0), 1.5, True, True),
            ("call:c2", "call", "c2", datetime(2026, 4, 1), datetime(2026, 4, 1), 1.0, None, True),  # after T
            ("call:c3", "call", "c3", datetime(2026, 3, 2), datetime(2026, 3, 2), 2.0, None, False),  # left out
            ("call:c4", "call", "c4", datetime(2026, 3, 2), None, 2.0, None, True),  # never counts (canceled)
            ("meeting:m1", "meeting", "m1", datetime(2026, 3, 2), datetime(2026, 3, 2), 30.0, None, True),
            ("call:c5", "call", "c5", datetime(2026, 3, 3), datetime(2026, 3, 3), None, False, True),
        ],
        "activity_key string, activity_type string, activity_id string, activity_at timestamp, "
        "counts_from timestamp, duration_minutes double, recorded boolean, is_tracked boolean",
    )

    calls_df = counted_calls(activities_df, date(2026, 3, 31))

    expected_df = spark.createDataFrame(
        [
            ("c1", "call:c1", datetime(2026, 3, 31, 23, 0), 90, True),
            ("c5", "call:c5", datetime(2026, 3, 3), None, False),
        ],
        "call_id string, activity_key string, started_at timestamp, duration_seconds long, is_flagged_recorded boolean",
    )
    assert_df_equality(calls_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_the_seller_is_the_longest_talking_user_else_who_placed_the_call_and_opted_out_users_are_not_named(spark):
    users_df = spark.createDataFrame(
        [
            ("u-ann", "ann@ours.com", "team-a", False),
            ("u-bob", "Bob@ours.com", "team-b", True),  # opted out of analytics
            ("u-cat", "cat@ours.com", "team-a", None),
            ("u-dan", "dan@ours.com", None, False),
        ],
        USERS_DDL,
    )
    fragments_df = spark.createDataFrame(
        [
            ("c1", 0, "s1", "ann@ours.com", "seller", 5_000),
            ("c1", 1, "s2", "bob@ours.com", "seller", 4_000),
            ("c1", 2, "s2", "bob@ours.com", "seller", 4_000),  # bob talked longest, 8 s
            ("c1", 3, "k1", "eve@theirs.com", "customer", 20_000),
            ("c2", 0, "s1", None, "seller", 9_000),  # no address: who placed the call decides
            ("c3", 0, "s1", "stranger@ours.com", "seller", 9_000),  # no user, no internal participant
            ("c4", 0, "s1", "dan@ours.com", "seller", 1_000),
        ],
        FRAGMENTS_DDL,
    )
    participants_df = spark.createDataFrame(
        [
            ("call:c2", "call", "to", True, "u-ann"),
            ("call:c2", "call", "from", True, "u-cat"),
            ("call:c2", "call", "to", False, None),
        ],
        PARTICIPANTS_DDL,
    )
    calls_df = spark.createDataFrame([(c, f"call:{c}") for c in ("c1", "c2", "c3", "c4")], CALLS_DDL)

    sellers_df = call_sellers(calls_df, fragments_df, participants_df, users_df)

    expected_df = spark.createDataFrame(
        [("c1", None, "team-b"), ("c2", "u-cat", "team-a"), ("c4", "u-dan", None)],
        "call_id string, seller_user_id string, team_id string",
    )
    assert_df_equality(sellers_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_a_calls_account_and_opportunity_are_its_strongest_links_then_the_smaller_id(spark):
    links_df = spark.createDataFrame(
        [
            ("call:c1", "account", "acc-2", "domain", True),
            ("call:c1", "account", "acc-3", "participant", True),
            ("call:c1", "account", "acc-1", "participant", True),
            ("call:c1", "opportunity", "opp-9", "regarding", True),
            ("call:c1", "opportunity", "opp-1", "participant", True),
            ("call:c1", "contact", "con-1", "participant", True),
            ("call:c2", "opportunity", "opp-0", "regarding", False),  # never landed: names nothing
            ("call:c2", "account", "acc-5", "domain", True),
        ],
        "activity_key string, record_type string, record_id string, reason string, is_known_record boolean",
    )
    calls_df = spark.createDataFrame([("c1", "call:c1"), ("c2", "call:c2"), ("c3", "call:c3")], CALLS_DDL)

    records_df = call_records(calls_df, links_df)

    expected_df = spark.createDataFrame(
        [("c1", "acc-1", "opp-9"), ("c2", "acc-5", None)], "call_id string, account_id string, opportunity_id string"
    )
    assert_df_equality(records_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_person_minutes_apply_the_time_spent_rules_to_each_user(spark):
    at = datetime(2026, 3, 2, 9)
    activities_df = spark.createDataFrame(
        [
            ("email:e1", "email", at, at, "team", None, True),
            ("email:e2", "email", at, at, "customer", None, True),
            ("meeting:m1", "meeting", at, at, "team", 30.0, True),
            ("call:c1", "call", at, at, "team", 10.0, True),
            ("task:t1", "task", at, at, "team", 15.0, True),  # not a mode of the home page
            ("email:e3", "email", at, at, "team", None, False),  # left out of everything
        ],
        "activity_key string, activity_type string, activity_at timestamp, counts_from timestamp, "
        "initiated_by string, duration_minutes double, is_tracked boolean",
    )
    participants_df = spark.createDataFrame(
        [
            ("email:e1", "email", "from", True, True, "u1"),
            ("email:e1", "email", "cc", True, True, "u2"),  # reads a team email: no customer time
            ("email:e2", "email", "from", False, True, None),
            ("email:e2", "email", "to", True, True, "u1"),
            ("email:e2", "email", "cc", True, True, "u1"),  # listed twice, counted once
            ("email:e2", "email", "cc", True, True, "u2"),
            ("meeting:m1", "meeting", "organizer", True, True, "u1"),
            ("meeting:m1", "meeting", "attendee", True, False, "u2"),  # declined
            ("call:c1", "call", "from", True, True, "u2"),
            ("task:t1", "task", "owner", True, True, "u1"),
            ("email:e3", "email", "from", True, True, "u1"),
        ],
        "activity_key string, activity_type string, role string, is_internal boolean, is_present boolean, "
        "user_id string",
    )

    minutes_df = person_minutes(activities_df, participants_df).select("activity_key", "user_id", "minutes")

    expected_df = spark.createDataFrame(
        [
            ("email:e1", "u1", 5.0),
            ("email:e2", "u1", 2.5),
            ("email:e2", "u2", 2.5),
            ("meeting:m1", "u1", 30.0),
            ("call:c1", "u2", 10.0),
        ],
        "activity_key string, user_id string, minutes double",
    )
    assert_df_equality(minutes_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_a_call_without_text_keeps_its_text_measures_from_the_nearest_earlier_gold_day(spark):
    from transforms.call_insights import TEXT_MEASURES, earlier_text_rows, with_earlier_text_measures

    measures = ", ".join(f"{m} {'string' if m in ('sentiment_label', 'language') else 'double'}" for m in TEXT_MEASURES)
    history_df = spark.createDataFrame(
        [
            ("c1", date(2026, 3, 29), 100.0, 0.1, 0.8, 0.1, "neutral", "en"),
            ("c1", date(2026, 3, 30), 110.0, 0.2, 0.7, 0.1, "neutral", "en"),  # the latest up to T
            ("c1", date(2026, 4, 2), 120.0, 0.3, 0.6, 0.1, "neutral", "de"),
            ("c2", date(2026, 4, 2), 130.0, 0.9, 0.1, 0.0, "positive", "fr"),  # only after T: the first after
            ("c2", date(2026, 4, 3), 140.0, 0.9, 0.1, 0.0, "positive", "es"),
        ],
        f"call_id string, as_of_date date, {measures}",
    )
    mentions_df = spark.createDataFrame(
        [
            ("c1", date(2026, 3, 29), "keyword", "price", "customer", 5),
            ("c1", date(2026, 3, 30), "keyword", "price", "customer", 4),
            ("c2", date(2026, 4, 3), "keyword", "price", "customer", 9),
        ],
        "call_id string, as_of_date date, term_kind string, term string, speaker_role string, mentions long",
    )
    removed_df = spark.createDataFrame([("c1",), ("c2",), ("c3",)], "call_id string")  # c3: never analysed

    earlier_df, earlier_mentions_df = earlier_text_rows(history_df, mentions_df, removed_df, date(2026, 3, 31))

    kept = {r["call_id"]: (r["words_per_minute"], r["language"]) for r in earlier_df.collect()}
    assert kept == {"c1": (110.0, "en"), "c2": (130.0, "fr")}
    assert [tuple(r) for r in earlier_mentions_df.collect()] == [("c1", "keyword", "price", "customer", 4)]
    insights_df = spark.createDataFrame(
        [
            ("c1", 5.0, 0.0, None, None, None, None, None),  # computed without text: 0 words a minute
            ("c3", 6.0, 0.0, None, None, None, None, None),
            ("c4", 7.0, 90.0, 0.5, 0.5, 0.0, "neutral", "en"),  # with text: as computed
        ],
        f"call_id string, talk_pct double, {measures}",
    )
    merged = {r["call_id"]: tuple(r) for r in with_earlier_text_measures(insights_df, removed_df, earlier_df).collect()}
    assert merged == {
        "c1": ("c1", 5.0, 110.0, 0.2, 0.7, 0.1, "neutral", "en"),
        "c3": ("c3", 6.0, None, None, None, None, None, None),
        "c4": ("c4", 7.0, 90.0, 0.5, 0.5, 0.0, "neutral", "en"),
    }

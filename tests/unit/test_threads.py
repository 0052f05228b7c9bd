from datetime import UTC, datetime, timedelta

from chispa import assert_df_equality
from pyspark.sql import types as T

from schemas.silver import EMAIL_RESPONSES_SCHEMA, EMAIL_THREADS_SCHEMA
from transforms.threads import (
    email_responses,
    email_threads,
    thread_edges,
    thread_labels,
    threads_to_refresh,
)

EMAILS_SCHEMA = "email_id string, in_reply_to string, references array<string>, thread_id string"
EDGES_SCHEMA = "node_a string, node_b string"
LABELS_SCHEMA = "node string, label string"
SEQUENCE_SCHEMA = "email_id string, thread_key string, sent_at timestamp, side string"
RESPONSES_SCHEMA = T.StructType([T.StructField(f.name, f.dataType, nullable=True) for f in EMAIL_RESPONSES_SCHEMA])
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_thread_edges_link_replies_references_and_prefixed_thread_ids(spark):
    emails_df = spark.createDataFrame(
        [
            ("m2", "m1", ["m0", None, "m1"], "conv"),
            ("m3", "  ", [], None),  # a blank In-Reply-To links nothing
            ("m4", None, None, ""),
        ],
        EMAILS_SCHEMA,
    )

    expected_df = spark.createDataFrame(
        [
            ("m1", "m2"),
            ("m0", "m2"),
            ("m2", "thread:conv"),
            ("m2", "m2"),
            ("m3", "m3"),
            ("m4", "m4"),
        ],
        EDGES_SCHEMA,
    )
    assert_df_equality(thread_edges(emails_df), expected_df, ignore_row_order=True, ignore_nullable=True)


def test_labels_are_the_smallest_node_of_each_group_in_byte_order(spark):
    edges_df = spark.createDataFrame(
        [("b", "é"), ("B", "b"), ("x", "x"), ("y", "z"), ("z", "z")],
        EDGES_SCHEMA,
    )

    expected_df = spark.createDataFrame(
        [("B", "B"), ("b", "B"), ("é", "B"), ("x", "x"), ("y", "y"), ("z", "y")], LABELS_SCHEMA
    )
    assert_df_equality(thread_labels(edges_df), expected_df, ignore_row_order=True, ignore_nullable=True)
    assert thread_labels(edges_df.limit(0)).collect() == []


def test_email_threads_are_the_connected_groups_keyed_by_their_smallest_node(spark):
    emails_df = spark.createDataFrame(
        [
            # a reply chain of 6, References only on some replies
            ("a1", None, None, None),
            ("a2", "a1", ["a1"], None),
            ("a3", "a2", None, None),
            ("a4", "a3", ["a1", "a3"], None),
            ("a5", "a4", [], None),
            ("a6", "a5", None, None),
            # two replies to a message that never landed: one thread, keyed by the lost id
            ("b2", "b1-lost", ["b1-lost"], None),
            ("b3", "b1-lost", None, None),
            # a reply from a web form (In-Reply-To, no References), answered with References [c2] only
            ("c1", None, None, None),
            ("c2", "c1", None, None),
            ("c3", "c2", ["c2"], None),
            # only a shared conversation id
            ("d1", None, None, "conv-d"),
            ("d2", None, None, "conv-d"),
            # an email with no link at all
            ("e1", None, None, None),
            # two separate threads; g1's thread_id equals a message id and must not join it
            ("f1", None, None, "conv-f"),
            ("f2", "f1", None, "conv-f"),
            ("g1", None, None, "f1"),
            ("g2", "g1", ["g1"], None),
        ],
        EMAILS_SCHEMA,
    )
    edges_df = thread_edges(emails_df)

    labels_df = thread_labels(edges_df)

    expected_df = spark.createDataFrame(
        [
            *[(f"a{i}", "a1") for i in range(1, 7)],
            ("b2", "b1-lost"),
            ("b3", "b1-lost"),
            ("c1", "c1"),
            ("c2", "c1"),
            ("c3", "c1"),
            ("d1", "d1"),
            ("d2", "d1"),
            ("e1", "e1"),
            ("f1", "f1"),
            ("f2", "f1"),
            ("g1", "g1"),
            ("g2", "g1"),
        ],
        EMAIL_THREADS_SCHEMA,
    )
    assert_df_equality(email_threads(emails_df, labels_df), expected_df, ignore_row_order=True, ignore_nullable=True)


def test_a_chain_of_500_replies_is_one_thread(spark):
    # In-Reply-To only, so every link is to the previous email: the longest path a graph can have
    emails_df = spark.createDataFrame(
        [(f"e{i:03d}", f"e{i - 1:03d}" if i else None, None, None) for i in range(500)], EMAILS_SCHEMA
    )

    labels_df = thread_labels(thread_edges(emails_df))

    expected_df = spark.createDataFrame([(f"e{i:03d}", "e000") for i in range(500)], EMAIL_THREADS_SCHEMA)
    assert_df_equality(email_threads(emails_df, labels_df), expected_df, ignore_row_order=True, ignore_nullable=True)


def test_a_run_is_one_request_and_the_next_run_answers_it_within_the_window(spark):
    sequence_df = spark.createDataFrame(
        [
            ("c1", "t1", T0, "customer"),
            ("c2", "t1", T0 + timedelta(minutes=10), "customer"),
            ("i1", "t1", T0 + timedelta(minutes=15), None),  # internal only: does not break the run
            ("c3", "t1", T0 + timedelta(minutes=20), "customer"),
            ("r1", "t1", T0 + timedelta(hours=1, minutes=30), "team"),
            ("r2", "t1", T0 + timedelta(hours=2), "team"),
            ("c4", "t1", T0 + timedelta(days=3), "customer"),  # 3 days after r1: beyond a 2-day window
            ("r3", "t1", T0 + timedelta(days=3, minutes=45), "team"),
        ],
        SEQUENCE_SCHEMA,
    )

    responses_df = email_responses(sequence_df, response_window_days=2)

    t_r1 = T0 + timedelta(hours=1, minutes=30)
    t_c4 = T0 + timedelta(days=3)
    expected_df = spark.createDataFrame(
        [
            ("t1", "c1", "customer", T0, 3, "r1", t_r1, 1.5),
            ("t1", "r1", "team", t_r1, 2, None, None, None),
            ("t1", "c4", "customer", t_c4, 1, "r3", t_c4 + timedelta(minutes=45), 0.75),
            ("t1", "r3", "team", t_c4 + timedelta(minutes=45), 1, None, None, None),
        ],
        RESPONSES_SCHEMA,
    )
    assert_df_equality(responses_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_the_window_is_inclusive_to_the_microsecond(spark):
    sequence_df = spark.createDataFrame(
        [
            ("x1", "on-time", T0, "customer"),
            ("x2", "on-time", T0 + timedelta(days=30), "team"),
            ("y1", "late", T0, "customer"),
            ("y2", "late", T0 + timedelta(days=30, seconds=1), "team"),
        ],
        SEQUENCE_SCHEMA,
    )

    responses_df = email_responses(sequence_df, response_window_days=30)

    expected_df = spark.createDataFrame(
        [
            ("on-time", "x1", "customer", T0, 1, "x2", T0 + timedelta(days=30), 720.0),
            ("on-time", "x2", "team", T0 + timedelta(days=30), 1, None, None, None),
            ("late", "y1", "customer", T0, 1, None, None, None),
            ("late", "y2", "team", T0 + timedelta(days=30, seconds=1), 1, None, None, None),
        ],
        RESPONSES_SCHEMA,
    )
    assert_df_equality(responses_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_emails_sent_at_the_same_time_are_ordered_by_email_id(spark):
    # listed out of order on purpose; string order puts m10 before m9
    sequence_df = spark.createDataFrame(
        [
            ("m9", "t", T0, "team"),
            ("m10", "t", T0, "customer"),
            ("m11", "t", T0, "customer"),
            ("m8", "t", T0 + timedelta(hours=1), "customer"),
        ],
        SEQUENCE_SCHEMA,
    )

    responses_df = email_responses(sequence_df, response_window_days=30)

    # order: m10 customer, m11 customer, m9 team, m8 customer
    expected_df = spark.createDataFrame(
        [
            ("t", "m10", "customer", T0, 2, "m9", T0, 0.0),
            ("t", "m9", "team", T0, 1, "m8", T0 + timedelta(hours=1), 1.0),
            ("t", "m8", "customer", T0 + timedelta(hours=1), 1, None, None, None),
        ],
        RESPONSES_SCHEMA,
    )
    assert_df_equality(responses_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_one_sided_threads_have_unanswered_requests_and_internal_threads_none(spark):
    sequence_df = spark.createDataFrame(
        [
            ("c1", "customer-only", T0, "customer"),
            ("c2", "customer-only", T0 + timedelta(hours=5), "customer"),
            ("t1", "team-only", T0, "team"),
            ("i1", "internal-only", T0, None),
            ("i2", "internal-only", T0 + timedelta(minutes=5), None),
        ],
        SEQUENCE_SCHEMA,
    )

    responses_df = email_responses(sequence_df, response_window_days=30)

    expected_df = spark.createDataFrame(
        [
            ("customer-only", "c1", "customer", T0, 2, None, None, None),
            ("team-only", "t1", "team", T0, 1, None, None, None),
        ],
        RESPONSES_SCHEMA,
    )
    assert_df_equality(responses_df, expected_df, ignore_row_order=True, ignore_nullable=True)


def test_threads_to_refresh_are_the_threads_changed_emails_touch_and_give_the_threads_of_all(spark):
    before = [
        ("x1", None, None, None),
        ("x2", "x1", None, None),
        ("x3", "x2", None, None),
        ("y1", None, None, None),
        ("y2", "y1", None, None),
        ("z1", None, None, None),
        ("z2", None, ["lost"], None),  # a thread with a message that never landed: key "lost"
        ("w1", None, None, "conv-w"),
        ("w2", None, None, "conv-w"),
    ]
    after = [
        *[e for e in before if e[0] != "x2"],  # x2 delivered again without it: x1 and x3 come apart
        ("n1", "x3", ["y1"], None),  # a new reply joins what is left of x's thread with y's
        ("n2", None, ["lost"], None),  # a new email pointing at the lost message joins z2's thread
    ]
    before_df, after_df = (spark.createDataFrame(rows, EMAILS_SCHEMA) for rows in (before, after))
    old_threads_df = email_threads(before_df, thread_labels(thread_edges(before_df)))
    changed_df = spark.createDataFrame([("x2",), ("n1",), ("n2",)], "email_id string")

    members_df = threads_to_refresh(after_df, old_threads_df, changed_df)

    assert sorted(r["email_id"] for r in members_df.collect()) == ["n1", "n2", "x1", "x2", "x3", "y1", "y2", "z2"]
    scoped_df = after_df.join(members_df, on="email_id", how="left_semi")
    merged_df = old_threads_df.join(members_df, on="email_id", how="left_anti").unionByName(
        email_threads(scoped_df, thread_labels(thread_edges(scoped_df)))
    )
    expected_df = spark.createDataFrame(
        [
            ("x1", "x1"),
            *[(e, "n1") for e in ("x3", "n1", "y1", "y2")],  # keyed by the smallest node, n1 (x2 is now a lost id)
            ("z1", "z1"),
            ("z2", "lost"),
            ("n2", "lost"),
            ("w1", "thread:conv-w"),
            ("w2", "thread:conv-w"),
        ],
        EMAIL_THREADS_SCHEMA,
    )
    assert_df_equality(merged_df, expected_df, ignore_row_order=True, ignore_nullable=True)
    full_df = email_threads(after_df, thread_labels(thread_edges(after_df)))
    assert_df_equality(merged_df, full_df, ignore_row_order=True, ignore_nullable=True)

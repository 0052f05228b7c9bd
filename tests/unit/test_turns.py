from chispa import assert_approx_df_equality, assert_df_equality

from schemas.bronze import record_schema
from schemas.landing import TRANSCRIPTS
from schemas.silver import CALL_FRAGMENTS_SCHEMA, CALL_TURNS_SCHEMA
from transforms.turns import explode_fragments, merge_turns, number_fragments, talk_stats

FRAGMENTS_DDL = "call_id string, participant_id string, role string, offset_ms long, duration_ms long, text string"
EXPLODED_DDL = (
    "call_id string, participant_id string, email string, role string, offset_ms long, duration_ms long, text string"
)
DURATIONS_DDL = "call_id string, duration_seconds long"
STATS_DDL = (
    "call_id string, seller_talk_ms long, customer_talk_ms long, talk_pct double, listen_pct double, "
    "switches long, switches_per_hour double, seller_words_per_minute double, pause_before_speaking_ms double, "
    "longest_customer_monologue_s double"
)
PRECISION = 1e-9


def turn(call_id, turn_index, participant_id, role, start_ms, end_ms, words=1):
    """A turn row for talk_stats inputs; fragments and text do not matter there."""
    return (call_id, turn_index, participant_id, role, start_ms, end_ms, 1, words, "w " * words)


def test_explode_fragments_gives_one_row_per_fragment_with_the_speakers_role(spark):
    participants = [("s1", "ann@ours.com", "seller"), ("c1", None, "customer"), ("o1", None, "other")]
    transcripts_df = spark.createDataFrame(
        [
            (
                "call-1",
                "en",
                participants,
                [("c1", 1_200, 800, "Hi there"), ("s1", 0, 1_000, "Hello"), ("o1", 2_500, 300, "Note")],
            ),
            ("call-2", "de", [("s1", "ann@ours.com", "seller")], []),  # no fragments: no rows
            # Bronze quarantines unknown speakers; were one to slip through, its role is null, not a guess.
            ("call-3", "en", [("s1", "ann@ours.com", "seller")], [("x9", 0, 500, "Who?")]),
        ],
        record_schema(TRANSCRIPTS),
    )

    fragments_df = explode_fragments(transcripts_df)

    expected_df = spark.createDataFrame(
        [
            ("call-1", "c1", None, "customer", 1_200, 800, "Hi there"),
            ("call-1", "s1", "ann@ours.com", "seller", 0, 1_000, "Hello"),
            ("call-1", "o1", None, "other", 2_500, 300, "Note"),
            ("call-3", "x9", None, None, 0, 500, "Who?"),
        ],
        EXPLODED_DDL,
    )
    assert_df_equality(fragments_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_fragments_are_numbered_in_start_order_whatever_order_the_transcript_lists_them(spark):
    fragments_df = spark.createDataFrame(
        [
            ("call-1", "c1", None, "customer", 1_200, 800, "Hi there"),
            ("call-1", "s1", "ann@ours.com", "seller", 0, 1_000, "Hello"),
            ("call-1", "c1", None, "customer", 0, 700, "Hey"),  # same start: c1 before s1
            ("call-2", "s1", "ann@ours.com", "seller", 5, 10, "Yes"),
        ],
        EXPLODED_DDL,
    )

    numbered_df = number_fragments(fragments_df)

    expected_df = spark.createDataFrame(
        [
            ("call-1", 0, "c1", None, "customer", 0, 700, "Hey"),
            ("call-1", 1, "s1", "ann@ours.com", "seller", 0, 1_000, "Hello"),
            ("call-1", 2, "c1", None, "customer", 1_200, 800, "Hi there"),
            ("call-2", 0, "s1", "ann@ours.com", "seller", 5, 10, "Yes"),
        ],
        CALL_FRAGMENTS_SCHEMA,
    )
    assert_df_equality(numbered_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_a_gap_of_299_ms_merges_and_a_gap_of_300_ms_starts_a_new_turn(spark):
    fragments_df = spark.createDataFrame(
        [
            ("call-1", "s1", "seller", 1_299, 500, "how  are"),  # 299 ms after 1000; two spaces inside
            ("call-1", "s1", "seller", 0, 1_000, "hello there"),
            ("call-1", "s1", "seller", 2_099, 500, "you"),  # 300 ms after 1799
        ],
        FRAGMENTS_DDL,
    )

    turns_df = merge_turns(fragments_df)

    expected_df = spark.createDataFrame(
        [
            ("call-1", 0, "s1", "seller", 0, 1_799, 2, 4, "hello there how  are"),
            ("call-1", 1, "s1", "seller", 2_099, 2_599, 1, 1, "you"),
        ],
        CALL_TURNS_SCHEMA,
    )
    assert_df_equality(turns_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_the_gap_is_measured_from_the_furthest_end_of_the_turn_so_far(spark):
    # The second fragment lies inside the first; the third starts 200 ms after the first ends but
    # 3.2 s after the second ends, so it merges only if the turn's end is its furthest end.
    fragments_df = spark.createDataFrame(
        [
            ("call-1", "c1", "customer", 0, 5_000, "a long answer"),
            ("call-1", "c1", "customer", 1_000, 1_000, "mm"),
            ("call-1", "c1", "customer", 5_200, 1_000, "and more"),
            ("call-1", "c1", "customer", 7_000, 500, "bye"),
        ],
        FRAGMENTS_DDL,
    )

    turns_df = merge_turns(fragments_df, merge_gap_ms=300)

    expected_df = spark.createDataFrame(
        [
            ("call-1", 0, "c1", "customer", 0, 6_200, 3, 6, "a long answer mm and more"),
            ("call-1", 1, "c1", "customer", 7_000, 7_500, 1, 1, "bye"),
        ],
        CALL_TURNS_SCHEMA,
    )
    assert_df_equality(turns_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_merging_is_per_participant_even_across_another_speaker_and_turns_are_numbered_per_call(spark):
    fragments_df = spark.createDataFrame(
        [
            ("call-1", "s1", "seller", 0, 1_000, "one"),
            ("call-1", "c1", "customer", 1_050, 150, "yes"),  # between the seller's two fragments
            ("call-1", "s1", "seller", 1_100, 900, "two three"),
            ("call-1", "a0", "other", 0, 400, "beep"),  # same start as s1: participant_id breaks the tie
            ("call-2", "s1", "seller", 500, 1_000, "other call"),
        ],
        FRAGMENTS_DDL,
    )

    turns_df = merge_turns(fragments_df)

    expected_df = spark.createDataFrame(
        [
            ("call-1", 0, "a0", "other", 0, 400, 1, 1, "beep"),
            ("call-1", 1, "s1", "seller", 0, 2_000, 2, 3, "one two three"),
            ("call-1", 2, "c1", "customer", 1_050, 1_200, 1, 1, "yes"),
            ("call-2", 0, "s1", "seller", 500, 1_500, 1, 2, "other call"),
        ],
        CALL_TURNS_SCHEMA,
    )
    assert_df_equality(turns_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_talk_stats_per_call(spark):
    turns_df = spark.createDataFrame(
        [
            # Overlapping sellers and a customer who overlaps the seller's answer.
            turn("union", 0, "c1", "customer", 0, 3_000, words=6),
            turn("union", 1, "s1", "seller", 3_400, 9_000, words=10),
            turn("union", 2, "s2", "seller", 6_000, 12_000, words=8),
            turn("union", 3, "c1", "customer", 11_500, 14_000, words=5),
            turn("union", 4, "s1", "seller", 13_000, 15_000, words=4),
            # A customer turn under 1 s and an 'other' speaker between two seller turns.
            turn("short", 0, "s1", "seller", 0, 5_000, words=10),
            turn("short", 1, "c1", "customer", 5_100, 5_600, words=1),
            turn("short", 2, "o1", "other", 5_200, 9_000, words=9),
            turn("short", 3, "s1", "seller", 9_000, 12_000, words=6),
            # No customer at all.
            turn("no_customer", 0, "s1", "seller", 0, 2_000, words=5),
            turn("no_customer", 1, "o1", "other", 2_500, 4_000, words=3),
            turn("no_customer", 2, "s1", "seller", 4_500, 7_000, words=5),
            # Nobody but an 'other' speaker.
            turn("only_other", 0, "o1", "other", 0, 5_000, words=7),
            # No seller at all.
            turn("no_seller", 0, "c1", "customer", 0, 60_000, words=100),
        ],
        CALL_TURNS_SCHEMA,
    )
    durations_df = spark.createDataFrame(
        [
            ("union", 1_800),
            ("short", None),
            ("no_customer", 0),
            ("only_other", 60),
            ("no_seller", 120),
            ("no_transcript", 600),  # no turns: no row
        ],
        DURATIONS_DDL,
    )

    stats_df = talk_stats(turns_df, durations_df)

    expected_df = spark.createDataFrame(
        [
            # seller union [3400, 12000) + [13000, 15000); switches c>s, s>c, c>s over half an hour;
            # pauses 400 and 0 (the seller started while the customer still spoke).
            (
                "union",
                10_600,
                5_500,
                100 * 10_600 / 16_100,
                100 * 5_500 / 16_100,
                3,
                6.0,
                22 / (10_600 / 60_000),
                200.0,
                3.0,
            ),
            # The short customer turn and the 'other' turn do not switch; the customer turn is followed,
            # among seller and customer turns, by the seller 3.4 s later.
            ("short", 8_000, 500, 100 * 8_000 / 8_500, 100 * 500 / 8_500, 0, None, 16 / (8_000 / 60_000), 3_400.0, 0.5),
            ("no_customer", 4_500, 0, 100.0, 0.0, 0, None, 10 / (4_500 / 60_000), None, None),
            ("only_other", 0, 0, None, None, 0, 0.0, None, None, None),
            ("no_seller", 0, 60_000, 0.0, 100.0, 0, 0.0, None, None, 60.0),
        ],
        STATS_DDL,
    )
    assert_approx_df_equality(stats_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=True)


def test_transcript_to_talk_stats_end_to_end(spark):
    participants = [("s1", "ann@ours.com", "seller"), ("c1", None, "customer")]
    fragments = [
        ("c1", 0, 1_500, "We need"),
        ("c1", 1_700, 1_300, "a quote"),  # 200 ms later: same turn
        ("s1", 3_300, 2_700, "Sure I can send one"),  # 300 ms after the customer's turn
    ]
    transcripts_df = spark.createDataFrame([("call-1", "en", participants, fragments)], record_schema(TRANSCRIPTS))
    durations_df = spark.createDataFrame([("call-1", 60)], DURATIONS_DDL)

    stats_df = talk_stats(merge_turns(explode_fragments(transcripts_df)), durations_df)

    expected_df = spark.createDataFrame(
        [("call-1", 2_700, 3_000, 100 * 2_700 / 5_700, 100 * 3_000 / 5_700, 1, 60.0, 5 / (2_700 / 60_000), 300.0, 3.0)],
        STATS_DDL,
    )
    assert_approx_df_equality(stats_df, expected_df, PRECISION, ignore_nullable=True, ignore_row_order=True)


def test_a_transcript_whose_text_retention_removed_gives_the_same_turns_without_text_and_words(spark):
    participants = [("s1", "ann@ours.com", "seller"), ("c1", None, "customer")]
    fragments = [("c1", 0, 1_500, "We need"), ("c1", 1_700, 1_300, "a quote"), ("s1", 3_300, 2_700, "Sure")]
    removed = [(p, offset, duration, None) for p, offset, duration, _ in fragments]
    transcripts_df = spark.createDataFrame(
        [("call-1", "en", participants, fragments), ("call-2", "en", participants, removed)], record_schema(TRANSCRIPTS)
    )

    turns = {r["call_id"]: r for r in merge_turns(explode_fragments(transcripts_df)).collect() if r["turn_index"] == 0}

    kept, gone = turns["call-1"].asDict(), turns["call-2"].asDict()
    assert (kept["text"], kept["words"]) == ("We need a quote", 4)
    assert (gone["text"], gone["words"]) == (None, None)
    timing = ("participant_id", "role", "start_ms", "end_ms", "fragments")
    assert [kept[c] for c in timing] == [gone[c] for c in timing]

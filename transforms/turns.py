"""Call transcripts -> speaker turns -> per-call talk statistics (kpis.md section 13).

Grain of each output:
- `explode_fragments`: one row per transcript fragment (call, participant, offset), with the
  speaker's address and role.
- `number_fragments`: the same, numbered per call in start order (silver `call_fragments`,
  `schemas.silver.CALL_FRAGMENTS_SCHEMA`): what sentiment reads, fragment by fragment.
- `merge_turns`: one row per turn (silver `call_turns`, `schemas.silver.CALL_TURNS_SCHEMA`): a
  maximal run of one participant's fragments, in offset order, each starting closer than the merge
  gap to the end of the run so far. Merging is per participant: another participant's fragment in
  between (overlapping speech) does not split a turn. A transcript whose text retention removed
  (null in every fragment) gives turns with null text and words: timing only.
- `talk_stats`: one row per call that has at least one turn.
- `speaker_changes`: one row per call that has a turn long enough to count.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

SELLER, CUSTOMER = "seller", "customer"
TALK_ROLES = (SELLER, CUSTOMER)
DEFAULT_MERGE_GAP_MS = 300
MIN_SWITCH_TURN_MS = 1_000  # turns under 1 s are ignored for switches
MS_PER_SECOND = 1_000
MS_PER_MINUTE = 60_000
SECONDS_PER_HOUR = 3_600
# Any run of whitespace, Unicode spaces included (Java regex flag U).
WHITESPACE_RUN = r"(?U)\s+"


def _participant_of(participants: Column, participant_id: Column) -> Column:
    """The first participant entry with this id (null when none: bronze quarantines those)."""
    matching = F.filter(participants, lambda p: p["participant_id"] == participant_id)
    return F.get(matching, 0)  # `get` is null past the end, where `[0]` fails in ANSI mode


def explode_fragments(transcripts_df: DataFrame) -> DataFrame:
    """Bronze transcripts -> one row per fragment with its speaker's role.

    A lookup in the record's own participants array rather than a join: no shuffle, and a
    participant listed twice cannot duplicate fragments.
    """
    return (
        transcripts_df.select("call_id", "participants", F.inline("fragments"))
        .withColumn("speaker", _participant_of(F.col("participants"), F.col("participant_id")))
        .select(
            "call_id",
            "participant_id",
            F.col("speaker.email").alias("email"),
            F.col("speaker.role").alias("role"),
            "offset_ms",
            "duration_ms",
            "text",
        )
    )


def number_fragments(fragments_df: DataFrame) -> DataFrame:
    """Fragments -> silver `call_fragments`: numbered per call in start order (ties by speaker,
    length and text, so that the numbers never depend on how the transcript listed them)."""
    start_order_w = Window.partitionBy("call_id").orderBy("offset_ms", "participant_id", "duration_ms", "text")
    return fragments_df.select(
        "call_id",
        (F.row_number().over(start_order_w) - 1).cast(T.IntegerType()).alias("fragment_index"),
        "participant_id",
        "email",
        "role",
        F.col("offset_ms").cast(T.LongType()),
        F.col("duration_ms").cast(T.LongType()),
        "text",
    )


def merge_turns(fragments_df: DataFrame, merge_gap_ms: int = DEFAULT_MERGE_GAP_MS) -> DataFrame:
    """Fragments -> turns (CALL_TURNS_SCHEMA), merging one participant's fragments closer than `merge_gap_ms`.

    The gap is measured from the latest end of the turn so far (not just the previous fragment's
    end) to the next fragment's start; an overlap is a negative gap and always merges.
    """
    speaker_order = ["offset_ms", "duration_ms", "text"]  # text only makes ties deterministic
    speaker_before_w = (
        Window.partitionBy("call_id", "participant_id")
        .orderBy(*speaker_order)
        .rowsBetween(Window.unboundedPreceding, -1)
    )
    speaker_so_far_w = (
        Window.partitionBy("call_id", "participant_id")
        .orderBy(*speaker_order)
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    call_order_w = Window.partitionBy("call_id").orderBy("start_ms", "participant_id")

    end_ms = F.col("offset_ms") + F.col("duration_ms")
    turn_end_before = F.max("end_ms").over(speaker_before_w)
    is_turn_start = turn_end_before.isNull() | (F.col("offset_ms") - turn_end_before >= merge_gap_ms)

    numbered_df = (
        fragments_df.withColumn("end_ms", end_ms)
        .withColumn("is_turn_start", is_turn_start)
        .withColumn("speaker_turn", F.sum(F.col("is_turn_start").cast("int")).over(speaker_so_far_w))
    )
    # sort_array orders the structs by offset first, the same order as the window.
    ordered_texts = F.sort_array(F.collect_list(F.struct(*speaker_order)))
    turns_df = numbered_df.groupBy("call_id", "participant_id", "speaker_turn").agg(
        F.first("role").alias("role"),  # one role per participant
        F.min("offset_ms").alias("start_ms"),
        F.max("end_ms").alias("end_ms"),
        F.count(F.lit(1)).alias("fragments"),
        # Null when the text was removed (retention, jobs/retention.py): a call loses all of it at once.
        F.when(F.count("text") > 0, F.array_join(F.transform(ordered_texts, lambda f: f["text"]), " ")).alias("text"),
    )
    words = F.when(
        F.col("text").isNotNull(), F.size(F.filter(F.split(F.col("text"), WHITESPACE_RUN), lambda w: w != ""))
    )
    turn_index = F.row_number().over(call_order_w) - 1
    return turns_df.select(
        "call_id",
        turn_index.cast(T.IntegerType()).alias("turn_index"),
        "participant_id",
        "role",
        F.col("start_ms").cast(T.LongType()),
        F.col("end_ms").cast(T.LongType()),
        F.col("fragments").cast(T.IntegerType()),
        words.cast(T.IntegerType()).alias("words"),
        "text",
    )


def talk_stats(turns_df: DataFrame, duration_seconds_df: DataFrame) -> DataFrame:
    """Turns + call durations -> one row per call with turns: talk/listen, switches, pace, pauses, monologues.

    `duration_seconds_df` has `call_id, duration_seconds`, one row per call; a call without one
    gets a null `switches_per_hour`. The measures that depend on the turns before a turn (talk
    time, switches, pauses) look back over the call's earlier turns in start order (`turn_index`),
    at the subset of them each counts, so one shuffle and one sort of the turns serve them all,
    and one aggregation sums every measure.
    """
    turn_ms = F.col("end_ms") - F.col("start_ms")
    is_seller, is_customer = F.col("role") == SELLER, F.col("role") == CUSTOMER
    is_talk_turn = F.col("role").isin(*TALK_ROLES)
    counts_for_switches = is_talk_turn & (turn_ms >= MIN_SWITCH_TURN_MS)
    earlier_w = Window.partitionBy("call_id").orderBy("turn_index").rowsBetween(Window.unboundedPreceding, -1)

    def latest_earlier(condition: Column, value: Column) -> Column:
        """`value` of the last earlier turn of the call that meets `condition` (null when none)."""
        return F.last(F.when(condition, value), ignorenulls=True).over(earlier_w)

    # Union of one side's intervals: in start order, each turn adds only the part past the
    # furthest end of its side's turns before it, so overlapping turns of two sellers count once.
    side_until = {side: F.max(F.when(F.col("role") == side, F.col("end_ms"))).over(earlier_w) for side in TALK_ROLES}
    side_covered_until = F.when(is_seller, side_until[SELLER]).when(is_customer, side_until[CUSTOMER])
    covered_until = F.greatest(F.col("start_ms"), F.coalesce(side_covered_until, F.col("start_ms")))
    new_talk_ms = F.greatest(F.lit(0), F.col("end_ms") - covered_until)

    # A switch: a turn counted for switches whose side differs from the last such turn before it.
    previous_role = latest_earlier(counts_for_switches, F.col("role"))
    is_switch = counts_for_switches & F.coalesce(F.col("role") != previous_role, F.lit(False))
    # The pause before the seller speaks: a seller's talk turn right after a customer's (talk turns only).
    previous_talk = latest_earlier(is_talk_turn, F.struct("role", "end_ms"))
    answers_customer = is_seller & (previous_talk["role"] == CUSTOMER)
    pause_ms = F.greatest(F.lit(0), F.col("start_ms") - previous_talk["end_ms"])

    marked_df = (
        turns_df.withColumn("new_talk_ms", new_talk_ms)
        .withColumn("is_switch", is_switch)
        .withColumn("pause_ms", F.when(answers_customer, pause_ms))
    )
    per_call_df = marked_df.groupBy("call_id").agg(
        F.sum(F.when(is_seller, F.col("new_talk_ms")).otherwise(0)).cast(T.LongType()).alias("seller_talk_ms"),
        F.sum(F.when(is_customer, F.col("new_talk_ms")).otherwise(0)).cast(T.LongType()).alias("customer_talk_ms"),
        F.sum(F.col("is_switch").cast(T.LongType())).alias("switches"),
        F.sum(F.when(is_seller, F.col("words")).otherwise(0)).alias("seller_words"),
        F.avg("pause_ms").alias("pause_before_speaking_ms"),  # avg skips nulls: null when no such pair
        F.max(F.when(is_customer, turn_ms)).alias("longest_customer_turn_ms"),
    )

    both_ms = F.col("seller_talk_ms") + F.col("customer_talk_ms")
    talk_pct = F.when(both_ms > 0, 100.0 * F.col("seller_talk_ms") / both_ms)
    call_hours = F.col("duration_seconds") / SECONDS_PER_HOUR
    seller_minutes = F.col("seller_talk_ms") / MS_PER_MINUTE
    return (
        per_call_df.join(duration_seconds_df.select("call_id", "duration_seconds"), on="call_id", how="left")
        .withColumn("talk_pct", talk_pct)
        .select(
            "call_id",
            "seller_talk_ms",
            "customer_talk_ms",
            "talk_pct",
            (100.0 - F.col("talk_pct")).alias("listen_pct"),
            "switches",
            F.when(call_hours > 0, F.col("switches") / call_hours).alias("switches_per_hour"),
            F.when(seller_minutes > 0, F.col("seller_words") / seller_minutes).alias("seller_words_per_minute"),
            F.col("pause_before_speaking_ms").cast(T.DoubleType()),
            (F.col("longest_customer_turn_ms") / MS_PER_SECOND).alias("longest_customer_monologue_s"),
        )
    )


def speaker_changes(turns_df: DataFrame, min_turn_ms: int = MIN_SWITCH_TURN_MS) -> DataFrame:
    """(call_id, speaker_changes): changes of participant between consecutive turns in start order,
    any roles, ignoring turns shorter than `min_turn_ms`. Not `switches` (changes of side, seller
    and customer): what a corpus that counts speaker changes, like Earnings-21, can be checked against."""
    kept_df = turns_df.filter(F.col("end_ms") - F.col("start_ms") >= min_turn_ms)
    previous = F.lag("participant_id").over(Window.partitionBy("call_id").orderBy("turn_index"))
    changed = F.coalesce(F.col("participant_id") != previous, F.lit(False))
    return (
        kept_df.withColumn("changed", changed)
        .groupBy("call_id")
        .agg(F.sum(F.col("changed").cast(T.LongType())).alias("speaker_changes"))
    )

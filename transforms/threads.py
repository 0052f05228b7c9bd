"""Emails -> threads (connected groups of emails) -> requests and their responses (kpis.md section 4).

Grain of each output:
- `thread_edges`: one row per distinct undirected link between two nodes (`node_a <= node_b`); a
  node is an email id, an id some email points at, or `thread:<thread_id>`; every email has a
  self link so that an email without links is a node too.
- `initial_labels`, `propagate_labels`: one row per node, with the label it carries so far.
- `labels_changed`: one row per node whose label differs between two rounds.
- `email_threads`: one row per email with its `thread_key`, the smallest node id of its group
  (EMAIL_THREADS_SCHEMA).
- `email_responses`: one row per request, a maximal run of consecutive emails from one side inside
  a thread, with its response if any (EMAIL_RESPONSES_SCHEMA).

Connected components are found without any action here: `propagate_labels` is one round, and the
job loops until `labels_changed(before_df, after_df)` is empty, checkpointing the labels between
rounds (each round reads the previous labels twice, so an unbroken lineage doubles every round).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from schemas.silver import SIDES

# A shared conversation id becomes a node of its own; the prefix keeps it from ever being equal to
# a message id (a thread_id "abc@x" and a Message-ID "abc@x" are different things).
THREAD_ID_PREFIX = "thread:"
MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 24 * MICROS_PER_HOUR


def _is_id(column: Column) -> Column:
    """A usable link target: an empty or blank id would join every email that carries one."""
    return column.isNotNull() & (F.trim(column) != "")


def thread_edges(emails_df: DataFrame) -> DataFrame:
    """Emails (email_id, in_reply_to, references, thread_id) -> undirected links (node_a, node_b)."""
    reply_df = emails_df.select("email_id", F.col("in_reply_to").alias("linked_id"))
    reference_df = emails_df.select("email_id", F.explode_outer("references").alias("linked_id"))
    conversation_df = emails_df.select(
        "email_id",
        F.when(_is_id(F.col("thread_id")), F.concat(F.lit(THREAD_ID_PREFIX), F.col("thread_id"))).alias("linked_id"),
    )
    self_df = emails_df.select("email_id", F.col("email_id").alias("linked_id"))
    links_df = (
        reply_df.unionByName(reference_df)
        .unionByName(conversation_df)
        .filter(_is_id(F.col("linked_id")))
        .unionByName(self_df)
    )
    return links_df.select(
        F.least("email_id", "linked_id").alias("node_a"),
        F.greatest("email_id", "linked_id").alias("node_b"),
    ).distinct()


def _both_directions(edges_df: DataFrame) -> DataFrame:
    """(node, neighbour) for each end of every link."""
    forward_df = edges_df.select(F.col("node_a").alias("node"), F.col("node_b").alias("neighbour"))
    backward_df = edges_df.select(F.col("node_b").alias("node"), F.col("node_a").alias("neighbour"))
    return forward_df.unionByName(backward_df)


def initial_labels(edges_df: DataFrame) -> DataFrame:
    """Links -> one row per node labelled with the smallest of itself and its neighbours."""
    return (
        _both_directions(edges_df)
        .groupBy("node")
        .agg(F.min("neighbour").alias("smallest_neighbour"))
        .select("node", F.least("node", "smallest_neighbour").alias("label"))
    )


def propagate_labels(labels_df: DataFrame, edges_df: DataFrame) -> DataFrame:
    """One round of min-label propagation with pointer jumping -> (node, label).

    A node takes the smallest label among its own and its neighbours' (propagation), then the label
    that this smallest label's node carries, if smaller (pointer jumping). Labels only decrease and
    are always node ids of the same group, so the fixed point labels every group with its smallest
    node; on a chain the reach roughly doubles every round instead of growing by one.
    """
    neighbour_labels_df = (
        _both_directions(edges_df)
        .join(labels_df.select(F.col("node").alias("neighbour"), "label"), on="neighbour", how="inner")
        .select("node", "label")
    )
    smallest_df = (
        labels_df.select("node", "label")
        .unionByName(neighbour_labels_df)
        .groupBy("node")
        .agg(F.min("label").alias("smallest_label"))
    )
    jump_df = labels_df.select(F.col("node").alias("smallest_label"), F.col("label").alias("label_of_smallest"))
    return smallest_df.join(jump_df, on="smallest_label", how="left").select(
        "node",
        # least() skips nulls: a label whose node is missing from labels_df simply does not jump.
        F.least("smallest_label", "label_of_smallest").alias("label"),
    )


def labels_changed(before_df: DataFrame, after_df: DataFrame) -> DataFrame:
    """Two rounds of labels -> one row per node whose label differs (or that is in one round only)."""
    before_labels_df = before_df.select("node", F.col("label").alias("label_before"))
    after_labels_df = after_df.select("node", F.col("label").alias("label_after"))
    return (
        before_labels_df.join(after_labels_df, on="node", how="full")
        .filter(~F.col("label_before").eqNullSafe(F.col("label_after")))
        .select("node", "label_before", "label_after")
    )


def email_threads(emails_df: DataFrame, labels_df: DataFrame) -> DataFrame:
    """Emails and converged labels -> (email_id, thread_key): the smallest node id of its group.

    A left join on purpose: an email missing from the labels keeps its row with a null key, which
    the table's not-null expectation reports, instead of vanishing.
    """
    keys_df = labels_df.select(F.col("node").alias("email_id"), F.col("label").alias("thread_key"))
    return emails_df.select("email_id").join(keys_df, on="email_id", how="left").select("email_id", "thread_key")


def _with_run_index(sequence_df: DataFrame, thread: list[str]) -> DataFrame:
    """Numbers the runs of consecutive emails from one side inside each thread, from 1."""
    # lag() brings its own one-row frame; Spark rejects any other, so this window names none.
    in_order = Window.partitionBy(*thread).orderBy("sent_at", "email_id")
    up_to_here = in_order.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    previous_side = F.lag("side").over(in_order)
    is_run_start = previous_side.isNull() | (previous_side != F.col("side"))
    return sequence_df.withColumn("is_run_start", is_run_start).withColumn(
        "run_index", F.sum(F.col("is_run_start").cast("int")).over(up_to_here)
    )


def email_responses(
    sequence_df: DataFrame, response_window_days: int, thread: tuple[str, ...] = ("thread_key",)
) -> DataFrame:
    """Thread emails (email_id, thread_key, sent_at, side) -> one row per request and its response.
    `thread` names the columns that identify a thread (gold adds the as-of day in front), and
    they lead the output.

    Emails without a side (internal only) stay out of the sequence, so they never break a run. The
    response of a run is the first email of the next run (necessarily from the other side) when it
    is sent at most `response_window_days` days (an exact duration, inclusive) after the run's first
    email. The next run is a request of its own either way.
    """
    thread_columns = list(thread)
    runs_df = (
        _with_run_index(sequence_df.filter(F.col("side").isin(*SIDES)), thread_columns)
        .groupBy(*thread_columns, "run_index")
        .agg(
            # the struct orders like the thread (sent_at, then email_id): its min is the first email
            F.min(F.struct("sent_at", "email_id", "side")).alias("first_email"),
            F.count(F.lit(1)).alias("request_emails"),
        )
    )
    # lead() brings its own one-row frame, like lag() above.
    next_run = Window.partitionBy(*thread_columns).orderBy("run_index")
    requests_df = runs_df.withColumn("next_email", F.lead("first_email").over(next_run))
    response_micros = F.unix_micros("next_email.sent_at") - F.unix_micros("first_email.sent_at")
    is_answered = response_micros <= F.lit(response_window_days * MICROS_PER_DAY)
    return requests_df.select(
        *thread_columns,
        F.col("first_email.email_id").alias("request_email_id"),
        F.col("first_email.side").alias("request_side"),
        F.col("first_email.sent_at").alias("request_sent_at"),
        F.col("request_emails").cast("int").alias("request_emails"),
        F.when(is_answered, F.col("next_email.email_id")).alias("response_email_id"),
        F.when(is_answered, F.col("next_email.sent_at")).alias("response_sent_at"),
        F.when(is_answered, response_micros / F.lit(float(MICROS_PER_HOUR))).alias("response_hours"),
    )


# Threads at an as-of day T (kpis.md: a run for T reads only emails sent by the end of T). A
# later email can join two groups that were apart at T, so a thread of all emails is the thread
# at T only when none of its emails came after T; the others are found again from their emails
# sent by T, each day's ids prefixed by the day so one pass separates the days.
DAY_PREFIX_LENGTH = len("2026-01-01|")


def emails_as_of(emails_df: DataFrame, as_of_df: DataFrame) -> DataFrame:
    """Emails (email_id, sent_at, in_reply_to, references, thread_id, side) sent by the end of each
    as-of day, with `as_of_date`."""
    days_df = as_of_df.select("as_of_date", "as_of_end")
    return emails_df.join(F.broadcast(days_df), on=F.col("sent_at") < F.col("as_of_end"), how="inner").drop("as_of_end")


def threads_changed_after(emails_df: DataFrame, threads_df: DataFrame, as_of_df: DataFrame) -> DataFrame:
    """(as_of_date, thread_key) of the threads (of all emails) that received an email after the day."""
    days_df = as_of_df.select("as_of_date", "as_of_end")
    return (
        emails_df.select("email_id", "sent_at")
        .join(F.broadcast(days_df), on=F.col("sent_at") >= F.col("as_of_end"), how="inner")
        .join(threads_df, on="email_id", how="inner")
        .select("as_of_date", "thread_key")
        .distinct()
    )


def day_scoped(emails_df: DataFrame) -> DataFrame:
    """Emails of several days -> the same with every id prefixed by `<as_of_date>|`."""
    prefix = F.concat(F.date_format("as_of_date", "yyyy-MM-dd"), F.lit("|"))

    def scoped(column: Column) -> Column:
        return F.when(_is_id(column), F.concat(prefix, column))

    return emails_df.select(
        "as_of_date",
        F.concat(prefix, F.col("email_id")).alias("email_id"),
        scoped(F.col("in_reply_to")).alias("in_reply_to"),
        F.transform(F.coalesce(F.col("references"), F.array().cast("array<string>")), scoped).alias("references"),
        scoped(F.col("thread_id")).alias("thread_id"),
    )


def unscoped_threads(scoped_threads_df: DataFrame) -> DataFrame:
    """(day-prefixed email_id, thread_key) -> (as_of_date, email_id, thread_key)."""
    email_id = F.col("email_id")
    return scoped_threads_df.select(
        F.to_date(F.substring(email_id, 1, DAY_PREFIX_LENGTH - 1)).alias("as_of_date"),
        email_id.substr(F.lit(DAY_PREFIX_LENGTH + 1), F.length(email_id)).alias("email_id"),
        "thread_key",
    )

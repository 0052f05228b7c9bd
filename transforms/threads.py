"""Emails -> threads (connected groups of emails) -> requests and their responses (kpis.md section 4).

Grain of each output:
- `email_nodes`: one row per email and node it is linked to (itself included); a node is an email
  id, an id some email points at, or `thread:<thread_id>`.
- `thread_edges`: one row per distinct undirected link between two nodes (`node_a <= node_b`);
  every email has a self link so that an email without links is a node too.
- `threads_to_refresh`: one row per email whose thread may have changed with some emails.
- `thread_labels`: one row per node, labelled with the smallest node id of its connected group.
- `email_threads`: one row per email with its `thread_key`, the smallest node id of its group
  (EMAIL_THREADS_SCHEMA).
- `email_responses`: one row per request, a maximal run of consecutive emails from one side inside
  a thread, with its response if any (EMAIL_RESPONSES_SCHEMA).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from schemas.silver import SIDES

# A shared conversation id becomes a node of its own; the prefix keeps it from ever being equal to
# a message id (a thread_id "abc@x" and a Message-ID "abc@x" are different things).
THREAD_ID_PREFIX = "thread:"
MICROS_PER_HOUR = 3_600_000_000
MICROS_PER_DAY = 24 * MICROS_PER_HOUR
LABELS_SCHEMA = T.StructType(
    [T.StructField("node", T.StringType(), nullable=False), T.StructField("label", T.StringType(), nullable=False)]
)


def _is_id(column: Column) -> Column:
    """A usable link target: an empty or blank id would join every email that carries one."""
    return column.isNotNull() & (F.trim(column) != "")


def email_nodes(emails_df: DataFrame) -> DataFrame:
    """Emails (email_id, in_reply_to, references, thread_id) -> (email_id, node): each node an email
    is linked to, itself included. One pass over the emails: their links are gathered into one array
    per email and exploded, so the emails are read once, however many kinds of link there are."""
    conversation = F.when(_is_id(F.col("thread_id")), F.concat(F.lit(THREAD_ID_PREFIX), F.col("thread_id")))
    linked = F.concat(
        F.array(F.col("in_reply_to")),
        F.coalesce(F.col("references"), F.array().cast("array<string>")),
        F.array(conversation),
    )
    nodes = F.concat(F.filter(linked, _is_id), F.array(F.col("email_id")))
    return emails_df.select("email_id", F.explode(nodes).alias("node"))


def thread_edges(emails_df: DataFrame) -> DataFrame:
    """Emails (email_id, in_reply_to, references, thread_id) -> undirected links (node_a, node_b)."""
    return (
        email_nodes(emails_df)
        .select(F.least("email_id", "node").alias("node_a"), F.greatest("email_id", "node").alias("node_b"))
        .distinct()
    )


def threads_to_refresh(emails_df: DataFrame, threads_df: DataFrame, changed_ids_df: DataFrame) -> DataFrame:
    """The emails whose thread may differ after some emails changed -> (email_id).

    `emails_df`: every email now (changed ones in their new version, removed ones gone);
    `threads_df`: (email_id, thread_key) before the change; `changed_ids_df`: (email_id) of the
    emails added, changed or removed. The answer is every email of an earlier thread that held a
    changed email or shares a node with one now, and the changed emails: a closed set, since any
    other email reaches these only through links that existed before, inside its own unchanged
    thread. Its threads computed from its emails alone are the threads of all emails.
    """
    touched_df = email_nodes(emails_df.join(changed_ids_df, on="email_id", how="left_semi")).select("node").distinct()
    sharing_df = email_nodes(emails_df).join(touched_df, on="node", how="left_semi").select("email_id")
    keys_df = threads_df.join(
        sharing_df.unionByName(changed_ids_df.select("email_id")), on="email_id", how="left_semi"
    ).select("thread_key")
    return (
        threads_df.join(keys_df, on="thread_key", how="left_semi")
        .select("email_id")
        .unionByName(changed_ids_df.select("email_id"))
        .distinct()
    )


def thread_labels(edges_df: DataFrame) -> DataFrame:
    """Links (node_a, node_b) -> (node, label): every node labelled with the smallest node id of its
    connected group.

    The edge list is small beside the emails (two short strings a link), so it is brought to the
    driver once and its groups found by scipy's connected components over integer codes, in one
    pass, instead of rounds of Spark joins that each re-read the whole graph. Smallest means
    UTF-8 byte order, Spark's order for strings.
    """
    edges = edges_df.select("node_a", "node_b").toArrow()
    spark = edges_df.sparkSession
    if edges.num_rows == 0:
        return spark.createDataFrame([], LABELS_SCHEMA)
    ends = pa.concat_arrays(
        [edges.column(name).combine_chunks().cast(pa.large_string()) for name in ("node_a", "node_b")]
    )
    encoded = ends.dictionary_encode()
    names, codes = encoded.dictionary, encoded.indices.to_numpy()
    links = edges.num_rows
    graph = coo_matrix((np.ones(links, dtype=np.int8), (codes[:links], codes[links:])), shape=(len(names),) * 2)
    _, group = connected_components(graph, directed=False)
    by_name = pc.sort_indices(names).to_numpy()
    # In name order, the first node met of each group is its smallest.
    _, first = np.unique(group[by_name], return_index=True)
    smallest_of_group = by_name[first]
    labels = names.take(pa.array(smallest_of_group[group]))
    return spark.createDataFrame(pa.table({"node": names, "label": labels}), LABELS_SCHEMA)


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

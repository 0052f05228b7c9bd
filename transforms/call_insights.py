"""Per-call conversation insights (kpis.md section 13): silver calls, turns and fragments -> the rows
of gold `call_insights` and `call_mentions`, as of the end E of a day T.

Which calls: a call counts at E as every activity does (`is_tracked`, `counts_from` before E: a
completed call started by E, not left out by section 1); `call_insights` has the counting calls
with a transcript (silver keeps the later one when two land). The talk statistics are
`transforms.turns.talk_stats` (its `seller_words_per_minute` is `words_per_minute` here), the
language and sentiment `transforms.sentiment`, the mentions `transforms.mentions`.

Who and what a call is about:
- its seller (`seller_user_id`, and `team_id` from the user): the transcript's seller who talked
  longest whose address is a user's (ties: the smaller user id), else the call's internal
  participant who placed it, else its smallest internal user id. A user with `analytics_opt_out`
  is never named (the id is null), but the call still counts for the team.
- its account and opportunity: the ones it is linked to (silver `record_links`), by the strongest
  link reason (regarding, participant, domain), then the smaller id.

Grain of each output:
- `counted_calls`: one row per call that counts at E (with a transcript or not).
- `call_sellers`: one row per counted call with a known seller or team.
- `call_records`: one row per counted call linked to an account or an opportunity.
- `call_insights`: one row per counted call with a transcript (gold `call_insights`).
- `call_mentions`: one row per counted call with a transcript, term kind and term it mentions.

A call whose transcript text retention removed (`jobs/retention.py`: its turns keep their timing,
their text is null) keeps its talk statistics, seller, team and records, computed as for any call;
what only the text gave (`TEXT_MEASURES`: words per minute, sentiment, language; and its mentions)
it keeps from its gold rows of an earlier day (`earlier_text_rows`): the latest day up to T, else
the first after. So gold does not change when text goes, and a call whose text went before it was
ever analysed has none of them.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import PositiveInt
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.mentions import NAME_LANGUAGES, TrackedTerms, turn_mentions
from transforms.parameters import Parameters
from transforms.record_links import REASON_RANK
from transforms.sentiment import call_sentiment
from transforms.turns import SELLER, talk_stats

SECONDS_PER_MINUTE = 60
RECORD_KINDS = ("account", "opportunity")
# The columns of call_insights that only the transcript's text gives.
TEXT_MEASURES = (
    "words_per_minute",
    "positive_share",
    "neutral_share",
    "negative_share",
    "sentiment_label",
    "language",
)
NAME_WORDS = r"[\s,.()'\"-]+"  # what separates the words of a person's name


class ConversationParams(Parameters):
    top_terms: PositiveInt = 20  # ci_top_terms keeps this many terms per period, team and kind


def as_of_end(as_of: date) -> Column:
    """The end of the as-of day: the next midnight, UTC (as `transforms.as_of.with_as_of_end`)."""
    return F.lit(as_of + timedelta(days=1)).cast("timestamp")


def counted_calls(activities_df: DataFrame, as_of: date) -> DataFrame:
    """(call_id, activity_key, started_at, duration_seconds, is_flagged_recorded) of the calls that
    count at the end of `as_of`."""
    is_counting = (F.col("activity_type") == "call") & F.col("is_tracked") & (F.col("counts_from") < as_of_end(as_of))
    return activities_df.filter(is_counting).select(
        F.col("activity_id").alias("call_id"),
        "activity_key",
        F.col("activity_at").alias("started_at"),
        F.round(F.col("duration_minutes") * SECONDS_PER_MINUTE).cast("long").alias("duration_seconds"),
        F.coalesce(F.col("recorded"), F.lit(False)).alias("is_flagged_recorded"),
    )


def _users(users_df: DataFrame) -> DataFrame:
    return users_df.select(
        "user_id",
        F.lower("email").alias("address"),
        "team_id",
        F.coalesce(F.col("analytics_opt_out"), F.lit(False)).alias("is_opted_out"),
    )


def call_sellers(
    calls_df: DataFrame, fragments_df: DataFrame, participants_df: DataFrame, users_df: DataFrame
) -> DataFrame:
    """(call_id, seller_user_id, team_id) of each counted call with a known seller (see the module)."""
    users = _users(users_df)
    talk_df = (
        fragments_df.filter((F.col("role") == SELLER) & F.col("email").isNotNull())
        .join(calls_df.select("call_id"), on="call_id", how="left_semi")
        .groupBy("call_id", F.lower("email").alias("address"))
        .agg(F.sum("duration_ms").alias("talk_ms"))
        .join(users, on="address", how="inner")
        .select("call_id", "user_id", "team_id", "is_opted_out", F.lit(0).alias("source"), -F.col("talk_ms"))
        .toDF("call_id", "user_id", "team_id", "is_opted_out", "source", "order")
    )
    placed_df = (
        participants_df.filter((F.col("activity_type") == "call") & F.col("is_internal") & F.col("user_id").isNotNull())
        .join(calls_df.select("call_id", "activity_key"), on="activity_key", how="inner")
        .join(users.drop("address"), on="user_id", how="inner")
        .select(
            "call_id",
            "user_id",
            "team_id",
            "is_opted_out",
            F.lit(1).alias("source"),
            F.when(F.col("role") == "from", 0).otherwise(1).cast("long").alias("order"),
        )
    )
    best = F.min_by(F.struct("user_id", "team_id", "is_opted_out"), F.struct("source", "order", "user_id"))
    return (
        talk_df.unionByName(placed_df)
        .groupBy("call_id")
        .agg(best.alias("seller"))
        .select(
            "call_id",
            F.when(~F.col("seller.is_opted_out"), F.col("seller.user_id")).alias("seller_user_id"),
            F.col("seller.team_id").alias("team_id"),
        )
    )


def call_records(calls_df: DataFrame, links_df: DataFrame) -> DataFrame:
    """(call_id, account_id, opportunity_id) of each counted call linked to either."""
    rank = F.create_map(*[x for reason, r in REASON_RANK.items() for x in (F.lit(reason), F.lit(r))])
    strongest_df = (
        links_df.filter(F.col("record_type").isin("account", "opportunity") & F.col("is_known_record"))
        .join(calls_df.select("call_id", "activity_key"), on="activity_key", how="inner")
        .groupBy("call_id", "record_type")
        .agg(F.min_by("record_id", F.struct(rank[F.col("reason")], F.col("record_id"))).alias("record_id"))
    )
    return strongest_df.groupBy("call_id").agg(
        *[F.max(F.when(F.col("record_type") == kind, F.col("record_id"))).alias(f"{kind}_id") for kind in RECORD_KINDS]
    )


def call_insights(
    calls_df: DataFrame,
    turns_df: DataFrame,
    fragments_df: DataFrame,
    sellers_df: DataFrame,
    records_df: DataFrame,
    languages_df: DataFrame,
) -> DataFrame:
    """The rows of gold `call_insights`: one per counted call with a transcript. `languages_df` is
    `sentiment.call_languages` of the counted calls' turns, so it also says whose fragments to score."""
    transcribed_df = turns_df.join(calls_df.select("call_id"), on="call_id", how="left_semi")
    stats_df = talk_stats(transcribed_df, calls_df.select("call_id", "duration_seconds"))
    sentiment_df = call_sentiment(fragments_df, languages_df)  # languages: of the counted calls with turns
    return (
        stats_df.join(calls_df, on="call_id", how="inner")
        .join(sellers_df, on="call_id", how="left")
        .join(records_df, on="call_id", how="left")
        .join(languages_df, on="call_id", how="left")
        .join(sentiment_df, on="call_id", how="left")
        .select(
            "call_id",
            "seller_user_id",
            "team_id",
            "account_id",
            "opportunity_id",
            "started_at",
            "duration_seconds",
            "talk_pct",
            "listen_pct",
            "switches",
            "switches_per_hour",
            F.col("seller_words_per_minute").alias("words_per_minute"),
            "pause_before_speaking_ms",
            "longest_customer_monologue_s",
            "positive_share",
            "neutral_share",
            "negative_share",
            "sentiment_label",
            "language",
        )
    )


def participant_name_words(fragments_df: DataFrame, people_df: DataFrame) -> DataFrame:
    """(call_id, people): the words of the names of a call's transcript participants who are
    users, contacts or leads (`people_df`: address, full_name), lower case."""
    addresses_df = (
        fragments_df.filter(F.col("email").isNotNull()).select("call_id", F.lower("email").alias("address")).distinct()
    )
    words = F.filter(F.split(F.lower(F.col("full_name")), NAME_WORDS), lambda w: w != "")
    return (
        addresses_df.join(people_df.filter(F.col("full_name").isNotNull()), on="address", how="inner")
        .groupBy("call_id")
        .agg(F.array_distinct(F.flatten(F.collect_list(words))).alias("people"))
    )


def call_mentions(
    turns_df: DataFrame,
    insights_df: DataFrame,
    names_df: DataFrame,
    terms: TrackedTerms,
    earlier_df: DataFrame | None = None,
) -> DataFrame:
    """The rows of gold `call_mentions` for the calls of `insights_df`: other names are looked for
    only in calls whose language capitalises names (`mentions.NAME_LANGUAGES`). `earlier_df`: the
    earlier mention rows of calls whose text is gone (`earlier_text_rows`), counted as found."""
    calls_df = insights_df.join(names_df, on="call_id", how="left").select(
        "call_id",
        F.coalesce(F.col("language").isin(*NAME_LANGUAGES), F.lit(False)).alias("find_names"),
        F.coalesce("people", F.array().cast("array<string>")).alias("people"),
    )
    # One small row per counted call (about 100 bytes: 10 MB at 100k calls), sent to every worker,
    # so the turns' text is not shuffled to meet it.
    spoken_df = turns_df.join(F.broadcast(calls_df), on="call_id", how="inner").select(
        "call_id", "role", "text", "find_names", "people"
    )
    return turn_mentions(spoken_df, terms, earlier_df)


def text_removed_calls(turns_df: DataFrame) -> DataFrame:
    """(call_id) of the calls whose turns have no text: retention removed it."""
    return turns_df.filter(F.col("text").isNull()).select("call_id").distinct()


def earlier_text_rows(
    insights_df: DataFrame, mentions_df: DataFrame, calls_df: DataFrame, as_of: date
) -> tuple[DataFrame, DataFrame]:
    """For each call of `calls_df` (call_id), its text measures and mention rows in gold
    (`insights_df`, `mentions_df`: every day of gold call_insights and call_mentions) on one day:
    the latest up to `as_of`, else the first after it. Returns (call_id, *TEXT_MEASURES) and
    (call_id, term_kind, term, speaker_role, mentions); a call gold never had is in neither."""
    day = F.col("as_of_date")
    nearest_w = Window.partitionBy("call_id").orderBy((day > F.lit(as_of)).asc(), F.abs(F.datediff(day, F.lit(as_of))))
    chosen_df = (
        insights_df.join(calls_df, on="call_id", how="left_semi")
        .select("call_id", "as_of_date", *TEXT_MEASURES)
        .withColumn("nearest", F.row_number().over(nearest_w))
        .filter(F.col("nearest") == 1)
        .drop("nearest")
    )
    kept_mentions_df = mentions_df.join(chosen_df.select("call_id", "as_of_date"), on=["call_id", "as_of_date"]).select(
        "call_id", "term_kind", "term", "speaker_role", "mentions"
    )
    return chosen_df.drop("as_of_date"), kept_mentions_df


def with_earlier_text_measures(
    insights_df: DataFrame, removed_df: DataFrame, earlier_df: DataFrame | None
) -> DataFrame:
    """`insights_df` with the TEXT_MEASURES of the calls of `removed_df` taken from `earlier_df`
    (`earlier_text_rows`; null for a call it lacks, or when there is no gold yet), the other calls'
    as computed."""
    if earlier_df is None:
        earlier_df = removed_df.select("call_id", *[F.lit(None).alias(m) for m in TEXT_MEASURES]).limit(0)
    earlier = earlier_df.select("call_id", *[F.col(m).alias(f"earlier_{m}") for m in TEXT_MEASURES])
    flagged_df = insights_df.join(removed_df.withColumn("is_removed", F.lit(True)), on="call_id", how="left").join(
        earlier, on="call_id", how="left"
    )
    return flagged_df.select(
        *[
            F.when(F.col("is_removed"), F.col(f"earlier_{c}")).otherwise(F.col(c)).alias(c)
            if c in TEXT_MEASURES
            else F.col(c)
            for c in insights_df.columns
        ]
    )


def people_names(users_df: DataFrame, contacts_df: DataFrame, leads_df: DataFrame) -> DataFrame:
    """(address, full_name) of every user, contact and lead with both."""
    frames = [df.select(F.lower("email").alias("address"), "full_name") for df in (users_df, contacts_df, leads_df)]
    union_df = frames[0].unionByName(frames[1]).unionByName(frames[2])
    return union_df.filter(F.col("address").isNotNull() & F.col("full_name").isNotNull())

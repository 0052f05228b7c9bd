"""A call's language and its customers' sentiment (kpis.md section 13).

- Language: py3langid (its model ships inside the package) on the call's first turns, at most
  `LANGUAGE_SAMPLE_CHARS` characters of them; null when they hold fewer than `MIN_LANGUAGE_LETTERS`
  letters, too little to tell.
- Sentiment of each customer fragment: VADER (vaderSentiment, its lexicon ships inside the package),
  by its authors' thresholds on the compound score: >= 0.05 positive, <= -0.05 negative, else
  neutral. VADER's lexicon is English: `COVERED_LANGUAGES` is ("en",), and a call in any other
  language (or of unknown language) gets null sentiment, never a guess.
- A call's shares: the fraction of its customers' fragment time (`duration_ms`) in each label,
  rates in [0, 1]; its label is the share larger than both others, and `neutral` when there is
  no such share (a tie says the call leans neither way).

Both models run in Python workers over Arrow batches (`mapInArrow`); nothing is collected to the
driver. Each worker builds its model once.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from string import punctuation

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
SENTIMENT_LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
POSITIVE_FROM, NEGATIVE_FROM = 0.05, -0.05  # VADER's compound-score thresholds
COVERED_LANGUAGES = ("en",)
LANGUAGE_TURNS = 20  # the first turns of a call are enough to tell its language
LANGUAGE_SAMPLE_CHARS = 1_500
MIN_LANGUAGE_LETTERS = 20
CACHED_TEXTS = 65_536  # short replies ("Yes.", "Thank you.") recur: score each once per worker


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _lexicon() -> frozenset[str]:
    return frozenset(_analyzer().lexicon)


def _may_have_sentiment(text: str) -> bool:
    """False only when VADER would score `text` 0: every valence it gives comes from a word or
    emoticon of its lexicon (boosters, negations and idioms only change those), and emoji, which it
    reads as their descriptions, are never ASCII. Words are tried as written and without the
    punctuation around them, as VADER tokenises."""
    if not text.isascii():
        return True
    lexicon = _lexicon()
    return any(word in lexicon or word.strip(punctuation) in lexicon for word in text.lower().split())


@lru_cache(maxsize=CACHED_TEXTS)
def label_of(text: str) -> str:
    """VADER's label of one piece of English text (without running it where it can only say neutral)."""
    if not _may_have_sentiment(text):
        return NEUTRAL
    compound = _analyzer().polarity_scores(text)["compound"]
    if compound >= POSITIVE_FROM:
        return POSITIVE
    if compound <= NEGATIVE_FROM:
        return NEGATIVE
    return NEUTRAL


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def language_of(text: str) -> str | None:
    """The ISO 639-1 code of the language of `text`; None when it has too few letters to tell."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < MIN_LANGUAGE_LETTERS:
        return None
    language, _ = _identifier().classify(sample)
    return language


def _language_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        texts = batch.column("text").to_pylist()
        languages = [language_of(t or "") for t in texts]
        yield pa.RecordBatch.from_arrays(
            [batch.column("call_id"), pa.array(languages, pa.string())], names=["call_id", "language"]
        )


def call_languages(turns_df: DataFrame) -> DataFrame:
    """Silver call turns -> (call_id, language) for every call with turns; language may be null."""
    sample_df = (
        turns_df.filter(F.col("turn_index") < LANGUAGE_TURNS)
        .groupBy("call_id")
        .agg(F.sort_array(F.collect_list(F.struct("turn_index", "text"))).alias("turns"))
        .select(
            "call_id",
            F.substring(F.array_join(F.transform("turns", lambda t: t["text"]), " "), 1, LANGUAGE_SAMPLE_CHARS).alias(
                "text"
            ),
        )
    )
    schema = T.StructType([T.StructField("call_id", T.StringType(), False), T.StructField("language", T.StringType())])
    return sample_df.mapInArrow(_language_batches, schema)


def _label_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        labels = [label_of(t or "") for t in batch.column("text").to_pylist()]
        yield pa.RecordBatch.from_arrays(
            [batch.column("call_id"), batch.column("duration_ms"), pa.array(labels, pa.string())],
            names=["call_id", "duration_ms", "label"],
        )


SHARES_DDL = "call_id string, positive_share double, neutral_share double, negative_share double"


def call_sentiment(fragments_df: DataFrame, languages_df: DataFrame) -> DataFrame:
    """Silver call fragments + (call_id, language) -> one row per call in a covered language with
    customer speech: (call_id, positive_share, neutral_share, negative_share, sentiment_label)."""
    covered_df = languages_df.filter(F.col("language").isin(*COVERED_LANGUAGES)).select("call_id")
    customer_df = fragments_df.filter(F.col("role") == "customer").join(covered_df, on="call_id", how="left_semi")
    label_schema = T.StructType(
        [
            T.StructField("call_id", T.StringType(), False),
            T.StructField("duration_ms", T.LongType(), False),
            T.StructField("label", T.StringType(), False),
        ]
    )
    labelled_df = customer_df.select("call_id", "duration_ms", "text").mapInArrow(_label_batches, label_schema)
    total = F.sum("duration_ms")
    shares_df = (
        labelled_df.groupBy("call_id")
        .agg(
            *[
                (F.sum(F.when(F.col("label") == label, F.col("duration_ms")).otherwise(0)) / total).alias(
                    f"{label}_share"
                )
                for label in SENTIMENT_LABELS
            ]
        )
        .filter(F.col("positive_share").isNotNull())
    )  # a call whose customer fragments last 0 ms has no shares
    return shares_df.withColumn("sentiment_label", sentiment_label())


def sentiment_label() -> Column:
    """The share larger than both others; neutral when none is."""
    positive, neutral, negative = (F.col(f"{label}_share") for label in SENTIMENT_LABELS)
    return (
        F.when((positive > neutral) & (positive > negative), F.lit(POSITIVE))
        .when((negative > neutral) & (negative > positive), F.lit(NEGATIVE))
        .otherwise(F.lit(NEUTRAL))
    )

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
from itertools import pairwise

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from vaderSentiment import vaderSentiment as vader

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
SENTIMENT_LABELS = (POSITIVE, NEUTRAL, NEGATIVE)
POSITIVE_FROM, NEGATIVE_FROM = 0.05, -0.05  # VADER's compound-score thresholds
COVERED_LANGUAGES = ("en",)
LANGUAGE_TURNS = 20  # the first turns of a call are enough to tell its language
LANGUAGE_SAMPLE_CHARS = 1_500
MIN_LANGUAGE_LETTERS = 20
CACHED_TEXTS = 65_536  # short replies ("Yes.", "Thank you.") recur: score each once per worker


@lru_cache(maxsize=1)
def _analyzer() -> vader.SentimentIntensityAnalyzer:
    return vader.SentimentIntensityAnalyzer()


# --- VADER's compound score, without its repeated work -------------------------------------------
# `SentimentIntensityAnalyzer.polarity_scores` lowercases every word of a text several times for
# each of its sentiment words (quadratic in the words), and copies its negation list per check:
# about 120 us a fragment, two thirds of this job. `compound_of` gives the same number: the same
# tokens (`SentiText`), lexicon and constants, the rules of `sentiment_valence` and its checks
# written once over the words lowercased once, and the library's own `_but_check` (quadratic, on
# a text with "but"), `_special_idioms_check` (on the six words around a word: all it reads) and
# `score_valence`. tests/unit/test_sentiment.py compares the two on texts dense in every rule's
# words. A text holding an emoji (VADER reads each as its description) goes to VADER itself.
_BACK, _AHEAD = 3, 2  # how far VADER's rules look around a sentiment word
_NEGATIONS = frozenset(vader.NEGATE)
# The first two words of each phrase `_special_idioms_check` looks up: where none is, it is a no-op.
_IDIOM_OPENINGS = frozenset(
    tuple(phrase.split()[:2]) for phrase in (*vader.SPECIAL_CASES, *vader.BOOSTER_DICT) if " " in phrase
)


def _is_negation(word: str) -> bool:
    """VADER's `negated` of one lowercased word."""
    return word in _NEGATIONS or "n't" in word


def _valence(
    lexicon: dict[str, float], words: list[str], lows: list[str], i: int, is_cap_diff: bool, openings: set[int]
) -> float:
    """VADER's `sentiment_valence` of words[i], a word of its lexicon that is not a booster.
    `openings`: the positions where the text has the first two words of a phrase of `_IDIOM_OPENINGS`."""
    word = lows[i]
    valence = lexicon[word]
    if word == "no" and i != len(lows) - 1 and lows[i + 1] in lexicon:
        valence = 0.0  # "no" negates the next word instead of counting
    if (
        (i > 0 and lows[i - 1] == "no")
        or (i > 1 and lows[i - 2] == "no")
        or (i > 2 and lows[i - 3] == "no" and lows[i - 1] in ("or", "nor"))
    ):
        valence = lexicon[word] * vader.N_SCALAR
    if words[i].isupper() and is_cap_diff:
        valence = valence + vader.C_INCR if valence > 0 else valence - vader.C_INCR
    for distance in (1, 2, 3):
        j = i - distance
        if j < 0 or lows[j] in lexicon:
            continue
        scalar = vader.scalar_inc_dec(words[j], valence, is_cap_diff) if lows[j] in vader.BOOSTER_DICT else 0.0
        if scalar != 0 and distance > 1:
            scalar = scalar * (0.95 if distance == 2 else 0.9)
        valence = valence + scalar
        if distance == 1:
            if _is_negation(lows[j]):
                valence = valence * vader.N_SCALAR
        elif distance == 2:
            if lows[i - 2] == "never" and lows[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif not (lows[i - 2] == "without" and lows[i - 1] == "doubt") and _is_negation(lows[j]):
                valence = valence * vader.N_SCALAR
        else:
            if (lows[i - 3] == "never" and lows[i - 2] in ("so", "this")) or lows[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif not (lows[i - 3] == "without" and "doubt" in (lows[i - 2], lows[i - 1])) and _is_negation(lows[j]):
                valence = valence * vader.N_SCALAR
            if not openings.isdisjoint(range(i - _BACK, i + 1)):  # every phrase it looks up starts there
                window = words[i - _BACK : i + _AHEAD + 1]
                valence = vader.SentimentIntensityAnalyzer._special_idioms_check(valence, window, _BACK)
    is_least = i > 0 and lows[i - 1] == "least" and "least" not in lexicon
    if is_least and (i == 1 or lows[i - 2] not in ("at", "very")):
        valence = valence * vader.N_SCALAR
    return valence


def compound_of(text: str) -> float:
    """VADER's compound score of `text`, as `polarity_scores(text)["compound"]` gives it."""
    analyzer = _analyzer()
    if not analyzer.emojis.keys().isdisjoint(text):
        return analyzer.polarity_scores(text)["compound"]
    text = text.strip()
    sentitext = vader.SentiText(text)
    words = sentitext.words_and_emoticons
    lows = [w.lower() for w in words]
    lexicon, boosters = analyzer.lexicon, vader.BOOSTER_DICT
    openings = {k for k, pair in enumerate(pairwise(lows)) if pair in _IDIOM_OPENINGS}
    sentiments: list[float] = []
    for i, word in enumerate(lows):
        is_kind_of = word == "kind" and i < len(lows) - 1 and lows[i + 1] == "of"
        if word in boosters or is_kind_of or word not in lexicon:
            sentiments.append(0)
        else:
            sentiments.append(_valence(lexicon, words, lows, i, sentitext.is_cap_diff, openings))
    if "but" in lows:
        sentiments = analyzer._but_check(words, sentiments)
    return analyzer.score_valence(sentiments, text)["compound"]


@lru_cache(maxsize=CACHED_TEXTS)
def label_of(text: str) -> str:
    """VADER's label of one piece of English text."""
    compound = compound_of(text)
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
    customer_df = fragments_df.filter(F.col("role") == "customer").join(
        F.broadcast(covered_df), on="call_id", how="left_semi"
    )  # the call ids are small; the fragments' text is not shuffled to meet them
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

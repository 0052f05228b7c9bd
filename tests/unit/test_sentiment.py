import random

import pytest
from chispa import assert_approx_df_equality

from transforms.sentiment import _analyzer, _may_have_sentiment, call_sentiment, label_of, language_of

FRAGMENTS_DDL = "call_id string, role string, duration_ms long, text string"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("This is great, thank you!", "positive"),
        ("This is terrible and far too expensive.", "negative"),
        ("The meeting is at noon.", "neutral"),
    ],
)
def test_label_of_uses_vaders_thresholds(text, label):
    assert label_of(text) == label


def test_language_of_names_the_language_and_is_none_for_too_little_text():
    assert language_of("We would like to understand the pricing before the renewal next quarter.") == "en"
    assert language_of("Nous voudrions comprendre le prix avant le renouvellement du contrat.") == "fr"
    assert language_of("Yes, okay.") is None


def test_call_sentiment_weighs_customer_fragments_by_duration_and_leaves_uncovered_languages_out(spark):
    fragments_df = spark.createDataFrame(
        [
            ("en-1", "customer", 3_000, "This is great, thank you!"),
            ("en-1", "customer", 1_000, "This is terrible."),
            ("en-1", "customer", 1_000, "The meeting is at noon."),
            ("en-1", "seller", 9_000, "This is terrible."),  # sellers' speech is not the customer's sentiment
            ("en-tie", "customer", 1_000, "This is great, thank you!"),
            ("en-tie", "customer", 1_000, "This is terrible."),
            ("fr-1", "customer", 1_000, "This is great, thank you!"),  # a French call: never a guess
            ("unknown", "customer", 1_000, "Great!"),
        ],
        FRAGMENTS_DDL,
    )
    languages_df = spark.createDataFrame(
        [("en-1", "en"), ("en-tie", "en"), ("fr-1", "fr"), ("unknown", None)], "call_id string, language string"
    )

    sentiment_df = call_sentiment(fragments_df, languages_df)

    expected_df = spark.createDataFrame(
        [("en-1", 0.6, 0.2, 0.2, "positive"), ("en-tie", 0.5, 0.0, 0.5, "neutral")],  # a tie leans neither way
        "call_id string, positive_share double, neutral_share double, negative_share double, sentiment_label string",
    )
    assert_approx_df_equality(sentiment_df, expected_df, 1e-9, ignore_nullable=True, ignore_row_order=True)


def test_skipping_texts_without_a_lexicon_word_never_changes_a_label():
    words = [
        "the",
        "plan",
        "is",
        "ok",
        "not",
        "good",
        "very",
        "bad",
        ":)",
        "no",
        "problem",
        "at",
        "all",
        "great!!",
        "we'll",
        "see,",
        "kind",
        "of",
        "fine",
        "BUT",
        "late",
    ]
    words += ["meeting", "tomorrow", "budget", "review", "the", "and", "report", "💘", "yeah", "right"]
    generator = random.Random(7)
    texts = [" ".join(generator.choice(words) for _ in range(generator.randint(1, 12))) for _ in range(3_000)]
    skipped = [t for t in texts if not _may_have_sentiment(t)]
    assert len(skipped) > 100  # the shortcut is taken, and
    assert all(_analyzer().polarity_scores(t)["compound"] == 0 for t in skipped)  # only where VADER says 0

import random

import pytest
from chispa import assert_approx_df_equality

from transforms.sentiment import _analyzer, call_sentiment, compound_of, label_of, language_of

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


# Each rule of VADER's: boosters (some in capitals), negations, "no", "never so", "without doubt",
# "least" and "at least", "kind of", idioms, "but", capitals, punctuation and emoticons; accents,
# typographic apostrophes and odd whitespace; an emoji (which VADER itself scores) and empty text.
RULE_SENTENCES = [
    "VADER is smart, handsome, and funny!",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "The book was kind of good.",
    "At least it isn't a horrible book.",
    "This is the least helpful reply.",
    "Least helpful of all, at least very.",
    "Today SUX!",
    "Not bad at all",
    "It was never so good, but the ending was bad.",
    "Without a doubt, a good plan.",
    "No problem, no worries or doubts.",
    "That was the bomb, yeah right :)",
    "The new pricing was a kiss of death for the deal.",
    "We have a good plan to die for, near the bus stop, with a beating heart.",
    "  Le café was GREAT\tbut  the naïve plan wasn’t good \n",
    "That was great 💘 thanks",
    "",
    "   ",
]
RULE_WORDS = [
    *("no", "not", "never", "so", "this", "without", "doubt", "least", "at", "very", "or", "nor", "kind", "of"),
    *("but", "BUT", "sort", "just", "enough", "isn't", "don't", "hadn't've", "extremely", "EXTREMELY", "barely"),
    *("hardly", "the", "bomb", "shit", "bad", "ass", "yeah", "right", "cut", "mustard", "kiss", "death", "good"),
    *("to", "die", "for", "bus", "stop", "beating", "heart", "GOOD", "great", "bad", "BAD", "terrible", "love"),
    *("hate", "fine", "problem", "worries", "helpful", "ok", "happy", "sad", "plan", "meeting", "budget"),
    *("report", "we", "it", "is", "a", ":)", ":(", "great!!", "bad?", "good,", "café", "wasn’t", "ΚΑΛΟ", "good…"),
]
SEPARATORS = [" "] * 12 + ["  ", "\t", "\n"]


def test_compound_of_is_vaders_compound_score():
    generator = random.Random(11)
    texts = RULE_SENTENCES + [
        "".join(
            f"{generator.choice(SEPARATORS)}{generator.choice(RULE_WORDS)}" for _ in range(generator.randint(1, 14))
        )
        for _ in range(20_000)
    ]
    analyzer = _analyzer()
    scores = {t: compound_of(t) for t in texts}
    differing = [t for t, score in scores.items() if score != analyzer.polarity_scores(t)["compound"]]
    assert differing == []
    assert len(set(scores.values())) > 1_000  # the rules shaped many different scores

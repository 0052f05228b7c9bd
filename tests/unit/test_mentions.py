from collections import Counter

from chispa import assert_df_equality

from transforms.mentions import TermMatcher, TrackedTerms, normalise, other_names, turn_mentions

TERMS = TrackedTerms(
    keywords=("discount", "integration", "security review", "security", "τιμή", "скидка", "価格", "折扣", "가격"),
    competitors=("Globex", "Umbrella Corp"),
    best_practice=("next steps",),
    own_brands=("Rapport",),
)
CUSTOMER_KINDS = ("keyword", "competitor")


def counted(text: str, kinds=CUSTOMER_KINDS) -> dict:
    return dict(TermMatcher(TERMS).count(text, kinds))


def test_normalise_folds_case_and_drops_latin_greek_and_cyrillic_accents_only():
    assert normalise("Intégration ΤΙΜΉ Ёлка") == "integration τιμη елка"
    assert normalise("が") == "が"  # a kana's voicing mark is part of the letter
    assert normalise("가격") == "가격"  # Hangul stays in syllables


def test_latin_terms_match_case_and_accent_insensitive_on_word_boundaries_longest_first():
    text = "We need a DISCOUNT on the Intégration; discounts help. Security review first, then security."
    assert counted(text) == {
        ("keyword", "discount"): 1,  # "discounts" is another word
        ("keyword", "integration"): 1,
        ("keyword", "security review"): 1,  # the phrase, not also its first word
        ("keyword", "security"): 1,
    }


def test_greek_terms_match_without_accents_and_not_inside_longer_words():
    assert counted("Η ΤΙΜΉ είναι υψηλή, τα τιμήματα όχι. Τιμη!") == {("keyword", "τιμή"): 2}


def test_cyrillic_terms_match_in_any_case_and_not_as_a_prefix():
    assert counted("Нам нужна СКИДКА, а не скидками. Скидка?") == {("keyword", "скидка"): 2}


def test_japanese_and_chinese_terms_match_without_spaces_between_words():
    assert counted("この価格は高いです。価格表をください") == {("keyword", "価格"): 2}
    assert counted("我们需要折扣吗？折扣。") == {("keyword", "折扣"): 2}


def test_hangul_terms_match_with_a_particle_attached_but_not_at_the_end_of_another_word():
    # 가격이: the price (subject particle); 원가격은 holds 가격 after another syllable.
    assert counted("가격이 너무 비싸요. 원가격은? 가격") == {("keyword", "가격"): 2}


def test_only_the_kinds_asked_for_are_counted():
    text = "Globex offered a discount; next steps are clear."
    assert counted(text, ("competitor",)) == {("competitor", "Globex"): 1}
    assert counted(text, ("best_practice",)) == {("best_practice", "next steps"): 1}


def test_other_names_are_capitalised_runs_that_are_not_tracked_own_or_a_participant():
    text = (
        "We moved from Salesforce to HubSpot last year, and Procter & Gamble uses Microsoft Teams. "
        "Jane Doe said Globex Europe is cheaper than Rapport. SAP is fine. Okay, Monday then. Our CEO agrees. "
        "Our Chief Financial Officer met the FDA's people before Halloween, and X marks the spot."
    )
    assert other_names(text, TERMS.known(), people={"jane", "doe"}) == Counter(
        {"Salesforce": 1, "HubSpot": 1, "Procter & Gamble": 1, "Microsoft Teams": 1, "SAP": 1, "FDA": 1}
    )


def test_a_term_configured_with_spaces_around_it_is_known_as_the_matcher_knows_it():
    terms = TrackedTerms(competitors=(" Globex ",), own_brands=("Rapport ",))
    assert terms.known() == {"globex", "rapport"}
    text = "Honestly, Globex Europe is cheaper than Rapport Cloud, says Initech."
    assert other_names(text, terms.known(), people=set()) == Counter({"Initech": 1})


def test_turn_mentions_counts_per_call_term_and_role_with_one_spelling_per_other_name(spark):
    turns_df = spark.createDataFrame(
        [
            ("c1", "customer", "Globex gave us a discount. We also talked to HubSpot.", True, []),
            ("c1", "customer", "Another DISCOUNT from Hubspot", True, []),
            ("c1", "seller", "Next steps: a discount, and Globex is slow.", True, []),  # seller: best practice only
            ("c2", "customer", "Ask HubSpot and Ann Lee about the discount.", False, ["ann", "lee"]),  # no names
            ("c3", "customer", "HubSpot, then Ann Lee.", True, ["ann", "lee"]),
        ],
        "call_id string, role string, text string, find_names boolean, people array<string>",
    )

    mentions_df = turn_mentions(turns_df, TERMS)

    expected_df = spark.createDataFrame(
        [
            ("c1", "competitor", "Globex", "customer", 1),
            ("c1", "keyword", "discount", "customer", 2),
            ("c1", "other_brand", "HubSpot", "customer", 2),  # "Hubspot" is written as most often written
            ("c1", "best_practice", "next steps", "seller", 1),
            ("c2", "keyword", "discount", "customer", 1),
            ("c3", "other_brand", "HubSpot", "customer", 1),
        ],
        "call_id string, term_kind string, term string, speaker_role string, mentions long",
    )
    assert_df_equality(mentions_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_earlier_mentions_of_calls_without_text_count_and_vote_for_the_spelling_of_other_names(spark):
    turns_df = spark.createDataFrame(
        [("c1", "customer", "We tried Hubspot and a discount.", True, [])],
        "call_id string, role string, text string, find_names boolean, people array<string>",
    )
    earlier_df = spark.createDataFrame(
        [
            ("c9", "other_brand", "HubSpot", "customer", 3),
            ("c9", "keyword", "discount", "customer", 2),
            ("c9", "keyword", "warranty", "customer", 1),  # tracked no more
            ("c9", "other_brand", "Globex Labs", "customer", 1),  # holds a competitor now tracked
        ],
        "call_id string, term_kind string, term string, speaker_role string, mentions long",
    )

    mentions_df = turn_mentions(turns_df, TERMS, earlier_df)

    expected_df = spark.createDataFrame(
        [
            ("c1", "keyword", "discount", "customer", 1),
            ("c1", "other_brand", "HubSpot", "customer", 1),  # the earlier call's 3 outvote this one
            ("c9", "keyword", "discount", "customer", 2),
            ("c9", "other_brand", "HubSpot", "customer", 3),
        ],
        "call_id string, term_kind string, term string, speaker_role string, mentions long",
    )
    assert_df_equality(mentions_df, expected_df, ignore_nullable=True, ignore_row_order=True)

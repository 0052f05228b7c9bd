"""Tracked terms and other organisations in call speech (kpis.md section 13).

Tracked keywords and competitors are counted in customer speech, best-practice keywords in seller
speech, per call, term and speaker role; so are the names of other brands and organisations found
in customer speech (`other_names`).

How a tracked term matches, in any script:
- Text and terms are normalised alike (`normalise`): NFKC, case folded, and the accents of Latin,
  Greek and Cyrillic letters dropped ("Intégration" -> "integration", "ΤΙΜΉ" -> "τιμη"), then
  recomposed (NFC), so that Hangul stays in syllables and Japanese kana keep their voicing marks
  (が is not か).
- One Aho-Corasick automaton (pyahocorasick) holds every term of every kind, so a turn is scanned
  once whatever the number of terms.
- A match counts on word boundaries only: an end of it that is a letter or digit of a script
  written with spaces (Latin, Greek, Cyrillic, Hangul, ...) must not touch another such letter or
  digit ("price" is not in "priceless"). Chinese, Japanese, Thai and the like are written without
  spaces between words, so a match whose end is one of their characters has no boundary to check
  there. Korean writes particles onto the noun (가격이: "the price" as subject), so a Hangul term may
  be followed by more Hangul.
- Where matches overlap, the leftmost wins, then the longest ("security review" counts once, not
  also as "security").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick
import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

KEYWORD, COMPETITOR, BEST_PRACTICE, OTHER_BRAND = "keyword", "competitor", "best_practice", "other_brand"
TERM_KINDS = (KEYWORD, COMPETITOR, BEST_PRACTICE, OTHER_BRAND)
KINDS_BY_ROLE = {"customer": (KEYWORD, COMPETITOR), "seller": (BEST_PRACTICE,)}

# Scripts written without spaces between words: CJK ideographs, kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x3005, 0x3007),
    (0x3040, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))


def _in(ranges: tuple[tuple[int, int], ...], char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in ranges)


def _is_word(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) in ("Mn", "Mc")


def _is_spaced_word(char: str) -> bool:
    if char.isascii():
        return char.isalnum()
    return _is_word(char) and not _in(_UNSPACED, char)


def _accent_bearing(char: str) -> bool:
    """Latin, Greek and Cyrillic letters, whose accents matching ignores."""
    point = ord(char)
    return point < 0x0530 or 0x1E00 <= point <= 0x1FFF


def term_key(term: str) -> str:
    """A configured term as it is matched: normalised, without the spaces a configuration left around it."""
    return normalise(term).strip()


def normalise(text: str) -> str:
    """Case folded, compatibility-composed text without the accents of Latin, Greek and Cyrillic."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    kept, base = [], ""
    for char in decomposed:
        if unicodedata.combining(char):
            if _accent_bearing(base):
                continue
        else:
            base = char
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _on_boundaries(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] starts and ends on word boundaries (see the module's docstring)."""
    if start > 0 and _is_spaced_word(text[start]) and _is_spaced_word(text[start - 1]):
        return False
    if end < len(text):
        inside, outside = text[end - 1], text[end]
        if _is_spaced_word(inside) and _is_spaced_word(outside):
            return _in(_HANGUL, inside) and _in(_HANGUL, outside)
    return True


@dataclass(frozen=True)
class TrackedTerms:
    """The configured terms of each kind (`tracking.*` of the configuration), as written there."""

    keywords: tuple[str, ...] = ()
    competitors: tuple[str, ...] = ()
    best_practice: tuple[str, ...] = ()
    own_brands: tuple[str, ...] = ()  # never reported as other brands

    def by_kind(self) -> dict[str, tuple[str, ...]]:
        return {KEYWORD: self.keywords, COMPETITOR: self.competitors, BEST_PRACTICE: self.best_practice}

    def known(self) -> set[str]:
        """Every tracked term and own brand, keyed as `TermMatcher` keys them: what `other_names` leaves out."""
        keys = (term_key(t) for terms in (*self.by_kind().values(), self.own_brands) for t in terms)
        return {key for key in keys if key}


class TermMatcher:
    """Counts the tracked terms of some kinds in a text: one automaton over every term."""

    def __init__(self, terms: TrackedTerms):
        self._automaton = ahocorasick.Automaton()
        meanings: dict[str, list[tuple[str, str]]] = {}
        for kind, kind_terms in terms.by_kind().items():
            for term in kind_terms:
                key = term_key(term)
                if key and (kind, term) not in meanings.setdefault(key, []):
                    meanings[key].append((kind, term))
        for key, meaning in meanings.items():
            self._automaton.add_word(key, (len(key), tuple(meaning)))
        self._empty = not meanings
        if not self._empty:
            self._automaton.make_automaton()

    def count(self, text: str, kinds: Iterable[str]) -> Counter:
        """(kind, term) -> mentions in `text`, for the terms of `kinds`."""
        counts: Counter = Counter()
        if self._empty or not text:
            return counts
        wanted = set(kinds)
        normalised = normalise(text)
        candidates = []
        for last, (length, meaning) in self._automaton.iter(normalised):
            start = last - length + 1
            kept = tuple(m for m in meaning if m[0] in wanted)
            if kept and _on_boundaries(normalised, start, last + 1):
                candidates.append((start, -length, kept))
        position = 0
        for start, negative_length, meaning in sorted(candidates):  # leftmost, then longest
            if start >= position:
                counts.update(meaning)
                position = start - negative_length
        return counts


# --- other brands and organisations ----------------------------------------------------------
# Languages that capitalise proper names and little else (German capitalises every noun).
NAME_LANGUAGES = ("en", "fr", "es", "it", "pt", "nl")
# The capital letters of Latin, Greek and Cyrillic, the scripts of NAME_LANGUAGES and their neighbours.
_UPPER = "".join(re.escape(chr(c)) for c in (*range(0x0530), *range(0x1E00, 0x2000)) if chr(c).isupper())
_CAPITALISED = re.compile(rf"(?<![\w'’&.-])[{_UPPER}](?:[\w'’&.-]*[\w&])?")
_GAP = re.compile(r"[^\w&]*$")
_SENTENCE_MARKS = frozenset('.!?:;"“”()[]')
_JOINS = (" ", " & ")
_NOT_NAMES = frozenset((
    "i", "i'm", "i'll", "i've", "i'd", "i’m", "i’ll", "i’ve", "ok", "okay", "yes", "no", "mr", "mrs", "ms",
    "dr", "sir", "madam", "hi", "hello", "hey", "thanks", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "q1", "q2", "q3", "q4", "ceo", "cfo", "cto",
    "coo", "vp", "christmas", "easter", "halloween", "thanksgiving", "question", "questions", "answer", "sorry",
))  # fmt: skip
# Words of job titles and roles: a name made of them only is a title ("Chief Financial Officer").
_TITLE_WORDS = frozenset((
    "chief", "executive", "financial", "operating", "technology", "officer", "vice", "president", "senior",
    "general", "counsel", "secretary", "treasurer", "chairman", "chair", "director", "head", "manager",
    "investor", "relations", "board", "of", "and", "&",
))  # fmt: skip
_LEADING = frozenset(("the", "our", "we", "my", "this", "that", "their", "your", "his", "her", "its", "a", "an"))
_POSSESSIVE = re.compile(r"['’]s$")
MAX_NAME_TOKENS = 4


def _has_inner_capital(token: str) -> bool:
    return any(c.isupper() for c in token[1:])


def other_names(text: str, known: set[str], people: set[str]) -> Counter:
    """Names of brands and organisations in `text` that are not `known` (normalised tracked terms
    and own brands) and share no word with `people` (normalised names of the call's participants).

    A name is a run of up to four capitalised words, joined by single spaces or " & " ("Microsoft
    Teams", "Procter & Gamble"); a single word at the start of a sentence is a name only when it
    has a capital inside it ("HubSpot", "SAP"), since any word is capitalised there. A name that
    holds a known term ("Globex Europe") is that term's, not another name; a possessive is the
    name's ("FDA's" is "FDA"); names of one letter, job titles ("Vice President") and holidays are
    left out. Offline and
    dictionary-free, so it also finds places and people who are not participants:
    `docs/decisions.md` gives its precision on real calls.
    """
    counts: Counter = Counter()
    if text[1:].islower():  # no capital past the first letter: at most a sentence's first word, never a name
        return counts
    tokens: list[str] = []
    joins: list[str] = []
    starts_sentence = False

    def close() -> None:
        while tokens and normalise(tokens[0]) in _LEADING:  # "Our Chief ...", "The Hershey Company"
            del tokens[0]
            if joins:
                del joins[0]
        if not tokens or (len(tokens) == 1 and starts_sentence and not _has_inner_capital(tokens[0])):
            return
        name = _POSSESSIVE.sub("", tokens[0] + "".join(j + t for j, t in zip(joins, tokens[1:], strict=True)))
        key = normalise(name)
        padded, words = f" {key} ", set(key.split())
        if sum(c.isalpha() for c in key) < 2 or words <= _TITLE_WORDS:
            return
        if words & people or any(f" {k} " in padded for k in known):
            return
        counts[name] += 1

    previous_end = 0
    for match in _CAPITALISED.finditer(text):  # only capitalised words can be part of a name
        start, raw = match.start(), match.group()
        token, between = raw.rstrip(".'’-"), text[previous_end:start]
        previous_end = match.end()
        if normalise(token) in _NOT_NAMES:
            close()
            tokens, joins = [], []
        elif tokens and between in _JOINS and len(tokens) < MAX_NAME_TOKENS:
            tokens.append(token)
            joins.append(between)
        else:
            close()
            before = text[:start]
            gap = _GAP.search(before).group()  # what separates it from the word before
            tokens, joins = [token], []
            starts_sentence = len(gap) == len(before) or any(c in _SENTENCE_MARKS for c in gap)
    close()
    return counts


# --- in Spark --------------------------------------------------------------------------------
MENTIONS_SCHEMA = T.StructType(
    [
        T.StructField("call_id", T.StringType(), False),
        T.StructField("term_kind", T.StringType(), False),
        T.StructField("term", T.StringType(), False),
        T.StructField("term_key", T.StringType(), False),
        T.StructField("speaker_role", T.StringType(), False),
        T.StructField("mentions", T.LongType(), False),
    ]
)


def _mention_batches(batches: Iterator[pa.RecordBatch], terms: TrackedTerms) -> Iterator[pa.RecordBatch]:
    """Arrow batches of turns (call_id, role, text, find_names, people) -> batches of mention counts,
    summed per call, term and role within the batch (Spark sums across batches)."""
    matcher, known = TermMatcher(terms), terms.known()
    for batch in batches:
        people_column = batch.column("people")
        people_of: dict[str, set[str]] = {}  # a call's people, read from Arrow once per call
        counts: Counter = Counter()
        for index, (call_id, role, text, find_names) in enumerate(
            zip(*(batch.column(c).to_pylist() for c in ("call_id", "role", "text", "find_names")), strict=True)
        ):
            for (kind, term), mentions in matcher.count(text, KINDS_BY_ROLE.get(role, ())).items():
                counts[call_id, kind, term, role] += mentions
            if find_names and role == "customer" and text:
                if call_id not in people_of:
                    people_of[call_id] = set(people_column[index].as_py() or ())
                for name, mentions in other_names(text, known, people_of[call_id]).items():
                    counts[call_id, OTHER_BRAND, name, role] += mentions
        yield _counts_batch(counts)


def _counts_batch(counts: Counter) -> pa.RecordBatch:
    """(call_id, kind, term, role) -> mentions, as a batch of MENTIONS_SCHEMA."""
    columns = list(zip(*counts, strict=True)) or [(), (), (), ()]
    call_ids, kinds, terms, roles = columns
    keys = {term: term_key(term) for term in set(terms)}
    arrays = (call_ids, kinds, terms, [keys[t] for t in terms], roles, list(counts.values()))
    return pa.RecordBatch.from_arrays(
        [pa.array(a, _ARROW[f.name]) for a, f in zip(arrays, MENTIONS_SCHEMA.fields, strict=True)],
        schema=pa.schema([(f.name, _ARROW[f.name]) for f in MENTIONS_SCHEMA]),
    )


_ARROW = {
    "call_id": pa.string(),
    "term_kind": pa.string(),
    "term": pa.string(),
    "term_key": pa.string(),
    "speaker_role": pa.string(),
    "mentions": pa.int64(),
}


def _earlier_batches(batches: Iterator[pa.RecordBatch], terms: TrackedTerms) -> Iterator[pa.RecordBatch]:
    """Arrow batches of earlier mention rows -> the same with their term keys, without the terms
    the configuration tracks no more (tracked kinds) or knows now (other names)."""
    tracked = {kind: {term_key(t) for t in kind_terms} for kind, kind_terms in terms.by_kind().items()}
    known = terms.known()
    for batch in batches:
        counts: Counter = Counter()
        columns = (batch.column(c).to_pylist() for c in ("call_id", "term_kind", "term", "speaker_role", "mentions"))
        for call_id, kind, term, role, mentions in zip(*columns, strict=True):
            key = term_key(term)
            if kind == OTHER_BRAND:
                kept = not any(f" {k} " in f" {key} " for k in known)
            else:
                kept = key in tracked.get(kind, ())
            if kept:
                counts[call_id, kind, term, role] += mentions
        yield _counts_batch(counts)


def turn_mentions(turns_df: DataFrame, terms: TrackedTerms, earlier_df: DataFrame | None = None) -> DataFrame:
    """Turns (call_id, role, text, find_names: whether to look for other names, people: the
    normalised words of the participants' names) -> one row per call, term kind, term and role
    with its mentions. Other names are written as most often written (ties: the smaller).

    `earlier_df`: mention rows (call_id, term_kind, term, speaker_role, mentions) of calls whose text
    is gone (retention), kept from an earlier day's gold: they count as found again, the terms the
    configuration no longer tracks aside, and take part in choosing other names' spellings."""
    counted_df = turns_df.select("call_id", "role", "text", "find_names", "people").mapInArrow(
        lambda batches: _mention_batches(batches, terms), MENTIONS_SCHEMA
    )
    if earlier_df is not None:
        kept_df = earlier_df.select("call_id", "term_kind", "term", "speaker_role", "mentions").mapInArrow(
            lambda batches: _earlier_batches(batches, terms), MENTIONS_SCHEMA
        )
        counted_df = counted_df.unionByName(kept_df)
    per_call_df = counted_df.groupBy("call_id", "term_kind", "term_key", "speaker_role", "term").agg(
        F.sum("mentions").alias("mentions")
    )
    # One spelling per other name: the one written most often across calls (ties: the smaller).
    # Windows over the counts, not a join with an aggregate of them, so the turns are scanned once.
    written = F.sum("mentions").over(Window.partitionBy("term_kind", "term_key", "term"))
    spelling = F.min_by("term", F.struct(-F.col("written"), F.col("term"))).over(
        Window.partitionBy("term_kind", "term_key")
    )
    return (
        per_call_df.withColumn("written", written)
        .withColumn("term", F.when(F.col("term_kind") == OTHER_BRAND, spelling).otherwise(F.col("term")))
        .groupBy("call_id", "term_kind", "term", "speaker_role")
        .agg(F.sum("mentions").cast(T.LongType()).alias("mentions"))
    )

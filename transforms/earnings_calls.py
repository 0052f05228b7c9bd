"""Earnings-21 (Rev's corpus of 44 earnings calls) as landing records: each call a call activity
and its transcript, the company's speakers our sellers, the analysts and the operator customers.

What the corpus has for a call `<id>`:
- `transcripts/nlp_references/<id>.nlp`: every token with its speaker, punctuation and entity tag
  ids, in order, without times;
- `rttms/<id>.rttm`: who spoke when (segments of start and duration per speaker), without words;
- `speaker-metadata.csv` (speaker names), `earnings21-file-metadata.csv` (company, audio length,
  `speaker_switches`), `transcripts/wer_tags/<id>.wer_tag.json` (the entity type of each tag id:
  ORG, PERSON, GPE, ...).

The mapping (`call_records`):
- **Fragments**: one per RTTM segment (participant = the speaker id, offset and duration from the
  segment), with the words the transcript gives that speaker there. Both sources list the same
  speakers, and on most calls the same sequence of speaker runs (a run: consecutive words or
  segments of one speaker); Rev notes that two calls were retranscribed after the RTTMs were made.
  Runs are matched in order where the two sequences agree (difflib's longest matching blocks);
  a matched run's words are spread over its segments by duration, and where the sequences differ
  the words of the unmatched runs are spread over the unmatched segments by duration, whoever
  speaks in them. `EarningsCall.turn_order_matches` says whether the sequences agree throughout.
- **Roles**: the speaker of the first words is the operator. The questions open with the first
  operator run after the opening that mentions a question ("we will now begin the question and
  answer session"); from then on, a speaker whose first words follow the operator's is an analyst
  (the operator introduces each one). Both are customers. Every other speaker is the company's (a
  seller): the executives speak first after the opening or after an analyst's question.
- **People**: company speakers are users (team: the company), analysts and the operator contacts,
  with made-up addresses (`e21-<id>-<speaker>@` the internal domain or `ANALYST_DOMAIN`).
- **The call**: from the first company speaker to every other speaker, `recorded`, lasting the
  audio, started at the given day's 14:00 UTC plus its index in minutes (the corpus has no dates).
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

ANALYST_DOMAIN = "analysts.example"
OPERATOR, ANALYST, COMPANY = "operator", "analyst", "company"
ROLE_OF = {OPERATOR: "customer", ANALYST: "customer", COMPANY: "seller"}
QUESTION = re.compile(r"\bquestions?\b", re.IGNORECASE)
TITLES = re.compile(r"^(mr|mrs|ms|dr|prof)\.?\s+", re.IGNORECASE)
ORGANISATION_TYPES = ("ORG", "PRODUCT")  # what counts as a brand or organisation in the entity tags
FIRST_CALL_AT = timedelta(hours=14)


@dataclass(frozen=True)
class Token:
    text: str
    speaker: str
    tags: tuple[str, ...]  # entity tag ids (`wer_tags`)


@dataclass(frozen=True)
class Segment:
    speaker: str
    start_s: float
    duration_s: float


@dataclass
class EarningsCall:
    file_id: str
    company: str
    audio_seconds: float
    speaker_switches: int  # the corpus' count: speaker runs, one more than the changes
    names: dict[str, str]
    tokens: list[Token]
    segments: list[Segment]
    entity_types: dict[str, str]

    @property
    def call_id(self) -> str:
        return f"e21-{self.file_id}"

    @property
    def turn_order_matches(self) -> bool:
        return [s for s, _ in _runs(self.tokens)] == [s for s, _ in _runs(self.segments)]

    def kinds(self) -> dict[str, str]:
        """speaker -> operator, analyst or company (see the module)."""
        runs = _runs(self.tokens)
        operator = runs[0][0]
        kinds = {operator: OPERATOR}
        questions_open = False
        for number, ((previous, words), (speaker, _)) in enumerate(pairwise(runs)):
            introduced = number > 0 and previous == operator  # the opening introduces the company
            questions_open |= bool(introduced and QUESTION.search(" ".join(t.text for t in words)))
            if speaker not in kinds:
                kinds[speaker] = ANALYST if introduced and questions_open else COMPANY
        for speaker in {s.speaker for s in self.segments} - set(kinds):
            kinds[speaker] = COMPANY  # heard in the audio only
        return kinds

    def organisations(self) -> set[str]:
        """The ORG and PRODUCT entities the corpus tags in the call, as written."""
        spans: dict[str, list[str]] = {}
        for token in self.tokens:
            for tag in token.tags:
                if self.entity_types.get(tag) in ORGANISATION_TYPES:
                    spans.setdefault(tag, []).append(token.text.strip(".,;:!?"))
        return {" ".join(words) for words in spans.values()}


def _runs(items: list) -> list[tuple[str, list]]:
    """Tokens or segments (anything with a `speaker`) cut into runs of one speaker, in order."""
    runs: list[tuple[str, list]] = []
    for item in items:
        if not runs or runs[-1][0] != item.speaker:
            runs.append((item.speaker, []))
        runs[-1][1].append(item)
    return runs


def _spread(tokens: list[Token], segments: list[Segment]) -> list[list[Token]]:
    """The tokens cut into consecutive pieces, one per segment, in proportion to its duration."""
    total = sum(s.duration_s for s in segments)
    pieces, cut, elapsed = [], 0, 0.0
    for segment in segments:
        elapsed += segment.duration_s
        end = round(len(tokens) * elapsed / total) if total > 0 else len(tokens)
        pieces.append(tokens[cut:end])
        cut = end
    if pieces:
        pieces[-1].extend(tokens[cut:])
    return pieces


def aligned_words(call: EarningsCall) -> list[list[Token]]:
    """The words of each segment (in segment order), aligned run by run (see the module)."""
    token_runs, segment_runs = _runs(call.tokens), _runs(call.segments)
    matcher = difflib.SequenceMatcher(a=[s for s, _ in token_runs], b=[s for s, _ in segment_runs], autojunk=False)
    words: list[list[Token]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for (_, run_tokens), (_, run_segments) in zip(token_runs[i1:i2], segment_runs[j1:j2], strict=True):
                words.extend(_spread(run_tokens, run_segments))
        else:  # words no segment times are dropped; segments no words fall in are silent
            run_tokens = [t for _, run in token_runs[i1:i2] for t in run]
            words.extend(_spread(run_tokens, [s for _, run in segment_runs[j1:j2] for s in run]))
    return words


def _text(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)


def person_name(name: str) -> str:
    return TITLES.sub("", name.strip())


def call_records(call: EarningsCall, index: int, day: datetime, internal_domain: str) -> dict[str, list[dict]]:
    """The landing records of one call: users, contacts, the call and its transcript."""
    kinds = call.kinds()
    speakers = sorted(kinds, key=lambda s: (int(s) if s.isdigit() else 1 << 30, s))

    def address(speaker: str) -> str:
        domain = internal_domain if kinds[speaker] == COMPANY else ANALYST_DOMAIN
        return f"{call.call_id}-{speaker}@{domain}"

    modified = day.isoformat() + "Z"
    users = [
        {
            "user_id": f"{call.call_id}-{s}",
            "email": address(s),
            "full_name": person_name(call.names.get(s, f"Speaker {s}")),
            "team_id": call.call_id,
            "modified_at": modified,
        }
        for s in speakers
        if kinds[s] == COMPANY
    ]
    contacts = [
        {
            "contact_id": f"{call.call_id}-{s}",
            "email": address(s),
            "full_name": person_name(call.names.get(s, f"Speaker {s}")),
            "job_title": kinds[s],
            "modified_at": modified,
        }
        for s in speakers
        if kinds[s] != COMPANY
    ]
    company = [s for s in speakers if kinds[s] == COMPANY]
    caller = company[0] if company else speakers[0]
    started = day + FIRST_CALL_AT + timedelta(minutes=index)
    calls = [
        {
            "call_id": call.call_id,
            "from": address(caller),
            "to": [address(s) for s in speakers if s != caller],
            "started_at": started.isoformat() + "Z",
            "duration_seconds": round(call.audio_seconds),
            "status": "completed",
            "recorded": True,
            "modified_at": modified,
        }
    ]
    fragments = [
        {
            "participant_id": segment.speaker,
            "offset_ms": round(segment.start_s * 1000),
            "duration_ms": round(segment.duration_s * 1000),
            "text": _text(words),
        }
        for segment, words in zip(call.segments, aligned_words(call), strict=True)
    ]
    transcripts = [
        {
            "call_id": call.call_id,
            "language": "en",
            "participants": [{"participant_id": s, "email": address(s), "role": ROLE_OF[kinds[s]]} for s in speakers],
            "fragments": fragments,
        }
    ]
    return {"users": users, "contacts": contacts, "calls": calls, "transcripts": transcripts}


# --- reading the corpus -----------------------------------------------------------------------
def _tags(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"'([^']+)'", text))


def read_tokens(path: Path) -> list[Token]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="|", quoting=csv.QUOTE_NONE)
        return [Token(r["token"] + (r["punctuation"] or ""), r["speaker"], _tags(r["wer_tags"] or "")) for r in rows]


def read_segments(path: Path) -> list[Segment]:
    """RTTM `SPEAKER <file> <channel> <start> <duration> <NA> <NA> <speaker> ...` lines, by start."""
    segments = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            segments.append(Segment(fields[7], float(fields[3]), float(fields[4])))
    return sorted(segments, key=lambda s: (s.start_s, s.speaker))


def read_corpus(folder: Path) -> Iterator[EarningsCall]:
    """Every call of an `earnings21/` folder that has a transcript, an RTTM and metadata, by id."""
    with (folder / "earnings21-file-metadata.csv").open(encoding="utf-8", newline="") as handle:
        metadata = {r["file_id"]: r for r in csv.DictReader(handle)}
    names: dict[str, dict[str, str]] = {}
    with (folder / "speaker-metadata.csv").open(encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            names.setdefault(r["file_id"], {})[r["speaker_id"]] = r["speaker_name"]
    for path in sorted((folder / "transcripts" / "nlp_references").glob("*.nlp")):
        file_id = path.stem
        rttm, tags = (
            folder / "rttms" / f"{file_id}.rttm",
            folder / "transcripts" / "wer_tags" / f"{file_id}.wer_tag.json",
        )
        if file_id not in metadata or not rttm.is_file():
            continue
        entity_types = {}
        if tags.is_file():
            entity_types = {
                k: v.get("entity_type", "") for k, v in json.loads(tags.read_text(encoding="utf-8")).items()
            }
        row = metadata[file_id]
        yield EarningsCall(
            file_id=file_id,
            company=row["company_name"],
            audio_seconds=float(row["audio_length"]),
            speaker_switches=int(row["speaker_switches"]),
            names=names.get(file_id, {}),
            tokens=read_tokens(path),
            segments=read_segments(rttm),
            entity_types=entity_types,
        )

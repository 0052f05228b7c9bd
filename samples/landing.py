"""Seeded sample landing zone: CRM snapshots, activities, mail files and call transcripts.

`generate()` writes every folder of spec/raw-contract.md (v1.1) as of a date, shaped so that every
KPI of spec/kpis.md has something to compute: won / lost / open deals, threads with runs and late
replies, internal-only mail, list-rewritten senders, declined attendees, future meetings, recorded
calls with multilingual transcripts, re-delivered CRM versions and duplicate activity ids, and (on
request) one bad record per quarantine reason.

Pure standard library and deterministic: the same arguments give byte-identical files (one seeded
`random.Random`, no wall clock, gzip with mtime 0). Memory stays bounded at any scale: the
generator works account by account and streams records into writers that rotate files; only the
users and the current account's CRM records are held.

Layout (names sort in landing order; `<stamp>` is the batch name or the as-of date):
    crm/users/<stamp>-00000.jsonl.gz          (users gzipped, every other source plain JSONL)
    <folder>/<stamp>-<5-digit seq>.jsonl      rotated every ROTATE_RECORDS records
    activities/emails/<stamp>-<seq>.eml       one message each, plus <stamp>-00000.mbox (mboxrd)
    <folder>/<stamp>-bad-00000.jsonl          bad_lines=True only, bad records among good ones
    activities/emails/<stamp>-bad-<seq>.eml   bad_lines=True only

Activity ids carry the batch name when one is given, so a second batch adds activities rather than
re-delivering them; CRM ids never do (a later batch is a newer snapshot of the same records).
"""

from __future__ import annotations

import bisect
import functools
import gzip
import hashlib
import itertools
import json
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.charset import QP, Charset
from email.header import Header
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import BinaryIO

import orjson

from schemas.landing import (
    ACCOUNTS,
    ACTIVITY_STATUSES,
    CALL_DIRECTIONS,
    CALLS,
    CONTACTS,
    EMAIL_EVENTS,
    EMAILS,
    EVENT_TYPES,
    LEAD_STATUSES,
    LEADS,
    MEETINGS,
    OPPORTUNITIES,
    OPPORTUNITY_STAGES,
    OPPORTUNITY_STATUSES,
    REGARDING_TYPES,
    RESPONSES,
    SOURCES,
    SPEAKER_ROLES,
    TASK_STATUSES,
    TASKS,
    TRANSCRIPTS,
    USERS,
    Source,
)

SCALES = {"tiny": 3_000, "small": 30_000, "medium": 1_000_000, "large": 10_000_000}

DEFAULT_KEYWORDS = ("pricing", "discount", "contract", "renewal", "integration", "security review")
DEFAULT_COMPETITORS = ("Globex", "Initech", "Umbrella Corp")
DEFAULT_BEST_PRACTICE = ("next steps", "timeline", "decision maker", "budget")

# --- files -------------------------------------------------------------------------------------
ROTATE_RECORDS = 200_000
ROTATE_BYTES = 64 * 2**20  # transcripts are large: rotate on size too (ingest reads a file whole)
WRITE_BUFFER_BYTES = 2**20
GZIP_LEVEL = 6
JSON_SEPARATORS = (",", ":")
SEQ_DIGITS = 5
PROGRESS_EVERY = 1_000_000
MAX_RECORD_BYTES = 2**20  # the contract's default maximum; the too-large bad record exceeds it

# --- time --------------------------------------------------------------------------------------
DAY = 86_400
HOUR = 3_600
MINUTE = 60
HISTORY_DAYS = 400
FUTURE_DAYS = 30
RECENCY_SKEW = 1.3  # ages are HISTORY_DAYS * u ** RECENCY_SKEW: recent days are denser
WORKDAY_START_HOUR = 8
WORKDAY_END_HOUR = 19
WORKDAY_JITTER_HOURS = 3
WEEKEND_SKIP_SHARE = 0.9
SUMMER_MONTHS = range(4, 11)  # a simplification of northern summer time: April to October
CRM_HISTORY_DAYS = 1_000
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
SATURDAY = 5
WEEK_DAYS = 7

# --- organisation and CRM ----------------------------------------------------------------------
TINY_USERS = 15
USERS_PER_TEAM = 5
USER_GROWTH = 0.35  # users = TINY_USERS * (activities / tiny) ** USER_GROWTH
OPT_OUT_USER = 4  # within every TINY_USERS users: this one opted out of analytics ...
INACTIVE_USER = 9  # ... and this one has left
ACTIVITIES_PER_ACCOUNT = 100
MIN_ACCOUNTS = 30
ACCOUNT_SIZE_ALPHA = 1.6  # Pareto shape of account activity: a few busy accounts (skewed joins)
MAX_ACCOUNT_WEIGHT = 25.0
MIN_ACCOUNT_ACTIVITIES = 5
CONTACTS_PER_ACCOUNT = (2, 5)
DO_NOT_TRACK_EVERY = 33  # one contact in 33 is do_not_track (never a primary contact)
OPPORTUNITIES_PER_ACCOUNT = (2, 3, 4)  # cycled, so tiny has exactly 90
# 3 won, 3 lost, 2 open in every 8 deals: at least 30 / 30 / 10 from 90 deals on.
STATUS_CYCLE = ("won", "lost", "open", "won", "lost", "won", "open", "lost")
WON_WITHOUT_ACTUALS = (7, 15)  # won deal ordinal % 15 == 7 lacks actual revenue and close date
ACTIVITIES_PER_LEAD = 150
MIN_LEADS = 20
LEAD_STATUS_CYCLE = ("open", "qualified", "open", "disqualified", "qualified")
STAKEHOLDER_SHARE = 0.4
OUTSIDERS_PER_ACCOUNT = (1, 2)
REDELIVERED_PER_SOURCE = 2
REDELIVERED_REVENUE_FACTOR = 1.1  # the changed field of a re-delivered opportunity
SECOND_DOMAIN_SHARE = 0.5  # accounts with a second email domain
MIN_EMPLOYEES = 5
REVENUE_ROUNDING = 1_000
NAME_SUFFIXES = (2, 99)  # john.doe7@...: same name twice in one company
PERSONAL_SUFFIXES = (1, 999)  # john.doe123@gmail.com
SALES_TEAM_SIZE = (1, 2)
MAX_STAKEHOLDERS = 3
LEAD_STAKEHOLDERS = (1, 2)
PERSONAL_LEAD_SHARE = 0.2  # leads writing from a private address
CLOSE_DATE_SLIP_DAYS = (-20, 20)  # estimated against actual close
CLOSE_UPDATE_DAYS = 3  # a closed deal's last update follows its close within this
DANGLING_REGARDING_SHARE = 0.003

# --- activities --------------------------------------------------------------------------------
EPISODES = ("email_thread", "meeting", "call", "task")
EPISODE_WEIGHTS = (0.36, 0.24, 0.22, 0.18)
WON_TARGET_WEIGHT, OPEN_TARGET_WEIGHT, LOST_TARGET_WEIGHT = 3.0, 2.0, 1.5
ACCOUNT_TARGET_WEIGHT, LEAD_TARGET_WEIGHT = 2.0, 1.0
REPLY_MEDIAN_HOURS = {"won": 3.0, "open": 6.0, "lost": 14.0, None: 8.0}
REPLY_SPREAD = 1.2  # sigma of the log-normal reply delay
MAX_REPLY_DAYS = 29
LATE_REPLY_SHARE = 0.05  # replies after more than the 30-day response window
LATE_REPLY_DAYS = (31, 60)
FOLLOW_UP_DAYS = (1, 6)  # a second email from the same side
MEAN_EXTRA_EMAILS = 2.3
MAX_THREAD_EMAILS = 12
RUN_SHARE = 0.25  # the next email comes from the same side
SAME_WRITER_SHARE = 0.7  # ... and, within such a run, from the same person
REPLY_ALL_SHARE = 0.3
TEAM_STARTS_SHARE = 0.6
THREAD_ID_SHARE = 0.5
INTERNAL_ONLY_SHARE = 0.08
WEB_FORM_REPLY_SHARE = 0.05  # In-Reply-To without References
MAX_REFERENCES = 10
TO_SIZES = (1, 1, 1, 2)  # recipients in To
CC_OTHER_SIDE_SHARE = 0.5  # a cc goes to the readers' side, else to our own team
DRAFT_VERSIONS = (1, 4)
CC_SHARE, OUTSIDER_CC_SHARE, BCC_SHARE, EMPTY_TO_SHARE = 0.3, 0.1, 0.05, 0.01
NAMED_ADDRESS_SHARE, MIXED_CASE_SHARE = 0.03, 0.02
FOLLOWED_SHARE = 0.3
OPEN_SHARE, CLICK_SHARE, ATTACHMENT_SHARE = 0.75, 0.25, 0.2
MAX_OPENS = 3
EVENT_DELAY_HOURS = 20.0
ORPHAN_EVENT_EVERY = 10  # one event for an unknown email id per 10 accounts
REGARDING_SHARE = {"opportunity": 0.5, "lead": 0.4, "account": 0.2}
MEETING_REGARDING_SHARE = 0.6
MEETING_MINUTES = (30, 30, 45, 60, 60, 90)
MEETING_BOOKED_DAYS = (1, 21)  # created this long before it starts
INTERNAL_ONLY_MEETING_SHARE = INTERNAL_ONLY_SHARE / 2  # also for calls
INTERNAL_GUESTS = (1, 2)  # colleagues in an internal-only meeting or call
TEAM_ORGANIZER_SHARE = 0.8
RESPONSE_WEIGHTS = (("accepted", 0.6), ("tentative", 0.15), ("declined", 0.1), ("none", 0.15))
OPTIONAL_ATTENDEE_SHARE = 0.2
FUTURE_SHARE = 0.06  # meetings, calls and tasks scheduled after the as-of day
PAST_MEETING_STATUS = (("completed", 0.85), ("canceled", 0.1), ("scheduled", 0.05))
FUTURE_CANCELED_SHARE = 0.1
OUTGOING_SHARE = 0.7
CANCELED_CALL_SHARE = 0.08
CONFERENCE_CALL_SHARE = 0.1
CALL_MEDIAN_SECONDS = 480
CALL_SPREAD = 0.6
CALL_SECONDS = (30, 5_400)
RECORDED_SHARE = 0.4
TASK_STATUS = (("completed", 0.7), ("open", 0.18), ("canceled", 0.12))
TASK_MINUTES = (5, 10, 15, 30, 45, 60, 90)
TASK_DONE_DAYS = (-2, 1)  # completed this many days around the due date
TASK_REGARDING_SHARE = 0.7

# --- mail files --------------------------------------------------------------------------------
MAIL_SHARE = 0.03  # of all emails ...
MAIL_ELIGIBLE_SHARE = 0.5  # ... drawn among those without followed / regarding (about half)
MBOX_MESSAGES = 20
MBOX_SHARE = 0.5  # of ordinary mail messages, while the mbox has room
MAX_EML_FILES = 10_000  # beyond this, the rest of the mail stays JSONL (no folder of a million files)
LIST_ADDRESS = "sales-l@lists.example.org"
LIST_NAME = "Sales-L"
ENCODED_SUBJECT = "Angebot für Q3"

# --- transcripts -------------------------------------------------------------------------------
MS_PER_WORD = 400  # about 150 words a minute
MIN_FRAGMENT_MS = 800
MAX_SENTENCES_PER_TURN = {"seller": 4, "customer": 3}
SAME_TURN_GAP_MS = (0, 280)  # under 300 ms: fragments merge into one turn
PAUSE_SHARE, PAUSE_GAP_MS = 0.2, (300, 900)
TURN_GAP_MS = (150, 1_500)
OVERLAP_SHARE, OVERLAP_MS = 0.1, (50, 400)
KEEP_TURN_SHARE = 0.1
KEYWORD_SHARE, COMPETITOR_SHARE, BRAND_SHARE, BEST_PRACTICE_SHARE = 0.12, 0.05, 0.03, 0.15
MENTION_SHARE = KEYWORD_SHARE + COMPETITOR_SHARE + BRAND_SHARE
SELLER_OPENS_SHARE = 0.6
MS_JITTER = 300
TWO_SENTENCE_SHARE = 0.4  # a fragment (an ASR segment) holds one or two sentences
ENGLISH_ACCENT_SHARE = 0.1  # an English speaker's phrase gets an accent now and then ...
ACCENT_LETTER_SHARE = 0.6  # ... and a German or French one more often ("Intégration")
NOTETAKER_SHARE = 0.15
FOREIGN_LANGUAGE = {7: "de", 19: "fr"}  # transcript ordinal % 25 -> language, else "en"
FOREIGN_LANGUAGE_CYCLE = 25

# --- names -------------------------------------------------------------------------------------
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kara", "Liam",
    "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Yara",
    "Zoe", "Arjun", "Bea", "Carlos", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jana", "Kenji",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Klein",
    "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Usman", "Vogel", "Weber",
    "Xu", "Young", "Zimmer", "Moreau", "Silva", "Kowalski", "Nakamura", "Berg",
)  # fmt: skip
COMPANY_WORDS = (
    "Nordwind", "Blue Harbor", "Kestrel", "Alpenglow", "Lumen", "Redwood", "Silverline", "Quartz", "Meridian",
    "Oakridge", "Brightwater", "Falcon", "Granite", "Helios", "Ironbridge", "Juniper", "Larkspur", "Northstar",
    "Pinecrest", "Riverbend",
)  # fmt: skip
INDUSTRY_BY_SUFFIX = {
    "Logistics": "transportation", "Health": "healthcare", "Foods": "consumer goods", "Robotics": "manufacturing",
    "Energy": "energy", "Bank": "financial services", "Retail": "retail", "Media": "media",
    "Pharma": "life sciences", "Insurance": "financial services", "Analytics": "software", "Systems": "software",
}  # fmt: skip
COMPANY_SUFFIXES = tuple(INDUSTRY_BY_SUFFIX)
JOB_TITLES = (
    "CFO", "CTO", "Head of Procurement", "IT Manager", "VP Operations", "Buyer", "Project Lead",
    "Data Engineer", "Head of Sales", "CEO", "Security Officer", "Finance Manager",
)  # fmt: skip
PRODUCT_LINES = ("Core Platform", "Analytics Add-on", "Connect Suite", "Premium Support")
PRODUCT_BASE_REVENUE = {
    "Core Platform": 60_000,
    "Analytics Add-on": 25_000,
    "Connect Suite": 40_000,
    "Premium Support": 12_000,
}
LEAD_SOURCES = ("web", "referral", "partner", "event", "outbound", "inbound call")
# Win and loss lean on different sources, so the win/loss model has something to learn.
LEAD_SOURCE_WEIGHTS = {
    "won": (2, 5, 3, 2, 1, 2),
    "lost": (4, 1, 1, 2, 5, 1),
    "open": (3, 2, 2, 2, 3, 1),
}
REVENUE_SPREAD = 0.6
ACTUAL_REVENUE_RANGE = (0.8, 1.2)
EMPLOYEES_MEDIAN, EMPLOYEES_SPREAD = 400, 1.5
REVENUE_PER_EMPLOYEE = (80_000, 300_000)
DEAL_DAYS = (20, 200)  # created -> closed
OPEN_CLOSE_DAYS = (-30, 150)  # estimated close of open deals around the as-of day
OPEN_CREATED_DAYS = (5, 300)
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com")
CONSULTANT_DOMAIN = "partner-consulting.example"
SHARED_INTERNAL_MAILBOXES = ("deal-desk", "crm-capture")
NOTETAKER = ("Meeting Notes Bot", "notetaker@bots.example")
OTHER_BRANDS = ("Salesforce", "HubSpot", "Oracle", "SAP", "Zendesk", "Microsoft Teams", "Slack")


@dataclass(frozen=True)
class _Zone:
    """A person's clock: standard UTC offset, whether it moves in summer, and how UTC is written."""

    standard_minutes: int
    summer_time: bool = False
    zulu: bool = False  # UTC as "Z" rather than "+00:00"


UTC_ZONE = _Zone(0, zulu=True)
COUNTRY_ZONES = {
    "US": (_Zone(-300, True), _Zone(-480, True), _Zone(-360, True)),
    "GB": (_Zone(0, True, zulu=True), _Zone(0, True)),
    "DE": (_Zone(60, True),),
    "FR": (_Zone(60, True),),
    "NL": (_Zone(60, True),),
    "IN": (_Zone(330),),
    "JP": (_Zone(540),),
    "BR": (_Zone(-180),),
}
COUNTRIES = tuple(COUNTRY_ZONES)
COUNTRY_WEIGHTS = (30, 12, 15, 10, 6, 8, 8, 6)
COUNTRY_CUMULATIVE = tuple(itertools.accumulate(COUNTRY_WEIGHTS))
TEAM_COUNTRIES = ("US", "DE", "GB")
TLD_BY_COUNTRY = {"US": "example", "GB": "example.co.uk", "DE": "example.de", "FR": "example.fr"}

# Sentence templates per language: {kw} keyword, {comp} competitor, {brand} other brand, {bp} best practice.
PHRASES = {
    "en": {
        "keyword": (
            "We need to understand your {kw} before we can move forward.",
            "Honestly the {kw} was the main concern for our team.",
            "Can you tell me more about the {kw} part?",
            "Our board will ask about {kw} first.",
        ),
        "competitor": (
            "We are also talking to {comp} about this.",
            "{comp} offered us something similar last quarter.",
            "To be fair, {comp} was cheaper in the last round.",
        ),
        "brand": ("Right now we run most of this on {brand}.", "Does it work together with {brand}?"),
        "customer": (
            "That sounds great, I really like the approach.",
            "I'm worried that the rollout will be too slow.",
            "Can you send me the details by email?",
            "We had a bad experience with the previous vendor.",
            "It depends on what finance says.",
            "Yes, that works for us.",
            "This is frustrating, the last update broke our reports.",
            "The team is happy with the pilot so far.",
            "I am not sure this fits our process.",
        ),
        "best_practice": (
            "Let me make sure we agree on the {bp} before we hang up.",
            "Can we talk about the {bp} for a moment?",
            "I'll send a summary that includes the {bp}.",
        ),
        "seller": (
            "Thanks for taking the time today.",
            "Let me share my screen and show you the dashboard.",
            "That is a fair point.",
            "We have helped similar teams in your industry.",
            "I'll follow up with the documents this afternoon.",
            "How are you handling this today?",
            "What would success look like for you?",
        ),
        "other": ("This call is being recorded.",),
    },
    "de": {
        "keyword": (
            "Wir müssen zuerst über {kw} sprechen.",
            "Ehrlich gesagt ist {kw} für uns entscheidend.",
            "Können Sie mir mehr zu {kw} sagen?",
        ),
        "competitor": ("Wir sprechen auch mit {comp}.", "{comp} war in der letzten Runde günstiger."),
        "brand": ("Im Moment nutzen wir dafür {brand}.",),
        "customer": (
            "Das klingt sehr gut, vielen Dank.",
            "Ich bin besorgt wegen der Einführung.",
            "Können Sie mir die Unterlagen schicken?",
            "Das hängt von der Finanzabteilung ab.",
            "Ja, das passt für uns.",
        ),
        "best_practice": ("Lassen Sie uns die {bp} festhalten.", "Wie sieht es mit {bp} aus?"),
        "seller": (
            "Vielen Dank für Ihre Zeit heute.",
            "Ich teile kurz meinen Bildschirm.",
            "Das ist ein berechtigter Punkt.",
            "Wie lösen Sie das heute?",
        ),
        "other": ("Dieses Gespräch wird aufgezeichnet.",),
    },
    "fr": {
        "keyword": (
            "Nous devons d'abord parler de {kw}.",
            "Pour nous, la question de {kw} est essentielle.",
            "Pouvez-vous m'en dire plus sur {kw} ?",
        ),
        "competitor": ("Nous discutons aussi avec {comp}.", "{comp} nous a fait une offre moins chère."),
        "brand": ("Aujourd'hui nous utilisons {brand} pour cela.",),
        "customer": (
            "C'est très intéressant, merci beaucoup.",
            "Je suis inquiet pour le déploiement.",
            "Pouvez-vous m'envoyer les détails par e-mail ?",
            "Cela dépend de la direction financière.",
            "Oui, cela nous convient.",
        ),
        "best_practice": ("Mettons-nous d'accord sur le {bp}.", "Parlons un instant du {bp}."),
        "seller": (
            "Merci pour votre temps aujourd'hui.",
            "Je partage mon écran.",
            "C'est une remarque juste.",
            "Comment gérez-vous cela aujourd'hui ?",
        ),
        "other": ("Cet appel est enregistré.",),
    },
}
ACCENTED = {"e": "é", "a": "à", "u": "ü", "o": "ö"}
SUBJECTS = (
    "Proposal for {company}",
    "{company}: next steps",
    "Pricing question",
    "Follow-up from our call",
    "Contract draft v{n}",
    "Security questionnaire",
    "Renewal {year}",
    "Intro: {company} and us",
    "Meeting notes",
    "Quick question about the pilot",
)
INTERNAL_SUBJECTS = ("Deal review {company}", "Forecast check", "Can you cover the {company} call?")
EMAIL_BODY = (
    "Thanks for the quick call earlier.",
    "Please find the updated numbers attached.",
    "Could we find a slot next week?",
    "Let me know if anything is unclear.",
    "We reviewed the draft internally.",
)


def _check_enum_tables() -> None:
    """Every enum value this module writes is one of the contract's (schemas.landing)."""
    tables = (
        (OPPORTUNITY_STATUSES, (*STATUS_CYCLE, *LEAD_SOURCE_WEIGHTS, *REPLY_MEDIAN_HOURS.keys() - {None})),
        (OPPORTUNITY_STAGES, ("close",)),
        (LEAD_STATUSES, LEAD_STATUS_CYCLE),
        (ACTIVITY_STATUSES, (*(s for s, _ in PAST_MEETING_STATUS), "scheduled", "canceled", "completed")),
        (TASK_STATUSES, tuple(s for s, _ in TASK_STATUS)),
        (RESPONSES, tuple(r for r, _ in RESPONSE_WEIGHTS)),
        (REGARDING_TYPES, tuple(REGARDING_SHARE)),
        (CALL_DIRECTIONS, ("outgoing", "incoming")),
        (EVENT_TYPES, ("opened", "link_clicked", "attachment_viewed", "replied")),
        (SPEAKER_ROLES, (*MAX_SENTENCES_PER_TURN, "other")),
    )
    for allowed, used in tables:
        unknown = set(used) - set(allowed)
        if unknown:
            raise ValueError(f"sample data uses {sorted(unknown)}, not in the contract's {allowed}")


_check_enum_tables()


@dataclass(frozen=True)
class BadLine:
    """One bad record written on purpose: where it is and the quarantine reason it must get."""

    relative_path: str
    line: int  # 1-based line of a JSONL file, message position in an .mbox, 1 for an .eml
    reason: str


@dataclass
class Manifest:
    """What generate() wrote: valid records per source, the bad records, the files."""

    counts: dict[str, int]
    bad: list[BadLine] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Person:
    email: str
    name: str
    zone: _Zone
    user_id: str | None = None
    contact_id: str | None = None


@dataclass
class _Target:
    """What an episode of activity is about: who takes part on each side, when, and its regarding."""

    team: list[_Person]
    customers: list[_Person]
    outsiders: list[_Person]
    colleagues: list[_Person]  # for internal-only activity
    start: int
    end: int
    regarding: tuple[str, str] | None
    regarding_share: float
    status: str | None = None  # the deal's status, for opportunity targets
    allows_future: bool = True
    company: str = ""


# --- time helpers ------------------------------------------------------------------------------


@functools.cache
def _date_text(day_number: int) -> str:
    """YYYY-MM-DD of a day counted from 1970-01-01 (cached: a run touches a few hundred days)."""
    return (date(1970, 1, 1) + timedelta(days=day_number)).isoformat()


@functools.cache
def _is_summer(day_number: int) -> bool:
    return (date(1970, 1, 1) + timedelta(days=day_number)).month in SUMMER_MONTHS


@functools.cache
def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def _offset_minutes(zone: _Zone, instant: int) -> int:
    if zone.summer_time and _is_summer(instant // DAY):
        return zone.standard_minutes + 60
    return zone.standard_minutes


def _iso(instant: int, zone: _Zone = UTC_ZONE) -> str:
    """An ISO-8601 timestamp in the zone's local time with its offset ("Z" for zulu zones at UTC)."""
    offset = _offset_minutes(zone, instant)
    day_number, second = divmod(instant + offset * MINUTE, DAY)
    hours, rest = divmod(second, HOUR)
    minutes, seconds = divmod(rest, MINUTE)
    suffix = "Z" if offset == 0 and zone.zulu else _offset_text(offset)
    return f"{_date_text(day_number)}T{hours:02d}:{minutes:02d}:{seconds:02d}{suffix}"


def _aware(instant: int, zone: _Zone) -> datetime:
    offset = timedelta(minutes=_offset_minutes(zone, instant))
    return datetime.fromtimestamp(instant, timezone(offset))


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _day_text(instant: int) -> str:
    return datetime.fromtimestamp(instant, UTC).date().isoformat()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


class _Random(random.Random):
    """`random.Random` with integer draws made from one `random()` float: about three times faster
    than the exact ones, as deterministic, and biased by less than 2**-40 for the small ranges here."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + step * int(self.random() * ((stop - start + step - 1) // step))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def pick(self, values: Sequence, cumulative: Sequence[float]):
        """One of `values`, weighted by precomputed cumulative weights (`random.choices` rebuilds them)."""
        return values[bisect.bisect_right(cumulative, self.random() * cumulative[-1])]


@functools.cache
def _table(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """(values, cumulative weights) of a constant table of (value, weight) pairs."""
    return tuple(v for v, _ in pairs), tuple(itertools.accumulate(w for _, w in pairs))


# --- writers -----------------------------------------------------------------------------------


class _Landing:
    """The files of one generate() call: counts, file list and bad lines for the manifest."""

    def __init__(self, root: Path, stamp: str):
        self.root = root
        self.stamp = stamp
        self.counts = {source.name: 0 for source in SOURCES}
        self.files: list[str] = []
        self.bad: list[BadLine] = []

    def open(self, relative: str) -> BinaryIO:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(relative)
        return path.open("wb", buffering=WRITE_BUFFER_BYTES)


def _json_line(record) -> bytes:
    """One compact UTF-8 JSON line (orjson: the same bytes as `json.dumps(..., ensure_ascii=False,
    separators=(",", ":"))` for the strings, ints and floats written here, several times faster)."""
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


class _JsonlWriter:
    """One source's JSON Lines files: `<stamp>-<seq>.jsonl[.gz]`, a new file every ROTATE_RECORDS."""

    def __init__(self, landing: _Landing, source: Source, compress: bool = False):
        self._landing = landing
        self._source = source
        self._compress = compress
        self._seq = 0
        self._handle: BinaryIO | None = None
        self._raw: BinaryIO | None = None
        self._records = 0
        self._bytes = 0

    def write(self, record: dict) -> None:
        data = _json_line(record)
        if self._handle is None:
            self._open_next()
        self._handle.write(data)
        self._records += 1
        self._bytes += len(data)
        self._landing.counts[self._source.name] += 1
        if self._records >= ROTATE_RECORDS or self._bytes >= ROTATE_BYTES:
            self.close_file()

    def close_file(self) -> None:
        """End the current file; the next record opens a later-sorting one."""
        if self._handle is not None:
            self._handle.close()
            if self._raw is not self._handle:
                self._raw.close()
        self._handle = self._raw = None

    def _open_next(self) -> None:
        suffix = ".jsonl.gz" if self._compress else ".jsonl"
        relative = f"{self._source.folder}/{self._landing.stamp}-{self._seq:0{SEQ_DIGITS}d}{suffix}"
        self._seq += 1
        self._raw = self._landing.open(relative)
        if self._compress:
            # No file name and mtime 0 in the gzip header: the bytes depend on the content only.
            self._handle = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, compresslevel=GZIP_LEVEL, mtime=0)
        else:
            self._handle = self._raw
        self._records = self._bytes = 0


class _MailFiles:
    """RFC 5322 files in activities/emails: one .eml per message, and one mboxrd .mbox."""

    def __init__(self, landing: _Landing):
        self._landing = landing
        self._eml_seq = 0
        self._bad_seq = 0
        self._mbox: BinaryIO | None = None
        self.mbox_messages = 0

    @property
    def eml_files(self) -> int:
        return self._eml_seq

    def write_eml(self, message: bytes, bad: bool = False) -> str:
        if bad:
            name, self._bad_seq = f"bad-{self._bad_seq:0{SEQ_DIGITS}d}", self._bad_seq + 1
        else:
            name, self._eml_seq = f"{self._eml_seq:0{SEQ_DIGITS}d}", self._eml_seq + 1
        relative = f"{EMAILS.folder}/{self._landing.stamp}-{name}.eml"
        with self._landing.open(relative) as handle:
            handle.write(message)
        return relative

    def append_mbox(self, sender: str, sent: datetime, message: bytes) -> None:
        if self._mbox is None:
            self._mbox = self._landing.open(f"{EMAILS.folder}/{self._landing.stamp}-{0:0{SEQ_DIGITS}d}.mbox")
        utc = sent.astimezone(UTC)
        self._mbox.write(f"From {sender} {utc:%a %b} {utc.day:2d} {utc:%H:%M:%S %Y}\n".encode())
        self._mbox.write(_mboxrd_escape(message) + b"\n")
        self.mbox_messages += 1

    def close(self) -> None:
        if self._mbox is not None:
            self._mbox.close()
            self._mbox = None


def _mboxrd_escape(message: bytes) -> bytes:
    """mboxrd: every body line that starts with ">*From " gets one more ">"."""
    lines = message.split(b"\n")
    return b"\n".join(b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines)


def _mail_bytes(headers: Sequence[tuple[str, str]], body: Sequence[str], newline: str = "\n") -> bytes:
    """A plain-text RFC 5322 message; header values must already be ASCII (RFC 2047 where needed)."""
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", ""]
    return (newline.join([*lines, *body]) + newline).encode()


def _encoded_word(text: str) -> str:
    """RFC 2047 Q-encoding, e.g. "=?utf-8?q?Angebot_f=C3=BCr_Q3?="."""
    charset = Charset("utf-8")
    charset.header_encoding = QP
    return Header(text, charset).encode()


# --- the generator -----------------------------------------------------------------------------


class _Generator:
    """Streams one landing zone; all randomness comes from one seeded Random, in a fixed order."""

    def __init__(
        self,
        landing: _Landing,
        *,
        as_of: date,
        seed: int,
        activities: int,
        internal_domain: str,
        keywords: tuple[str, ...],
        competitors: tuple[str, ...],
        best_practice: tuple[str, ...],
        batch: str | None,
        progress: Callable[[str], None] | None,
        history_days: int = HISTORY_DAYS,
    ):
        self.rng = _Random(seed)
        self.history_days = history_days
        self.landing = landing
        self.as_of = as_of
        self.end = _epoch(as_of) + DAY - 1  # as_of 23:59:59Z: the latest happened-time
        self.history_start = self.end + 1 - history_days * DAY
        self.target_activities = activities
        self.internal_domain = internal_domain.lower()
        self.keywords, self.competitors, self.best_practice = keywords, competitors, best_practice
        self.id_prefix = f"{_slug(batch)}-" if batch else ""
        self.progress = progress
        self.writers = {s.name: _JsonlWriter(landing, s, compress=s is USERS) for s in SOURCES}
        self.mail = _MailFiles(landing)
        self.activities = 0
        self.next_progress = PROGRESS_EVERY
        self.serial = dict.fromkeys(("email", "event", "meeting", "call", "task", "transcript", "thread"), 0)
        self.won_ordinal = self.contact_ordinal = self.opportunity_ordinal = self.lead_ordinal = 0
        self.first_records: dict[str, list[dict]] = {s.name: [] for s in SOURCES}
        self.last_record: dict[str, dict] = {}
        self.mail_specials = {"encoded_subject", "list_sender", "no_message_id", "also_jsonl"}
        self._dnt: set[str] = set()  # the current account's do_not_track contact ids
        self.users: list[_Person] = []
        self.user_active: dict[str, bool] = {}
        self.user_by_id: dict[str, _Person] = {}
        self.teams: list[list[_Person]] = []

    # ---- output ----

    def write(self, source: Source, record: dict) -> None:
        self.writers[source.name].write(record)
        firsts = self.first_records[source.name]
        if len(firsts) < REDELIVERED_PER_SOURCE:
            firsts.append(record)
        self.last_record[source.name] = record

    def count_activity(self) -> None:
        self.activities += 1
        if self.progress and self.activities >= self.next_progress:
            self.progress(f"sample data: {self.activities:,} of ~{self.target_activities:,} activities written")
            self.next_progress += PROGRESS_EVERY

    def next_id(self, kind: str, prefix: str, digits: int = 9) -> str:
        self.serial[kind] += 1
        return f"{prefix}-{self.id_prefix}{self.serial[kind]:0{digits}d}"

    # ---- random helpers ----

    def weighted(self, pairs: tuple[tuple[str, float], ...]) -> str:
        return self.rng.pick(*_table(pairs))

    def between(self, low: int, high: int) -> int:
        return low if high <= low else self.rng.randint(low, high)

    def recent_instant(self) -> int:
        age = self.history_days * DAY * self.rng.random() ** RECENCY_SKEW
        return self.end - int(age)

    def work_time(self, instant: int, zone: _Zone) -> int:
        """The same or a later instant inside the person's local working hours (forward only)."""
        rng = self.rng
        offset = _offset_minutes(zone, instant) * MINUTE
        local = instant + offset
        second_of_day = local % DAY
        opening, closing = WORKDAY_START_HOUR * HOUR, WORKDAY_END_HOUR * HOUR
        if second_of_day < opening:
            local += opening - second_of_day + rng.randrange(WORKDAY_JITTER_HOURS * HOUR)
        elif second_of_day > closing:
            local += DAY - second_of_day + opening + rng.randrange(WORKDAY_JITTER_HOURS * HOUR)
        weekday = (local // DAY + EPOCH_WEEKDAY) % WEEK_DAYS
        if weekday >= SATURDAY and rng.random() < WEEKEND_SKIP_SHARE:
            local += (WEEK_DAYS - weekday) * DAY
        return local - offset

    def address(self, person: _Person) -> str:
        """Mostly the bare address; sometimes `"Name" <address>` or mixed case, as real exports do."""
        roll = self.rng.random()
        if roll < NAMED_ADDRESS_SHARE:
            return f'"{person.name}" <{person.email}>'
        if roll < NAMED_ADDRESS_SHARE + MIXED_CASE_SHARE:
            return person.email.title()
        return person.email

    # ---- people ----

    def name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def zone_for(self, country: str) -> _Zone:
        return self.rng.choice(COUNTRY_ZONES[country])

    def build_users(self) -> None:
        rng = self.rng
        scale = max(1.0, self.target_activities / SCALES["tiny"])
        user_count = max(TINY_USERS, round(TINY_USERS * scale**USER_GROWTH))
        team_count = math.ceil(user_count / USERS_PER_TEAM)
        self.teams = [[] for _ in range(team_count)]
        taken: set[str] = set()
        managers: dict[int, str] = {}
        for index in range(user_count):
            team = index % team_count
            first, last = self.name()
            local = f"{first}.{last}".lower()
            while local in taken:
                local = f"{first}.{last}{rng.randint(*NAME_SUFFIXES)}".lower()
            taken.add(local)
            user_id = f"usr-{index + 1:04d}"
            person = _Person(
                f"{local}@{self.internal_domain}",
                f"{first} {last}",
                self.zone_for(TEAM_COUNTRIES[team % len(TEAM_COUNTRIES)]),
                user_id=user_id,
            )
            is_active = index % TINY_USERS != INACTIVE_USER
            record = {
                "user_id": user_id,
                "email": person.email,
                "full_name": person.name,
                "team_id": f"team-{team + 1:03d}",
                "manager_id": managers.get(team),
                "is_active": is_active,
                "analytics_opt_out": index % TINY_USERS == OPT_OUT_USER,
                "modified_at": _iso(self.end - self.between(HOUR, CRM_HISTORY_DAYS * DAY)),
            }
            managers.setdefault(team, user_id)
            self.users.append(person)
            self.user_by_id[user_id] = person
            self.user_active[user_id] = is_active
            self.teams[team].append(person)
            self.write(USERS, {k: v for k, v in record.items() if v is not None})

    def active_member(self, team: list[_Person]) -> _Person:
        active = [p for p in team if self.user_active[p.user_id]]
        return self.rng.choice(active or team)

    # ---- CRM: one account at a time ----

    def crm_instant(self, earliest: int, latest: int) -> int:
        """A CRM time between two instants, never at or after the end of the as-of day."""
        return min(self.between(earliest, latest), self.end - MINUTE)

    def build_account(self, index: int, team: list[_Person]) -> tuple[dict, list[_Person], list[_Person]]:
        rng = self.rng
        word = COMPANY_WORDS[index % len(COMPANY_WORDS)]
        suffix = COMPANY_SUFFIXES[(index // len(COMPANY_WORDS)) % len(COMPANY_SUFFIXES)]
        country = rng.pick(COUNTRIES, COUNTRY_CUMULATIVE)
        name = f"{word} {suffix}"
        slug = f"{_slug(name)}-{index + 1}"
        tld = TLD_BY_COUNTRY.get(country, "example")
        domains = [f"{slug}.{tld}"]
        if rng.random() < SECOND_DOMAIN_SHARE:
            domains.append(f"{_slug(word)}{index + 1}-group.example")
        employees = max(MIN_EMPLOYEES, int(rng.lognormvariate(math.log(EMPLOYEES_MEDIAN), EMPLOYEES_SPREAD)))
        created = self.crm_instant(self.end - CRM_HISTORY_DAYS * DAY, self.history_start)
        contacts = self.build_contacts(f"acc-{index + 1:06d}", domains, country, created)
        account = {
            "account_id": f"acc-{index + 1:06d}",
            "name": name,
            "industry": INDUSTRY_BY_SUFFIX[suffix],
            "employee_count": employees,
            "annual_revenue": float(
                employees * rng.randint(*REVENUE_PER_EMPLOYEE) // REVENUE_ROUNDING * REVENUE_ROUNDING
            ),
            "country": country,
            "email_domains": domains,
            "primary_contact_id": next(c.contact_id for c in contacts if not self.is_dnt(c)),
            "owner_id": self.active_member(team).user_id,
            "created_at": _iso(created),
            "modified_at": _iso(self.crm_instant(created, self.end)),
        }
        self.write(ACCOUNTS, account)
        outsiders = [self.outsider() for _ in range(self.between(*OUTSIDERS_PER_ACCOUNT))]
        return account, contacts, outsiders

    def is_dnt(self, contact: _Person) -> bool:
        return contact.contact_id in self._dnt

    def build_contacts(self, account_id: str, domains: list[str], country: str, created: int) -> list[_Person]:
        rng = self.rng
        contacts, taken = [], set()
        self._dnt = set()
        for position in range(self.between(*CONTACTS_PER_ACCOUNT)):
            self.contact_ordinal += 1
            first, last = self.name()
            local = f"{first}.{last}".lower()
            while local in taken:
                local = f"{first[0]}.{last}{rng.randint(*NAME_SUFFIXES)}".lower()
            taken.add(local)
            contact_id = f"con-{self.contact_ordinal:07d}"
            person = _Person(
                f"{local}@{rng.choice(domains)}", f"{first} {last}", self.zone_for(country), contact_id=contact_id
            )
            do_not_track = position > 0 and self.contact_ordinal % DO_NOT_TRACK_EVERY == DO_NOT_TRACK_EVERY // 2
            if do_not_track:
                self._dnt.add(contact_id)
            contact_created = self.crm_instant(created, self.history_start + self.history_days * DAY // 2)
            record = {
                "contact_id": contact_id,
                "email": person.email,
                "account_id": account_id,
                "full_name": person.name,
                "job_title": rng.choice(JOB_TITLES),
                "do_not_track": do_not_track,
                "created_at": _iso(contact_created),
                "modified_at": _iso(self.crm_instant(contact_created, self.end)),
            }
            self.write(CONTACTS, record)
            contacts.append(person)
        return contacts

    def outsider(self) -> _Person:
        """Someone who is neither contact nor lead: a private address or an outside consultant."""
        rng = self.rng
        first, last = self.name()
        domain = rng.choice((*PERSONAL_DOMAINS, CONSULTANT_DOMAIN))
        local = f"{first}.{last}{rng.randint(*PERSONAL_SUFFIXES)}".lower()
        return _Person(f"{local}@{domain}", f"{first} {last}", self.zone_for(rng.choice(COUNTRIES)))

    def build_opportunities(self, account: dict, contacts: list[_Person], team: list[_Person]) -> list[dict]:
        rng = self.rng
        count = OPPORTUNITIES_PER_ACCOUNT[(int(account["account_id"][4:]) - 1) % len(OPPORTUNITIES_PER_ACCOUNT)]
        opportunities = []
        for _ in range(count):
            self.opportunity_ordinal += 1
            status = STATUS_CYCLE[(self.opportunity_ordinal - 1) % len(STATUS_CYCLE)]
            owner = self.active_member(team)
            others = [p for p in team if p is not owner]
            sales_team = rng.sample(others, min(len(others), rng.randint(*SALES_TEAM_SIZE)))
            product = rng.choice(PRODUCT_LINES)
            estimated = round(PRODUCT_BASE_REVENUE[product] * rng.lognormvariate(0, REVENUE_SPREAD), -2)
            trackable = [c for c in contacts if not self.is_dnt(c)]
            stakeholders = rng.sample(contacts, rng.randint(0, min(MAX_STAKEHOLDERS, len(contacts))))
            record = {
                "opportunity_id": f"opp-{self.opportunity_ordinal:07d}",
                "account_id": account["account_id"],
                "owner_id": owner.user_id,
                "status": status,
                "name": f"{account['name']} - {product}",
                "contact_id": rng.choice(trackable).contact_id,
                "sales_team_user_ids": [p.user_id for p in sales_team],
                "stakeholder_contact_ids": [c.contact_id for c in stakeholders],
                "stage": "close" if status == "won" else rng.choice(OPPORTUNITY_STAGES),
                "estimated_revenue": estimated,
                "product_line": product,
                "lead_source": self.weighted(tuple(zip(LEAD_SOURCES, LEAD_SOURCE_WEIGHTS[status], strict=True))),
            }
            record.update(self.deal_dates(status, estimated))
            opportunities.append(record)
            self.write(OPPORTUNITIES, record)
        return opportunities

    def deal_dates(self, status: str, estimated: float) -> dict:
        """created_at, close dates, actual revenue and modified_at consistent with the status."""
        rng = self.rng
        if status == "open":
            created = self.end - self.between(OPEN_CREATED_DAYS[0] * DAY, OPEN_CREATED_DAYS[1] * DAY)
            close_day = self.as_of + timedelta(days=rng.randint(*OPEN_CLOSE_DAYS))
            return {
                "created_at": _iso(created),
                "estimated_close_date": close_day.isoformat(),
                "modified_at": _iso(self.crm_instant(created, self.end)),
            }
        closed = self.work_time(self.recent_instant(), UTC_ZONE)
        closed = min(closed, self.end - HOUR)
        created = closed - self.between(DEAL_DAYS[0] * DAY, DEAL_DAYS[1] * DAY)
        dates = {
            "created_at": _iso(created),
            "estimated_close_date": _day_text(closed + rng.randint(*CLOSE_DATE_SLIP_DAYS) * DAY),
            "modified_at": _iso(self.crm_instant(closed, closed + CLOSE_UPDATE_DAYS * DAY)),
        }
        if status == "won":
            self.won_ordinal += 1
            if self.won_ordinal % WON_WITHOUT_ACTUALS[1] == WON_WITHOUT_ACTUALS[0]:
                return dates  # allowed by the contract: flagged by the expectations
            dates["actual_revenue"] = round(estimated * rng.uniform(*ACTUAL_REVENUE_RANGE), 2)
        dates["actual_close_date"] = _day_text(closed)
        return dates

    def build_lead(self, contacts: list[_Person], team: list[_Person], country: str) -> tuple[dict, _Person]:
        rng = self.rng
        self.lead_ordinal += 1
        first, last = self.name()
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        if rng.random() < PERSONAL_LEAD_SHARE:
            address = f"{first}.{last}{rng.randint(*PERSONAL_SUFFIXES)}@{rng.choice(PERSONAL_DOMAINS)}"
        else:
            address = f"{first}.{last}@{_slug(company)}-prospect-{self.lead_ordinal}.example"
        person = _Person(address.lower(), f"{first} {last}", self.zone_for(country))
        owner = self.active_member(team)
        wanted = rng.randint(*LEAD_STAKEHOLDERS) if rng.random() < STAKEHOLDER_SHARE else 0
        stakeholders = rng.sample(contacts, min(wanted, len(contacts)))
        created = self.crm_instant(self.history_start, self.end - DAY)
        record = {
            "lead_id": f"lead-{self.lead_ordinal:06d}",
            "email": person.email,
            "full_name": person.name,
            "company_name": company,
            "owner_id": owner.user_id,
            "status": LEAD_STATUS_CYCLE[(self.lead_ordinal - 1) % len(LEAD_STATUS_CYCLE)],
            "stakeholder_contact_ids": [c.contact_id for c in stakeholders],
            "created_at": _iso(created),
            "modified_at": _iso(self.crm_instant(created, self.end)),
        }
        self.write(LEADS, record)
        return record, person

    # ---- targets of activity ----

    def account_targets(self, account, contacts, outsiders, opportunities, leads, team) -> list[tuple[_Target, float]]:
        by_user = self.user_by_id
        by_contact = {c.contact_id: c for c in contacts}
        primary = by_contact[account["primary_contact_id"]]
        mailboxes = [_Person(f"{box}@{self.internal_domain}", box, team[0].zone) for box in SHARED_INTERNAL_MAILBOXES]
        colleagues = team + mailboxes
        company = account["name"]
        targets = [
            (
                _Target(
                    team=list(dict.fromkeys([by_user[account["owner_id"]], self.rng.choice(team)])),
                    customers=contacts,
                    outsiders=outsiders,
                    colleagues=colleagues,
                    start=self.history_start,
                    end=self.end,
                    regarding=("account", account["account_id"]),
                    regarding_share=REGARDING_SHARE["account"],
                    company=company,
                ),
                ACCOUNT_TARGET_WEIGHT,
            )
        ]
        for deal in opportunities:
            people = [deal["contact_id"], *deal["stakeholder_contact_ids"]]
            customers = [by_contact[c] for c in dict.fromkeys(people)] + [primary]
            team_side = [by_user[deal["owner_id"]]] + [by_user[u] for u in deal["sales_team_user_ids"]]
            start = max(self.history_start, _epoch(date.fromisoformat(deal["created_at"][:10])))
            closed = deal.get("actual_close_date") or (deal["modified_at"][:10] if deal["status"] != "open" else None)
            end = min(self.end, _epoch(date.fromisoformat(closed)) + DAY - 1) if closed else self.end
            weight = {"won": WON_TARGET_WEIGHT, "open": OPEN_TARGET_WEIGHT, "lost": LOST_TARGET_WEIGHT}
            target = _Target(
                team=team_side,
                customers=list(dict.fromkeys(customers)),
                outsiders=outsiders,
                colleagues=colleagues,
                start=start,
                end=end,
                regarding=("opportunity", deal["opportunity_id"]),
                regarding_share=REGARDING_SHARE["opportunity"],
                status=deal["status"],
                allows_future=deal["status"] == "open",
                company=company,
            )
            targets.append((target, weight[deal["status"]]))
        for lead, person in leads:
            stakeholders = [by_contact[c] for c in lead["stakeholder_contact_ids"]]
            target = _Target(
                team=[by_user[lead["owner_id"]]],
                customers=[person, *stakeholders],
                outsiders=[],
                colleagues=colleagues,
                start=max(self.history_start, _epoch(date.fromisoformat(lead["created_at"][:10]))),
                end=self.end,
                regarding=("lead", lead["lead_id"]),
                regarding_share=REGARDING_SHARE["lead"],
                allows_future=lead["status"] != "disqualified",
                company=lead["company_name"],
            )
            targets.append((target, LEAD_TARGET_WEIGHT))
        return targets

    def happened_instant(self, target: _Target, zone: _Zone) -> int:
        """A working-hours instant inside the target's window; account-level activity leans recent."""
        if target.regarding and target.regarding[0] == "account":
            instant = self.recent_instant()
        else:
            instant = self.between(target.start, target.end)
        return self.work_time(instant, zone)

    def future_instant(self, zone: _Zone) -> int:
        return self.work_time(self.end + self.between(HOUR, (FUTURE_DAYS - 1) * DAY), zone)

    def regarding_fields(self, target: _Target, share: float) -> dict:
        if target.regarding is None or self.rng.random() >= share:
            return {}
        kind, record_id = target.regarding
        if self.rng.random() < DANGLING_REGARDING_SHARE:
            record_id = f"{record_id}-missing"  # a link to a record that has not landed (yet)
        return {"regarding_type": kind, "regarding_id": record_id}

    # ---- emails ----

    def reply_gap(self, status: str | None) -> int:
        rng = self.rng
        if rng.random() < LATE_REPLY_SHARE:
            return rng.randint(*LATE_REPLY_DAYS) * DAY + rng.randrange(DAY)
        median = REPLY_MEDIAN_HOURS.get(status, REPLY_MEDIAN_HOURS[None]) * HOUR
        return min(int(rng.lognormvariate(math.log(median), REPLY_SPREAD)), MAX_REPLY_DAYS * DAY)

    def subject(self, target: _Target, internal_only: bool) -> str:
        template = self.rng.choice(INTERNAL_SUBJECTS if internal_only else SUBJECTS)
        return template.format(company=target.company, n=self.rng.randint(*DRAFT_VERSIONS), year=self.as_of.year)

    def thread_id(self) -> str:
        """A conversation id as Exchange gives one (opaque, stable for the thread)."""
        self.serial["thread"] += 1
        digest = hashlib.sha1(f"{self.id_prefix}thread-{self.serial['thread']}".encode()).hexdigest()
        return f"AAQk{digest[:24]}"

    def email_thread(self, target: _Target) -> None:
        rng = self.rng
        internal_only = rng.random() < INTERNAL_ONLY_SHARE
        ours = target.team
        theirs = [p for p in target.colleagues if p not in ours] if internal_only else target.customers
        length = 1 + min(MAX_THREAD_EMAILS - 1, int(rng.expovariate(1 / MEAN_EXTRA_EMAILS)))
        team_side = rng.random() < TEAM_STARTS_SHARE
        subject = self.subject(target, internal_only)
        thread_id = self.thread_id() if rng.random() < THREAD_ID_SHARE else None
        regarding = {} if internal_only else self.regarding_fields(target, target.regarding_share)
        instant = self.happened_instant(target, (ours if team_side else theirs)[0].zone)
        thread: list[tuple[dict, _Person, bool]] = []
        for position in range(length):
            if position:
                if rng.random() < RUN_SHARE:
                    instant += rng.randint(*FOLLOW_UP_DAYS) * DAY
                else:
                    team_side = not team_side
                    instant += self.reply_gap(target.status)
            senders, readers = (ours, theirs) if team_side else (theirs, ours)
            previous_sender, previous_side = (thread[-1][1], thread[-1][2]) if thread else (None, None)
            same_writer = previous_side == team_side and rng.random() < SAME_WRITER_SHARE
            sender = previous_sender if same_writer else rng.choice(senders)
            answer_to = previous_sender if previous_side is not None and previous_side != team_side else None
            instant = self.work_time(instant, sender.zone)
            if instant > self.end:
                break
            followed = team_side and not internal_only and rng.random() < FOLLOWED_SHARE
            email = self.email_record(sender, readers, answer_to, target, instant, thread)
            email.update(subject=subject if not thread else f"Re: {subject}", thread_id=thread_id)
            email.update(regarding)
            email["followed"] = followed
            email["modified_at"] = _iso(min(instant + rng.randint(0, HOUR), self.end), sender.zone)
            thread.append((email, sender, team_side))
        for position, (email, sender, _) in enumerate(thread):
            self.land_email(email, sender, thread, position)
            if email["followed"]:
                self.email_events(email, thread, position)

    def email_record(self, sender, readers, answer_to, target: _Target, instant: int, thread) -> dict:
        """Id, addresses, time and reply links of one email; the thread adds subject and the rest.
        A reply goes to whoever wrote the email it answers (and sometimes one more reader)."""
        rng = self.rng
        to = rng.sample(readers, min(len(readers), rng.choice(TO_SIZES)))
        if answer_to is not None:
            to = [answer_to, *(p for p in to[:1] if p is not answer_to and rng.random() < REPLY_ALL_SHARE)]
        cc: list[_Person] = []
        if rng.random() < CC_SHARE:
            cc.append(rng.choice(readers if rng.random() < CC_OTHER_SIDE_SHARE else target.team))
        if target.outsiders and rng.random() < OUTSIDER_CC_SHARE:
            cc.append(rng.choice(target.outsiders))
        bcc = [rng.choice(target.colleagues)] if rng.random() < BCC_SHARE else []
        cc = [p for p in dict.fromkeys(cc) if p not in to and p is not sender]
        bcc = [p for p in bcc if p not in to and p not in cc and p is not sender]
        if rng.random() < EMPTY_TO_SHARE:
            to, bcc = [], bcc + to  # undisclosed recipients: allowed while bcc is not empty
        self.serial["email"] += 1
        domain = sender.email.rsplit("@", 1)[1]
        email_id = f"{self.id_prefix}{self.serial['email']:010d}.{rng.getrandbits(32):08x}@{domain}"
        record = {
            "email_id": email_id,
            "from": self.address(sender),
            "to": [self.address(p) for p in to],
            "cc": [self.address(p) for p in cc],
            "bcc": [self.address(p) for p in bcc],
            "sent_at": _iso(instant, sender.zone),
        }
        if thread:
            previous = [e["email_id"] for e, _, _ in thread]
            record["in_reply_to"] = previous[-1]
            if rng.random() >= WEB_FORM_REPLY_SHARE:
                record["references"] = previous[-MAX_REFERENCES:]
        record["_instant"] = instant
        record["_people"] = (to, cc, bcc)
        return record

    def land_email(self, email: dict, sender: _Person, thread, position: int) -> None:
        """JSONL, or now and then an RFC 5322 file (mail carries no regarding, followed, modified_at)."""
        self.count_activity()
        instant = email.pop("_instant")
        people = email.pop("_people")
        record = {k: v for k, v in email.items() if v is not None}
        is_last = position == len(thread) - 1
        mail_ok = not email["followed"] and "regarding_type" not in email
        if mail_ok and self.rng.random() < MAIL_SHARE / MAIL_ELIGIBLE_SHARE and self.mail.eml_files < MAX_EML_FILES:
            self.write_mail(record, sender, people, instant, is_last)
            return
        self.write(EMAILS, record)
        if not mail_ok and "also_jsonl" in self.mail_specials and "regarding_type" in email:
            # The same message also exported as a file: the JSONL version (with regarding) must win.
            self.mail_specials.discard("also_jsonl")
            self.write_mail(record, sender, people, instant, is_last=False, force_eml=True)

    def write_mail(self, record, sender, people, instant, is_last, force_eml=False) -> None:
        to, cc, bcc = people
        sent = _aware(instant, sender.zone)
        headers = [("Message-ID", f"<{record['email_id']}>"), ("From", formataddr((sender.name, sender.email)))]
        subject = record["subject"]
        specials = set() if force_eml else self.mail_specials
        special = None
        if "encoded_subject" in specials:
            special, subject = "encoded_subject", ENCODED_SUBJECT
        elif "list_sender" in specials and not self.is_internal(sender):
            special = "list_sender"
            headers[1] = ("From", formataddr((f"{sender.name} via {LIST_NAME}", LIST_ADDRESS)))
            headers += [
                ("List-Post", f"<mailto:{LIST_ADDRESS}>"),
                ("Reply-To", formataddr((sender.name, sender.email))),
            ]
        elif "no_message_id" in specials and is_last:
            special = "no_message_id"
            headers.pop(0)
        if special:
            self.mail_specials.discard(special)
        if to:
            headers.append(("To", ", ".join(formataddr((p.name, p.email)) for p in to)))
        if cc:
            headers.append(("Cc", ", ".join(formataddr((p.name, p.email)) for p in cc)))
        if bcc:
            headers.append(("Bcc", ", ".join(p.email for p in bcc)))
        headers.append(("Date", format_datetime(sent)))
        if "in_reply_to" in record:
            headers.append(("In-Reply-To", f"<{record['in_reply_to']}>"))
        if record.get("references"):
            headers.append(("References", " ".join(f"<{i}>" for i in record["references"])))
        headers.append(("Subject", _encoded_word(subject) if not subject.isascii() else subject))
        body = self.mail_body(sender, to)
        use_mbox = (
            not (special or force_eml) and self.mail.mbox_messages < MBOX_MESSAGES and self.rng.random() < MBOX_SHARE
        )
        if use_mbox:
            if self.mail.mbox_messages == 0:
                body += ["", "From our side the plan is unchanged.", ">From the earlier thread, quoted as is."]
            self.mail.append_mbox(sender.email, sent, _mail_bytes(headers, body))
        else:
            self.mail.write_eml(_mail_bytes(headers, body, newline="\r\n"))
        self.landing.counts[EMAILS.name] += 1

    def is_internal(self, person: _Person) -> bool:
        return person.email.endswith(f"@{self.internal_domain}")

    def mail_body(self, sender: _Person, to: list[_Person]) -> list[str]:
        greeting = f"Hi {to[0].name.split()[0]}," if to else "Hello,"
        return [greeting, "", self.rng.choice(EMAIL_BODY), "", "Best,", sender.name.split()[0]]

    def email_events(self, email: dict, thread, position: int) -> None:
        rng = self.rng
        sent = _epoch_of(email["sent_at"])
        events: list[tuple[str, int]] = []
        if rng.random() < OPEN_SHARE:
            opened = sent + int(rng.expovariate(1 / (EVENT_DELAY_HOURS * HOUR)))
            events += [("opened", opened + k * rng.randrange(DAY)) for k in range(rng.randint(1, MAX_OPENS))]
            if rng.random() < CLICK_SHARE:
                events.append(("link_clicked", opened + rng.randrange(HOUR)))
            if rng.random() < ATTACHMENT_SHARE:
                events.append(("attachment_viewed", opened + rng.randrange(HOUR)))
        for reply, _, reply_is_team in thread[position + 1 :]:
            if not reply_is_team and reply.get("in_reply_to") == email["email_id"]:
                events.append(("replied", _epoch_of(reply["sent_at"])))
                break
        for event_type, instant in sorted(events, key=lambda e: e[1]):
            if sent < instant <= self.end:
                self.write_event(email["email_id"], event_type, instant)

    def write_event(self, email_id: str, event_type: str, instant: int) -> None:
        record = {
            "event_id": self.next_id("event", "evt"),
            "email_id": email_id,
            "event_type": event_type,
            "occurred_at": _iso(instant),
        }
        self.write(EMAIL_EVENTS, record)

    # ---- meetings, calls, tasks ----

    def participants(self, target: _Target, internal_only: bool, most: int = 3) -> tuple[list, list]:
        rng = self.rng
        internal = rng.sample(target.team, rng.randint(1, min(most, len(target.team))))
        if internal_only:
            others = [p for p in target.colleagues if p not in internal]
            return internal, rng.sample(others, min(len(others), rng.randint(*INTERNAL_GUESTS)))
        external = rng.sample(target.customers, rng.randint(1, min(most, len(target.customers))))
        if target.outsiders and rng.random() < OUTSIDER_CC_SHARE:
            external.append(rng.choice(target.outsiders))
        return internal, external

    def meeting(self, target: _Target) -> None:
        rng = self.rng
        internal_only = rng.random() < INTERNAL_ONLY_MEETING_SHARE
        internal, external = self.participants(target, internal_only)
        team_organizes = internal_only or rng.random() < TEAM_ORGANIZER_SHARE
        organizer = internal[0] if team_organizes else external[0]
        duration = rng.choice(MEETING_MINUTES) * MINUTE
        if target.allows_future and rng.random() < FUTURE_SHARE:
            start = self.future_instant(organizer.zone)
            status = "canceled" if rng.random() < FUTURE_CANCELED_SHARE else "scheduled"
            created = self.end - rng.randrange(FUTURE_DAYS * DAY)
            modified = self.between(created, self.end)
        else:
            start = self.happened_instant(target, organizer.zone)
            status = self.weighted(PAST_MEETING_STATUS)
            if start + duration > self.end:
                status = "scheduled"
            created = max(start - rng.randint(*MEETING_BOOKED_DAYS) * DAY, self.end - CRM_HISTORY_DAYS * DAY)
            modified = min(start + duration + rng.randrange(DAY), self.end)
        attendees = [
            {
                "email": self.address(person),
                "required": rng.random() >= OPTIONAL_ATTENDEE_SHARE,
                "response": self.weighted(RESPONSE_WEIGHTS),
            }
            for person in [*internal, *external]
            if person is not organizer
        ]
        record = {
            "meeting_id": self.next_id("meeting", "mtg"),
            "organizer": self.address(organizer),
            "start_at": _iso(start, organizer.zone),
            "end_at": _iso(start + duration, organizer.zone),
            "attendees": attendees,
            "status": status,
            "subject": self.subject(target, internal_only),
            **({} if internal_only else self.regarding_fields(target, MEETING_REGARDING_SHARE)),
            "created_at": _iso(min(created, self.end), organizer.zone),
            "modified_at": _iso(max(min(created, self.end), modified), organizer.zone),
        }
        self.write(MEETINGS, record)
        self.count_activity()

    def call(self, target: _Target) -> None:
        rng = self.rng
        internal_only = rng.random() < INTERNAL_ONLY_MEETING_SHARE
        internal, external = self.participants(target, internal_only, most=1)
        if rng.random() < CONFERENCE_CALL_SHARE and len(target.customers) > 1 and not internal_only:
            external = rng.sample(target.customers, 2)
        outgoing = internal_only or rng.random() < OUTGOING_SHARE
        caller, callees = (internal[0], external) if outgoing else (external[0], internal)
        record = {"call_id": self.next_id("call", "call"), "from": self.address(caller)}
        record["to"] = [self.address(p) for p in callees]
        duration = None
        if target.allows_future and rng.random() < FUTURE_SHARE:
            started, status = self.future_instant(caller.zone), "scheduled"
            modified = self.end - rng.randrange(FUTURE_DAYS * DAY)
        else:
            started = self.happened_instant(target, caller.zone)
            status = "canceled" if rng.random() < CANCELED_CALL_SHARE else "completed"
            duration = 0
            if status == "completed":
                seconds = rng.lognormvariate(math.log(CALL_MEDIAN_SECONDS), CALL_SPREAD)
                duration = int(min(max(seconds, CALL_SECONDS[0]), CALL_SECONDS[1]))
            if started + duration > self.end:
                status, duration = "scheduled", None
            modified = min(started + (duration or 0) + rng.randrange(HOUR), self.end)
        recorded = status == "completed" and not internal_only and rng.random() < RECORDED_SHARE
        record.update(
            {
                "started_at": _iso(started, caller.zone),
                "duration_seconds": duration,
                "direction": "outgoing" if outgoing else "incoming",
                "status": status,
                "recorded": recorded,
                **({} if internal_only else self.regarding_fields(target, target.regarding_share)),
                "modified_at": _iso(min(modified, self.end), caller.zone),
            }
        )
        self.write(CALLS, {k: v for k, v in record.items() if v is not None})
        self.count_activity()
        if recorded:
            sellers = [p for p in [caller, *callees] if p.user_id is not None]
            customers = [p for p in [caller, *callees] if p.user_id is None]
            self.transcript(record["call_id"], sellers, customers, duration * 1000)

    def task(self, target: _Target) -> None:
        rng = self.rng
        owner = rng.choice(target.team)
        if target.allows_future and rng.random() < FUTURE_SHARE:
            status, due = "open", self.future_instant(owner.zone)
        else:
            status, due = self.weighted(TASK_STATUS), self.happened_instant(target, owner.zone)
        record = {
            "task_id": self.next_id("task", "task"),
            "owner": owner.email,
            "status": status,
            "due_at": _iso(due, owner.zone),
        }
        if status == "completed":
            done = min(due + rng.randint(TASK_DONE_DAYS[0] * DAY, TASK_DONE_DAYS[1] * DAY), self.end)
            record["completed_at"] = _iso(done, owner.zone)
            modified = min(done + rng.randrange(HOUR), self.end)
        else:
            modified = min(due, self.end) - rng.randrange(DAY)
        record["duration_minutes"] = rng.choice(TASK_MINUTES)
        record.update(self.regarding_fields(target, TASK_REGARDING_SHARE))
        record["modified_at"] = _iso(modified, owner.zone)
        self.write(TASKS, record)
        self.count_activity()

    # ---- transcripts ----

    def transcript(self, call_id: str, sellers: list[_Person], customers: list[_Person], duration_ms: int) -> None:
        rng = self.rng
        self.serial["transcript"] += 1
        language = FOREIGN_LANGUAGE.get(self.serial["transcript"] % FOREIGN_LANGUAGE_CYCLE, "en")
        participants, speakers = [], {"seller": [], "customer": []}
        for role, people in (("seller", sellers), ("customer", customers)):
            for person in people:
                participant_id = f"spk-{len(participants) + 1}"
                participants.append({"participant_id": participant_id, "email": person.email, "role": role})
                speakers[role].append(participant_id)
        notetaker = None
        if rng.random() < NOTETAKER_SHARE:
            notetaker = f"spk-{len(participants) + 1}"
            participants.append({"participant_id": notetaker, "email": NOTETAKER[1], "role": "other"})
        record = {
            "call_id": call_id,
            "language": language,
            "participants": participants,
            "fragments": self.fragments(language, speakers, notetaker, duration_ms),
        }
        self.write(TRANSCRIPTS, record)

    def fragments(self, language: str, speakers: dict, notetaker: str | None, duration_ms: int) -> list[dict]:
        """Alternating seller / customer turns of one or more fragments, filling the call's duration.

        The hottest loop of the generator (a recorded call has ~170 fragments), hence the locals."""
        rng = self.rng
        draw = rng.random
        fragments: list[dict] = []
        clock = 0
        if notetaker:
            clock = self.add_fragment(fragments, notetaker, PHRASES[language]["other"][0], clock, duration_ms)
            clock += rng.randint(*TURN_GAP_MS)
        role = "seller" if draw() < SELLER_OPENS_SHARE else "customer"
        last_start = duration_ms - MIN_FRAGMENT_MS
        while clock is not None and clock < last_start:
            speaker = rng.choice(speakers[role])
            sentences = rng.randint(1, MAX_SENTENCES_PER_TURN[role])
            for sentence in range(sentences):
                text = self.sentence(language, role)
                if draw() < TWO_SENTENCE_SHARE:
                    text = f"{text} {self.sentence(language, role)}"
                clock = self.add_fragment(fragments, speaker, text, clock, duration_ms)
                if clock is None or sentence == sentences - 1:
                    break
                clock += rng.randint(*(PAUSE_GAP_MS if draw() < PAUSE_SHARE else SAME_TURN_GAP_MS))
            if clock is None:
                break
            if draw() >= KEEP_TURN_SHARE:
                role = "customer" if role == "seller" else "seller"
            clock += -rng.randint(*OVERLAP_MS) if draw() < OVERLAP_SHARE else rng.randint(*TURN_GAP_MS)
        return fragments

    def add_fragment(self, fragments: list, speaker: str, text: str, start: int, duration_ms: int) -> int | None:
        """Append one fragment; the time it ends, or None once the call is over."""
        length = (text.count(" ") + 1) * MS_PER_WORD + self.rng.randint(-MS_JITTER, MS_JITTER)
        length = max(MIN_FRAGMENT_MS, length)
        end = start + length
        if end > duration_ms:
            length = duration_ms - start
            if length >= MIN_FRAGMENT_MS:
                fragments.append({"participant_id": speaker, "offset_ms": start, "duration_ms": length, "text": text})
            return None
        fragments.append({"participant_id": speaker, "offset_ms": start, "duration_ms": length, "text": text})
        return end

    def sentence(self, language: str, role: str) -> str:
        """One sentence; customers mention keywords, competitors and other brands, sellers best practice."""
        rng = self.rng
        phrases = PHRASES[language]
        roll = rng.random()
        if role == "seller":
            if roll >= BEST_PRACTICE_SHARE:
                return rng.choice(phrases["seller"])
            return rng.choice(phrases["best_practice"]).format(bp=self.variant(rng.choice(self.best_practice)))
        if roll >= MENTION_SHARE:
            return rng.choice(phrases["customer"])
        if roll < KEYWORD_SHARE:
            return rng.choice(phrases["keyword"]).format(kw=self.variant(rng.choice(self.keywords), language))
        if roll < KEYWORD_SHARE + COMPETITOR_SHARE:
            return rng.choice(phrases["competitor"]).format(comp=self.variant(rng.choice(self.competitors)))
        return rng.choice(phrases["brand"]).format(brand=rng.choice(OTHER_BRANDS))

    def variant(self, phrase: str, language: str = "en") -> str:
        """The phrase as people write it: lower, Title or UPPER case, sometimes accented ("Intégration")."""
        rng = self.rng
        text = rng.choice((phrase.lower(), phrase.title(), phrase.upper(), phrase))
        if language != "en" or rng.random() < ENGLISH_ACCENT_SHARE:
            for plain, accented in ACCENTED.items():
                position = text.lower().find(plain, 1)
                if position > 0 and rng.random() < ACCENT_LETTER_SHARE:
                    mark = accented.upper() if text[position].isupper() else accented
                    return text[:position] + mark + text[position + 1 :]
        return text

    # ---- the whole run ----

    def run(self) -> None:
        rng = self.rng
        self.build_users()
        accounts = max(MIN_ACCOUNTS, self.target_activities // ACTIVITIES_PER_ACCOUNT)
        leads = max(MIN_LEADS, self.target_activities // ACTIVITIES_PER_LEAD)
        weights = [min(rng.paretovariate(ACCOUNT_SIZE_ALPHA), MAX_ACCOUNT_WEIGHT) for _ in range(accounts)]
        total_weight = sum(weights)
        for index, weight in enumerate(weights):
            team = self.teams[index % len(self.teams)]
            budget = max(MIN_ACCOUNT_ACTIVITIES, round(self.target_activities * weight / total_weight))
            lead_count = (index + 1) * leads // accounts - index * leads // accounts
            self.run_account(index, team, budget, lead_count)

    def run_account(self, index: int, team: list[_Person], budget: int, lead_count: int) -> None:
        rng = self.rng
        account, contacts, outsiders = self.build_account(index, team)
        opportunities = self.build_opportunities(account, contacts, team)
        leads = [self.build_lead(contacts, team, account["country"]) for _ in range(lead_count)]
        targets = self.account_targets(account, contacts, outsiders, opportunities, leads, team)
        choices = [t for t, _ in targets]
        cumulative = list(itertools.accumulate(w for _, w in targets))
        episodes = {"email_thread": self.email_thread, "meeting": self.meeting, "call": self.call, "task": self.task}
        episode_cumulative = list(itertools.accumulate(EPISODE_WEIGHTS))
        goal = self.activities + budget
        while self.activities < goal:
            target = rng.pick(choices, cumulative)
            episodes[rng.pick(EPISODES, episode_cumulative)](target)
        if index % ORPHAN_EVENT_EVERY == ORPHAN_EVENT_EVERY // 3:
            orphan = f"{self.id_prefix}never-landed-{index + 1}@{self.internal_domain}"
            self.write_event(orphan, "opened", self.end - rng.randrange(self.history_days * DAY))

    def redeliver(self) -> None:
        """CRM: the first records again, in a later file, newer and with one field changed.
        Activities: the first records again, in a later file, as exact duplicates."""
        changes = {
            USERS.name: lambda r: r.update(full_name=f"{r['full_name']}-Berg"),
            ACCOUNTS.name: lambda r: r.update(employee_count=r["employee_count"] + 10),
            CONTACTS.name: lambda r: r.update(job_title="Chief Procurement Officer"),
            LEADS.name: lambda r: r.update(status="qualified" if r["status"] != "qualified" else "open"),
            OPPORTUNITIES.name: lambda r: r.update(
                estimated_revenue=round(r["estimated_revenue"] * REDELIVERED_REVENUE_FACTOR, 2)
            ),
        }
        newest = _iso(self.end)
        for source in SOURCES:
            writer = self.writers[source.name]
            writer.close_file()
            for record in self.first_records[source.name]:
                copy = json.loads(json.dumps(record))
                if source.name in changes:
                    changes[source.name](copy)
                    copy["modified_at"] = newest
                writer.write(copy)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close_file()
        self.mail.close()


def _epoch_of(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


# --- bad input ---------------------------------------------------------------------------------

BLANK_LINES = (b"", b"   \t")  # not records: neither counted nor listed as bad
_DROP = object()  # marks a field removed from a bad record


def _bad_records(gen: _Generator) -> dict[Source, list[tuple[object, str | None]]]:
    """Per source: (record or raw bytes, reason or None for a good line) in file order."""
    last = gen.last_record
    as_of = gen.as_of
    email = dict(last[EMAILS.name])
    meeting = dict(last[MEETINGS.name])
    call = dict(last[CALLS.name])
    transcript = json.loads(json.dumps(last[TRANSCRIPTS.name]))
    contact, account = dict(last[CONTACTS.name]), dict(last[ACCOUNTS.name])
    opportunity, task = dict(last[OPPORTUNITIES.name]), dict(last[TASKS.name])

    def edited(record: dict, key: str, suffix: str, **changes) -> dict:
        copy = {k: v for k, v in record.items() if k not in changes or changes[k] is not _DROP}
        copy[key] = f"{record[key]}-{suffix}"
        copy.update({k: v for k, v in changes.items() if v is not _DROP})
        return copy

    no_offset = f"{as_of - timedelta(days=30)}T10:00:00"
    too_late = f"{as_of + timedelta(days=10)}T09:00:00Z"
    transcript["fragments"][0] = {**transcript["fragments"][0], "participant_id": "spk-unknown"}
    transcript["call_id"] = f"{transcript['call_id']}-bad"
    huge_task = edited(task, "task_id", "huge", notes="x" * (MAX_RECORD_BYTES + 1))
    start = _epoch_of(meeting["start_at"])
    return {
        EMAILS: [
            (last[EMAILS.name], None),
            (_truncated(email), "invalid_json"),
            (edited(email, "email_id", "nosent", sent_at=_DROP), "missing_required_field"),
            (edited(email, "email_id", "nooffset", sent_at=no_offset), "timestamp_without_offset"),
            (BLANK_LINES[0], None),
            (edited(email, "email_id", "future", sent_at=too_late), "timestamp_out_of_range"),
            (edited(email, "email_id", "norcpt", to=[], cc=[], bcc=[]), "no_recipients"),
            (BLANK_LINES[1], None),
            (last[EMAILS.name], None),
        ],
        EMAIL_EVENTS: [
            (last[EMAIL_EVENTS.name], None),
            (
                edited(last[EMAIL_EVENTS.name], "event_id", "old", occurred_at="1999-12-31T00:00:00Z"),
                "timestamp_out_of_range",
            ),
        ],
        MEETINGS: [
            (meeting, None),
            ([meeting["meeting_id"], meeting["organizer"]], "not_an_object"),
            (edited(meeting, "meeting_id", "noorg", organizer=_DROP), "missing_required_field"),
            (edited(meeting, "meeting_id", "backwards", end_at=_iso(start - HOUR)), "end_before_start"),
        ],
        CALLS: [
            (call, None),
            (edited(call, "call_id", "text", duration_seconds="5"), "wrong_type"),
            (edited(call, "call_id", "negative", duration_seconds=-5), "negative_value"),
        ],
        TASKS: [(task, None), (huge_task, "record_too_large")],
        TRANSCRIPTS: [(last[TRANSCRIPTS.name], None), (transcript, "unknown_fragment_participant")],
        ACCOUNTS: [(account, None), (edited(account, "account_id", "text", employee_count="12"), "wrong_type")],
        CONTACTS: [
            (contact, None),
            (edited(contact, "contact_id", "bad", email="not-an-address"), "invalid_email_address"),
        ],
        OPPORTUNITIES: [
            (opportunity, None),
            (edited(opportunity, "opportunity_id", "date", estimated_close_date=f"{as_of.year}-13-45"), "invalid_date"),
            (edited(opportunity, "opportunity_id", "enum", status="Won"), "invalid_enum_value"),
        ],
    }


def _truncated(record: dict) -> bytes:
    text = json.dumps(record, ensure_ascii=False, separators=JSON_SEPARATORS)
    return text[: len(text) // 2].encode()


def _write_bad_files(gen: _Generator) -> None:
    landing = gen.landing
    for source, lines in _bad_records(gen).items():
        relative = f"{source.folder}/{landing.stamp}-bad-{0:0{SEQ_DIGITS}d}.jsonl"
        with landing.open(relative) as handle:
            for number, (content, reason) in enumerate(lines, start=1):
                handle.write(content + b"\n" if isinstance(content, bytes) else _json_line(content))
                if reason:
                    landing.bad.append(BadLine(relative, number, reason))
                elif not isinstance(content, bytes):
                    landing.counts[source.name] += 1
    _write_bad_mail(gen)


def _write_bad_mail(gen: _Generator) -> None:
    """Two .eml files that break the contract: no From, and a Date without a zone."""
    sent = datetime.combine(gen.as_of - timedelta(days=3), datetime.min.time()).replace(hour=10)
    user, contact = gen.users[0], gen.last_record[CONTACTS.name]
    common = [("To", formataddr((user.name, user.email))), ("Subject", "Question about the offer")]
    no_from = [
        ("Message-ID", f"<{gen.id_prefix}bad-no-from@mail.example>"),
        ("Date", format_datetime(sent.replace(tzinfo=UTC))),
        *common,
    ]
    no_zone = [
        ("Message-ID", f"<{gen.id_prefix}bad-no-zone@mail.example>"),
        ("From", formataddr((contact["full_name"], contact["email"]))),
        ("Date", format_datetime(sent.replace(tzinfo=UTC)).rsplit(" ", 1)[0]),  # "+0000" cut off
        *common,
    ]
    body = ["Hello,", "", "see below.", ""]
    for headers, reason in ((no_from, "missing_required_field"), (no_zone, "timestamp_without_offset")):
        relative = gen.mail.write_eml(_mail_bytes(headers, body, newline="\r\n"), bad=True)
        gen.landing.bad.append(BadLine(relative, 1, reason))


# --- public entry point ------------------------------------------------------------------------


def generate(
    landing: Path,
    *,
    as_of: date,
    seed: int = 7,
    activities: int = SCALES["tiny"],
    internal_domain: str = "rapport.example",
    keywords: Iterable[str] = DEFAULT_KEYWORDS,
    competitors: Iterable[str] = DEFAULT_COMPETITORS,
    best_practice: Iterable[str] = DEFAULT_BEST_PRACTICE,
    bad_lines: bool = False,
    batch: str | None = None,
    progress: Callable[[str], None] | None = None,
    history_days: int = HISTORY_DAYS,
) -> Manifest:
    """Write a sample landing zone under `landing` as of `as_of`; what was written.

    Activities happen over the `history_days` that end with `as_of` (1: a day's worth of new data).

    `activities` is approximate (emails + meetings + calls + tasks); email events and transcripts
    come on top. Empty tracking lists fall back to the defaults, so transcripts always mention
    something. Existing files with the same names are overwritten; others are left alone.
    """
    root = Path(landing)
    stamp = batch or as_of.isoformat()
    files = _Landing(root, stamp)
    generator = _Generator(
        files,
        as_of=as_of,
        seed=seed,
        activities=activities,
        internal_domain=internal_domain,
        keywords=tuple(keywords) or DEFAULT_KEYWORDS,
        competitors=tuple(competitors) or DEFAULT_COMPETITORS,
        best_practice=tuple(best_practice) or DEFAULT_BEST_PRACTICE,
        batch=batch,
        progress=progress,
        history_days=history_days,
    )
    try:
        generator.run()
        if batch is not None or activities <= SCALES["tiny"]:
            generator.redeliver()
        if bad_lines:
            _write_bad_files(generator)
    finally:
        generator.close()
    if progress:
        progress(f"sample data: {generator.activities:,} activities, {len(files.files)} files in {root}")
    return Manifest(counts=dict(files.counts), bad=list(files.bad), files=sorted(files.files))

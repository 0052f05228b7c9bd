"""The sample landing zone generator (samples.landing): deterministic, valid by the contract's own
checks (transforms.raw_records, transforms.mail), and rich enough for every KPI. No Spark."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

import pytest

from samples.landing import SCALES, generate
from schemas.landing import EMAILS, OPPORTUNITIES, SOURCES, TRANSCRIPTS, Kind
from transforms.mail import decode_text, message_to_email, split_mbox
from transforms.raw_records import BadRecord, Limits, validate_line, validate_record

AS_OF = date(2026, 3, 31)
END_OF_DAY = datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC)
PLANNING_HORIZON = timedelta(days=30)
HISTORY = timedelta(days=400)
SEED = 11
MAX_RECORD_BYTES = 2**20
MAX_TAIL_MS = 2_500  # silence after the last fragment: at most a turn gap (1.5 s) and a too-short fragment
SHORT_GAP_MS = 300  # fragments closer than this merge into one turn (kpis.md section 13)
# Tolerance 0: a happened-time later than the end of the as-of day is out of range.
LIMITS = Limits.for_as_of(AS_OF, MAX_RECORD_BYTES, future_tolerance_days=0)
REQUIRED_BAD = {
    ("emails", "invalid_json"),
    ("meetings", "not_an_object"),
    ("emails", "missing_required_field"),
    ("meetings", "missing_required_field"),
    ("calls", "wrong_type"),
    ("crm_accounts", "wrong_type"),
    ("emails", "timestamp_without_offset"),
    ("email_events", "timestamp_out_of_range"),
    ("emails", "timestamp_out_of_range"),
    ("crm_opportunities", "invalid_date"),
    ("crm_opportunities", "invalid_enum_value"),
    ("calls", "negative_value"),
    ("meetings", "end_before_start"),
    ("transcripts", "unknown_fragment_participant"),
    ("crm_contacts", "invalid_email_address"),
    ("tasks", "record_too_large"),
    ("emails", "no_recipients"),
}
REQUIRED_BAD_MAIL = {"missing_required_field", "timestamp_without_offset"}


def _source_of(relative: str):
    return next(s for s in SOURCES if relative.startswith(s.folder + "/"))


def _is_bad_file(relative: str) -> bool:
    return "-bad-" in Path(relative).name


def _read(root: Path, relative: str) -> bytes:
    content = (root / relative).read_bytes()
    return gzip.decompress(content) if relative.endswith(".gz") else content


def _units(root: Path, relative: str):
    """(line or message position, bytes) of every record of a landed file; blank lines are none."""
    content = _read(root, relative)
    if relative.endswith(".mbox"):
        yield from split_mbox(content)
    elif relative.endswith(".eml"):
        yield 1, content
    else:
        for number, line in enumerate(content.split(b"\n"), start=1):
            if line.strip():
                yield number, line


def _validate(source, relative: str, unit: bytes) -> dict:
    if relative.endswith((".eml", ".mbox")):
        return validate_record(source, message_to_email(unit), LIMITS)
    return validate_line(source, unit, LIMITS)


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    return root, generate(root, as_of=AS_OF, seed=SEED, bad_lines=True)


@pytest.fixture(scope="module")
def parsed(landing):
    """Every record of the good lines, validated: {source name: [(file, line, typed record)]}."""
    root, manifest = landing
    bad = {(b.relative_path, b.line) for b in manifest.bad}
    records = defaultdict(list)
    for relative in manifest.files:
        source = _source_of(relative)
        for number, unit in _units(root, relative):
            if (relative, number) not in bad:
                records[source.name].append((relative, number, _validate(source, relative, unit)))
    return records


def test_same_seed_writes_the_same_bytes(landing, tmp_path):
    root, manifest = landing
    again = generate(tmp_path, as_of=AS_OF, seed=SEED, bad_lines=True)
    assert _digest(tmp_path) == _digest(root)
    assert again == manifest


def test_another_seed_writes_other_data(landing, tmp_path):
    root, _ = landing
    generate(tmp_path, as_of=AS_OF, seed=SEED + 1)
    assert _digest(tmp_path) != _digest(root)


def test_manifest_lists_exactly_the_files_written(landing):
    root, manifest = landing
    on_disk = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert manifest.files == on_disk
    assert any(f.startswith("crm/users/") and f.endswith(".jsonl.gz") for f in on_disk)
    assert {Path(f).suffix for f in on_disk if f.startswith(EMAILS.folder)} == {".jsonl", ".eml", ".mbox"}


def test_every_good_line_is_a_json_object(landing):
    root, manifest = landing
    for relative in manifest.files:
        if relative.endswith((".jsonl", ".jsonl.gz")) and not _is_bad_file(relative):
            for _, line in _units(root, relative):
                assert isinstance(json.loads(line), dict), relative


def test_counts_are_the_valid_records_written(landing, parsed):
    _, manifest = landing
    assert {name: len(records) for name, records in parsed.items()} == manifest.counts


def test_email_count_is_jsonl_lines_plus_mail_messages_of_the_good_files(landing, tmp_path):
    root, manifest = landing
    clean = generate(tmp_path, as_of=AS_OF, seed=SEED)
    assert clean.bad == []
    assert clean.files == [f for f in manifest.files if not _is_bad_file(f)]
    assert all((tmp_path / f).read_bytes() == (root / f).read_bytes() for f in clean.files)
    lines = messages = 0
    for relative in clean.files:
        if relative.startswith(EMAILS.folder + "/"):
            count = sum(1 for _ in _units(tmp_path, relative))
            if relative.endswith(".jsonl"):
                lines += count
            else:
                messages += count
    assert messages >= 20
    assert clean.counts["emails"] == lines + messages


def test_tiny_is_about_the_size_asked_for(landing):
    _, manifest = landing
    activities = sum(manifest.counts[name] for name in ("emails", "meetings", "calls", "tasks"))
    assert 0.9 * SCALES["tiny"] <= activities <= 1.2 * SCALES["tiny"]
    assert 15 <= manifest.counts["crm_users"] <= 20
    assert 30 <= manifest.counts["crm_accounts"] <= 35
    assert 100 <= manifest.counts["crm_contacts"] <= 130
    assert 20 <= manifest.counts["crm_leads"] <= 25


def _latest(records):
    """The version of each id that wins: greatest modified_at, then later file, then later line."""
    latest = {}
    for relative, line, record in records:
        key = next(iter(record.values()))
        rank = (record.get("modified_at") or datetime.min.replace(tzinfo=UTC), relative, line)
        if key not in latest or rank > latest[key][0]:
            latest[key] = (rank, record)
    return {key: record for key, (_, record) in latest.items()}


def test_enough_won_lost_and_open_deals_for_similar_won_deals(parsed):
    deals = _latest(parsed[OPPORTUNITIES.name]).values()
    statuses = Counter(d["status"] for d in deals)
    assert statuses["won"] >= 30 and statuses["lost"] >= 30 and statuses["open"] >= 10
    won = [d for d in deals if d["status"] == "won"]
    assert 1 <= sum(d["actual_revenue"] is None for d in won) < len(won) // 4
    assert any(d["estimated_close_date"] > AS_OF for d in deals if d["status"] == "open")
    assert all(d["sales_team_user_ids"] and d["contact_id"] for d in deals)


def test_people_flags_are_set(parsed):
    users = _latest(parsed["crm_users"]).values()
    assert sum(u["analytics_opt_out"] for u in users) >= 1 and sum(not u["is_active"] for u in users) >= 1
    assert len({u["team_id"] for u in users}) >= 3
    assert all(u["email"].endswith("@rapport.example") for u in users)
    contacts = _latest(parsed["crm_contacts"]).values()
    assert 1 <= sum(c["do_not_track"] for c in contacts) <= len(contacts) // 10
    leads = _latest(parsed["crm_leads"]).values()
    assert {lead["status"] for lead in leads} == {"open", "qualified", "disqualified"}
    assert any(lead["stakeholder_contact_ids"] for lead in leads)


def _instants(source_name, records):
    source = next(s for s in SOURCES if s.name == source_name)
    for _, _, record in records:
        for f in source.fields:
            if f.kind is Kind.INSTANT and record.get(f.name) is not None:
                yield f, record[f.name]


def test_happened_times_are_not_after_the_as_of_day_and_planned_ones_within_30_days(parsed):
    planned_after = 0
    for name, records in parsed.items():
        for f, instant in _instants(name, records):
            if f.happened:
                assert instant <= END_OF_DAY, (name, f.name, instant)
            else:
                assert instant <= END_OF_DAY + PLANNING_HORIZON, (name, f.name, instant)
                planned_after += instant > END_OF_DAY
    assert planned_after > 0


def test_activities_spread_over_400_days_more_densely_lately(parsed):
    sent = [r["sent_at"] for _, _, r in parsed["emails"]]
    assert min(sent) >= END_OF_DAY - HISTORY - timedelta(days=1)
    recent = sum(s > END_OF_DAY - HISTORY / 4 for s in sent)
    assert recent > len(sent) / 4


def test_timestamps_carry_mixed_offsets_some_moving_the_utc_day(landing):
    root, manifest = landing
    offsets, day_moves = Counter(), 0
    for relative in manifest.files:
        if relative.startswith(EMAILS.folder) and relative.endswith(".jsonl") and not _is_bad_file(relative):
            for _, line in _units(root, relative):
                local = datetime.fromisoformat(json.loads(line)["sent_at"])
                offsets[local.strftime("%z")] += 1
                day_moves += local.date() != local.astimezone(UTC).date()
    assert len(offsets) >= 5 and day_moves > 0


def test_threads_have_runs_late_replies_internal_mail_and_followed_events(parsed):
    emails = {r["email_id"]: r for _, _, r in parsed["emails"]}
    replies = [r for r in emails.values() if r["in_reply_to"] in emails]
    late = [r for r in replies if r["sent_at"] - emails[r["in_reply_to"]]["sent_at"] > timedelta(days=30)]
    assert late and len(replies) > len(emails) / 3
    assert any(r["thread_id"] for r in emails.values()) and any(not r["thread_id"] for r in emails.values())
    internal = [r for r in emails.values() if all(a.endswith("rapport.example") for a in [r["from"], *r["to"]])]
    assert internal
    followed = {i for i, r in emails.items() if r["followed"]}
    events = [r for _, _, r in parsed["email_events"]]
    assert {e["event_type"] for e in events} == {"opened", "link_clicked", "attachment_viewed", "replied"}
    assert all(e["occurred_at"] > emails[e["email_id"]]["sent_at"] for e in events if e["email_id"] in emails)
    assert {e["email_id"] for e in events} & followed
    assert any(e["email_id"] not in emails for e in events)


def test_mail_files_cover_encoded_subject_list_sender_and_missing_message_id(landing):
    root, manifest = landing
    mail = [f for f in manifest.files if f.endswith((".eml", ".mbox")) and not _is_bad_file(f)]
    messages = [m for f in mail for _, m in _units(root, f)]
    subjects = {decode_text(message_from_bytes(m, policy=compat32)["Subject"]) for m in messages}
    assert "Angebot für Q3" in subjects
    listed = [m for m in messages if b"List-Post:" in m]
    assert len(listed) == 1
    assert not message_to_email(listed[0])["from"].startswith("sales-l@")
    assert sum(b"Message-ID:" not in m for m in messages) == 1
    mbox = next(f for f in mail if f.endswith(".mbox"))
    assert b"\n>From our side" in (root / mbox).read_bytes()


def test_meetings_calls_tasks_cover_their_statuses(parsed):
    meetings = [r for _, _, r in parsed["meetings"]]
    assert {m["status"] for m in meetings} == {"scheduled", "completed", "canceled"}
    assert any(a["response"] == "declined" for m in meetings for a in m["attendees"])
    assert any(m["regarding_type"] == "opportunity" for m in meetings)
    calls = [r for _, _, r in parsed["calls"]]
    assert {c["status"] for c in calls} == {"scheduled", "completed", "canceled"}
    completed = [c for c in calls if c["status"] == "completed"]
    assert 0.3 < sum(c["recorded"] for c in completed) / len(completed) < 0.5
    tasks = [r for _, _, r in parsed["tasks"]]
    assert {t["status"] for t in tasks} == {"open", "completed", "canceled"}
    assert all(t["completed_at"] for t in tasks if t["status"] == "completed")


def test_transcripts_fit_their_calls_and_mention_tracked_words(parsed):
    calls = {r["call_id"]: r for _, _, r in parsed["calls"]}
    transcripts = [r for _, _, r in parsed[TRANSCRIPTS.name]]
    assert {t["language"] for t in transcripts} == {"en", "de", "fr"}
    customer_text, short_gaps = [], 0
    for t in transcripts:
        call = calls[t["call_id"]]
        assert call["recorded"]
        fragments = t["fragments"]
        offsets = [f["offset_ms"] for f in fragments]
        assert offsets == sorted(offsets)
        span_ms = max(f["offset_ms"] + f["duration_ms"] for f in fragments)
        assert call["duration_seconds"] * 1000 - MAX_TAIL_MS <= span_ms <= call["duration_seconds"] * 1000
        roles = {p["participant_id"]: p["role"] for p in t["participants"]}
        customer_text += [f["text"] for f in fragments if roles[f["participant_id"]] == "customer"]
        gaps = [b["offset_ms"] - a["offset_ms"] - a["duration_ms"] for a, b in itertools.pairwise(fragments)]
        short_gaps += sum(0 <= gap < SHORT_GAP_MS for gap in gaps)
    assert short_gaps > len(transcripts)
    text = " ".join(customer_text)
    assert "Intégration" in text or "intégration" in text
    assert "Globex" in text or "GLOBEX" in text or "globex" in text


def test_redelivery_repeats_crm_versions_and_activity_ids(parsed):
    for name in ("crm_accounts", "crm_opportunities"):
        versions = defaultdict(list)
        for relative, _, record in parsed[name]:
            versions[next(iter(record.values()))].append((relative, record))
        twice = [v for v in versions.values() if len({r for r, _ in v}) > 1]
        assert twice
        (first_file, first), (last_file, last) = sorted(twice[0], key=lambda v: v[0])[:2]
        assert last_file > first_file and last["modified_at"] > first["modified_at"] and last != first
    ids = Counter(r["call_id"] for _, _, r in parsed["calls"])
    assert any(n > 1 for n in ids.values())


def test_every_bad_record_gets_its_reason(landing):
    root, manifest = landing
    seen = set()
    for bad in manifest.bad:
        source = _source_of(bad.relative_path)
        unit = dict(_units(root, bad.relative_path))[bad.line]
        with pytest.raises(BadRecord) as problem:
            _validate(source, bad.relative_path, unit)
        assert problem.value.reason == bad.reason, bad
        kind = "mail" if bad.relative_path.endswith(".eml") else source.name
        seen.add((kind, bad.reason))
    assert seen >= REQUIRED_BAD
    assert {("mail", reason) for reason in REQUIRED_BAD_MAIL} <= seen


def test_bad_files_hold_blank_lines_that_are_not_records(landing):
    root, manifest = landing
    bad_file = next(f for f in manifest.files if f.startswith(EMAILS.folder) and f.endswith("-bad-00000.jsonl"))
    lines = (root / bad_file).read_bytes().split(b"\n")[:-1]
    blank = [n for n, line in enumerate(lines, start=1) if not line.strip()]
    assert len(blank) == 2
    assert not {(bad_file, n) for n in blank} & {(b.relative_path, b.line) for b in manifest.bad}

import gzip
from datetime import UTC, date, datetime

from chispa import assert_df_equality
from pyspark.sql import types as T

from schemas.landing import EMAIL_EVENTS, EMAILS, TASKS
from transforms.landing_files import bronze_rows, jsonl_lines, parse_file, quarantine_rows, with_parsed_records
from transforms.raw_records import Limits, Reason

LIMITS = Limits.for_as_of(date(2026, 3, 31), max_record_bytes=1 << 20, future_tolerance_days=2)
EVENT = b'{"event_id": "e1", "email_id": "m1", "event_type": "opened", "occurred_at": "2026-03-02T10:00:00+02:00"}'
MODIFIED = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_jsonl_lines_numbers_every_line_and_skips_blank_ones():
    content = b'{"a": 1}\r\n\n   \n{"b": 2}\n\t\n{"c": 3}'

    assert list(jsonl_lines(content)) == [(1, b'{"a": 1}'), (4, b'{"b": 2}'), (6, b'{"c": 3}')]
    assert list(jsonl_lines(b"")) == []
    assert list(jsonl_lines(b'{"a": 1}\n')) == [(1, b'{"a": 1}')]


def test_gzipped_json_lines_are_read_like_plain_ones():
    outcomes = list(parse_file(EMAIL_EVENTS, "f/2026-03-31.jsonl.gz", gzip.compress(EVENT + b"\n"), LIMITS))

    assert [(o.line, o.record["event_id"], o.problem) for o in outcomes] == [(1, "e1", None)]


def test_a_file_of_a_type_the_folder_does_not_take_is_one_quarantined_row():
    (outcome,) = parse_file(TASKS, "f/notes.eml", b"From: a@b.co\r\n\r\nhi", LIMITS)

    assert (outcome.line, outcome.record, outcome.problem.reason) == (0, None, Reason.UNSUPPORTED_FILE)


def test_a_corrupt_gzip_file_is_one_quarantined_row():
    (outcome,) = parse_file(EMAIL_EVENTS, "f/broken.jsonl.gz", b"\x1f\x8bnot really gzip", LIMITS)

    assert (outcome.line, outcome.problem.reason) == (0, Reason.UNREADABLE_FILE)


def test_mbox_messages_are_numbered_by_position():
    mbox = (
        b"From a@x Tue Jan  3 13:25:42 2023\nMessage-ID: <1@x>\nFrom: a@b.co\nTo: c@d.co\n"
        b"Date: Tue, 3 Jan 2023 13:25:42 +0000\n\nhi\n"
        b"From a@x Tue Jan  3 13:26:42 2023\nMessage-ID: <2@x>\nFrom: a@b.co\n"
        b"Date: Tue, 3 Jan 2023 13:26:42 +0000\n\nno recipient\n"
    )

    outcomes = list(parse_file(EMAILS, "f/archive.mbox", mbox, LIMITS))

    assert [(o.line, o.record and o.record["email_id"], o.problem and o.problem.reason) for o in outcomes] == [
        (1, "1@x", None),
        (2, None, Reason.NO_RECIPIENTS),
    ]


FILES_SCHEMA = T.StructType(
    [
        T.StructField("path", T.StringType()),
        T.StructField("modificationTime", T.TimestampType()),
        T.StructField("length", T.LongType()),
        T.StructField("content", T.BinaryType()),
    ]
)
BAD_EVENT = b'{"event_id": "e2", "email_id": "m1", "event_type": "Opened", "occurred_at": "x"}'


def parsed_events(spark):
    content = EVENT + b"\n\n" + BAD_EVENT + b"\n"
    files_df = spark.createDataFrame([("file:/l/e.jsonl", MODIFIED, len(content), content)], FILES_SCHEMA)
    return with_parsed_records(files_df, EMAIL_EVENTS, LIMITS)


def test_with_parsed_records_gives_one_row_per_record_with_position_and_reason(spark):
    parsed_df = parsed_events(spark).select(
        "event_id", "occurred_at", "source_file", "source_line", "quarantine_reason", "quarantine_field"
    )

    expected_df = spark.createDataFrame(
        [
            ("e1", datetime(2026, 3, 2, 8, 0), "file:/l/e.jsonl", 1, None, None),
            (None, None, "file:/l/e.jsonl", 3, Reason.INVALID_ENUM_VALUE, "event_type"),
        ],
        "event_id string, occurred_at timestamp, source_file string, source_line long, "
        "quarantine_reason string, quarantine_field string",
    )
    assert_df_equality(parsed_df, expected_df, ignore_nullable=True, ignore_row_order=True)


def test_good_rows_go_to_bronze_and_bad_rows_to_quarantine_with_their_text(spark):
    parsed_df = parsed_events(spark)
    run_at = datetime(2026, 4, 1, 6, 0)

    bronze_df = bronze_rows(parsed_df, EMAIL_EVENTS, run_at, "run-1")
    quarantine_df = quarantine_rows(parsed_df, EMAIL_EVENTS, run_at, "run-1")

    expected_bronze_df = spark.createDataFrame(
        [
            (
                "e1",
                "m1",
                "opened",
                datetime(2026, 3, 2, 8, 0),
                EVENT.decode(),
                "jsonl",
                "file:/l/e.jsonl",
                1,
                run_at,
                "run-1",
            )
        ],
        "event_id string, email_id string, event_type string, occurred_at timestamp, raw_record string, "
        "source_format string, source_file string, source_line long, ingested_at timestamp, ingest_run_id string",
    )
    assert_df_equality(bronze_df.drop("file_modified_at"), expected_bronze_df, ignore_nullable=True)
    expected_quarantine_df = spark.createDataFrame(
        [
            (
                "email_events",
                "file:/l/e.jsonl",
                3,
                "invalid_enum_value",
                "event_type",
                "file:/l/e.jsonl:3: event_type: 'Opened' is not one of "
                "opened, link_clicked, attachment_viewed, replied",
                BAD_EVENT.decode(),
                run_at,
                "run-1",
            )
        ],
        "source string, source_file string, source_line long, reason string, field string, detail string, "
        "raw_record string, ingested_at timestamp, ingest_run_id string",
    )
    assert_df_equality(quarantine_df.drop("file_modified_at"), expected_quarantine_df, ignore_nullable=True)


def test_an_mbox_preamble_is_quarantined_as_line_0_not_dropped():
    mbox = b"exported by some tool\nFrom a@x Tue Jan  3 13:25:42 2023\nMessage-ID: <1@x>\nFrom: a@b.co\nTo: c@d.co\n"
    mbox += b"Date: Tue, 3 Jan 2023 13:25:42 +0000\n\nhi\n"

    outcomes = list(parse_file(EMAILS, "f/archive.mbox", mbox, LIMITS))

    assert [(o.line, o.problem and o.problem.reason) for o in outcomes] == [
        (0, Reason.MISSING_REQUIRED_FIELD),
        (1, None),
    ]
